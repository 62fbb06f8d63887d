package routing

import (
	"context"
	"fmt"
	"strings"
)

// caseCues mark an enquiry about the caller's own case (progress, account,
// an individual determination, something to verify on site): those are
// dispatched, never answered from the KB on the spot. General phrasing.
var caseCues = []string{"进度", "至今", "还没", "一直没", "迟迟", "为什么我", "为什么我们", "查询显示", "被拒", "不给办", "核查", "核实", "帮我查", "帮忙查", "我的账户", "没到账", "未到账", "少了", "算错", "审核中", "审批中"}

// directAnswerMinSim is the least cosine between the request and the KB
// entry's question for the entry to count as the same question.
const directAnswerMinSim = 0.12

// directAnswer proposes KB entries of the lead department when the request
// is a general enquiry the KB can answer on the spot.
func (m *model) directAnswer(ctx context.Context, search KBSearch, q Query, p *prediction) ([]DirectAnswer, error) {
	if search == nil || p.typ != "咨询" || len(p.ranked) == 0 {
		return nil, nil
	}
	for _, c := range caseCues {
		if strings.Contains(q.Text, c) {
			p.evidence = append(p.evidence, "涉及个人办理情况（「"+c+"」），需派单，不宜当场答复")
			return nil, nil
		}
	}
	hits, err := search(ctx, q.Text, 10)
	if err != nil {
		return nil, fmt.Errorf("routing: kb search: %w", err)
	}
	lead := m.depts[p.ranked[0]].Code
	qv := m.df.vector(counts(m.tok(q.Text)))
	var out []DirectAnswer
	for _, h := range hits {
		if h.Department != "" && h.Department != lead {
			continue
		}
		sim := dot(qv, m.df.vector(counts(m.tok(h.Question))))
		if sim < directAnswerMinSim {
			continue
		}
		if len(out) == 0 {
			p.evidence = append(p.evidence, fmt.Sprintf("可按知识库「%s」当场答复（相似度 %.2f）", h.Question, sim))
		}
		out = append(out, DirectAnswer{ID: h.ID, Question: h.Question})
		if len(out) == 3 {
			break
		}
	}
	return out, nil
}
