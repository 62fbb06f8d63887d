package embedded

// Term frequencies beside the postings.
//
// Searches read only a posting's impact; its four field frequencies are
// needed only on the write path (recomputing impacts when the norms are
// refreshed, compaction, snapshots), always walking a whole list in order.
// So each list's frequencies are a byte stream rather than 4 bytes per
// posting: one byte whose low four bits say which fields are non-zero,
// then one byte per such field. Most postings are in one or two fields,
// so a posting takes 2–3 bytes instead of 4 (at 100k generated entries
// tens of MiB of resident memory).

// appendTF appends tf's encoding to b.
func appendTF(b []byte, tf tfVec) []byte {
	var h byte
	for f := range nFields {
		if tf[f] != 0 {
			h |= 1 << f
		}
	}
	b = append(b, h)
	for f := range nFields {
		if tf[f] != 0 {
			b = append(b, tf[f])
		}
	}
	return b
}

// tfReader decodes a list's frequencies in order. The stream is trusted:
// the core wrote it (the snapshot loader re-encodes what it reads).
type tfReader struct {
	b   []byte
	off int
}

func (r *tfReader) next() tfVec {
	var tf tfVec
	h := r.b[r.off]
	r.off++
	for f := range nFields {
		if h&(1<<f) != 0 {
			tf[f] = r.b[r.off]
			r.off++
		}
	}
	return tf
}

// tfArena hands out capped windows of large byte blocks for the snapshot
// loader's streams (one allocation per block, not per list; a later
// append to a window copies it out instead of overwriting its neighbour).
type tfArena struct{ block []byte }

const tfArenaBlock = 1 << 20

func (a *tfArena) window(enc []byte) []byte {
	if len(enc) > tfArenaBlock/4 {
		return append([]byte(nil), enc...)
	}
	if cap(a.block)-len(a.block) < len(enc) {
		a.block = make([]byte, 0, tfArenaBlock)
	}
	n := len(a.block)
	a.block = append(a.block, enc...)
	return a.block[n:len(a.block):len(a.block)]
}
