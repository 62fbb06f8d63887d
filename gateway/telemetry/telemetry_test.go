package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestLogsCarryTraceIDs(t *testing.T) {
	var buf bytes.Buffer
	tel, err := New(context.Background(), Options{LogOutput: &buf})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	ctx, span := tel.Tracer("test").Start(context.Background(), "op")
	tel.Logger.InfoContext(ctx, "hello", "k", "v")
	span.End()
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %q", buf.String())
	}
	if line["trace_id"] != span.SpanContext().TraceID().String() || line["span_id"] != span.SpanContext().SpanID().String() {
		t.Fatalf("trace ids missing or wrong: %v", line)
	}
	buf.Reset()
	tel.Logger.With("a", 1).WithGroup("g").InfoContext(ctx, "again")
	if !strings.Contains(buf.String(), `"trace_id"`) {
		t.Fatalf("derived logger lost trace ids: %s", buf.String())
	}
}

func TestMetricsServedOnOwnRegistry(t *testing.T) {
	tel, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	c, err := tel.Meter("test").Int64Counter("hallgate_test_things")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(context.Background(), 3)
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if !strings.Contains(body, "hallgate_test_things_total 3") {
		t.Fatalf("counter not exported:\n%s", body)
	}
	if !strings.Contains(body, "go_goroutines") {
		t.Fatal("runtime collectors missing")
	}
}

func TestOTLPExportOnShutdown(t *testing.T) {
	var hits atomic.Int32
	var path atomic.Value
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		path.Store(r.URL.Path)
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	tel, err := New(context.Background(), Options{OTLPEndpoint: collector.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.Tracer("test").Start(context.Background(), "exported")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if hits.Load() == 0 {
		t.Fatal("shutdown did not flush spans to the collector")
	}
	if p := path.Load(); p != "/v1/traces" {
		t.Fatalf("posted to %v, want /v1/traces", p)
	}
}

func TestParseLevel(t *testing.T) {
	if ParseLevel("DEBUG").String() != "DEBUG" || ParseLevel("nope").String() != "INFO" {
		t.Fatal("level parsing")
	}
}
