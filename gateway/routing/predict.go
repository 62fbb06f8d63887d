package routing

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
)

// prediction is the pure, model-only part of a suggestion.
type prediction struct {
	scores     []float64 // per department, sums to ~1
	ranked     []int
	neighbours []neighbour
	typ        string
	typeProb   float64
	urgent     bool
	urgentScr  float64
	hazards    []string
	evidence   []string
	co         []string
	ruleHits   []int
	dutyClause []int // per department, its best-matching duty clause or -1
}

// blend weights of the department scorers; the linear model generalises,
// the neighbours add the exact precedents of similar tickets.
var (
	blendLinear = 0.5
	blendKNN    = 0.5
	knnK        = 12
	blendKB     = 0.3
	// co-department from history: pair seen at least coMinCount times, in
	// coMinShare of the lead's tickets, and the text scores the partner.
	coMinCount float32 = 2
	coMinShare float32 = 0.3
	coMinScore         = 0.08
	// blendCentroid weighs the cosine to each department's centroid,
	// sharpened by centroidPower so the best few dominate.
	blendCentroid = 0.6
	centroidPower = 4.0
	kbVoteK       = 20
)

func (m *model) predict(ctx context.Context, q Query, rules []Rule) prediction {
	C := len(m.depts)
	var p prediction
	tf := counts(m.tok(m.routeText(q.Text)))
	vec := m.df.vector(tf)

	lin := make([]float32, C)
	scoreInto(lin, m.w, m.b, vec, C)
	softmax(lin)

	p.neighbours = m.nearest(vec, knnK)
	knn := make([]float64, C)
	var tot float64
	for _, n := range p.neighbours {
		d := m.docs[n.doc]
		s := float64(n.sim) * float64(n.sim)
		knn[d.label] += s
		tot += s
	}
	// KB vote: BM25 over the entries (answers included) ranks differently
	// from the vector models and corrects some of their mistakes.
	kbv := make([]float64, C)
	var kbTot float64
	if m.kbIndex != nil && blendKB > 0 {
		hits, _ := m.kbIndex.Search(ctx, q.Text, kbVoteK)
		for _, h := range hits {
			if l, ok := m.idx[h.Department]; ok {
				kbv[l] += h.Score
			}
		}
	}
	for _, v := range kbv {
		kbTot += v
	}
	cen := make([]float64, C)
	var cenTot float64
	if blendCentroid > 0 {
		for c := 0; c < C; c++ {
			var s float32
			for _, t := range vec {
				s += t.w * m.centroid[c][t.id]
			}
			cen[c] = math.Pow(math.Max(0, float64(s)), centroidPower)
			cenTot += cen[c]
		}
	}
	dv := make([]float64, C)
	var dTot float64
	if blendDuty > 0 {
		var ds []float64
		ds, p.dutyClause = m.duty.score(tf, C)
		for c, s := range ds {
			dv[c] = math.Pow(s, dutyPower)
			dTot += dv[c]
		}
	}
	p.scores = make([]float64, C)
	for c := 0; c < C; c++ {
		if dTot > 0 {
			p.scores[c] += blendDuty * dv[c] / dTot
		}
		v := blendLinear * float64(lin[c])
		if cenTot > 0 {
			v += blendCentroid * cen[c] / cenTot
		}
		if tot > 0 {
			v += blendKNN * knn[c] / tot
		} else {
			v += blendKNN * float64(lin[c])
		}
		if kbTot > 0 {
			v += blendKB * kbv[c] / kbTot
		}
		p.scores[c] += v
	}

	// Catalogue rules: an administrator's explicit decision outranks what
	// was learned, in proportion to the rule's priority.
	text := normalize(q.Text)
	var cats []string
	for _, n := range p.neighbours {
		if d := m.docs[n.doc]; d.kind == kindKB && n.sim >= 0.2 {
			cats = append(cats, m.kb[d.ref].Category)
		}
	}
	coSet := map[string]bool{}
	for i, r := range rules {
		if !r.matches(text, q.District, cats) {
			continue
		}
		l, ok := m.idx[r.Department]
		if !ok {
			continue
		}
		p.ruleHits = append(p.ruleHits, i)
		p.scores[l] += 0.5 + 0.1*float64(r.Priority)
		for _, c := range r.CoDepartments {
			coSet[c] = true
		}
		note := r.Note
		if note == "" {
			note = strings.Join(r.Keywords, "、")
		}
		p.evidence = append(p.evidence, fmt.Sprintf("命中派单规则「%s」→ %s", note, m.label(l)))
	}
	var sum float64
	for _, v := range p.scores {
		sum += v
	}
	if sum > 0 {
		for c := range p.scores {
			p.scores[c] /= sum
		}
	}
	p.ranked = make([]int, C)
	for i := range p.ranked {
		p.ranked[i] = i
	}
	slices.SortStableFunc(p.ranked, func(a, b int) int {
		switch {
		case p.scores[a] > p.scores[b]:
			return -1
		case p.scores[a] < p.scores[b]:
			return 1
		}
		return 0
	})
	if C == 0 {
		return p
	}
	lead := p.ranked[0]

	// Co-departments: from rules, and from history when a lead department
	// often shares such tickets with another and the neighbours agree.
	coVotes := map[string]float64{}
	for _, n := range p.neighbours {
		d := m.docs[n.doc]
		if d.kind != kindHistory || d.label != lead || n.sim < 0.25 {
			continue
		}
		for _, c := range m.examples[d.ref].CoDepartments {
			coVotes[c] += float64(n.sim)
		}
	}
	for c, v := range coVotes {
		if v >= 0.35 && c != m.depts[lead].Code {
			coSet[c] = true
		}
	}
	// A department the text also points to, which history often pairs with
	// this lead as co-handler.
	if n := m.leadN[lead]; n > 0 {
		for j, k := range m.co[lead] {
			if k >= coMinCount && k/n >= coMinShare && p.scores[j] >= coMinScore {
				coSet[m.depts[j].Code] = true
				p.evidence = append(p.evidence, fmt.Sprintf("历史上 %s 主办的工单中 %.0f%% 由 %s 协办，且本诉求也涉及其职责", m.label(lead), 100*k/n, m.label(j)))
			}
		}
	}
	for c := range coSet {
		if c != m.depts[lead].Code {
			p.co = append(p.co, c)
		}
	}
	slices.Sort(p.co)

	m.predictType(&p, q.Text, q.Channel)
	m.predictUrgent(&p, q.Text)
	m.explain(&p, q.Text, lead)
	return p
}

