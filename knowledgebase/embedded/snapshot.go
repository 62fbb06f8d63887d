package embedded

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Snapshot file layout (little endian, strings as uvarint length + bytes):
//
//	magic "HGKX" | format u32 | analysis.Version | stamp | synonym groups
//	| docs: count, each Document field | field length sums
//	| terms: count, total postings, each text, posting count, postings
//	  (doc u32 + 4 tf bytes)
//
// Only live documents are written (the snapshot is compacted), so ordinals
// in the file are dense.
const (
	snapMagic  = "HGKX"
	snapFormat = 2
	snapName   = "index.snap"
	walName    = "wal.jsonl"
)

func (x *Index) snapPath() string { return filepath.Join(x.opts.Dir, snapName) }
func (x *Index) walPath() string  { return filepath.Join(x.opts.Dir, walName) }

type binWriter struct {
	w   *bufio.Writer
	buf [binary.MaxVarintLen64]byte
}

func (b *binWriter) uvarint(v uint64) {
	n := binary.PutUvarint(b.buf[:], v)
	b.w.Write(b.buf[:n])
}
func (b *binWriter) str(s string) { b.uvarint(uint64(len(s))); b.w.WriteString(s) }
func (b *binWriter) strs(ss []string) {
	b.uvarint(uint64(len(ss)))
	for _, s := range ss {
		b.str(s)
	}
}
func (b *binWriter) time(t time.Time) {
	if t.IsZero() {
		b.uvarint(0)
		return
	}
	b.uvarint(1)
	var tb [8]byte
	binary.LittleEndian.PutUint64(tb[:], uint64(t.UnixNano()))
	b.w.Write(tb[:])
}

// snapshotLocked compacts, writes the snapshot atomically (temp file,
// fsync, rename) and truncates the log. Caller holds mu.
func (x *Index) snapshotLocked() error {
	if x.opts.Dir == "" {
		return nil
	}
	if x.core.dead() > 0 {
		x.compactLocked()
	}
	x.core.trim()
	tmp := x.snapPath() + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("embedded snapshot: %w", err)
	}
	bw := &binWriter{w: bufio.NewWriterSize(f, 1<<20)}
	x.encode(bw)
	err = errors.Join(bw.w.Flush(), f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmp, x.snapPath())
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("embedded snapshot: %w", err)
	}
	if x.wal != nil {
		if err := x.wal.truncate(); err != nil {
			return fmt.Errorf("embedded snapshot: truncate wal: %w", err)
		}
	}
	x.logged = 0
	x.unlogged = false
	return nil
}

func (x *Index) encode(b *binWriter) {
	b.w.WriteString(snapMagic)
	b.uvarint(snapFormat)
	b.str(analysis.Version)
	b.str(x.stamp)
	b.uvarint(uint64(len(x.synonyms)))
	for _, g := range x.synonyms {
		b.strs(g)
	}
	b.uvarint(uint64(len(x.docs)))
	for i := range x.docs {
		d := &x.docs[i]
		b.str(d.ID)
		b.str(d.Kind)
		b.str(d.Title)
		b.strs(d.Alternates)
		b.str(d.Body)
		b.str(d.Department)
		b.str(d.Category)
		b.strs(d.Channels)
		b.strs(d.Keywords)
		b.str(d.Region)
		flags := uint64(0)
		if d.Internal {
			flags |= 1
		}
		if d.Searchable {
			flags |= 2
		}
		b.uvarint(flags)
		b.time(d.ExpiresAt)
		b.time(d.UpdatedAt)
		for f := range nFields {
			b.uvarint(uint64(x.core.flen[i][f]))
		}
	}
	b.uvarint(uint64(len(x.core.terms)))
	total := 0
	for _, id := range x.core.terms {
		total += len(x.core.post[id])
	}
	b.uvarint(uint64(total))
	var pb [8]byte
	for text, id := range x.core.terms {
		b.str(text)
		ps, rd := x.core.post[id], tfReader{b: x.core.tf[id]}
		b.uvarint(uint64(len(ps)))
		for _, p := range ps {
			binary.LittleEndian.PutUint32(pb[:4], p.doc)
			tf := rd.next()
			copy(pb[4:], tf[:])
			b.w.Write(pb[:])
		}
	}
}

type binReader struct {
	r   *bufio.Reader
	err error
}

