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
	vec        sparse // the request's routing vector
	typ        string
	typeProb   float64
	urgent     bool
	urgentScr  float64
	hazards    []string
	evidence   []string
	co         []string
	ruleHits   []int
	dutyClause []int              // per department, its best-matching duty clause or -1
	tf         map[uint32]float32 // the request's routing features
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
	// kbVoteStripped queries the KB vote without address spans.
	kbVoteStripped = false
	// kbVoteWeighted > 0 multiplies the KB vote's IDF by the supervised
	// term weight raised to this power.
	kbVoteWeighted = 0.0
	// blendHist weighs a BM25 vote over the history tickets' texts (k best).
	blendHist = 0.0
	histVoteK = 10
	// knnCoWeight > 0 lets a neighbouring history ticket vote for its
	// co-departments too, at this share of its vote.
	knnCoWeight = 0.0
)

func (m *model) predict(ctx context.Context, q Query, rules []Rule) prediction {
	C := len(m.depts)
	var p prediction
	tf := m.routeTF(nil, q.Text)
	vec := m.df.vector(tf)

	var comp components
	comp, p.neighbours, p.dutyClause = m.componentScores(ctx, q.Text, vec, tf)
	p.vec, p.tf = vec, tf
	if m.stackW != nil {
		p.scores = stacked(m.stackW, comp, m.prior)
	} else {
		p.scores = m.combine(comp)
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
		if d.kind != kindHistory || d.label != lead || n.sim < 0.25 || m.examples[d.ref].starter {
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
	// The catalogue's scope clause that best fits the lead, and the
	// co-departments the guide names for the cases that match.
	if m.guide != nil {
		m.guideCo(&p, tf, lead, coSet)
	}
	for c := range coSet {
		if c != m.depts[lead].Code {
			p.co = append(p.co, c)
		}
	}
	slices.Sort(p.co)

	m.predictType(&p, q.Text, q.Channel, m.depts[lead].Code)
	m.predictUrgent(&p, q.Text)
	if hits := urgentPhraseHits(rules, text); len(hits) > 0 {
		p.urgentScr = 1
		if !p.urgent {
			p.urgent = true
			p.evidence = append(p.evidence, "派单目录的紧急情形：「"+strings.Join(hits, "、")+"」，请立即核实")
		}
	}
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

func (m *model) predictType(p *prediction, text, channel, lead string) {
	if !m.typeSeen {
		// No typed history yet (a city that has just started): the cue
		// phrases alone, rather than calling every complaint an enquiry
		// and offering it a KB answer.
		p.typ, p.typeProb = cueType(text)
		return
	}
	T := len(RequestTypes)
	v := append(m.plain.vector(counts(baseTokens(m.tok, requestText(text)))), cueTerms(text)...)
	if useChannel && channel != "" {
		v = append(v, term{hashToken("ch:" + channel), channelWeight})
	}
	if typeKBNear > 0 || typeNbVote > 0 {
		v = append(v, m.typeNeighbourTerms(p.vec, p.neighbours, -1)...)
	}
	if typeDeptWeight > 0 {
		v = append(v, term{hashToken("dept:" + lead), typeDeptWeight})
	}
	out := m.typ.predict(v, T)
	best := 0
	for i := range out {
		if out[i] > out[best] {
			best = i
		}
	}
	p.typ = RequestTypes[best]
	p.typeProb = out[best]
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
		if d.kind != kindHistory || m.examples[d.ref].starter {
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
	learned, lscore := false, 0.0
	if m.urg != nil {
		learned, lscore = m.urg.urgent(text)
	}
	p.urgentScr = math.Max(lex, share)
	if learned {
		p.urgentScr = math.Max(p.urgentScr, 0.5)
	}
	p.urgent = lexUrgent || share >= urgentNeighbourShare || learned
	if p.urgent {
		switch {
		case len(p.hazards) > 0:
			p.evidence = append(p.evidence, "疑似紧急险情：文字含「"+strings.Join(p.hazards, "、")+"」，请立即核实")
		case share >= urgentNeighbourShare:
			p.evidence = append(p.evidence, fmt.Sprintf("相似的历史工单中紧急工单占比 %.0f%%，请核实是否紧急", share*100))
		default:
			line := fmt.Sprintf("文字读来像正在发生的险情（紧急模型得分 %.1f）", lscore)
			if cues := m.urg.cues(text, 3); len(cues) > 0 {
				line += "：「" + strings.Join(cues, "」「") + "」"
			}
			p.evidence = append(p.evidence, line+"，请核实是否紧急")
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
		if d.kind != kindHistory || len(sims) >= 3 || n.sim < 0.15 || m.examples[d.ref].starter {
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
	if ev := m.templateEvidence(p.tf, lead); ev != "" {
		p.evidence = append(p.evidence, ev)
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
	if line := m.conceptEvidence(text, lead); line != "" {
		p.evidence = append(p.evidence, line)
	}
}

// conceptEvidence says which everyday words of the request belong to a
// category the lead department's duties name (「电梯」属「特种设备」), when the
// concept lexicon bridged them.
func (m *model) conceptEvidence(text string, lead int) string {
	if conceptRepeat <= 0 {
		return ""
	}
	duty := m.depts[lead].Responsibilities
	var said []string
	for _, h := range m.concepts.Hits(text) {
		c := m.concepts.Concept(h.Concept)
		if slices.Index(c.Terms, h.Term) < c.Formal || len(said) == 3 {
			continue // the request already says the formal word
		}
		for _, f := range c.Terms[:c.Formal] {
			if strings.Contains(duty, f) {
				said = append(said, fmt.Sprintf("「%s」属「%s」", h.Term, f))
				break
			}
		}
	}
	if len(said) == 0 {
		return ""
	}
	return strings.Join(said, "、") + "，是 " + m.label(lead) + " 的职责"
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

// Department scorers, in the order of components.
const (
	compLinear = iota
	compKNN
	compKB
	compCentroid
	compDuty
	compHist
	compCNB
	compOVR
	compFirst
	compGuide // the catalogue's scope clauses (scope.go)
	compStd   // the shipped duty templates' clauses (templates.go)
	nComp
)

// components holds each department scorer's distribution over departments
// (each sums to 1, or is all zero when the scorer has nothing to say).
type components [nComp][]float64

// componentScores runs every department scorer on one request.
func (m *model) componentScores(ctx context.Context, text string, vec sparse, tf map[uint32]float32) (components, []neighbour, []int) {
	C := len(m.depts)
	var comp components
	for i := range comp {
		comp[i] = make([]float64, C)
	}
	lin := make([]float32, C)
	scoreInto(lin, m.w, m.b, vec, C)
	softmax(lin)
	for c, v := range lin {
		comp[compLinear][c] = float64(v)
	}

	nb := m.nearest(vec, knnK)
	for _, n := range nb {
		d := m.docs[n.doc]
		s2 := float64(n.sim) * float64(n.sim)
		comp[compKNN][d.label] += s2
		if knnCoWeight > 0 && d.kind == kindHistory {
			for _, c := range m.examples[d.ref].CoDepartments {
				if j, ok := m.idx[c]; ok && j != d.label {
					comp[compKNN][j] += knnCoWeight * s2
				}
			}
		}
	}
	// KB vote: BM25 over the entries (answers included) ranks differently
	// from the vector models and corrects some of their mistakes.
	if m.kbIndex != nil && blendKB > 0 {
		qt := text
		if kbVoteStripped {
			qt = m.routeText(text)
		}
		var wf func(string) float64
		if kbVoteWeighted > 0 && m.df.tw != nil {
			wf = func(t string) float64 { return math.Pow(float64(m.df.tw[hashToken(t)]), kbVoteWeighted) }
		}
		hits, _ := m.kbIndex.search(qt, kbVoteK, wf)
		for _, h := range hits {
			if l, ok := m.idx[h.Department]; ok {
				comp[compKB][l] += h.Score
			}
		}
	}
	if blendCentroid > 0 {
		for c := 0; c < C; c++ {
			var s float32
			for _, t := range vec {
				s += t.w * m.centroid[c][t.id]
			}
			comp[compCentroid][c] = math.Pow(math.Max(0, float64(s)), centroidPower)
		}
	}
	if m.histIndex != nil && blendHist > 0 {
		hits, _ := m.histIndex.Search(ctx, m.routeText(text), histVoteK)
		for _, h := range hits {
			if l, ok := m.idx[h.Department]; ok {
				comp[compHist][l] += h.Score
			}
		}
	}
	if blendCNB > 0 {
		cnbScores(m.cnb, vec, comp[compCNB])
	}
	if blendFirst > 0 {
		if first := firstSentence(m.routeText(text)); first != "" {
			fv := m.df.vector(counts(m.tok(first)))
			fl := make([]float32, C)
			scoreInto(fl, m.w, m.b, fv, C)
			softmax(fl)
			for c, v := range fl {
				comp[compFirst][c] = float64(v)
			}
		}
	}
	if blendOVR > 0 && m.ovrW != nil {
		ovrScores(m.ovrW, m.ovrB, vec, comp[compOVR])
	}
	if m.guide != nil && blendGuide > 0 {
		gs, _ := m.guide.score(tf, C)
		for c, s := range gs {
			comp[compGuide][c] = math.Pow(s, guidePower)
		}
	}
	m.stdScores(tf, comp[compStd])
	var clauses []int
	if blendDuty > 0 {
		var ds []float64
		ds, clauses = m.duty.score(tf, C)
		for c, s := range ds {
			comp[compDuty][c] = math.Pow(s, dutyPower)
		}
	}
	for i := range comp {
		normalise(comp[i])
	}
	return comp, nb, clauses
}

// normalise scales x to sum 1 (left as is when its sum is not positive).
func normalise(x []float64) {
	var s float64
	for _, v := range x {
		s += v
	}
	if s > 0 {
		for i := range x {
			x[i] /= s
		}
	}
}

// combine blends the scorers with fixed weights; without neighbours the
// linear model stands in for them.
func (m *model) combine(comp components) []float64 {
	C := len(m.depts)
	out := make([]float64, C)
	knn := comp[compKNN]
	if sum(knn) == 0 {
		knn = comp[compLinear]
	}
	gate := -1
	if gateBoost > 0 {
		var best float64
		for i := 0; i < nComp; i++ {
			if mg := margin(comp[i]); mg > best {
				best, gate = mg, i
			}
		}
	}
	for c := 0; c < C; c++ {
		if gate >= 0 {
			out[c] += gateBoost * comp[gate][c]
		}
		out[c] += blendDuty*comp[compDuty][c] + blendLinear*comp[compLinear][c] + blendCentroid*comp[compCentroid][c] + blendKNN*knn[c] + blendKB*comp[compKB][c] + blendHist*comp[compHist][c] + blendCNB*comp[compCNB][c] + blendOVR*comp[compOVR][c] + blendFirst*comp[compFirst][c] + blendGuide*comp[compGuide][c] + blendStd*comp[compStd][c]
	}
	return out
}

// gateBoost > 0 adds, on top of the blend, the scorer whose top margin is
// the largest (the most confident one) at this weight.
var gateBoost = 0.0

// margin is the gap between the best and second-best share.
func margin(x []float64) float64 {
	var a, b float64
	for _, v := range x {
		switch {
		case v > a:
			a, b = v, a
		case v > b:
			b = v
		}
	}
	return a - b
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

// Type features from the neighbours: closeness to a KB question (a request
// that matches one is usually an enquiry) and the types of similar past
// tickets. self is the history ticket's own index, skipped in training.
var (
	typeKBNear float32 = 1
	typeNbVote float32 = 0
)

func (m *model) typeNeighbourTerms(q sparse, nb []neighbour, self int) sparse {
	var out sparse
	var kbMax, tot float32
	votes := make([]float32, len(RequestTypes))
	for _, n := range nb {
		d := m.docs[n.doc]
		switch d.kind {
		case kindKB:
			// Closeness to the same question, not to the same topic: the
			// concept features (shared by every entry of a category) are
			// left out of this cosine.
			kbMax = max(kbMax, simWithout(q, d.vec, m.conceptIDs))
		case kindHistory:
			if d.ref == self {
				continue
			}
			if t := typeIndex(m.examples[d.ref].Type); t >= 0 {
				votes[t] += n.sim
				tot += n.sim
			}
		}
	}
	if typeKBNear > 0 {
		out = append(out, term{hashToken("nb:kb"), typeKBNear * kbMax})
	}
	if typeNbVote > 0 && tot > 0 {
		for t, v := range votes {
			if v > 0 {
				out = append(out, term{hashToken("nbt:" + RequestTypes[t]), typeNbVote * v / tot})
			}
		}
	}
	return out
}

// blendFirst weighs the linear model applied to the first sentence alone,
// where a caller usually names the object of the request before the
// circumstances.
var blendFirst = 0.0

func firstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "。！？!?；;"); i > 0 {
		return s[:i]
	}
	return ""
}
