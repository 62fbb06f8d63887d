package ticket

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// BenchmarkCreate files tickets through the service (no HTTP), with an
// idempotency key and a dispatch at intake, on the embedded store.
func BenchmarkCreate(b *testing.B) {
	e := newEnv(b, func(o *Options) {
		o.Now = time.Now
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	})
	in := sampleIntake()
	in.Department = "housing"
	var seq atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			in := in // distinct callers and places, as on a real day
			in.Caller.Phone = fmt.Sprintf("138%08d", n)
			in.Address = fmt.Sprintf("滨江路%d号", n)
			if _, err := e.svc.Create(context.Background(), agent, in, fmt.Sprint("k", n), "fp"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tickets/s")
}

// BenchmarkImport imports synthetic history (b.N lines in one body) on the
// embedded store and reports lines per second.
func BenchmarkImport(b *testing.B) {
	e := newEnv(b, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) })
	var buf bytes.Buffer
	depts := []string{"tax", "housing", "eco", "transport"}
	for i := range b.N {
		fmt.Fprintf(&buf, `{"id":"hist-%d","channel":"hotline","text":"第%d号历史工单：小区路灯损坏已多日，夜间出行不便，请尽快维修。","district":"江川区","type":"求助","department":%q,"co_departments":[],"urgent":false,"direct_answer":false}`+"\n", i, i, depts[i%len(depts)])
	}
	b.ResetTimer()
	start := time.Now()
	res, err := e.svc.Import(context.Background(), supervisor, &buf)
	if err != nil || res.Imported != b.N {
		b.Fatalf("%v %+v", err, res)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lines/s")
}

// BenchmarkImportCSV is BenchmarkImport from a GBK spreadsheet export
// with Chinese headings (the body decoded, then the same pipeline).
func BenchmarkImportCSV(b *testing.B) {
	e := newEnv(b, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) })
	var buf bytes.Buffer
	buf.WriteString("工单编号,受理时间,来源,诉求内容,诉求类型,承办单位,区县\r\n")
	depts := []string{"tax", "housing", "eco", "transport"}
	for i := range b.N {
		fmt.Fprintf(&buf, "hist-%d,2025/3/4 9:30,电话,第%d号历史工单：小区路灯损坏已多日，夜间出行不便，请尽快维修。,求助,%s,江川区\r\n", i, i, depts[i%len(depts)])
	}
	body, err := simplifiedchinese.GBK.NewEncoder().Bytes(buf.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	res, err := e.svc.ImportCSV(context.Background(), supervisor, bytes.NewReader(body))
	if err != nil || res.Imported != b.N {
		b.Fatalf("%v %+v", err, res)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lines/s")
}

// BenchmarkStatsOfAYear: 24,000 tickets filed across a year over six
// departments on bolt; the statistics of one month and of the whole year,
// with the per-department ranking. Setup (24,000 durable intakes) takes
// about a minute.
func BenchmarkStatsOfAYear(b *testing.B) {
	e := newEnv(b, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) })
	depts := []string{"tax", "housing", "eco", "transport", "water", "health"}
	in := sampleIntake()
	start := cst("2026-01-01 08:00")
	const n = 24000
	for i := range n {
		e.clk.Set(start.Add(time.Duration(i) * (365 * 24 * time.Hour / n)))
		in.Department = depts[i%len(depts)]
		in.Caller.Phone = fmt.Sprintf("138%08d", i)
		in.Address = fmt.Sprintf("滨江路%d号", i)
		if _, err := e.svc.Create(context.Background(), agent, in, "", ""); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []struct {
		name string
		q    StatsQuery
	}{{"month", StatsQuery{From: cst("2026-06-01 00:00"), To: cst("2026-07-01 00:00")}}, {"year", StatsQuery{}}} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				st, err := e.svc.Stats(context.Background(), q.q)
				if err != nil || st.Tickets == 0 {
					b.Fatal(st.Tickets, err)
				}
			}
		})
	}
}

// BenchmarkSearch: an agent's text search over 20,000 tickets on bolt — a
// word no ticket holds (every ticket read, SearchScan's bound) and a common
// one (the newest page of 30).
func BenchmarkSearch(b *testing.B) {
	e := newEnv(b, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) })
	var buf bytes.Buffer
	depts := []string{"tax", "housing", "eco", "transport"}
	for i := range SearchScan {
		fmt.Fprintf(&buf, `{"id":"s-%d","text":"第%d号：小区路灯损坏已多日，夜间出行不便，请尽快维修。","address":"江川区滨江路%d号","type":"求助","department":%q}`+"\n", i, i, i, depts[i%len(depts)])
	}
	if res, err := e.svc.Import(context.Background(), supervisor, &buf); err != nil || res.Imported != SearchScan {
		b.Fatal(res, err)
	}
	for _, c := range []struct{ name, q string }{{"miss", "没有这个词"}, {"common", "滨江路 路灯"}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := e.svc.List(context.Background(), Filter{Text: c.q, Limit: 30}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