func (b *binReader) uvarint() uint64 {
	if b.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(b.r)
	b.err = err
	return v
}

// count reads a length and rejects absurd values from a damaged file.
func (b *binReader) count(limit uint64) int {
	v := b.uvarint()
	if v > limit && b.err == nil {
		b.err = fmt.Errorf("%w: length %d", ErrCorrupt, v)
	}
	if b.err != nil {
		return 0
	}
	return int(v)
}

func (b *binReader) str() string {
	n := b.count(1 << 28)
	if n == 0 {
		return ""
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(b.r, buf); err != nil && b.err == nil {
		b.err = err
	}
	return string(buf)
}

func (b *binReader) strs() []string {
	n := b.count(1 << 20)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = b.str()
	}
	return out
}

func (b *binReader) time() time.Time {
	if b.uvarint() == 0 {
		return time.Time{}
	}
	var tb [8]byte
	if _, err := io.ReadFull(b.r, tb[:]); err != nil && b.err == nil {
		b.err = err
	}
	return time.Unix(0, int64(binary.LittleEndian.Uint64(tb[:]))).UTC()
}

// errStaleAnalysis means the snapshot was built with other analysis rules;
// its documents are kept and re-analysed.
var errStaleAnalysis = errors.New("snapshot analysis version differs")

// decode reads a snapshot into x (empty on entry). On errStaleAnalysis the
// documents and metadata are loaded but not the postings.
func (x *Index) decode(r io.Reader) error {
	b := &binReader{r: bufio.NewReaderSize(r, 1<<20)}
	magic := make([]byte, len(snapMagic))
	if _, err := io.ReadFull(b.r, magic); err != nil || string(magic) != snapMagic {
		return fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	if v := b.uvarint(); v != snapFormat {
		return fmt.Errorf("%w: format %d", ErrCorrupt, v)
	}
	ver := b.str()
	x.stamp = b.str()
	ng := b.count(1 << 20)
	for range ng {
		x.synonyms = append(x.synonyms, b.strs())
	}
	nd := b.count(1 << 28)
	x.docs = make([]knowledgebase.Document, nd)
	x.meta = make([]docMeta, nd)
	c := x.core
	c.flen = make([][nFields]uint16, nd)
	c.norm = make([][nFields]float32, nd)
	c.alive = make([]bool, nd)
	for i := range nd {
		d := &x.docs[i]
		d.ID, d.Kind, d.Title = b.str(), b.str(), b.str()
		d.Alternates = b.strs()
		d.Body, d.Department, d.Category = b.str(), b.str(), b.str()
		d.Channels, d.Keywords = b.strs(), b.strs()
		d.Region = b.str()
		flags := b.uvarint()
		d.Internal, d.Searchable = flags&1 != 0, flags&2 != 0
		d.ExpiresAt, d.UpdatedAt = b.time(), b.time()
		for f := range nFields {
			l := b.uvarint()
			c.flen[i][f] = uint16(l)
			c.sumLen[f] += float64(l)
		}
		c.alive[i] = true
		x.meta[i] = metaOf(d)
		x.byID[d.ID] = uint32(i)
		if b.err != nil {
			return fmt.Errorf("%w: document %d: %v", ErrCorrupt, i, b.err)
		}
	}
	c.nAlive = nd
	c.refreshNorms(true)
	if ver != analysis.Version {
		return errStaleAnalysis
	}
	nt := b.count(1 << 30)
	arena := make([]posting, b.count(1<<34))
	return x.decodePostings(b, nt, nd, arena)
}

// decodePostings reads the terms and their posting lists. This goroutine
// reads (texts, counts, raw bytes) in order; decodeWorkers turn groups of
// raw lists into postings with their impacts and frequency streams, each
// term into its own slot, so a start-up's largest part runs on every core.
//
// One allocation (without pointers, so the GC never scans it) holds every
// posting list (the frequencies go to blocks of each worker's tfArena);
// each list is a capped window, so a later append copies it out instead of
// overwriting its neighbour. Impacts come from the norms computed from the
// documents (the file holds frequencies only).
func (x *Index) decodePostings(b *binReader, nt, nd int, arena []posting) error {
	c := x.core
	c.post = make([][]posting, nt)
	c.tf = make([][]byte, nt)
	type list struct {
		term int
		ps   []posting
		raw  []byte // len(ps)*8 bytes: doc u32 + 4 tf bytes each
	}
	type group struct {
		lists []list
		buf   []byte
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	groups := make(chan *group, workers)
	free := make(chan *group, 2*workers)
	for range 2 * workers {
		free <- &group{buf: make([]byte, 0, decodeGroupBytes)}
	}
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		decErr  error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var tfa tfArena
			var enc []byte
			for g := range groups {
				for _, l := range g.lists {
					enc = enc[:0]
					for k := range l.ps {
						o := l.raw[k*8:]
						doc := binary.LittleEndian.Uint32(o)
						if int(doc) >= nd {
							errOnce.Do(func() { decErr = fmt.Errorf("%w: posting beyond documents", ErrCorrupt) })
							break
						}
						tf := tfVec(o[4:8])
						l.ps[k] = posting{doc: doc, imp: satNorm(&c.norm[doc], tf)}
						enc = appendTF(enc, tf)
					}
					c.post[l.term] = l.ps
					c.tf[l.term] = tfa.window(enc)
				}
				g.lists, g.buf = g.lists[:0], g.buf[:0]
				free <- g
			}
		}()
	}
	err := func() error {
		g := <-free
		off := 0
		for i := range nt {
			text := b.str()
			np := b.count(uint64(nd))
			if b.err != nil {
				return fmt.Errorf("%w: term %d: %v", ErrCorrupt, i, b.err)
			}
			if off+np > len(arena) {
				return fmt.Errorf("%w: more postings than announced", ErrCorrupt)
			}
			if len(g.buf)+np*8 > cap(g.buf) && len(g.lists) > 0 {
				groups <- g
				g = <-free
			}
			start := len(g.buf)
			g.buf = slices.Grow(g.buf, np*8)[:start+np*8]
			if _, err := io.ReadFull(b.r, g.buf[start:]); err != nil {
				return fmt.Errorf("%w: postings of term %d: %v", ErrCorrupt, i, err)
			}
			g.lists = append(g.lists, list{term: i, ps: arena[off : off+np : off+np], raw: g.buf[start:]})
			off += np
			c.terms[text] = uint32(i)
		}
		groups <- g
		return nil
	}()
	close(groups)
	wg.Wait()
	if err != nil {
		return err
	}
	if decErr != nil {
		return decErr
	}
	return b.err
}

