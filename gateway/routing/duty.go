package routing

import (
	"math"
	"strings"
)

// dutyIndex scores a request against each responsibility clause of each
// department (三定 duties) with BM25 and keeps, per department, the best
// clause. A clause ("负责养老、失业、工伤保险参保登记与待遇发放") is a short,
// precise statement of a legal duty; matching it as its own mini-document
// stops one long duty list from diluting a strong match on one of its lines.
type dutyIndex struct {
	post   map[uint32][]bmPosting
	lens   []float64
	dept   []int
	clause []string
	weight []float64  // per clause: 1 for 三定 duties, the rule's scale for scope clauses
	co     [][]string // per clause: its co-departments (scope clauses only)
	avg    float64
	total  float64
	self   []float64 // per clause: the unweighted BM25 of its own text (see finishSelf)
}

// blendDuty weighs the duty-clause vote; dutyPower sharpens it.
var (
	blendDuty = 0.8
	dutyPower = 2.0
)

// dutyClauses splits a responsibilities text into clauses on the
// enumerators and sentence marks of a 三定 list, and on 负责 itself.
func dutyClauses(s string) []string {
	s = strings.ReplaceAll(s, "负责", "；")
	f := func(r rune) bool { return strings.ContainsRune("；;。，,、\n", r) }
	var out []string
	for _, p := range strings.FieldsFunc(s, f) {
		if p = strings.TrimSpace(p); len([]rune(p)) >= 2 {
			out = append(out, p)
		}
	}
	return out
}

func newDutyIndex(tok Tokenizer, depts []DepartmentInfo) *dutyIndex {
	ix := &dutyIndex{post: map[uint32][]bmPosting{}}
	for i, d := range depts {
		for _, c := range dutyClauses(d.Responsibilities) {
			ix.add(tok, i, c, 1, nil)
		}
	}
	return ix
}

// add indexes one clause of department d.
func (ix *dutyIndex) add(tok Tokenizer, d int, text string, weight float64, co []string) {
	toks := tok(text)
	if len(toks) == 0 {
		return
	}
	tf := counts(toks)
	id := int32(len(ix.lens))
	for t, f := range tf {
		ix.post[t] = append(ix.post[t], bmPosting{id, f})
	}
	ix.lens = append(ix.lens, float64(len(toks)))
	ix.dept = append(ix.dept, d)
	ix.clause = append(ix.clause, text)
	ix.weight = append(ix.weight, weight)
	ix.co = append(ix.co, co)
	ix.total += float64(len(toks))
	ix.avg = ix.total / float64(len(ix.lens))
}

// score returns, per department, the BM25 of its best-matching clause and
// that clause's index (-1 when nothing matched).
func (ix *dutyIndex) score(tf map[uint32]float32, C int) ([]float64, []int) {
	out := make([]float64, C)
	best := make([]int, C)
	for i := range best {
		best[i] = -1
	}
	for i, s := range ix.clauseScores(tf) {
		if d := ix.dept[i]; s > out[d] {
			out[d], best[d] = s, i
		}
	}
	return out, best
}

// finishSelf computes every clause's score against its own text, so a
// request's match can be read as the share of the clause it covers, whatever
// the size of the index.
func (ix *dutyIndex) finishSelf() {
	const k1, b = 1.2, 0.5
	ix.self = make([]float64, len(ix.lens))
	n := float64(len(ix.lens))
	for _, ps := range ix.post {
		df := float64(len(ps))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		for _, p := range ps {
			f := float64(p.tf)
			ix.self[p.doc] += idf * f * (k1 + 1) / (f + k1*(1-b+b*ix.lens[p.doc]/ix.avg))
		}
	}
}

// clauseScores returns the weighted BM25 of every clause (nil for an empty
// index).
func (ix *dutyIndex) clauseScores(tf map[uint32]float32) []float64 {
	const k1, b = 1.2, 0.5
	if ix == nil || len(ix.lens) == 0 {
		return nil
	}
	acc := make([]float64, len(ix.lens))
	n := float64(len(ix.lens))
	for t := range tf {
		ps := ix.post[t]
		if len(ps) == 0 {
			continue
		}
		df := float64(len(ps))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		for _, p := range ps {
			f := float64(p.tf)
			acc[p.doc] += idf * f * (k1 + 1) / (f + k1*(1-b+b*ix.lens[p.doc]/ix.avg))
		}
	}
	for i := range acc {
		acc[i] *= ix.weight[i]
	}
	return acc
}

// routeText is the text the department scorers see: requestText, the
// request without its address spans and with the call frame set apart.
func (m *model) routeText(s string) string { return requestText(s) }
