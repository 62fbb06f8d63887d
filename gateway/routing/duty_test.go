package routing

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestDutyClauses(t *testing.T) {
	got := dutyClauses("负责城市供水、水压水质；负责排水管网疏通，污水处理。")
	want := []string{"城市供水", "水压水质", "排水管网疏通", "污水处理"}
	if !slices.Equal(got, want) {
		t.Fatalf("clauses %q, want %q", got, want)
	}
	if got := dutyClauses("负责。、；"); len(got) != 0 {
		t.Fatalf("punctuation only gave %q", got)
	}
}

// A request that matches one clause of one department scores that
// department highest, even with no history at all, and the evidence quotes
// the clause.
func TestDutyIndexScoresBestClause(t *testing.T) {
	tok := CharNGrams
	ix := newDutyIndex(tok, synthDepts)
	cases := map[string]string{
		"我家电表走得特别快，想申请电表校验": "power",
		"孩子今年中小学入学怎么分配学位":   "edu",
		"菜市场有人短斤少两，计量不准":    "market",
	}
	for text, want := range cases {
		scores, best := ix.score(counts(tok(text)), len(synthDepts))
		top := 0
		for i := range scores {
			if scores[i] > scores[top] {
				top = i
			}
		}
		if synthDepts[top].Code != want {
			t.Errorf("%q: top %s (%v), want %s", text, synthDepts[top].Code, scores, want)
		}
		if best[top] < 0 || !strings.Contains(synthDepts[top].Responsibilities, ix.clause[best[top]]) {
			t.Errorf("%q: best clause %d is not one of %s's duties", text, best[top], want)
		}
	}
	scores, best := ix.score(counts(tok("完全无关的内容")), len(synthDepts))
	for i := range scores {
		if scores[i] != 0 || best[i] != -1 {
			t.Fatalf("unrelated text scored %v %v", scores, best)
		}
	}

	m := buildModel(tok, synthDepts, nil, nil, nil, defaultParams())
	p := m.predict(context.Background(), Query{Text: "我家电表走得特别快，想申请电表校验"}, nil)
	if m.depts[p.ranked[0]].Code != "power" {
		t.Fatalf("untrained model routed to %s", m.depts[p.ranked[0]].Code)
	}
	if !slices.ContainsFunc(p.evidence, func(e string) bool { return strings.Contains(e, "电表校验") && strings.Contains(e, "最相符") }) {
		t.Errorf("evidence does not quote the matching duty clause: %v", p.evidence)
	}
}
