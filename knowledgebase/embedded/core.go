package embedded

import (
	"math"
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

// posting is one document's term frequencies per field (saturated at 255).
// Eight bytes: at 100k FAQ entries the postings dominate memory.
type posting struct {
	doc uint32
	tf  [nFields]uint8
}

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
	terms  map[string]uint32
	post   [][]posting
	flen   [][nFields]uint16
	alive  []bool
	nAlive int
	sumLen [nFields]float64
}

// NewCore returns an empty core.
func NewCore() *Core { return &Core{terms: make(map[string]uint32)} }

// fieldTerms are the analysed terms of one document per field.
type fieldTerms [nFields][]analysis.Term

// add appends a document with the next ordinal and returns it.
func (c *Core) add(ft *fieldTerms) uint32 {
	ord := uint32(len(c.flen))
	var lens [nFields]uint16
	counts := make(map[string]*[nFields]uint8, 64)
	for f := range ft {
		n := 0
		for _, t := range ft[f] {
			if t.Type == analysis.TermNgram || t.Type == analysis.TermWord {
				n++ // length counts text terms, not transliterations
			}
			tf := counts[t.Text]
			if tf == nil {
				tf = new([nFields]uint8)
				counts[t.Text] = tf
			}
			if tf[f] < 255 {
				tf[f]++
			}
		}
		if n > math.MaxUint16 {
			n = math.MaxUint16
		}
		lens[f] = uint16(n)
		c.sumLen[f] += float64(n)
	}
	for text, tf := range counts {
		id, ok := c.terms[text]
		if !ok {
			id = uint32(len(c.post))
			c.terms[clone(text)] = id
			c.post = append(c.post, nil)
		}
		c.post[id] = append(c.post[id], posting{doc: ord, tf: *tf})

	}
	c.flen = append(c.flen, lens)
	c.alive = append(c.alive, true)
	c.nAlive++
	return ord
}

func clone(s string) string { return string([]byte(s)) }

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
	n := int32(0)
	for i, a := range c.alive {
		if a {
			remap[i] = n
			c.flen[n] = c.flen[i]
			n++
		} else {
			remap[i] = -1
		}
	}
	c.flen = c.flen[:n]
	c.alive = c.alive[:n]
	for i := range c.alive {
		c.alive[i] = true
	}
	for text, id := range c.terms {
		ps := c.post[id][:0]
		for _, p := range c.post[id] {
			if r := remap[p.doc]; r >= 0 {
				p.doc = uint32(r)
				ps = append(ps, p)
			}
		}
		if len(ps) == 0 {
			delete(c.terms, text)
			c.post[id] = nil
			continue
		}
		c.post[id] = ps
	}
	return remap
}

// accum collects scores for one query; pooled by Index.
type accum struct {
	score   []float32
	strong  []bool
	touched []uint32
}

func (a *accum) reset(n int) {
	for _, d := range a.touched {
		a.score[d] = 0
		a.strong[d] = false
	}
	a.touched = a.touched[:0]
	if len(a.score) < n {
		a.score = make([]float32, n+n/4)
		a.strong = make([]bool, n+n/4)
	}
}

// isStrong says whether matching this query term alone makes a document a
// hit. A lone shared character does not (户 alone must not match 燃气开户
// against 自来水过户), a bigram, word, pinyin or synonym does.
func isStrong(t analysis.Term) bool {
	return !(t.Type == analysis.TermNgram && utf8.RuneCountInString(t.Text) == 1)
}

// score adds BM25F contributions of the query terms into acc. If the query
// has no strong term, every match counts as strong.
func (c *Core) score(qt []analysis.Term, acc *accum) {
	acc.reset(len(c.alive))
	n := float64(c.nAlive)
	if n == 0 {
		return
	}
	var avg [nFields]float64
	for f := range nFields {
		avg[f] = c.sumLen[f] / n
		if avg[f] < 1 {
			avg[f] = 1
		}
	}
	nAll := float64(len(c.alive))
	anyStrong := false
	for _, t := range qt {
		if isStrong(t) {
			if _, ok := c.terms[t.Text]; ok {
				anyStrong = true
				break
			}
		}
	}
	for _, t := range qt {
		id, ok := c.terms[t.Text]
		if !ok {
			continue
		}
		ps := c.post[id]
		df := float64(len(ps))
		strong := !anyStrong || isStrong(t)
		// Very common single characters add cost and no ranking signal.
		if !strong && df > n/4 && n > 20000 {
			continue
		}
		// Postings still hold replaced documents until compaction, so df is
		// measured against all ordinals, not only live ones.
		idf := math.Log(1 + (nAll-df+0.5)/(df+0.5))
		w := idf * float64(t.Weight) * (k1 + 1)
		for _, p := range ps {
			if !c.alive[p.doc] {
				continue
			}
			var tf float64
			fl := &c.flen[p.doc]
			for f := range nFields {
				if p.tf[f] != 0 {
					norm := 1 - fieldB[f] + fieldB[f]*float64(fl[f])/avg[f]
					tf += fieldWeight[f] * float64(p.tf[f]) / norm
				}
			}
			s := float32(w * tf / (k1 + tf))
			if acc.score[p.doc] == 0 && !acc.strong[p.doc] {
				acc.touched = append(acc.touched, p.doc)
			}
			acc.score[p.doc] += s
			if strong {
				acc.strong[p.doc] = true
			}
		}
	}
}
