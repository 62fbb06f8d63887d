package kbapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// EvalQuery is one line of a queries file (queries_dev.jsonl shape).
type EvalQuery struct {
	Q        string   `json:"q"`
	Relevant []string `json:"relevant"` // entry ids, best first
	Kind     string   `json:"kind"`     // exact, synonym, colloquial, typo, mixed
}

// EvalRow is recall@K and MRR over a set of queries.
type EvalRow struct {
	Kind    string  `json:"kind"`
	Queries int     `json:"queries"`
	Recall  float64 `json:"recall_at_k"`
	MRR     float64 `json:"mrr"`
}

// EvalMiss is a query whose first relevant id is not in the top K.
type EvalMiss struct {
	Query EvalQuery `json:"query"`
	Got   []string  `json:"got"`
}

// EvalReport is the outcome of EvalHTTP.
type EvalReport struct {
	K        int           `json:"k"`
	Imported int           `json:"imported"`
	Overall  EvalRow       `json:"overall"`
	ByKind   []EvalRow     `json:"by_kind"`
	Misses   []EvalMiss    `json:"misses"`
	P50, P99 time.Duration `json:"-"`
}

// EvalHTTP is the HTTP-level search evaluation: when kb is not nil it
// imports it as-is through POST /api/v1/kb/import, then runs every query of
// queries (JSON Lines) through GET /api/v1/kb/search?limit=K and scores
// recall@K (share of the relevant ids found in the top K) and MRR (1/rank of
// the first relevant id). header carries the credentials (an editor for the
// import); baseURL is e.g. "http://127.0.0.1:8080".
func EvalHTTP(ctx context.Context, client *http.Client, baseURL string, header http.Header, kb, queries io.Reader, k int) (EvalReport, error) {
	if k <= 0 {
		k = 5
	}
	rep := EvalReport{K: k, Misses: []EvalMiss{}}
	base := strings.TrimRight(baseURL, "/")
	if kb != nil {
		var res struct {
			Imported int               `json:"imported"`
			Errors   []json.RawMessage `json:"errors"`
		}
		if err := evalCall(ctx, client, http.MethodPost, base+"/api/v1/kb/import", header, kb, &res); err != nil {
			return rep, fmt.Errorf("eval import: %w", err)
		}
		if len(res.Errors) > 0 {
			return rep, fmt.Errorf("eval import: %d lines rejected, first: %s", len(res.Errors), res.Errors[0])
		}
		rep.Imported = res.Imported
	}
	var qs []EvalQuery
	sc := bufio.NewScanner(queries)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q EvalQuery
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return rep, fmt.Errorf("eval queries line %d: %w", n, err)
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		return rep, fmt.Errorf("eval queries: %w", err)
	}
	if len(qs) == 0 {
		return rep, errors.New("eval: no queries")
	}
	type acc struct {
		n           int
		recall, mrr float64
	}
	kinds := map[string]*acc{}
	var all acc
	var took []time.Duration
	for _, q := range qs {
		var res struct {
			Hits []struct {
				ID string `json:"id"`
			} `json:"hits"`
		}
		u := fmt.Sprintf("%s/api/v1/kb/search?limit=%d&q=%s", base, k, url.QueryEscape(q.Q))
		start := time.Now()
		if err := evalCall(ctx, client, http.MethodGet, u, header, nil, &res); err != nil {
			return rep, fmt.Errorf("eval search %q: %w", q.Q, err)
		}
		took = append(took, time.Since(start))
		got := make([]string, 0, len(res.Hits))
		for _, h := range res.Hits {
			got = append(got, h.ID)
		}
		recall, rr := score(q.Relevant, got, k)
		if rr == 0 {
			rep.Misses = append(rep.Misses, EvalMiss{Query: q, Got: got})
		}
		a := kinds[q.Kind]
		if a == nil {
			a = &acc{}
			kinds[q.Kind] = a
		}
		for _, x := range []*acc{a, &all} {
			x.n++
			x.recall += recall
			x.mrr += rr
		}
	}
	row := func(kind string, a *acc) EvalRow {
		return EvalRow{Kind: kind, Queries: a.n, Recall: a.recall / float64(a.n), MRR: a.mrr / float64(a.n)}
	}
	rep.Overall = row("all", &all)
	for kind, a := range kinds {
		rep.ByKind = append(rep.ByKind, row(kind, a))
	}
	sort.Slice(rep.ByKind, func(i, j int) bool { return rep.ByKind[i].Kind < rep.ByKind[j].Kind })
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	rep.P50, rep.P99 = took[len(took)/2], took[min(len(took)-1, len(took)*99/100)]
	return rep, nil
}

// score returns recall@k of relevant in got and the reciprocal rank of the
// first relevant id within the top k (0 when none).
func score(relevant, got []string, k int) (recall, rr float64) {
	if len(relevant) == 0 {
		return 0, 0
	}
	rel := map[string]bool{}
	for _, id := range relevant {
		rel[id] = true
	}
	found := 0
	for i, id := range got[:min(k, len(got))] {
		if rel[id] {
			found++
			if rr == 0 {
				rr = 1 / float64(i+1)
			}
		}
	}
	return float64(found) / float64(len(relevant)), rr
}

func evalCall(ctx context.Context, client *http.Client, method, u string, header http.Header, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-ndjson")
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, u, res.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

// String formats the report as the table the README shows.
func (r EvalReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s %8s %10s %8s\n", "kind", "queries", fmt.Sprintf("recall@%d", r.K), "MRR")
	for _, row := range append(append([]EvalRow{}, r.ByKind...), r.Overall) {
		fmt.Fprintf(&b, "%-12s %8d %10.3f %8.3f\n", row.Kind, row.Queries, row.Recall, row.MRR)
	}
	return b.String()
}
