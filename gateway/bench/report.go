package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
)

// ScenarioResult is one scenario's figures.
type ScenarioResult struct {
	Scenario         string    `json:"scenario"`
	All              Summary   `json:"all"`
	Ops              []Summary `json:"ops,omitempty"` // per operation of the mixed scenario
	DeliveriesPerSec float64   `json:"deliveries_per_sec"`
}

// Row is one line of the figures table: a figure beside its ceiling.
type Row struct {
	Machine  string  `json:"machine"`
	Scenario string  `json:"scenario"`
	Figure   string  `json:"figure"`
	Value    float64 `json:"value"`
	Ceiling  string  `json:"ceiling"`
	CeilVal  float64 `json:"ceiling_value"`
	Ratio    float64 `json:"ratio"`
}

// Report is everything a run measured.
type Report struct {
	Machine     string           `json:"machine"`
	Rate        float64          `json:"rate"`
	DurationS   float64          `json:"duration_s"`
	Concurrency int              `json:"concurrency"`
	Store       string           `json:"store"`
	KBSize      int              `json:"kb_size"`
	Healthz     Summary          `json:"healthz"`
	Ceilings    []Ceiling        `json:"ceilings"`
	Scenarios   []ScenarioResult `json:"scenarios"`
	Checks      Checks           `json:"checks"`
	Rows        []Row            `json:"rows"`
}

// Machine describes the host: OS/arch, CPUs and the CPU model.
func Machine() string {
	model := ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	s := fmt.Sprintf("%s/%s %d CPU", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	if model != "" {
		s += " " + model
	}
	return s
}

func (r *Report) ceiling(prefix string) (Ceiling, bool) {
	for _, c := range r.Ceilings {
		if strings.HasPrefix(c.Name, prefix) {
			return c, true
		}
	}
	return Ceiling{}, false
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// buildRows lays the figures beside their ceilings: latencies against the
// same server's /healthz at the same rate (ratio = how many times slower),
// search against the bare index, intake against the store's raw commit
// rate and dispatch against a bare client to a simulator (ratio = share
// of the ceiling used).
func (r *Report) buildRows() {
	hz := r.Healthz
	add := func(sc, fig string, v float64, ceil string, cv float64) {
		r.Rows = append(r.Rows, Row{Machine: r.Machine, Scenario: sc, Figure: fig, Value: v, Ceiling: ceil, CeilVal: cv, Ratio: ratio(v, cv)})
	}
	ix, hasIx := r.ceiling("index.Search uncached")
	st, hasSt := r.ceiling("store")
	dc, hasDc := r.ceiling("client")
	for _, s := range r.Scenarios {
		sums := append([]Summary{s.All}, s.Ops...)
		for _, x := range sums {
			name := s.Scenario
			if x.Op != s.Scenario {
				name += "/" + x.Op
			}
			add(name, "achieved req/s", x.Achieved, "offered req/s", x.Offered)
			add(name, "p50 ms", float64(x.P50), "/healthz p50 ms", float64(hz.P50))
			add(name, "p99 ms", float64(x.P99), "/healthz p99 ms", float64(hz.P99))
			op := x.Op
			if op == OpSearch && hasIx {
				add(name, "p50 ms", float64(x.P50), "index.Search uncached p50 ms", float64(ix.P50))
			}
			if op == OpCalls {
				add(name, "screen pop p50 ms", float64(x.P50), "/healthz p50 ms", float64(hz.P50))
			}
			if op == OpIntake && hasSt {
				add(name, "intakes/s", x.Achieved, "store commits/s", st.PerSec)
			}
		}
		if hasDc && s.DeliveriesPerSec > 0 {
			add(s.Scenario, "deliveries/s", s.DeliveriesPerSec, "client→simulator req/s", dc.PerSec)
		}
	}
}

// WriteTable prints the per-scenario summaries, the ceilings, the figures
// table and the checks.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "machine: %s  rate %.0f req/s  duration %.0fs  concurrency %d  store %s  kb %d\n\n", r.Machine, r.Rate, r.DurationS, r.Concurrency, r.Store, r.KBSize)
	fmt.Fprintln(tw, "scenario\top\toffered/s\tachieved/s\tok\terrors\tp50 ms\tp95 ms\tp99 ms\tmax ms")
	line := func(sc string, x Summary) {
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%d\t%v\t%.2f\t%.2f\t%.2f\t%.2f\n", sc, x.Op, x.Offered, x.Achieved, x.OK, errs(x.Errors), x.P50, x.P95, x.P99, x.Max)
	}
	line("ceiling", r.Healthz)
	for _, s := range r.Scenarios {
		line(s.Scenario, s.All)
		for _, o := range s.Ops {
			line(s.Scenario, o)
		}
	}
	fmt.Fprintln(tw, "\nceiling\tper s\tp50 ms\tp99 ms\tsamples\tnote")
	for _, c := range r.Ceilings {
		fmt.Fprintf(tw, "%s\t%.0f\t%.4f\t%.4f\t%d\t%s\n", c.Name, c.PerSec, c.P50, c.P99, c.Samples, c.Note)
	}
	fmt.Fprintln(tw, "\nmachine\tscenario\tfigure\tvalue\tceiling\tvalue\tratio")
	for _, x := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4g\t%s\t%.4g\t%.4g\n", shortMachine(x.Machine), x.Scenario, x.Figure, x.Value, x.Ceiling, x.CeilVal, x.Ratio)
	}
	fmt.Fprintf(tw, "\nchecks: %s\n", r.Checks)
	return tw.Flush()
}

func shortMachine(m string) string {
	if i := strings.Index(m, " CPU"); i > 0 {
		return m[:i+4]
	}
	return m
}

func errs(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
