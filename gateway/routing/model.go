package routing

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
)

// docKind says where a training document came from.
type docKind uint8

const (
	kindHistory docKind = iota
	kindKB
	kindDuty
	kindRule
	kindAnswer
	// kindCo is a history ticket again, labelled with one of its
	// co-departments at coLabelWeight: only the linear, centroid and CNB
	// models see it (not the neighbours, frequencies or term weights).
	kindCo
)

// coLabelWeight > 0 adds each history ticket's co-departments as soft
// secondary labels (kindCo documents at this share of the history weight).
var coLabelWeight float32 = 0

// histWeightC > 0 scales the history documents' weight by
// histWeightScale(n), n the history tickets the model learns from: the
// smaller the history, the less each ticket weighs against KB and duties.
// histWeightFull > 0 instead scales it by (n/histWeightFull)^histWeightPow,
// clamped to [histWeightMin, 1]: full weight from that size on. Chosen on
// inner folds at two history sizes (exp6b_test.go): with ~62 tickets a
// history weight of 0.25 beats 1 by ~0.02 top-1, with ~125 the weight is
// indifferent, so the scale reaches 1 at 125 tickets and a city's usual
// history (hundreds or thousands) is not affected. The floor is the lowest
// weight measured; nothing below it was tried.
var (
	histWeightC    = 0.0
	histWeightRef  = 0.0 // > 0: normalise so the scale is 1 at this size
	histWeightFull = 125.0
	histWeightPow  = 2.0
	histWeightMin  = 0.25
)

func histWeightScale(n int) float64 {
	if histWeightFull > 0 {
		return max(histWeightMin, math.Min(1, math.Pow(float64(n)/histWeightFull, histWeightPow)))
	}
	s := float64(n) / (float64(n) + histWeightC)
	if histWeightRef > 0 {
		s /= histWeightRef / (histWeightRef + histWeightC)
	}
	return s
}

// trainDoc is one labelled document for the department model.
type trainDoc struct {
	vec    sparse
	label  int
	weight float32
	kind   docKind
	ref    int // index into model.examples or model.kb
}

type posting struct {
	doc int32
	w   float32
}

// modelParams are the knobs of training; defaults are set in defaultParams.
type modelParams struct {
	Epochs    int
	LearnRate float32
	KBWeight  float32
	// AnswerWeight > 0 adds each KB answer as its own training document.
	AnswerWeight  float32
	HistoryWeight float32
	DutyWeight    float32
	RuleWeight    float32
	// AnswerSentences splits each KB answer into sentences, each its own
	// training document at AnswerWeight (instead of one answer document).
	AnswerSentences bool
	// KeywordDocWeight > 0 adds each KB entry's keywords as their own
	// document at this weight.
	KeywordDocWeight float32
	// Stack learns the blend of the department scorers from inner folds
	// of the history (stack.go) instead of the fixed weights.
	Stack bool
	// inner marks a stacker's inner model: no type model, no co-department
	// statistics, and tokenizations shared through memo.
	inner bool
	memo  *tfMemo
	// concepts is the concept lexicon the model adds to its tokenizer's
	// features (nil: the shipped one).
	concepts *ConceptIndex
	Seed     uint64
	// TermWeightPower > 0 turns on supervised term weighting.
	TermWeightPower  float64
	TermWeightSmooth float64
	// MaxLinearExamples caps the history tickets the linear models see (the
	// most recent ones); the neighbour index always holds all of them. It
	// keeps a rebuild over 100,000 tickets to seconds.
	MaxLinearExamples int
	// NoStarters leaves the shipped starter examples out (starter.go).
	NoStarters bool
}

// lexicon is the concept index p names, the shipped one by default.
func (p modelParams) lexicon() *ConceptIndex {
	if p.concepts != nil {
		return p.concepts
	}
	return defaultConcepts
}

func defaultParams() modelParams {
	return modelParams{Epochs: 8, LearnRate: 2, KBWeight: 1, AnswerWeight: 1, HistoryWeight: 1, DutyWeight: 3, RuleWeight: 2, Stack: true, Seed: 1, TermWeightPower: 1, TermWeightSmooth: 0.05, MaxLinearExamples: 30000}
}

