package dispatch_test

import (
	"net/http/httptest"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/hallgate/hallgate/connectors/simulator"
	"github.com/hallgate/hallgate/gateway/dispatch"
)

func TestMetricsMirrorHealth(t *testing.T) {
	st := backend(t, "bolt")
	sim := simulator.New(simulator.Options{Department: "ZJJ"})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	reg := dispatch.NewRegistry()
	_ = reg.Put(restEntry(t, "zjj", "ZJJ", srv.URL, nil))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	relay, err := dispatch.New(st, reg, fastRelay(), dispatch.Options{MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	enqueue(ctx, t, st, "m", 0, 5, 5, "ZJJ")
	enqueue(ctx, t, st, "m", 5, 2, 2, "NOBODY")
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	depth := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "hallgate.dispatch.queue_depth" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Gauge[int64]).DataPoints {
				d, _ := dp.Attributes.Value("department")
				depth[d.AsString()] = dp.Value
			}
		}
	}
	if depth["ZJJ"] != 5 || depth["NOBODY"] != 2 {
		t.Fatalf("queue depth gauge %v", depth)
	}
	_, stop := runRelayWith(t, relay)
	waitFor(t, 10*time.Second, "deliveries", func() bool { return sim.Stats().Unique == 5 })
	stop()
	rm = metricdata.ResourceMetrics{}
	_ = reader.Collect(ctx, &rm)
	var attempts int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "hallgate.dispatch.attempts" {
				for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
					attempts += dp.Value
				}
			}
		}
	}
	if attempts != 5 {
		t.Fatalf("attempts counter %d, want 5", attempts)
	}
}
