package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/hallgate/hallgate/knowledgebase"
)

// ErrBadFile is returned for unreadable or malformed input files.
var ErrBadFile = errors.New("eval: bad file")

// Searcher answers a query with ranked document ids.
type Searcher func(ctx context.Context, q string, limit int) ([]string, error)

// IndexSearcher adapts a knowledgebase.Index (public, searchable entries).
func IndexSearcher(idx knowledgebase.Index) Searcher {
	return func(ctx context.Context, q string, limit int) ([]string, error) {
		res, err := idx.Search(ctx, knowledgebase.Query{Text: q, Limit: limit})
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ID
		}
		return ids, nil
	}
}

// QueryCase is one line of a queries file.
type QueryCase struct {
	Q        string   `json:"q"`
	Relevant []string `json:"relevant"`
	Kind     string   `json:"kind"`
}

// Metrics are averaged over a set of queries.
type Metrics struct {
	Queries  int     `json:"queries"`
	Recall1  float64 `json:"recall_at_1"`
	Recall5  float64 `json:"recall_at_5"`
	Recall10 float64 `json:"recall_at_10"`
	MRR      float64 `json:"mrr"`
}

// Miss is a query whose first relevant result is not ranked first.
type Miss struct {
	Query QueryCase `json:"query"`
	Rank  int       `json:"rank"` // 1-based rank of the first relevant id, 0 = not in the top 10
	Got   []string  `json:"got"`
}

// Report is the outcome of an evaluation.
type Report struct {
	Overall Metrics            `json:"overall"`
	ByKind  map[string]Metrics `json:"by_kind"`
	Misses  []Miss             `json:"misses"`
}

// Depth is how many results are requested per query.
const Depth = 10

// LoadQueries reads a queries file (JSON Lines: q, relevant, kind).
func LoadQueries(path string) ([]QueryCase, error) {
	var out []QueryCase
	err := eachLine(path, func(n int, line []byte) error {
		var c QueryCase
		if err := json.Unmarshal(line, &c); err != nil {
			return fmt.Errorf("%w: %s line %d: %v", ErrBadFile, path, n, err)
		}
		if c.Q == "" || len(c.Relevant) == 0 {
			return fmt.Errorf("%w: %s line %d: q and relevant are required", ErrBadFile, path, n)
		}
		if c.Kind == "" {
			c.Kind = "unknown"
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

func eachLine(path string, fn func(n int, line []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadFile, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadFile, path, err)
	}
	return nil
}

// Evaluate runs the cases through s.
func Evaluate(ctx context.Context, s Searcher, cases []QueryCase) (Report, error) {
	type sums struct{ n, r1, r5, r10, mrr float64 }
	all := &sums{}
	kinds := map[string]*sums{}
	var rep Report
	for _, c := range cases {
		got, err := s(ctx, c.Q, Depth)
		if err != nil {
			return Report{}, fmt.Errorf("eval query %q: %w", c.Q, err)
		}
		rel := make(map[string]bool, len(c.Relevant))
		for _, id := range c.Relevant {
			rel[id] = true
		}
		rank := 0
		for i, id := range got {
			if rel[id] {
				rank = i + 1
				break
			}
		}
		k := kinds[c.Kind]
		if k == nil {
			k = &sums{}
			kinds[c.Kind] = k
		}
		for _, m := range []*sums{all, k} {
			m.n++
			if rank == 1 {
				m.r1++
			}
			if rank >= 1 && rank <= 5 {
				m.r5++
			}
			if rank >= 1 && rank <= 10 {
				m.r10++
			}
			if rank > 0 {
				m.mrr += 1 / float64(rank)
			}
		}
		if rank != 1 {
			rep.Misses = append(rep.Misses, Miss{Query: c, Rank: rank, Got: got})
		}
	}
	toM := func(s *sums) Metrics {
		if s.n == 0 {
			return Metrics{}
		}
		return Metrics{Queries: int(s.n), Recall1: s.r1 / s.n, Recall5: s.r5 / s.n, Recall10: s.r10 / s.n, MRR: s.mrr / s.n}
	}
	rep.Overall = toM(all)
	rep.ByKind = make(map[string]Metrics, len(kinds))
	for k, s := range kinds {
		rep.ByKind[k] = toM(s)
	}
	return rep, nil
}

// Search evaluates the queries file through s and prints the table to w.
func Search(ctx context.Context, w io.Writer, s Searcher, queriesFile string) (Report, error) {
	cases, err := LoadQueries(queriesFile)
	if err != nil {
		return Report{}, err
	}
	rep, err := Evaluate(ctx, s, cases)
	if err != nil {
		return Report{}, err
	}
	if w != nil {
		if err := rep.WriteTable(w); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// kindOrder lists the known kinds first, in the order of the data's README.
var kindOrder = []string{"exact", "synonym", "colloquial", "typo", "mixed"}

// WriteTable prints the per-kind table.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "kind\tqueries\trecall@1\trecall@5\trecall@10\tMRR\t\n")
	kinds := append([]string(nil), kindOrder...)
	var extra []string
	for k := range r.ByKind {
		known := false
		for _, o := range kindOrder {
			known = known || o == k
		}
		if !known {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	kinds = append(kinds, extra...)
	row := func(name string, m Metrics) {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t\n", name, m.Queries, m.Recall1, m.Recall5, m.Recall10, m.MRR)
	}
	for _, k := range kinds {
		if m, ok := r.ByKind[k]; ok {
			row(k, m)
		}
	}
	row("all", r.Overall)
	return tw.Flush()
}