// model is an immutable snapshot of everything learned; Suggester swaps a
// fresh one in after each rebuild so suggestions never wait on training.
type model struct {
	tok       Tokenizer     // with the concept features
	concepts  *ConceptIndex // the lexicon tok applies
	depts     []DepartmentInfo
	idx       map[string]int
	df        *docFreq
	docs      []trainDoc
	post      map[uint32][]posting
	w         []float32 // dims × C
	b         []float32
	typ       typeScorer // the request-type classifier (typecal.go)
	typeSeen  bool
	urg       *urgencyModel // nil until the history is large enough
	co        [][]float32   // co[lead][other]: how often other was co-department of lead
	leadN     []float32
	examples  []Example
	kb        []KBEntry
	kbIndex   *BM25
	duty      *dutyIndex
	guide     *dutyIndex           // the catalogue's scope clauses; nil without scope rules
	std       *dutyIndex           // the duty templates' clauses; nil without templates
	stdName   []string             // per department, the name of its template ("" if none)
	centroid  []map[uint32]float32 // per department, L2-normalised mean of its documents
	kbDoc     map[string]int       // KB entry id → index in docs
	plain     *docFreq             // the same IDF without department weights, for the type model
	rules     []Rule
	stackW    []float64 // learned scorer weights, nil = fixed blend
	ovrW      []float32
	ovrB      []float32
	prior     []float64 // log share of each department in the history
	cnb       map[uint32][]float32
	histIndex *BM25      // history tickets as BM25 documents, for the history vote
	dutyTerm  [][]string // per department: duty phrases for evidence
	accPool   sync.Pool  // *[]float32 of len(docs), all zero between uses
	// conceptIDs are the hashed concept features, left out where the
	// question matters rather than its topic (type, direct answers).
	conceptIDs map[uint32]bool
}

// knnAnswers lets the neighbour search find KB answers too.
var knnAnswers = true

// kbAnswerRunes is how much of a KB answer joins its question as training
// text; answers are long and generic, so by default none.
var kbAnswerRunes = 0

// typeMaxExamples caps the history the type model learns from when it uses
// neighbour features.
const typeMaxExamples = 5000

// typeEpochs and typeRate override the SGD schedule of the type model (0 =
// the department model's).
var (
	typeEpochs = 0
	typeRate   float32
)

// typeBalance is the exponent of inverse class frequency weighting in the
// type model (1 = fully balanced).
var typeBalance = 1.0

// The channel (hotline, app, website, open311) says something about how a
// request is phrased, so it is a feature of the type model.
var (
	// typeDeptWeight > 0 adds the (predicted) lead department as a feature
	// of the type model: a department's tickets lean to some types.
	typeDeptWeight float32 = 0
	useChannel             = true
	channelWeight  float32 = 0.3
)

func kbText(e KBEntry) string {
	// Keywords and the question carry the topic; the answer's first
	// sentences name the procedure and the department's vocabulary.
	ans := []rune(e.Answer)
	if len(ans) > kbAnswerRunes {
		ans = ans[:kbAnswerRunes]
	}
	return e.Question + " " + strings.Join(e.Keywords, " ") + " " + strings.Join(e.Keywords, " ") + " " + string(ans)
}

func dutyText(d DepartmentInfo) string {
	return d.Name + " " + d.ShortName + " " + d.Responsibilities
}

func typeIndex(t string) int {
	return slices.Index(RequestTypes, t)
}

