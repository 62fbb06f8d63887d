package bench

import (
	"slices"
	"strconv"
	"time"
)

// Summary is the figures of one operation (or of a whole scenario).
type Summary struct {
	Op       string         `json:"op"`
	Offered  float64        `json:"offered_rps"`  // scheduled requests per second
	Achieved float64        `json:"achieved_rps"` // 2xx answers per second over the window
	Requests int            `json:"requests"`
	OK       int            `json:"ok"`
	Errors   map[string]int `json:"errors,omitempty"` // by status ("0" transport, "not_sent")
	P50      Millis         `json:"p50_ms"`
	P95      Millis         `json:"p95_ms"`
	P99      Millis         `json:"p99_ms"`
	Max      Millis         `json:"max_ms"`
	WindowS  float64        `json:"window_s"`
	lats     []time.Duration
}

// Millis is a duration printed in milliseconds.
type Millis float64

func ms(d time.Duration) Millis { return Millis(float64(d) / float64(time.Millisecond)) }

// Summarize groups samples by op (and "all") over window.
func Summarize(samples []Sample, window, duration time.Duration) (all Summary, byOp map[string]*Summary) {
	byOp = map[string]*Summary{}
	all = Summary{Op: "all"}
	for _, s := range samples {
		o := byOp[s.Op]
		if o == nil {
			o = &Summary{Op: s.Op}
			byOp[s.Op] = o
		}
		for _, x := range []*Summary{&all, o} {
			x.add(s)
		}
	}
	all.finish(window, duration)
	for _, o := range byOp {
		o.finish(window, duration)
	}
	return all, byOp
}

func (x *Summary) add(s Sample) {
	x.Requests++
	x.lats = append(x.lats, s.Latency)
	if s.Status >= 200 && s.Status < 300 {
		x.OK++
		return
	}
	if x.Errors == nil {
		x.Errors = map[string]int{}
	}
	key := strconv.Itoa(s.Status)
	if s.Status == -1 {
		key = "not_sent"
	}
	x.Errors[key]++
}

func (x *Summary) finish(window, duration time.Duration) {
	x.WindowS = window.Seconds()
	if duration > 0 {
		x.Offered = float64(x.Requests) / duration.Seconds()
	}
	if x.WindowS > 0 {
		x.Achieved = float64(x.OK) / x.WindowS
	}
	if len(x.lats) == 0 {
		return
	}
	slices.Sort(x.lats)
	x.P50, x.P95, x.P99 = ms(pct(x.lats, 0.50)), ms(pct(x.lats, 0.95)), ms(pct(x.lats, 0.99))
	x.Max = ms(x.lats[len(x.lats)-1])
}

// pct is the nearest-rank percentile of sorted values.
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}
