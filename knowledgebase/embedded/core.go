package embedded

import (
	"math"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Fields of the scoring core. Alternates are folded into the title: they
// are other phrasings of the same question.
const (
	fTitle = iota
	fKeywords
	fCategory
	fBody
	nFields
)

// posting is one document's entry in a term's list: its ordinal and its
// impact, the saturated BM25F term frequency satNorm(norm[doc], tf)
// computed when the posting or the norms were last written. The hot loops
// add w × imp with no norm load and no division. Eight bytes: at 100k FAQ
// entries the postings dominate memory. The per-field frequencies the
// impact comes from live in Core.tf (a byte stream per list, in posting
// order, tf.go), read only on the write path (norm refresh, compaction,
// snapshot).
type posting struct {
	doc uint32
	imp float32
}

// tfVec are one document's term frequencies per field (saturated at 255).
type tfVec = [nFields]uint8

// Scoring parameters. Field weights encode that a query word in the
// question is worth more than the same word in a long answer; b is lower for
// short fields whose length says little.
var (
	fieldWeight = [nFields]float64{3.0, 2.2, 1.2, 1.0}
	fieldB      = [nFields]float64{0.5, 0.3, 0.3, 0.75}
)

const k1 = 1.2

// Core is the bare scoring engine: term dictionary, postings, field lengths
// and liveness, without documents, filters or persistence. It is not safe
// for concurrent writes; Index guards it. Exported for benchmarks that
// report the raw library figure beside the Index's.
type Core struct {
	terms map[string]uint32
	post  [][]posting
	// tf[id] are the field frequencies of post[id], in order (tf.go).
	tf   [][]byte
	flen [][nFields]uint16
	// norm[doc][f] = fieldWeight / BM25 length normalisation, computed
	// against normAvg (refreshed when the averages drift by > 5%).
	norm    [][nFields]float32
	normAvg [nFields]float64
	alive   []bool
	nAlive  int
	sumLen  [nFields]float64
	// epoch counts compactions (ordinals change); lbits holds bitmaps of
	// long lists for searches (longbits.go).
	epoch uint64
	lbits longBitsCache
}

// NewCore returns an empty core.
func NewCore() *Core { return &Core{terms: make(map[string]uint32)} }

// fieldTerms are the analysed terms of one document per field.
type fieldTerms [nFields][]analysis.Term

// docTerms is a document's analysis reduced to what the core stores: each
// distinct term with its per-field frequencies, and the field lengths.
// Built outside the index lock (in parallel), so add only appends. The
// texts are copied into one pointer-free buffer: a batch's docTerms wait
// for the index lock together, and strings into the analysed texts would
// keep those texts alive and give the GC thousands of pointers to scan.
type docTerms struct {
	text []byte   // the distinct term texts, concatenated
	ends []uint32 // ends[k] is the end of term k in text
	tfs  []tfVec
	lens [nFields]uint16
}

// term returns the text of term k.
func (dt *docTerms) term(k int) []byte {
	start := uint32(0)
	if k > 0 {
		start = dt.ends[k-1]
	}
	return dt.text[start:dt.ends[k]]
}

// reduceScratch is reduceTerms's reusable state.
type reduceScratch struct {
	idx   map[string]int
	texts []string
}

var reducePool = sync.Pool{New: func() any { return &reduceScratch{idx: make(map[string]int, 256)} }}

func reduceTerms(ft *fieldTerms) *docTerms {
	n := 0
	for f := range ft {
		n += len(ft[f])
	}
	dt := &docTerms{tfs: make([]tfVec, 0, n/2+8)}
	sc := reducePool.Get().(*reduceScratch)
	defer func() {
		clear(sc.idx)
		clear(sc.texts)
		sc.texts = sc.texts[:0]
		reducePool.Put(sc)
	}()
	size := 0
	for f := range ft {
		n := 0
		for _, t := range ft[f] {
			if t.Type == analysis.TermNgram || t.Type == analysis.TermWord {
				n++ // length counts text terms, not transliterations
			}
			k, ok := sc.idx[t.Text]
			if !ok {
				k = len(sc.texts)
				sc.idx[t.Text] = k
				sc.texts = append(sc.texts, t.Text)
				size += len(t.Text)
				dt.tfs = append(dt.tfs, tfVec{})
			}
			if dt.tfs[k][f] < 255 {
				dt.tfs[k][f]++
			}
		}
		dt.lens[f] = uint16(min(n, math.MaxUint16))
	}
	dt.text = make([]byte, 0, size)
	dt.ends = make([]uint32, 0, len(sc.texts))
	for _, t := range sc.texts {
		dt.text = append(dt.text, t...)
		dt.ends = append(dt.ends, uint32(len(dt.text)))
	}
	return dt
}

// add appends a document with the next ordinal and returns it.
func (c *Core) add(dt *docTerms) uint32 {
	ord := uint32(len(c.flen))
	for f := range nFields {
		c.sumLen[f] += float64(dt.lens[f])
	}
	nm := c.docNorm(dt.lens)
	for k := range dt.tfs {
		text := dt.term(k)
		id, ok := c.terms[string(text)]
		if !ok {
			id = uint32(len(c.post))
			c.terms[string(text)] = id // a copy: text is the batch's buffer
			c.post = append(c.post, nil)
			c.tf = append(c.tf, nil)
		}
		c.post[id] = append(c.post[id], posting{doc: ord, imp: satNorm(&nm, dt.tfs[k])})
		c.tf[id] = appendTF(c.tf[id], dt.tfs[k])
	}
	c.flen = append(c.flen, dt.lens)
	c.norm = append(c.norm, nm)
	c.alive = append(c.alive, true)
	c.nAlive++
	return ord
}

// trim releases the spare capacity that appends left in posting lists
// (up to half of their memory after a bulk build).
func (c *Core) trim() {
	for id, ps := range c.post {
		if cap(ps)-len(ps) > 8 && cap(ps) > len(ps)+len(ps)/8 {
			c.post[id] = slices.Clip(append([]posting(nil), ps...))
		}
		if tf := c.tf[id]; cap(tf)-len(tf) > 8 && cap(tf) > len(tf)+len(tf)/8 {
			c.tf[id] = slices.Clip(append([]byte(nil), tf...))
		}
	}
}

// remove marks a document dead; its postings stay until compaction.
func (c *Core) remove(ord uint32) {
	if int(ord) >= len(c.alive) || !c.alive[ord] {
		return
	}
	c.alive[ord] = false
	c.nAlive--
	for f := range nFields {
		c.sumLen[f] -= float64(c.flen[ord][f])
	}
}

// dead is the number of removed documents still holding postings.
func (c *Core) dead() int { return len(c.alive) - c.nAlive }

// compact drops dead documents and renumbers the rest in order; remap[old]
// is the new ordinal (or -1).
func (c *Core) compact() (remap []int32) {
	remap = make([]int32, len(c.alive))
	c.epoch++
	n := int32(0)
	for i, a := range c.alive {
		if a {
			remap[i] = n
			c.flen[n] = c.flen[i]
			c.norm[n] = c.norm[i]
			n++
		} else {
			remap[i] = -1
		}
	}
	c.flen = c.flen[:n]
	c.norm = c.norm[:n]
	c.alive = c.alive[:n]
	for i := range c.alive {
		c.alive[i] = true
	}
	// Norms move with their documents unchanged (normAvg stays), so the
	// impacts stay valid.
	for text, id := range c.terms {
		// In place: an entry is written no further than where it was read.
		ps, tf := c.post[id][:0], c.tf[id][:0]
		rd := tfReader{b: c.tf[id]}
		for _, p := range c.post[id] {
			f := rd.next()
			if r := remap[p.doc]; r >= 0 {
				p.doc = uint32(r)
				ps = append(ps, p)
				tf = appendTF(tf, f)
			}
		}
		if len(ps) == 0 {
			delete(c.terms, text)
			c.post[id], c.tf[id] = nil, nil
			continue
		}
		c.post[id], c.tf[id] = ps, tf
	}
	return remap
}

// accum collects scores for one query; pooled by Index.
type accum struct {
	slot    []slot // by ordinal: one cache access per posting
	touched []uint32
	// With track set, addTerms lists each document it changes once per
	// generation in changed (the feedback pass re-ranks only those); the
	// slot's chg flag says it is listed (in the slot's cache line, which
	// the posting touches anyway, rather than in an array of its own).
	track   bool
	changed []uint32
	newly   []uint32 // documents that became hits in the tracked pass

	// Early termination (prune.go): the resolved first-pass terms, the
	// bound of what unscored lists may add, hits only those lists found
	// (bits: all hits), and the candidates that got every term.
	all       []qterm
	ess       []bool
	heap      []float32
	pruned    bool
	restBound float32
	bits      []uint64
	cand      []uint64
	order     []int
	cands     []uint32 // candidates of a pruned pass (also as bits in cand)
	lbAt      []uint32 // addLongBits' scratch: candidates' posting indices
	// rescorePool's scratch: the pool's ordinals (sorted), sums, strength.
	poolDocs    []uint32
	poolScore   []float32
	poolStrong  []bool
	long        []int     // a pruned pass's long lists (indices in all), heaviest first
	tbits       []uint64  // addFeedback's scratch: first-pass touched documents
	fbHit       []uint64  // addFeedback's scratch: untouched documents it made hits
	restAt      []float32 // restAt[l]: bound of what long[l:] add (restAt[0] = restBound)
	dropped     int       // candidates dropped between long lists (for tests)
	fbSkipped   int       // feedback postings that could not reach the page (for tests)
	fbUntouched int       // … of which handled with bitsets (for tests)
	raised      int       // times θ was raised between long lists (for tests)
	extraHits   int       // visible hits only the long lists found
	masked      bool
	maskHits    int // with a mask: visible first-pass hits apart from expiring entries
}

func (a *accum) reset(n int) {
	for _, d := range a.touched {
		a.slot[d] = slot{}
	}
	a.touched = a.touched[:0]
	a.track = false
	a.changed = a.changed[:0]
	a.newly = a.newly[:0]
	a.clearBits(n)
	a.pruned = false
	a.restBound = 0
	a.extraHits = 0
	a.dropped = 0
	a.raised = 0
	a.fbSkipped = 0
	a.fbUntouched = 0
	a.masked = false
	a.maskHits = 0
	if len(a.slot) < n {
		a.slot = make([]slot, n+n/4)
	}
}

// slot is one document's running score and whether a strong term matched.
type slot struct {
	score  float32
	strong bool
	pool   bool // in the feedback pass's candidate pool
	// lvl is how many of a pruned pass's long lists score has (a
	// candidate dropped after that many, prune.go); 0 for the others.
	lvl uint8
	chg bool // listed in changed (tracking)
}

// startTracking begins a new generation of changed documents.
func (a *accum) startTracking() {
	a.track = true
	for _, d := range a.changed {
		a.slot[d].chg = false
	}
	a.changed = a.changed[:0]
	a.newly = a.newly[:0]
}

// isStrong says whether matching this query term alone makes a document a
// hit. A lone shared character does not (户 alone must not match 燃气开户
// against 自来水过户), a bigram, word, pinyin or synonym does.
func isStrong(t analysis.Term) bool {
	return !(t.Type == analysis.TermNgram && utf8.RuneCountInString(t.Text) == 1)
}

// qterm is a query term resolved against the dictionary once per search:
// its posting list, its weight (idf × query weight × (k1+1)) and whether it
// makes a document a hit. Its weight is also its score's upper bound, as
// the saturated frequency is below 1.
type qterm struct {
	ps     []posting
	w      float32
	strong bool
	id     uint32    // term id (for longBits)
	tb     *termBits // its bitmap, once a pruned pass used one (for lookups)
}

// resolve applies the skip rules of addTerms and returns the terms that
// score, in query order (appended to buf).
func (c *Core) resolve(qt []analysis.Term, anyStrong bool, maxDF int, buf []qterm) []qterm {
	n := float64(c.nAlive)
	for _, t := range qt {
		id, ok := c.terms[t.Text]
		if !ok {
			continue
		}
		ps := c.post[id]
		if len(ps) > maxDF {
			continue
		}
		strong := !anyStrong || isStrong(t)
		// Very common single characters add cost and little ranking signal.
		if !strong && float64(len(ps)) > n/4 && n > 20000 {
			continue
		}
		if c.redundantVariant(t, len(ps)) {
			continue
		}
		w := float32(c.idf(len(ps)) * float64(t.Weight) * (k1 + 1))
		buf = append(buf, qterm{ps: ps, w: w, strong: strong, id: id})
	}
	return buf
}

// addTerms adds the contributions of terms with at most maxDF postings to
// acc. With anyStrong false every matched term makes its documents hits.
// It returns the resolved terms.
func (c *Core) addTerms(qt []analysis.Term, acc *accum, anyStrong bool, maxDF int) []qterm {
	list := c.resolve(qt, anyStrong, maxDF, nil)
	for i := range list {
		c.addList(&list[i], acc)
	}
	return list
}

// addList adds one resolved term's contributions to acc.
func (c *Core) addList(t *qterm, acc *accum) {
	w, strong := t.w, t.strong
	checkAlive := c.nAlive != len(c.alive)
	if !checkAlive && !acc.track {
		// The first pass's common case: no liveness test, no tracking, the
		// arrays in locals. A document is appended to touched the first
		// time it scores; that test goes either way at random in a list
		// that overlaps earlier ones, so nothing branches on it: the
		// ordinal is always written at the end, and the end only moves for
		// a new document (a mispredicted branch also discards the loads of
		// the postings after it, which otherwise overlap).
		slots := acc.slot
		n := len(acc.touched)
		buf := slices.Grow(acc.touched, len(t.ps))
		buf = buf[:n+len(t.ps)]
		for _, p := range t.ps {
			s := w * p.imp
			sl := &slots[p.doc]
			inc := 0
			if sl.score == 0 {
				inc = 1
			}
			if sl.strong {
				inc = 0
			}
			buf[n] = p.doc
			n += inc
			sl.score += s
			if strong {
				sl.strong = true
			}
		}
		acc.touched = buf[:n]
		return
	}
	for _, p := range t.ps {
		if checkAlive && !c.alive[p.doc] {
			continue
		}
		s := w * p.imp
		sl := &acc.slot[p.doc]
		if sl.score == 0 && !sl.strong {
			acc.touched = append(acc.touched, p.doc)
		}
		if acc.track {
			if !sl.chg {
				sl.chg = true
				acc.changed = append(acc.changed, p.doc)
			}
			if strong && !sl.strong && !acc.isExtra(p.doc) {
				acc.newly = append(acc.newly, p.doc)
			}
		}
		sl.score += s
		if strong {
			sl.strong = true
		}
	}
}

// idf of a term with df postings. Postings still hold replaced documents
// until compaction, so df is measured against all ordinals.
func (c *Core) idf(df int) float64 {
	nAll := float64(len(c.alive))
	return math.Log(1 + (nAll-float64(df)+0.5)/(float64(df)+0.5))
}

// satNorm is the saturated BM25F term frequency of field frequencies tf in
// a document with norms nm: a posting's impact.
func satNorm(nm *[nFields]float32, tf tfVec) float32 {
	t := float32(tf[0])*nm[0] + float32(tf[1])*nm[1] + float32(tf[2])*nm[2] + float32(tf[3])*nm[3]
	return t / (k1 + t)
}

// refreshImpacts recomputes every posting's impact from the current norms.
func (c *Core) refreshImpacts() {
	for id, ps := range c.post {
		rd := tfReader{b: c.tf[id]}
		for i := range ps {
			ps[i].imp = satNorm(&c.norm[ps[i].doc], rd.next())
		}
	}
}

// redundantVariant skips a pinyin variant when the query's own bigram is
// common in the index: then the caller typed the word right and the
// variant only repeats its evidence (at the cost of a long posting list).
// A typo's bigram (积斤, 户藉) is rare or absent, so its variant stays.
func (c *Core) redundantVariant(t analysis.Term, variantDF int) bool {
	if t.Type != analysis.TermVariant || t.Of == "" {
		return false
	}
	id, ok := c.terms[t.Of]
	return ok && 2*len(c.post[id]) >= variantDF
}

// refreshNorms recomputes the per-document field normalisation when the
// average field lengths drifted (or force), and with them every posting's
// impact (O(postings), which the 5 % threshold keeps rare). Called on the
// write path only.
func (c *Core) refreshNorms(force bool) {
	n := float64(c.nAlive)
	if n == 0 {
		return
	}
	var avg [nFields]float64
	drift := force
	for f := range nFields {
		avg[f] = max(c.sumLen[f]/n, 1)
		if d := math.Abs(avg[f]-c.normAvg[f]) / avg[f]; d > 0.05 {
			drift = true
		}
	}
	if !drift {
		return
	}
	c.normAvg = avg
	for i := range c.flen {
		c.norm[i] = c.docNorm(c.flen[i])
	}
	c.refreshImpacts()
}

func (c *Core) docNorm(fl [nFields]uint16) [nFields]float32 {
	var out [nFields]float32
	for f := range nFields {
		avg := c.normAvg[f]
		if avg == 0 {
			avg = max(float64(fl[f]), 1)
		}
		out[f] = float32(fieldWeight[f] / (1 - fieldB[f] + fieldB[f]*float64(fl[f])/avg))
	}
	return out
}
