package kbapi_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/devdata"

	"github.com/hallgate/hallgate/knowledgebase/embedded"
	"github.com/hallgate/hallgate/knowledgebase/eval"
)

// BenchmarkHTTPSearch measures anonymous searches through the module's
// handler over a real loopback listener (keep-alive clients, parallel), on
// the dev corpus in the embedded index, cycling through the dev queries read
// from ../shared/data. It reports searches/s.
func BenchmarkHTTPSearch(b *testing.B) {
	kb := sharedData(b, "kb_dev.jsonl")
	depts := sharedData(b, "departments.json")
	cases, err := eval.LoadQueries(devdata.File(b, "queries_dev.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	idx, err := embedded.Open(context.Background(), embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	app, _, _ := testApp(b, idx)
	if r := do(b, app, "POST", "/api/v1/departments/import", admin, string(depts)); r.status != 200 {
		b.Fatalf("departments: %d", r.status)
	}
	if r := do(b, app, "POST", "/api/v1/kb/import", editor, string(kb)); r.status != 200 {
		b.Fatalf("import: %d", r.status)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer func() {
		// fasthttp's Shutdown waits for open connections: close ours first.
		client.CloseIdleConnections()
		_ = app.ShutdownWithTimeout(2 * time.Second)
	}()
	urls := make([]string, len(cases))
	for i, c := range cases {
		urls[i] = fmt.Sprintf("http://%s/api/v1/kb/search?limit=10&q=%s", ln.Addr(), url.QueryEscape(c.Q))
	}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			res, err := client.Get(urls[int(i)%len(urls)])
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "searches/s")
}
