package embedded

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
)

// A hotline's searches repeat (社保卡怎么补办 is asked all day), so the
// index keeps recent results. Every write bumps a generation and an entry
// from an older generation is a miss, so results are never stale with
// respect to writes. Time changes a result only when an entry expires, so
// an entry computed at instant `at` is valid up to the next expiry after it
// (and at most cacheTTL): the gateway passes its own clock as Query.Now on
// every search, and those searches hit too.
const cacheTTL = 10 * time.Second

type cacheKey struct {
	text, department, category, channel, kind string
	limit, offset                             int
	internal                                  bool
}

type cacheEntry struct {
	res       knowledgebase.Result
	gen       uint64
	at, until int64 // valid for Query.Now in [at, until]
}

type resultCache struct {
	mu   sync.Mutex
	size int
	m    map[cacheKey]cacheEntry
}

func newResultCache(size int) *resultCache {
	if size <= 0 {
		return nil
	}
	return &resultCache{size: size, m: make(map[cacheKey]cacheEntry, size)}
}

func keyOf(q knowledgebase.Query) cacheKey {
	return cacheKey{text: q.Text, department: q.Department, category: q.Category, channel: q.Channel,
		kind: q.Kind, limit: q.Limit, offset: q.Offset, internal: q.IncludeInternal}
}

func (c *resultCache) get(k cacheKey, gen uint64, now int64) (knowledgebase.Result, bool) {
	if c == nil {
		return knowledgebase.Result{}, false
	}
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok || e.gen != gen || now < e.at || now > e.until {
		return knowledgebase.Result{}, false
	}
	return copyResult(e.res), true
}

func (c *resultCache) put(k cacheKey, gen uint64, res knowledgebase.Result, at, until int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.size {
		// Evict an arbitrary tenth (map order is randomised): cheap and
		// good enough for a small hot set.
		n := c.size / 10
		for key := range c.m {
			delete(c.m, key)
			if n--; n <= 0 {
				break
			}
		}
	}
	c.m[k] = cacheEntry{res: copyResult(res), gen: gen, at: at, until: until}
}

// copyResult keeps cached hits away from callers that modify theirs.
func copyResult(r knowledgebase.Result) knowledgebase.Result {
	r.Hits = append([]knowledgebase.Hit{}, r.Hits...)
	return r
}

// nextExpiry is the earliest expiry at or after instant at among indexed
// documents (math.MaxInt64 if none): a result computed at `at` holds until
// then. The sorted expiry list is rebuilt once per write generation. The
// caller holds x.mu for reading.
func (x *Index) nextExpiry(at int64) int64 {
	g := x.gen.Load()
	x.expMu.Lock()
	defer x.expMu.Unlock()
	if x.expiries == nil || x.expGen != g {
		exp := make([]int64, 0, 16)
		for i, m := range x.meta {
			if m&metaExpires != 0 {
				exp = append(exp, x.docs[i].ExpiresAt.UnixNano())
			}
		}
		slices.Sort(exp)
		x.expiries, x.expGen = exp, g
	}
	i, _ := slices.BinarySearch(x.expiries, at)
	if i == len(x.expiries) {
		return math.MaxInt64
	}
	return x.expiries[i]
}

// visibleMask returns the documents visible to anonymous callers (or to
// staff) as bits, leaving out expiring ones (returned apart, their
// visibility depends on the instant), rebuilt once per write generation.
// The caller holds x.mu for reading.
func (x *Index) visibleMask(staff bool) (mask []uint64, expiring []uint32) {
	g := x.gen.Load()
	x.expMu.Lock()
	defer x.expMu.Unlock()
	if x.visPub == nil || x.visGen != g {
		words := (len(x.meta) + 63) / 64
		pub, all := make([]uint64, words), make([]uint64, words)
		var exp []uint32
		for i, m := range x.meta {
			switch {
			case m&metaSearchable == 0:
			case m&metaExpires != 0:
				exp = append(exp, uint32(i))
			default:
				all[i>>6] |= 1 << (i & 63)
				if m&metaInternal == 0 {
					pub[i>>6] |= 1 << (i & 63)
				}
			}
		}
		x.visPub, x.visAll, x.visExp, x.visGen = pub, all, exp, g
	}
	if staff {
		return x.visAll, x.visExp
	}
	return x.visPub, x.visExp
}
