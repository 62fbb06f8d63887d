package kbapi_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/httpapi/kbapi"
)

// TestEvalHTTPDevCorpus runs the HTTP evaluation on a real listener: the
// departments and kb_dev.jsonl are imported as-is through the API and the
// dev queries are scored. The ranking is the index's business (this test
// uses the small bigram test index), so it checks the plumbing and that the
// scores are sane, not the acceptance thresholds.
func TestEvalHTTPDevCorpus(t *testing.T) {
	kb := sharedData(t, "kb_dev.jsonl")
	queries := sharedData(t, "queries_dev.jsonl")
	depts := sharedData(t, "departments.json")
	app, _, _ := testApp(t, nil)
	if r := do(t, app, "POST", "/api/v1/departments/import", admin, string(depts)); r.status != 200 {
		t.Fatalf("departments: %d %s", r.status, r.body)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })

	h := http.Header{}
	h.Set("X-Test-Roles", editor)
	rep, err := kbapi.EvalHTTP(context.Background(), http.DefaultClient, "http://"+ln.Addr().String(), h,
		bytes.NewReader(kb), bytes.NewReader(queries), 5)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(strings.TrimSpace(string(kb)), "\n") + 1
	if rep.Imported != lines {
		t.Fatalf("imported %d of %d", rep.Imported, lines)
	}
	if rep.Overall.Queries == 0 || rep.Overall.Recall <= 0.3 || rep.Overall.MRR <= 0.3 || len(rep.ByKind) < 2 {
		t.Fatalf("implausible report:\n%s", rep)
	}
	t.Logf("bigram test index over HTTP (p50 %v, p99 %v):\n%s", rep.P50, rep.P99, rep)
}
