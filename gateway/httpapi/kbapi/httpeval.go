package kbapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/eval"
)

// HTTPSearcher is an eval.Searcher that asks a running gateway:
// GET {baseURL}/api/v1/kb/search?q=&limit= with header (credentials).
// With it, knowledgebase/eval measures search exactly as clients get it.
func HTTPSearcher(client *http.Client, baseURL string, header http.Header) eval.Searcher {
	base := strings.TrimRight(baseURL, "/")
	return func(ctx context.Context, q string, limit int) ([]string, error) {
		var res struct {
			Hits []struct {
				ID string `json:"id"`
			} `json:"hits"`
		}
		u := fmt.Sprintf("%s/api/v1/kb/search?limit=%d&q=%s", base, limit, url.QueryEscape(q))
		if err := httpCall(ctx, client, http.MethodGet, u, header, nil, &res); err != nil {
			return nil, err
		}
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ID
		}
		return ids, nil
	}
}

// ImportHTTP posts a JSON Lines file as-is to {baseURL}/api/v1/kb/import
// (header must carry an editor's or admin's credentials).
func ImportHTTP(ctx context.Context, client *http.Client, baseURL string, header http.Header, kb io.Reader) (knowledgebase.ImportResult, error) {
	var res knowledgebase.ImportResult
	err := httpCall(ctx, client, http.MethodPost, strings.TrimRight(baseURL, "/")+"/api/v1/kb/import", header, kb, &res)
	return res, err
}

// EvalHTTP is the HTTP-level search evaluation: when kb is not nil it is
// imported first (any rejected line is an error), then every case is
// searched over HTTP and scored by eval.Evaluate (recall@1/5/10 and MRR,
// overall and per kind). It returns the report and the number imported.
func EvalHTTP(ctx context.Context, client *http.Client, baseURL string, header http.Header, kb io.Reader, cases []eval.QueryCase) (eval.Report, int, error) {
	imported := 0
	if kb != nil {
		res, err := ImportHTTP(ctx, client, baseURL, header, kb)
		if err != nil {
			return eval.Report{}, 0, fmt.Errorf("eval import: %w", err)
		}
		if len(res.Errors) > 0 {
			return eval.Report{}, res.Imported, fmt.Errorf("eval import: %d lines rejected, first: line %d: %s",
				len(res.Errors), res.Errors[0].Line, res.Errors[0].Error)
		}
		imported = res.Imported
	}
	rep, err := eval.Evaluate(ctx, HTTPSearcher(client, baseURL, header), cases)
	return rep, imported, err
}

func httpCall(ctx context.Context, client *http.Client, method, u string, header http.Header, body io.Reader, out any) error {
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
