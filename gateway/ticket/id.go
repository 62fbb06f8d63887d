package ticket

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// idGen makes ULID-shaped ids (48-bit milliseconds + 80 random bits, 26
// Crockford base32 characters). Within one millisecond the random part is
// incremented, so ids of one process sort in intake order; across replicas
// the order is by millisecond, which is what store listings need.
type idGen struct {
	mu     sync.Mutex
	lastMs int64
	hi     uint16 // top 16 of the 80 random bits
	lo     uint64 // low 64 random bits
}

func (g *idGen) next(now time.Time) string {
	g.mu.Lock()
	ms := now.UnixMilli()
	if ms <= g.lastMs {
		ms = g.lastMs // clock went back or same ms: keep monotonic
		g.lo++
		if g.lo == 0 {
			g.hi++
		}
	} else {
		var b [10]byte
		_, _ = rand.Read(b[:])
		g.hi = binary.BigEndian.Uint16(b[:2]) & 0x7fff // leave room to increment
		g.lo = binary.BigEndian.Uint64(b[2:])
		g.lastMs = ms
	}
	hi, lo := g.hi, g.lo
	g.mu.Unlock()

	var raw [16]byte
	binary.BigEndian.PutUint64(raw[0:8], uint64(ms)<<16|uint64(hi))
	binary.BigEndian.PutUint64(raw[8:16], lo)
	return encode128(raw)
}

// encode128 writes 128 bits as 26 base32 characters (the top 2 bits of the
// first character are zero), most significant first, so text order equals
// numeric order.
func encode128(raw [16]byte) string {
	hi := binary.BigEndian.Uint64(raw[0:8])
	lo := binary.BigEndian.Uint64(raw[8:16])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// idTimePrefix is the id prefix of instant t: its 48-bit milliseconds as
// the first 10 characters. Every id made at or after t sorts after it, every
// id made before t before it.
func idTimePrefix(t time.Time) string {
	var raw [16]byte
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	binary.BigEndian.PutUint64(raw[0:8], uint64(ms)<<16)
	return encode128(raw)[:10]
}