// buildModel trains a model from scratch. It is pure CPU work: callers run
// it off the request path.
func buildModel(tok Tokenizer, depts []DepartmentInfo, examples []Example, kb []KBEntry, rules []Rule, p modelParams) *model {
	plainTok, ix := tok, p.lexicon()
	tok = withConcepts(withSeparable(tok), ix)
	m := &model{tok: tok, concepts: ix, depts: depts, idx: map[string]int{}, df: newDocFreq(), kb: kb, rules: rules}
	for i, d := range depts {
		m.idx[d.Code] = i
	}
	own := examples // the city's history, without the starter examples
	if !p.inner && !p.NoStarters {
		// The stacker's inner models get them through examples.
		examples = append(starterExamples(depts, m.idx, rules), examples...)
	}
	m.examples = examples
	C := len(depts)
	type raw struct {
		tf     map[uint32]float32
		label  int
		weight float32
		kind   docKind
		ref    int
	}
	var raws []raw
	hw := p.HistoryWeight
	if histWeightC > 0 || histWeightFull > 0 {
		n := 0
		for _, ex := range examples {
			if _, ok := m.idx[ex.Department]; ok {
				n++
			}
		}
		hw *= float32(histWeightScale(n))
	}
	for i, ex := range examples {
		l, ok := m.idx[ex.Department]
		if !ok {
			continue
		}
		tf := m.routeTF(p.memo, ex.Text)
		w := hw
		if ex.starter {
			w *= starterWeight
		}
		raws = append(raws, raw{tf, l, w, kindHistory, i})
		if coLabelWeight > 0 {
			for _, c := range ex.CoDepartments {
				if j, ok := m.idx[c]; ok && j != l {
					raws = append(raws, raw{tf, j, hw * coLabelWeight, kindCo, i})
				}
			}
		}
	}
	for i, e := range kb {
		l, ok := m.idx[e.Department]
		if !ok {
			continue
		}
		raws = append(raws, raw{p.memo.tf(tok, kbText(e)), l, p.KBWeight, kindKB, i})
	}
	if p.AnswerWeight > 0 {
		for i, e := range kb {
			l, ok := m.idx[e.Department]
			if !ok || e.Answer == "" {
				continue
			}
			if !p.AnswerSentences {
				raws = append(raws, raw{p.memo.tf(tok, e.Answer), l, p.AnswerWeight, kindAnswer, i})
				continue
			}
			for _, sent := range strings.FieldsFunc(e.Answer, func(r rune) bool { return strings.ContainsRune("。；;！!？?\n", r) }) {
				if len([]rune(sent)) >= 6 {
					raws = append(raws, raw{p.memo.tf(tok, sent), l, p.AnswerWeight, kindAnswer, i})
				}
			}
		}
	}
	if p.KeywordDocWeight > 0 {
		for i, e := range kb {
			if l, ok := m.idx[e.Department]; ok && len(e.Keywords) > 0 {
				raws = append(raws, raw{counts(tok(strings.Join(e.Keywords, " "))), l, p.KeywordDocWeight, kindAnswer, i})
			}
		}
	}
	for i, d := range depts {
		raws = append(raws, raw{p.memo.tf(tok, dutyText(d)), i, p.DutyWeight, kindDuty, i})
		m.dutyTerm = append(m.dutyTerm, splitDuties(d.Responsibilities))
	}
	for i, r := range rules {
		l, ok := m.idx[r.Department]
		if !ok || len(r.Keywords) == 0 {
			continue
		}
		raws = append(raws, raw{counts(tok(strings.Join(r.Keywords, " ") + " " + r.Note)), l, p.RuleWeight, kindRule, i})
	}
	// Scope rules are duty text like the 三定 responsibilities: the same
	// weight, scaled by the rule's priority.
	if scopeDocWeight > 0 {
		cl := scopeClauses(rules, m.idx)
		if scopeItemDocs {
			for _, c := range cl {
				raws = append(raws, raw{p.memo.tf(tok, c.text), c.dept, p.DutyWeight * scopeDocWeight * float32(c.weight), kindRule, -1})
			}
		} else {
			texts := make([][]string, C)
			wsum := make([]float64, C)
			for _, c := range cl {
				texts[c.dept] = append(texts[c.dept], c.text)
				wsum[c.dept] += c.weight
			}
			for d, ts := range texts {
				if len(ts) > 0 {
					w := p.DutyWeight * scopeDocWeight * float32(wsum[d]/float64(len(ts)))
					raws = append(raws, raw{p.memo.tf(tok, strings.Join(ts, "；")), d, w, kindRule, -1})
				}
			}
		}
	}
	tw := templateDocWeight
	if len(scopeClauses(rules, m.idx)) > 0 {
		tw *= templateGuideScale // the city's own guide speaks instead
	}
	tcl := templateClauses(depts)
	if tw > 0 {
		for d, cs := range tcl {
			if templateWhole && len(cs) > 0 {
				raws = append(raws, raw{p.memo.tf(tok, strings.Join(cs, "；")), d, p.DutyWeight * tw, templateKind, -1})
				continue
			}
			for _, c := range cs {
				raws = append(raws, raw{p.memo.tf(tok, c), d, p.DutyWeight * tw, templateKind, -1})
			}
		}
	}
	isScope := func(r raw) bool { return r.kind == kindRule && r.ref < 0 }
	nScope := 0
	for _, r := range raws {
		if isScope(r) && scopeKeepsWeights {
			nScope++
			continue
		}
		if r.kind == kindCo {
			continue
		}
		m.df.add(r.tf)
	}
	if nScope > 0 {
		// A guide's clauses add only the features nothing else has: every
		// other feature keeps the frequency and weight it has without the
		// guide, so the neighbours, the type model and urgency see the
		// same vectors with or without it.
		extra := map[uint32]uint32{}
		for _, r := range raws {
			if isScope(r) {
				for id := range r.tf {
					if m.df.df[id] == 0 {
						extra[id]++
					}
				}
			}
		}
		for id, n := range extra {
			m.df.df[id] = n
		}
	}
	if p.TermWeightPower > 0 {
		tfs := make([]map[uint32]float32, 0, len(raws))
		labels := make([]int, 0, len(raws))
		weights := make([]float32, 0, len(raws))
		for _, r := range raws {
			if (isScope(r) && scopeKeepsWeights) || r.kind == kindCo {
				continue
			}
			tfs, labels, weights = append(tfs, r.tf), append(labels, r.label), append(weights, r.weight)
		}
		m.df.tw = termWeights(tfs, labels, weights, C, p.TermWeightSmooth, p.TermWeightPower)
		if nScope > 0 {
			var stfs []map[uint32]float32
			var slabels []int
			var sweights []float32
			for _, r := range raws {
				if r.kind == kindCo {
					continue
				}
				stfs, slabels, sweights = append(stfs, r.tf), append(slabels, r.label), append(sweights, r.weight)
			}
			all := termWeights(stfs, slabels, sweights, C, p.TermWeightSmooth, p.TermWeightPower)
			for _, r := range raws {
				if isScope(r) {
					for id := range r.tf {
						if m.df.tw[id] == 0 {
							m.df.tw[id] = all[id]
						}
					}
				}
			}
		}
	}
	m.post = make(map[uint32][]posting)
	m.kbDoc = make(map[string]int, len(kb))
	for _, r := range raws {
		d := trainDoc{vec: m.df.vector(r.tf), label: r.label, weight: r.weight, kind: r.kind, ref: r.ref}
		id := int32(len(m.docs))
		m.docs = append(m.docs, d)
		if d.kind == kindKB {
			m.kbDoc[kb[d.ref].ID] = int(id)
		}
		if d.kind == kindHistory || d.kind == kindKB || (knnAnswers && d.kind == kindAnswer) {
			for _, t := range d.vec {
				m.post[t.id] = append(m.post[t.id], posting{id, t.w})
			}
		}
	}
	lin := linearSample(m.docs, p.MaxLinearExamples)
	if len(kb) > 0 {
		if p.memo != nil && p.memo.kbIndex != nil {
			m.kbIndex = p.memo.kbIndex
		} else {
			m.kbIndex = NewBM25(kb)
		}
	}
	if blendHist > 0 {
		var hs []KBEntry
		for _, ex := range examples {
			if _, ok := m.idx[ex.Department]; ok {
				hs = append(hs, KBEntry{Answer: m.routeText(ex.Text), Department: ex.Department})
			}
		}
		m.histIndex = NewBM25(hs)
	}
	if p.memo != nil && p.memo.duty != nil {
		m.duty, m.guide, m.std = p.memo.duty, p.memo.guide, p.memo.std
	} else {
		m.duty, m.guide = buildDutyIndexes(tok, depts, m.idx, rules)
		m.std = buildStdIndex(tok, tcl)
	}
	if m.std != nil {
		m.stdName = templateNames(depts)
	}
	m.centroid = make([]map[uint32]float32, C)
	for i := range m.centroid {
		m.centroid[i] = map[uint32]float32{}
	}
	for _, d := range m.docs {
		for _, t := range d.vec {
			m.centroid[d.label][t.id] += t.w * d.weight
		}
	}
	for _, c := range m.centroid {
		var n float64
		for _, w := range c {
			n += float64(w) * float64(w)
		}
		if n > 0 {
			inv := float32(1 / math.Sqrt(n))
			for id := range c {
				c[id] *= inv
			}
		}
	}
	n := len(m.docs)
	m.accPool.New = func() any { a := make([]float32, n); return &a }
	m.conceptIDs = conceptIDSet(ix)
	m.urg = trainUrgency(own)
	if blendCNB > 0 {
		m.cnb = buildCNB(lin, C)
	}
	if blendOVR > 0 {
		m.ovrW, m.ovrB = trainOVR(lin, C, p)
	}
	m.w, m.b = trainSoftmax(lin, C, func(d trainDoc) int { return d.label }, func(d trainDoc) float32 { return d.weight }, p)

	m.prior = make([]float64, C)
	var nEx float64
	for _, ex := range examples {
		if l, ok := m.idx[ex.Department]; ok {
			m.prior[l]++
			nEx++
		}
	}
	for c := range m.prior {
		m.prior[c] = math.Log((m.prior[c] + 1) / (nEx + float64(C)))
	}
	if p.inner {
		// An inner model of the stacker only scores departments.
		return m
	}
	// Request type learns from history only: KB questions and duties say
	// nothing about how citizens phrase complaints or praise.
	plain := &docFreq{df: m.df.df, n: m.df.n}
	m.plain = plain
	var typed []trainDoc
	docOf := map[int]int{}
	for i, d := range m.docs {
		if d.kind == kindHistory {
			docOf[d.ref] = i
		}
	}
	// The neighbour features cost one neighbour search per ticket, so the
	// type model then learns from the most recent typeMaxExamples only.
	skipTyped := 0
	if typeKBNear > 0 || typeNbVote > 0 {
		n := 0
		for _, d := range lin {
			if d.kind == kindHistory {
				n++
			}
		}
		skipTyped = max(0, n-typeMaxExamples)
	}
	for _, d := range lin {
		if d.kind == kindHistory && skipTyped > 0 {
			skipTyped--
			continue
		}
		if d.kind == kindHistory {
			if t := typeIndex(examples[d.ref].Type); t >= 0 {
				d.label = t
				d.weight = 1
				d.vec = append(plain.vector(counts(baseTokens(tok, requestText(examples[d.ref].Text)))), cueTerms(examples[d.ref].Text)...)
				if useChannel && examples[d.ref].Channel != "" {
					d.vec = append(d.vec, term{hashToken("ch:" + examples[d.ref].Channel), channelWeight})
				}
				if typeDeptWeight > 0 {
					d.vec = append(d.vec, term{hashToken("dept:" + examples[d.ref].Department), typeDeptWeight})
				}
				if typeKBNear > 0 || typeNbVote > 0 {
					d.vec = append(d.vec, m.typeNeighbourTerms(m.docs[docOf[d.ref]].vec, m.nearest(m.docs[docOf[d.ref]].vec, knnK+1), d.ref)...)
				}
				typed = append(typed, d)
			}
		}
	}
	if len(typed) > 0 {
		m.typeSeen = true
		// Balance the classes partly: praise and suggestions are rare but
		// must not be swallowed by complaints.
		T := len(RequestTypes)
		freq := make([]float32, T)
		for _, d := range typed {
			freq[d.label]++
		}
		for i := range typed {
			typed[i].weight = float32(math.Pow(float64(len(typed))/float64(T)/float64(freq[typed[i].label]), typeBalance))
		}
		tp := p
		if typeEpochs > 0 {
			tp.Epochs = typeEpochs
		}
		if typeRate > 0 {
			tp.LearnRate = typeRate
		}
		m.typ = trainTypeScorer(typed, T, tp)
		if typeCalib != 0 {
			m.typ.off = learnTypeOffsets(typed, T, tp)
		}
	}

	if p.Stack {
		m.stackW = buildStack(plainTok, depts, examples, kb, rules, p) // its models add the concepts themselves
	}
	m.co = make([][]float32, C)
	m.leadN = make([]float32, C)
	for i := range m.co {
		m.co[i] = make([]float32, C)
	}
	for _, ex := range own {
		l, ok := m.idx[ex.Department]
		if !ok {
			continue
		}
		m.leadN[l]++
		for _, c := range ex.CoDepartments {
			if j, ok := m.idx[c]; ok {
				m.co[l][j]++
			}
		}
	}
	return m
}

