package meili

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/hallgate/hallgate/gateway/devdata"

	"github.com/hallgate/hallgate/knowledgebase"
)

// devDataDir finds ../shared/data beside the repository root (the directory
// holding go.mod), or skips: the development city's data is not part of
// the repository.
func devDataDir(t testing.TB) string { return devdata.Dir(t, "kb_dev.jsonl", "queries_dev.jsonl") }

func readJSONL(t testing.TB, path string, each func(line []byte) error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		if err := each(sc.Bytes()); err != nil {
			t.Fatalf("%s line %d: %v", path, n, err)
		}
	}
}

// TestDevRelevanceThroughFake measures the adapter's query analysis and
// score fusion on the development corpus, with the fake standing in for
// Meilisearch's attribute ranking. It is a regression floor for the
// adapter's own logic, not a measurement of a real Meilisearch (run the
// eval command against one for that).
func TestDevRelevanceThroughFake(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("relevance evaluation skipped in -short and -race runs (run: go test -run DevRelevance ./knowledgebase/meili)")
	}
	data := devDataDir(t)
	var docs []knowledgebase.Document
	readJSONL(t, filepath.Join(data, "kb_dev.jsonl"), func(line []byte) error {
		var e struct {
			ID, Question, Answer, Department, Category, Channel string
			Keywords                                            []string
		}
		if err := json.Unmarshal(line, &e); err != nil {
			return err
		}
		docs = append(docs, knowledgebase.Document{ID: e.ID, Kind: knowledgebase.KindEntry, Title: e.Question,
			Body: e.Answer, Department: e.Department, Category: e.Category, Channels: []string{e.Channel},
			Keywords: e.Keywords, Searchable: true})
		return nil
	})
	type qcase struct {
		Q        string   `json:"q"`
		Relevant []string `json:"relevant"`
		Kind     string   `json:"kind"`
	}
	var cases []qcase
	readJSONL(t, filepath.Join(data, "queries_dev.jsonl"), func(line []byte) error {
		var c qcase
		if err := json.Unmarshal(line, &c); err != nil {
			return err
		}
		cases = append(cases, c)
		return nil
	})

	ix := openFake(t, newFakeMeili(t, ""))
	if err := ix.Upsert(t.Context(), docs...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	type sums struct{ n, r5, mrr float64 }
	byKind := map[string]*sums{"all": {}}
	for _, c := range cases {
		res, err := ix.Search(t.Context(), knowledgebase.Query{Text: c.Q, Limit: 10})
		if err != nil {
			t.Fatalf("Search(%q): %v", c.Q, err)
		}
		rank := 0
		for i, h := range res.Hits {
			for _, r := range c.Relevant {
				if h.ID == r && rank == 0 {
					rank = i + 1
				}
			}
		}
		if byKind[c.Kind] == nil {
			byKind[c.Kind] = &sums{}
		}
		for _, s := range []*sums{byKind["all"], byKind[c.Kind]} {
			s.n++
			if rank > 0 && rank <= 5 {
				s.r5++
			}
			if rank > 0 {
				s.mrr += 1 / float64(rank)
			}
		}
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		s := byKind[k]
		t.Logf("%-10s queries %3.0f  recall@5 %.3f  MRR %.3f", k, s.n, s.r5/s.n, s.mrr/s.n)
	}
	all := byKind["all"]
	if r5 := all.r5 / all.n; r5 < 0.85 {
		t.Errorf("recall@5 %.3f fell below the adapter's floor 0.85", r5)
	}
}