// decodeGroupBytes is the raw posting bytes handed to a decode worker at once.
const decodeGroupBytes = 256 << 10

// load restores the snapshot and replays the log. A stale analysis
// version re-analyses the stored documents; a corrupt snapshot leaves an
// empty index with an empty Stamp (the caller rebuilds from the store).
func (x *Index) load(ctx context.Context) error {
	if err := os.MkdirAll(x.opts.Dir, 0o755); err != nil {
		return err
	}
	f, err := os.Open(x.snapPath())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	default:
		derr := x.decode(f)
		f.Close()
		switch {
		case derr == nil:
		case errors.Is(derr, errStaleAnalysis):
			docs := x.docs
			syn, stamp := x.synonyms, x.stamp
			x.applyReset()
			x.synonyms, x.stamp = syn, stamp
			fts, err := x.analyseAll(ctx, docs)
			if err != nil {
				return err
			}
			x.applyUpsert(docs, fts)
			x.logged = len(docs) // forces a fresh snapshot on Close
		default:
			// Start empty; Stamp "" tells the owner to rebuild.
			x.applyReset()
			x.synonyms = nil
		}
	}
	ops, err := readWAL(x.walPath())
	if err != nil {
		return err
	}
	for _, op := range ops {
		switch op.Op {
		case opUpsert:
			fts, err := x.analyseAll(ctx, op.Docs)
			if err != nil {
				return err
			}
			x.applyUpsert(op.Docs, fts)
			x.logged += len(op.Docs)
		case opDelete:
			x.applyDelete(op.IDs)
			x.logged += len(op.IDs)
		case opSynonyms:
			x.synonyms = op.Groups
		}
	}
	if len(ops) > 0 {
		x.stamp = "" // writes after the last full build: let the owner decide
	}
	x.an.SetSynonyms(x.synonyms)
	x.wal, err = openWAL(x.walPath(), x.opts.SyncWrites)
	return err
}