// linearSample keeps every non-history document and at most max history
// tickets, the most recent (last observed) ones.
func linearSample(docs []trainDoc, max int) []trainDoc {
	hist := 0
	for _, d := range docs {
		if d.kind == kindHistory {
			hist++
		}
	}
	if max <= 0 || hist <= max {
		return docs
	}
	skip := hist - max
	out := make([]trainDoc, 0, len(docs)-skip)
	for _, d := range docs {
		if d.kind == kindHistory && skip > 0 {
			skip--
			continue
		}
		out = append(out, d)
	}
	return out
}

// trainSoftmax fits multinomial logistic regression by SGD over hashed
// features. With L2-normalised inputs a constant, decaying step converges in a
// few epochs; training cost is linear in the number of non-zeros.
func trainSoftmax(docs []trainDoc, C int, label func(trainDoc) int, weight func(trainDoc) float32, p modelParams) ([]float32, []float32) {
	w := make([]float32, dims*C)
	b := make([]float32, C)
	if len(docs) == 0 || C == 0 {
		return w, b
	}
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(p.Seed, 7))
	logits := make([]float32, C)
	// Large sets need fewer passes: SGD sees enough updates in one or two.
	epochs := p.Epochs
	if n := len(docs); n > 5000 {
		epochs = max(2, p.Epochs*5000/n)
	}
	step := make([]float32, C)
	for ep := 0; ep < epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		lr := p.LearnRate / float32(1+ep/2)
		for _, oi := range order {
			d := docs[oi]
			scoreInto(logits, w, b, d.vec, C)
			softmax(logits)
			y := label(d)
			wt := weight(d)
			for c := 0; c < C; c++ {
				g := logits[c]
				if c == y {
					g -= 1
				}
				step[c] = lr * wt * g
				b[c] -= step[c] * 0.1
			}
			for _, t := range d.vec {
				row := w[int(t.id)*C : int(t.id)*C+C]
				for c, s := range step {
					row[c] -= s * t.w
				}
			}
		}
	}
	return w, b
}

