package routing

import (
	"math"
	"slices"
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
	avg    float64
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
	var total float64
	add := func(d int, text string) {
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
		total += float64(len(toks))
	}
	for i, d := range depts {
		for _, c := range dutyClauses(d.Responsibilities) {
			add(i, c)
		}
	}
	if len(ix.lens) > 0 {
		ix.avg = total / float64(len(ix.lens))
	}
	return ix
}

// score returns, per department, the BM25 of its best-matching clause.
func (ix *dutyIndex) score(tf map[uint32]float32, C int) []float64 {
	const k1, b = 1.2, 0.5
	out := make([]float64, C)
	if ix == nil || len(ix.lens) == 0 {
		return out
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
	for i, s := range acc {
		if d := ix.dept[i]; s > out[d] {
			out[d] = s
		}
	}
	return out
}

// maskDeptNames removes the departments' own names from a request before
// the department is scored. The guide of every 12345 centre says the lead
// follows the legal duty over the matter, not the department the caller
// names ("城管不管", "找了住建局没用"): a named department is as often the one
// that refused as the one that is responsible.
var maskDeptNames = false

// deptNameMasker builds a replacer of the departments' full and short names
// (longest first, so a full name is removed whole).
func deptNameMasker(depts []DepartmentInfo) *strings.Replacer {
	var names []string
	for _, d := range depts {
		for _, n := range []string{d.Name, d.ShortName} {
			if len([]rune(n)) >= 2 && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	var args []string
	for _, n := range names {
		args = append(args, n, " ")
	}
	return strings.NewReplacer(args...)
}

// routeText is the text the department scorers see.
func (m *model) routeText(s string) string {
	s = stripLocation(s)
	if maskDeptNames && m.mask != nil {
		s = m.mask.Replace(s)
	}
	return s
}
