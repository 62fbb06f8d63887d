package routing

import (
	"fmt"
	"strings"
)

// How the catalogue's scope rules (guide lines) join the learned scorers.
// Every clause is weighed by its rule's priority: scopeScale(5) = 1.
var (
	// blendGuide weighs the guide-clause scorer (compGuide: BM25 over the
	// scope clauses, best clause per department) in the fixed blend and is
	// the stacker's starting weight for it.
	blendGuide = 0.8
	// guidePower sharpens the guide-clause scorer like dutyPower the duty one.
	guidePower = 2.0
	// guideInDuty also puts the scope clauses into the 三定 duty-clause
	// index (compDuty).
	guideInDuty = false
	// scopeDocWeight is the weight, relative to DutyWeight, of each
	// department's scope clauses as one training document (0: none).
	scopeDocWeight float32 = 2
	// scopeItemDocs makes every scope clause its own training document.
	scopeItemDocs = true
	// guideCoMin is the least share of a guide clause (its BM25 against the
	// request over its BM25 against itself) a request must match for the
	// clause's co-departments to be proposed.
	guideCoMin = 0.1
	// guideCoRel > 0 also takes the co-departments of the lead's other
	// clauses scoring at least this share of its best one (and guideCoMin).
	guideCoRel = 0.85
	// guideEvidenceMin is the least score for quoting the lead's best guide
	// clause as evidence (a clause sharing one common word is no reason).
	guideEvidenceMin = 2.0
	// scopeKeepsWeights: scope documents add the document frequency and
	// term weight only of features nothing else has (model.go).
	scopeKeepsWeights = true
)

// scopeScale turns a rule's priority (0–10) into a weight: 0 → 1/6,
// 5 → 1, 10 → 11/6.
func scopeScale(priority int) float64 { return float64(priority+1) / float64(guidePriority+1) }

// scopeClause is one scope item resolved to a department index.
type scopeClause struct {
	dept   int
	text   string
	co     []string
	weight float64
}

// scopeClauses lists the enabled scope rules' clauses whose department is
// known.
func scopeClauses(rules []Rule, idx map[string]int) []scopeClause {
	var out []scopeClause
	for _, r := range rules {
		if r.Disabled || r.Urgent || strings.TrimSpace(r.Scope) == "" {
			continue
		}
		w := scopeScale(r.Priority)
		for _, it := range r.ScopeItems() {
			l, ok := idx[it.Department]
			if !ok {
				continue
			}
			out = append(out, scopeClause{dept: l, text: it.Text, co: it.CoDepartments, weight: w})
		}
	}
	return out
}

// buildDutyIndexes builds the 三定 duty-clause index (with the scope clauses
// when guideInDuty) and the guide-clause index (nil without scope rules).
func buildDutyIndexes(tok Tokenizer, depts []DepartmentInfo, idx map[string]int, rules []Rule) (duty, guide *dutyIndex) {
	duty = newDutyIndex(tok, depts)
	cl := scopeClauses(rules, idx)
	if len(cl) == 0 {
		return duty, nil
	}
	guide = &dutyIndex{post: map[uint32][]bmPosting{}}
	for _, c := range cl {
		guide.add(tok, c.dept, c.text, c.weight, c.co)
		if guideInDuty {
			duty.add(tok, c.dept, c.text, c.weight, c.co)
		}
	}
	guide.finishSelf()
	return duty, guide
}

// urgentPhraseHits lists the phrases of enabled urgent rules found in the
// normalised text.
func urgentPhraseHits(rules []Rule, norm string) []string {
	var out []string
	for _, r := range rules {
		if r.Disabled || !r.Urgent {
			continue
		}
		for _, k := range r.Keywords {
			if kn := strings.TrimSpace(normalize(k)); kn != "" && strings.Contains(norm, kn) {
				out = append(out, k)
			}
		}
	}
	return out
}

// guideCo quotes the lead's best guide clause and adds the co-departments of
// the lead's clauses that match well enough.
func (m *model) guideCo(p *prediction, tf map[uint32]float32, lead int, coSet map[string]bool) {
	cs := m.guide.clauseScores(tf)
	best := -1
	for i, s := range cs {
		if m.guide.dept[i] == lead && s > 0 && (best < 0 || s > cs[best]) {
			best = i
		}
	}
	if best < 0 || cs[best] < guideEvidenceMin {
		return
	}
	ev := fmt.Sprintf("派单指引：「%s」归 %s", m.guide.clause[best], m.label(lead))
	var added []string
	for i, s := range cs {
		if m.guide.dept[i] != lead || len(m.guide.co[i]) == 0 || guideCoMin <= 0 || m.guide.self[i] <= 0 || s/(m.guide.weight[i]*m.guide.self[i]) < guideCoMin {
			continue
		}
		if i != best && (guideCoRel <= 0 || s < guideCoRel*cs[best]) {
			continue
		}
		for _, c := range m.guide.co[i] {
			if !coSet[c] {
				coSet[c] = true
				added = append(added, c)
			}
		}
	}
	if len(added) > 0 {
		ev += "，协办 " + strings.Join(added, "、")
	}
	p.evidence = append(p.evidence, ev)
}
