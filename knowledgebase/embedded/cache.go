package embedded

import (
	"sync"
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
)

// A hotline's searches repeat (社保卡怎么补办 is asked all day), so the
// index keeps recent results. Every write bumps a generation and an entry
// from an older generation is a miss, so results are never stale with
// respect to writes. Queries without an explicit Now use the wall clock
// for expiry; their entries live cacheTTL, so an entry expiring meanwhile
// may show for at most that long.
const cacheTTL = 10 * time.Second

type cacheKey struct {
	text, department, category, channel, kind string
	limit, offset                             int
	internal                                  bool
	now                                       int64 // Query.Now if set, else 0
}

type cacheEntry struct {
	res     knowledgebase.Result
	gen     uint64
	expires time.Time // zero: no TTL (explicit Now)
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

func keyOf(q knowledgebase.Query, explicitNow bool) cacheKey {
	k := cacheKey{text: q.Text, department: q.Department, category: q.Category, channel: q.Channel,
		kind: q.Kind, limit: q.Limit, offset: q.Offset, internal: q.IncludeInternal}
	if explicitNow {
		k.now = q.Now.UnixNano()
	}
	return k
}

func (c *resultCache) get(k cacheKey, gen uint64, now time.Time) (knowledgebase.Result, bool) {
	if c == nil {
		return knowledgebase.Result{}, false
	}
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok || e.gen != gen || (!e.expires.IsZero() && now.After(e.expires)) {
		return knowledgebase.Result{}, false
	}
	return copyResult(e.res), true
}

func (c *resultCache) put(k cacheKey, gen uint64, res knowledgebase.Result, ttl time.Time) {
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
	c.m[k] = cacheEntry{res: copyResult(res), gen: gen, expires: ttl}
}

// copyResult keeps cached hits away from callers that modify theirs.
func copyResult(r knowledgebase.Result) knowledgebase.Result {
	r.Hits = append([]knowledgebase.Hit{}, r.Hits...)
	return r
}