func (m *model) label(i int) string {
	d := m.depts[i]
	if d.ShortName != "" {
		return d.ShortName + "（" + d.Code + "）"
	}
	return d.Code
}

func (m *model) predictType(p *prediction, text, channel string) {
	if !m.typeSeen {
		p.typ = "咨询"
		return
	}
	T := len(RequestTypes)
	out := make([]float32, T)
	v := append(m.plain.vector(counts(m.tok(stripLocation(text)))), cueTerms(text)...)
	if useChannel && channel != "" {
		v = append(v, term{hashToken("ch:" + channel), channelWeight})
	}
	scoreInto(out, m.typeW, m.typeB, v, T)
	softmax(out)
	best := 0
	for i := range out {
		if out[i] > out[best] {
			best = i
		}
	}
	p.typ = RequestTypes[best]
	p.typeProb = float64(out[best])
}

// urgency thresholds: any lexicon hit, or neighbours that were urgent.
const urgentNeighbourShare = 0.3

func (m *model) predictUrgent(p *prediction, text string) {
	lexUrgent, hazards := urgentByLexicon(text, p.typ)
	if lexUrgent {
		p.hazards = hazards
	}
	var urg, tot float64
	for _, n := range p.neighbours {
		d := m.docs[n.doc]
		if d.kind != kindHistory {
			continue
		}
		s := float64(n.sim)
		tot += s
		if m.examples[d.ref].Urgent {
			urg += s
		}
	}
	share := 0.0
	if tot > 0 {
		share = urg / tot
	}
	lex := math.Min(1, float64(len(p.hazards))/2)
	p.urgentScr = math.Max(lex, share)
	p.urgent = lexUrgent || share >= urgentNeighbourShare
	if p.urgent {
		if len(p.hazards) > 0 {
			p.evidence = append(p.evidence, "疑似紧急险情：文字含「"+strings.Join(p.hazards, "、")+"」，请立即核实")
		} else {
			p.evidence = append(p.evidence, fmt.Sprintf("相似的历史工单中紧急工单占比 %.0f%%，请核实是否紧急", share*100))
		}
	}
}

// explain adds the neighbours and duty words behind the lead department.
func (m *model) explain(p *prediction, text string, lead int) {
	summary := fmt.Sprintf("建议主办 %s（综合得分 %.2f）", m.label(lead), p.scores[lead])
	if len(p.ranked) > 1 && p.scores[p.ranked[1]] > p.scores[lead]/2 {
		summary += fmt.Sprintf("；%s 得分接近（%.2f），请坐席确认", m.label(p.ranked[1]), p.scores[p.ranked[1]])
	}
	p.evidence = append([]string{summary}, p.evidence...)
	var sims []string
	for _, n := range p.neighbours {
		d := m.docs[n.doc]
		if d.kind != kindHistory || len(sims) >= 3 || n.sim < 0.15 {
			continue
		}
		ex := m.examples[d.ref]
		snippet := []rune(ex.Text)
		if len(snippet) > 24 {
			snippet = append(snippet[:24], '…')
		}
		sims = append(sims, fmt.Sprintf("「%s」→ %s（相似度 %.2f）", string(snippet), m.label(d.label), n.sim))
	}
	if len(sims) > 0 {
		p.evidence = append(p.evidence, "相似历史工单："+strings.Join(sims, "；"))
	}
	for _, n := range p.neighbours {
		d := m.docs[n.doc]
		if d.kind == kindKB && d.label == lead {
			p.evidence = append(p.evidence, fmt.Sprintf("知识库相近条目「%s」属 %s", m.kb[d.ref].Question, m.label(lead)))
			break
		}
	}
	if p.dutyClause != nil && p.dutyClause[lead] >= 0 {
		p.evidence = append(p.evidence, fmt.Sprintf("%s 的职责「%s」与诉求最相符", m.label(lead), m.duty.clause[p.dutyClause[lead]]))
	}
	var hit []string
	norm := normalize(text)
	for _, duty := range m.dutyTerm[lead] {
		for _, piece := range dutyPieces(duty) {
			if strings.Contains(norm, piece) && !slices.Contains(hit, piece) {
				hit = append(hit, piece)
			}
		}
	}
	if len(hit) > 0 {
		if len(hit) > 5 {
			hit = hit[:5]
		}
		p.evidence = append(p.evidence, fmt.Sprintf("%s 的职责含「%s」", m.label(lead), strings.Join(hit, "、")))
	}
}

// dutyPieces returns the 2–4 character pieces of a duty phrase that are
// worth quoting back (whole phrase when short).
func dutyPieces(duty string) []string {
	r := []rune(duty)
	if len(r) <= 4 {
		return []string{duty}
	}
	var out []string
	for i := 0; i+4 <= len(r); i += 2 {
		out = append(out, string(r[i:i+4]))
	}
	return out
}
