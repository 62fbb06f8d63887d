package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/routing"
)

// evalRoutingHTTP measures routing as a city adopting hallgate meets it:
// for each split a fresh gateway, the departments, the KB (and a guide)
// and the split's history imported through the API, then every test
// ticket asked through POST /api/v1/routing/suggest at once — no waiting
// between the imports and the first question, as a script would do it.
func evalRoutingHTTP(ctx context.Context, w io.Writer, o routing.EvalOptions) (routing.Report, error) {
	plan, err := routing.LoadSplits(o)
	if err != nil {
		return routing.Report{}, err
	}
	kb := map[string]routing.KBEntry{}
	if o.KBFile != "" {
		entries, err := routing.ReadJSONLFile[routing.KBEntry](o.KBFile)
		if err != nil {
			return routing.Report{}, err
		}
		for _, e := range entries {
			kb[e.ID] = e
		}
	}
	var splits []routing.Metrics
	for _, sp := range plan {
		start := time.Now()
		mt, took, err := evalRoutingSplit(ctx, o, sp, kb)
		if err != nil {
			return routing.Report{}, fmt.Errorf("%s: %w", sp.Name, err)
		}
		mt.Name = sp.Name
		splits = append(splits, mt)
		fmt.Fprintf(w, "%s: %d history tickets imported (answered after %s), %d asked (first answer after %s); split %s\n",
			sp.Name, len(sp.History), took.imp.Round(time.Millisecond), len(sp.Test), took.first.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	}
	return routing.Summarise(w, splits), nil
}

// splitTimes are how long the history import and the first suggestion took.
type splitTimes struct{ imp, first time.Duration }

// evalRoutingSplit runs one split on its own gateway and returns its
// metrics and timings.
func evalRoutingSplit(ctx context.Context, o routing.EvalOptions, sp routing.Split, kb map[string]routing.KBEntry) (routing.Metrics, splitTimes, error) {
	var took splitTimes
	g, err := startEphemeral(ctx, "", nil, func(c *config.Config) { c.Routing.StarterExamples = !o.NoStarters })
	if err != nil {
		return routing.Metrics{}, took, err
	}
	defer g.Stop()
	if err := importDepartments(ctx, g, o.DepartmentsFile, ""); err != nil {
		return routing.Metrics{}, took, err
	}
	if o.KBFile != "" {
		if err := importFile(ctx, g, http.MethodPost, "/api/v1/kb/import", "application/x-ndjson", o.KBFile); err != nil {
			return routing.Metrics{}, took, err
		}
	}
	if o.GuideFile != "" {
		if err := importFile(ctx, g, http.MethodPut, "/api/v1/routing/guide", "text/markdown; charset=utf-8", o.GuideFile); err != nil {
			return routing.Metrics{}, took, err
		}
	}
	var hist bytes.Buffer
	enc := json.NewEncoder(&hist)
	for _, ex := range sp.History {
		if err := enc.Encode(ex); err != nil {
			return routing.Metrics{}, took, err
		}
	}
	began := time.Now()
	out, err := g.send(ctx, http.MethodPost, "/api/v1/tickets/import", "application/x-ndjson", &hist)
	took.imp = time.Since(began)
	if err != nil {
		return routing.Metrics{}, took, err
	}
	var res struct {
		Imported int `json:"imported"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Imported != len(sp.History) {
		return routing.Metrics{}, took, fmt.Errorf("ticket import took %d of %d: %s", res.Imported, len(sp.History), out)
	}
	var t routing.Tally
	for i, ex := range sp.Test {
		q, _ := json.Marshal(routing.Query{Text: ex.Text, District: ex.District, Channel: ex.Channel})
		start := time.Now()
		out, err := g.send(ctx, http.MethodPost, "/api/v1/routing/suggest", "application/json", bytes.NewReader(q))
		if err != nil {
			return routing.Metrics{}, took, err
		}
		if i == 0 {
			took.first = time.Since(start)
		}
		var sg routing.Suggestion
		if err := json.Unmarshal(out, &sg); err != nil {
			return routing.Metrics{}, took, fmt.Errorf("suggest answer: %w", err)
		}
		t.Add(ex, sg, kb)
	}
	return t.Metrics(), took, nil
}

// importFile sends a file as-is and fails unless every line was taken
// (an answer with an "errors" list must have it empty).
func importFile(ctx context.Context, g *ephemeral, method, path, contentType, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	out, err := g.send(ctx, method, path, contentType, f)
	if err != nil {
		return err
	}
	var res struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(out, &res) == nil && len(res.Errors) > 0 {
		return fmt.Errorf("%s %s: %d lines rejected, first: %s", method, path, len(res.Errors), res.Errors[0])
	}
	return nil
}
