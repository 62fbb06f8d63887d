package routing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// caseCues mark an enquiry about the caller's own case (progress, account,
// an individual determination, something to verify on site): those are
// dispatched, never answered from the KB on the spot. General phrasing.
var caseCues = []string{"进度", "至今", "还没", "一直没", "迟迟", "为什么我", "为什么我们", "查询显示", "被拒", "不给办", "核查", "核实", "帮我查", "帮忙查", "我的账户", "没到账", "未到账", "少了", "算错", "审核中", "审批中"}

// directAnswerMinSim is the least cosine between the request and the KB
// entry's question for the entry to count as the same question.
const directAnswerMinSim = 0.05

// directMinTypeProb is the least probability of 咨询 for an offer (0 = any
// request typed 咨询): a request the type model barely calls an enquiry is
// more often a case to dispatch. Chosen on inner folds (exp6a_test.go,
// ROUTING_EXP=da6).
var directMinTypeProb = 0.5

// directKeywordBonus is added to an entry's similarity when one of its
// keywords occurs in the request as written (0 = off): the KB's authors
// mark an entry's topic with them. Inner folds (exp7_test.go, da7): the
// first offer fits 0.524 → 0.566 at any bonus from 0.05 to 0.5.
var directKeywordBonus float32 = 0.1

// directSearchDepth is how many KB search hits are reranked. Inner folds,
// with the keyword bonus: 10 hits recall 0.830, precision 0.902, fit
// 0.566; 30 hits 0.866, 0.896, 0.580.
var directSearchDepth = 30

// keywordIn reports whether one of keywords occurs in text.
func keywordIn(keywords []string, text string) bool {
	norm := normalize(text)
	for _, k := range keywords {
		if kn := strings.TrimSpace(normalize(k)); kn != "" && strings.Contains(norm, kn) {
			return true
		}
	}
	return false
}

// directAnswer proposes KB entries of the lead department when the request
// is a general enquiry the KB can answer on the spot.
func (m *model) directAnswer(ctx context.Context, search KBSearch, q Query, p *prediction) ([]DirectAnswer, error) {
	// Without a type model the probability is cueType's share of the cue
	// evidence: a request whose cues mostly say complaint is not answered.
	if search == nil || p.typ != "咨询" || p.typeProb < directMinTypeProb || len(p.ranked) == 0 {
		return nil, nil
	}
	for _, c := range caseCues {
		if strings.Contains(q.Text, c) {
			p.evidence = append(p.evidence, "涉及个人办理情况（「"+c+"」），需派单，不宜当场答复")
			return nil, nil
		}
	}
	hits, err := search(ctx, q.Text, directSearchDepth)
	if err != nil {
		return nil, fmt.Errorf("routing: kb search: %w", err)
	}
	lead := m.depts[p.ranked[0]].Code
	// Topical similarity uses plain TF-IDF: the department is settled, now
	// the question matters, not the words that mark the department.
	qv := m.plain.vector(counts(baseTokens(m.tok, requestText(q.Text))))
	type cand struct {
		hit KBHit
		sim float32
	}
	var cands []cand
	for _, h := range hits {
		if h.Department != "" && h.Department != lead {
			continue
		}
		// Rerank the search's hits by similarity to the question and its
		// keywords: answers are long and share much generic wording.
		text := h.Question
		if d, ok := m.kbDoc[h.ID]; ok {
			e := m.kb[m.docs[d].ref]
			text = e.Question + " " + strings.Join(e.Keywords, " ")
		}
		sim := dot(qv, m.plain.vector(counts(baseTokens(m.tok, text))))
		if directKeywordBonus > 0 {
			if d, ok := m.kbDoc[h.ID]; ok && keywordIn(m.kb[m.docs[d].ref].Keywords, q.Text) {
				sim += directKeywordBonus
			}
		}
		if sim >= directAnswerMinSim {
			cands = append(cands, cand{h, sim})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(b.sim, a.sim) })
	var out []DirectAnswer
	for i, c := range cands {
		if i == 3 {
			break
		}
		if i == 0 {
			p.evidence = append(p.evidence, fmt.Sprintf("可按知识库「%s」当场答复（相似度 %.2f）", c.hit.Question, c.sim))
		}
		out = append(out, DirectAnswer{ID: c.hit.ID, Question: c.hit.Question})
	}
	return out, nil
}
