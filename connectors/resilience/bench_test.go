package resilience_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/connectortest"
	"github.com/hallgate/hallgate/connectors/httpjson"
	"github.com/hallgate/hallgate/connectors/resilience"
)

// BenchmarkChainOverhead compares, in the same run, a bare httpjson client
// and the same client wrapped in the whole chain against one loopback
// server; "chain-only" − "noop" is the chain's own cost per call, and
// (chain-only − noop) / bare the overhead figure for the ≤ 5 % goal (the
// chain − bare difference says the same but is noisier on a busy machine).
func BenchmarkChainOverhead(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"reference":"R-1"}`))
	}))
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	bare, err := httpjson.New("bench", httpjson.Config{URL: srv.URL}, &http.Client{Transport: tr})
	if err != nil {
		b.Fatal(err)
	}
	cfg := resilience.Defaults()
	cfg.Bulkhead.MaxConcurrent = 64
	chained, err := resilience.Chain(cfg, bare, resilience.Deps{Department: "D01"})
	if err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	run := func(c connectors.Connector) func(b *testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Deliver(context.Background(), connectortest.Delivery(strconv.FormatInt(seq.Add(1), 10))); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	}
	b.Run("bare", run(bare))
	b.Run("chain", run(chained))
	// The chain around a no-op connector, minus the no-op alone (which
	// still builds the delivery), is the chain's own cost per call.
	noop, _ := resilience.Chain(cfg, noopConn{}, resilience.Deps{Department: "D01"})
	b.Run("noop", run(noopConn{}))
	b.Run("chain-only", run(noop))
}

type noopConn struct{}

func (noopConn) Name() string { return "noop" }
func (noopConn) Deliver(context.Context, connectors.Delivery) (connectors.Receipt, error) {
	return connectors.Receipt{}, nil
}
