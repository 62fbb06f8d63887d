package hotline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/hotline"
	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/ticket"
)

// BenchmarkScreenPop measures the ringing → screen pop path (number
// normalisation, keyed hash, the caller's tickets across all departments,
// open first, dialled department) with HALLGATE_BENCH_TICKETS tickets in
// the embedded store (default 100,000; the README's figure uses 1,000,000).
// Five tickets per caller on average.
func BenchmarkScreenPop(b *testing.B) {
	popOnce.Do(func() { popEnv, popErr = setupScreenPop(b) })
	if popErr != nil {
		b.Fatal(popErr)
	}
	ctx := context.Background()
	calls, callers, phone := popEnv.calls, popEnv.callers, popEnv.phone
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		pop, _, err := calls.Handle(ctx, hotline.CallEvent{CallID: "c" + strconv.Itoa(popEnv.seq), Event: hotline.EventRinging,
			From: "+86 " + phone((i*7919)%callers), To: "12345"}, 50)
		popEnv.seq++
		lat = append(lat, time.Since(t0))
		if err != nil || !pop.Caller.Known {
			b.Fatalf("screen pop %d: %v %+v", i, err, pop)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(popEnv.n), "tickets")
}

// The imported store is shared by the benchmark's calibration rounds.
var (
	popOnce sync.Once
	popEnv  *screenPopEnv
	popErr  error
)

// TestMain removes the benchmark's store after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if popEnv != nil {
		_ = os.RemoveAll(popEnv.dir)
	}
	os.Exit(code)
}

type screenPopEnv struct {
	dir        string
	calls      *hotline.Calls
	n, callers int
	phone      func(int) string
	seq        int
}

func setupScreenPop(b *testing.B) (*screenPopEnv, error) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("HALLGATE_BENCH_TICKETS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "hallgate-screenpop-")
	if err != nil {
		return nil, err
	}
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(dir, "pop.db")})
	if err != nil {
		return nil, err
	}
	sealer, _ := pii.New(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32))
	norm := hotline.Normalizer{DefaultAreaCode: "027"}
	tickets, err := ticket.NewService(st, ticket.Options{Sealer: sealer, PhoneKey: func(raw string) (string, bool) {
		num, err := norm.Normalize(raw)
		return num.Key, err == nil
	}})
	if err != nil {
		b.Fatal(err)
	}
	callers := max(n/5, 1)
	phone := func(i int) string { return fmt.Sprintf("139%08d", i) }
	depts := []string{"water", "power", "gas", "urban", "housing", "tax", "hrss", "edu"}
	admin := auth.Principal{ID: "bench", Roles: []auth.Role{auth.RoleAdmin}}
	start := time.Now()
	const chunk = 20000
	for done := 0; done < n; done += chunk {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for i := done; i < min(done+chunk, n); i++ {
			_ = enc.Encode(map[string]any{
				"channel": "hotline", "type": "投诉", "department": depts[i%len(depts)],
				"text":       fmt.Sprintf("第%d号来电反映小区供水水压不足，已持续多日", i),
				"created_at": time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
				"caller":     map[string]any{"name": "市民", "phone": phone(i % callers)},
			})
		}
		res, err := tickets.Import(ctx, admin, &buf)
		if err != nil || len(res.Errors) > 0 {
			b.Fatalf("import: %v %v", err, res.Errors[:min(3, len(res.Errors))])
		}
	}
	b.Logf("imported %d tickets for %d callers in %s", n, callers, time.Since(start).Round(time.Second))
	reg := hotline.NewRegistry(st)
	if _, err := reg.Put(ctx, hotline.Hotline{Number: "12345", Department: "urban", Mode: hotline.ModeMerged}, nil); err != nil {
		b.Fatal(err)
	}
	calls := hotline.NewCalls(st, reg, norm, sealer, hotline.Lookups{History: tickets.History})
	return &screenPopEnv{dir: dir, calls: calls, n: n, callers: callers, phone: phone}, nil
}
