package eval

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/hallgate/hallgate/gateway/devdata"

	"github.com/hallgate/hallgate/knowledgebase/embedded"
)

// devData finds ../shared/data beside the repository root.
func devData(t *testing.T) string { return findDevData(t) }

func devDataB(b *testing.B) string { return findDevData(b) }

func findDevData(t testing.TB) string { return devdata.Dir(t, "kb_dev.jsonl", "queries_dev.jsonl") }

// Targets of issue 3.
const (
	targetRecall5     = 0.98
	targetMRR         = 0.93
	targetKindRecall5 = 0.90
)

func TestDevSearchQuality(t *testing.T) {
	data := devData(t)
	ctx := t.Context()
	docs, err := LoadKB(filepath.Join(data, "kb_dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := embedded.Open(ctx, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if err := idx.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep, err := Search(ctx, &buf, IndexSearcher(idx), filepath.Join(data, "queries_dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("search quality on the dev data (%d entries):\n%s", len(docs), buf.String())
	if testing.Verbose() {
		for _, m := range rep.Misses {
			t.Logf("miss rank=%d kind=%s q=%q want=%v got=%v", m.Rank, m.Query.Kind, m.Query.Q, m.Query.Relevant, m.Got)
		}
	}
	if rep.Overall.Recall5 < targetRecall5 {
		t.Errorf("recall@5 %.3f < %.2f", rep.Overall.Recall5, targetRecall5)
	}
	if rep.Overall.MRR < targetMRR {
		t.Errorf("MRR %.3f < %.2f", rep.Overall.MRR, targetMRR)
	}
	for k, m := range rep.ByKind {
		if m.Recall5 < targetKindRecall5 {
			t.Errorf("kind %s: recall@5 %.3f < %.2f", k, m.Recall5, targetKindRecall5)
		}
	}
}

func TestEvaluateMetrics(t *testing.T) {
	cases := []QueryCase{
		{Q: "a", Relevant: []string{"x"}, Kind: "exact"},
		{Q: "b", Relevant: []string{"y"}, Kind: "exact"},
		{Q: "c", Relevant: []string{"z"}, Kind: "typo"},
	}
	answers := map[string][]string{"a": {"x"}, "b": {"q", "y"}, "c": {"1", "2", "3", "4", "5", "z"}}
	s := func(_ context.Context, q string, _ int) ([]string, error) { return answers[q], nil }
	rep, err := Evaluate(context.Background(), s, cases)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.ByKind["exact"]; got.Recall5 != 1 || got.MRR != 0.75 || got.Recall1 != 0.5 {
		t.Fatalf("exact = %+v", got)
	}
	if got := rep.ByKind["typo"]; got.Recall5 != 0 || got.Recall10 != 1 {
		t.Fatalf("typo = %+v", got)
	}
	if len(rep.Misses) != 2 {
		t.Fatalf("misses = %d", len(rep.Misses))
	}
}