func scoreInto(out, w, b []float32, v sparse, C int) {
	copy(out, b)
	for _, t := range v {
		row := w[int(t.id)*C : int(t.id)*C+C]
		for c := range out {
			out[c] += row[c] * t.w
		}
	}
}

func softmax(x []float32) {
	mx := float32(math.Inf(-1))
	for _, v := range x {
		mx = max(mx, v)
	}
	var s float32
	for i, v := range x {
		x[i] = float32(math.Exp(float64(v - mx)))
		s += x[i]
	}
	for i := range x {
		x[i] /= s
	}
}

// neighbour is one similar training document.
type neighbour struct {
	doc int32
	sim float32
}

// nearest returns the k most similar history and KB documents. Very common
// features (in more than a fifth of documents) are skipped: their IDF is low
// and their postings are long, so they cost much and decide nothing.
func (m *model) nearest(q sparse, k int) []neighbour {
	accp := m.accPool.Get().(*[]float32)
	acc := *accp
	touched := make([]int32, 0, 512)
	limit := max(50, min(len(m.docs)/5, maxPostings))
	for _, t := range q {
		ps := m.post[t.id]
		if len(ps) > limit {
			continue
		}
		for _, p := range ps {
			if acc[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			acc[p.doc] += p.w * t.w
		}
	}
	out := make([]neighbour, 0, min(len(touched), 4*k))
	var floor float32
	for _, d := range touched {
		s := acc[d]
		acc[d] = 0
		if len(out) >= 4*k && s <= floor {
			continue
		}
		out = append(out, neighbour{d, s})
		if len(out) >= 8*k {
			out = topNeighbours(out, 4*k)
			floor = out[len(out)-1].sim
		}
	}
	m.accPool.Put(accp)
	return topNeighbours(out, k)
}

// maxPostings bounds the work of one neighbour search: features shared by
// more documents than this are left to the linear model.
const maxPostings = 4000

func topNeighbours(out []neighbour, k int) []neighbour {
	slices.SortFunc(out, func(a, b neighbour) int {
		if a.sim != b.sim {
			if a.sim > b.sim {
				return -1
			}
			return 1
		}
		return int(a.doc - b.doc)
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// splitDuties cuts a responsibilities text into short duty phrases, used to
// say which duty words a request matched.
func splitDuties(s string) []string {
	f := func(r rune) bool { return strings.ContainsRune("；;，,、。（）() 和与及", r) }
	var out []string
	for _, p := range strings.FieldsFunc(s, f) {
		p = strings.TrimPrefix(p, "负责")
		if n := len([]rune(p)); n >= 2 && n <= 12 {
			out = append(out, p)
		}
	}
	return out
}

// tfMemo shares what the stacker's inner models would otherwise recompute:
// the term frequencies of each text and the KB and duty indexes. A nil memo
// computes everything.
type tfMemo struct {
	m       map[string]map[uint32]float32
	kbIndex *BM25
	duty    *dutyIndex
	guide   *dutyIndex
	std     *dutyIndex
}

// tf returns counts(tok(text)), memoised; callers only read the map.
func (mm *tfMemo) tf(tok Tokenizer, text string) map[uint32]float32 {
	if mm == nil {
		return counts(tok(text))
	}
	if v, ok := mm.m[text]; ok {
		return v
	}
	v := counts(tok(text))
	mm.m[text] = v
	return v
}
