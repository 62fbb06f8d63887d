package topics

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"
	"unicode"
)

// EvalOptions configure Evaluate. Zero fields take the defaults.
type EvalOptions struct {
	// TicketsPath is a JSON Lines tickets file (id, text, district, type,
	// department), e.g. ../shared/data/tickets_dev.jsonl. Required.
	TicketsPath string
	Seed        uint64
	// WarmupDays of background only let the engine learn baselines before
	// it is judged (default 3); Days are judged (default 7).
	WarmupDays int
	Days       int
	// TicketsPerDay is the background volume (default 300).
	TicketsPerDay int
	// BurstsPerDay injected on judged days (default 2); each has between
	// MinBurst (default 8) and MaxBurst (default 14) tickets within 2 hours.
	BurstsPerDay int
	MinBurst     int
	MaxBurst     int
	// Engine options under evaluation.
	Engine EngineOptions
}

func (o EvalOptions) withDefaults() EvalOptions {
	if o.WarmupDays == 0 {
		o.WarmupDays = 3
	}
	if o.Days == 0 {
		o.Days = 7
	}
	if o.TicketsPerDay == 0 {
		o.TicketsPerDay = 300
	}
	if o.BurstsPerDay == 0 {
		o.BurstsPerDay = 2
	}
	if o.MinBurst == 0 {
		o.MinBurst = 8
	}
	if o.MaxBurst == 0 {
		o.MaxBurst = 14
	}
	return o
}

// Validate reports every problem at once.
func (o EvalOptions) Validate() error {
	o = o.withDefaults()
	var errs []error
	if o.TicketsPath == "" {
		errs = append(errs, errors.New("TicketsPath is empty"))
	}
	if o.WarmupDays < 0 || o.Days < 1 || o.TicketsPerDay < 1 || o.BurstsPerDay < 0 {
		errs = append(errs, errors.New("WarmupDays ≥ 0, Days ≥ 1, TicketsPerDay ≥ 1 and BurstsPerDay ≥ 0 are required"))
	}
	if o.MinBurst < 2 || o.MaxBurst < o.MinBurst {
		errs = append(errs, fmt.Errorf("burst sizes [%d, %d] are invalid", o.MinBurst, o.MaxBurst))
	}
	if err := o.Engine.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	return nil
}

// BurstResult is one row of the report.
type BurstResult struct {
	Burst
	Detected bool `json:"detected"`
	// TicketsToDetect is how many of the burst's tickets had arrived when
	// the alarm fired; TimeToDetect is the time since its first ticket.
	TicketsToDetect int           `json:"tickets_to_detect,omitempty"`
	TimeToDetect    time.Duration `json:"time_to_detect,omitempty"`
	TopicID         string        `json:"topic_id,omitempty"`
}

// Report is the outcome of one evaluation.
type Report struct {
	Seed                uint64        `json:"seed"`
	Days                int           `json:"days"`
	Tickets             int           `json:"tickets"`
	Bursts              []BurstResult `json:"bursts"`
	Detected            int           `json:"detected"`
	DetectedWithin10    int           `json:"detected_within_10"`
	DetectionRate       float64       `json:"detection_rate"`
	MeanTicketsToDetect float64       `json:"mean_tickets_to_detect"`
	MeanTimeToDetect    time.Duration `json:"mean_time_to_detect"`
	FalseAlarms         int           `json:"false_alarms"`
	FalseAlarmsPerDay   float64       `json:"false_alarms_per_day"`
	WarmupAlarms        int           `json:"warmup_alarms"`
	LiveClusters        int           `json:"live_clusters"`
	TicketsPerSecond    float64       `json:"tickets_per_second"`
	// FalseAlarmTopics lists the false alarms' topic ids with their size.
	FalseAlarmTopics []string `json:"false_alarm_topics,omitempty"`
}

// MeetsTargets reports whether every burst was detected within its first
// ten tickets and false alarms stayed at or below one per day.
func (r Report) MeetsTargets() bool {
	return r.DetectedWithin10 == len(r.Bursts) && r.FalseAlarmsPerDay <= 1
}

func loadTickets(path string) ([]devTicket, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("topics eval: %w", err)
	}
	defer f.Close()
	var out []devTicket
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var t devTicket
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return nil, fmt.Errorf("topics eval: %s line %d: %w", path, line, err)
		}
		if strings.TrimSpace(t.Text) != "" {
			out = append(out, t)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("topics eval: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("topics eval: %s has no tickets", path)
	}
	return out, nil
}

// Evaluate replays a background stream resampled from opts.TicketsPath over
// WarmupDays+Days simulated days, injects generated bursts on the judged
// days, runs the engine and writes a table to w.
func Evaluate(ctx context.Context, w io.Writer, opts EvalOptions) (Report, error) {
	if err := opts.Validate(); err != nil {
		return Report{}, err
	}
	opts = opts.withDefaults()
	pool, err := loadTickets(opts.TicketsPath)
	if err != nil {
		return Report{}, err
	}
	dset := map[string]bool{}
	for _, t := range pool {
		if t.District != "" {
			dset[t.District] = true
		}
	}
	districts := make([]string, 0, len(dset))
	for d := range dset {
		districts = append(districts, d)
	}
	sort.Strings(districts)
	if len(districts) == 0 {
		districts = []string{"市辖区"}
	}
	r := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	stream, bursts := buildStream(r, pool, districts, start, opts.WarmupDays, opts.Days, opts.TicketsPerDay, opts.BurstsPerDay, opts.MinBurst, opts.MaxBurst)
	judgedFrom := start.Add(time.Duration(opts.WarmupDays) * 24 * time.Hour)

	eng, err := NewEngine(opts.Engine)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Seed: opts.Seed, Days: opts.Days, Tickets: len(stream)}
	rep.Bursts = make([]BurstResult, len(bursts))
	for i, b := range bursts {
		rep.Bursts[i].Burst = b
	}
	burstOf := make(map[string]int, len(stream))
	arrived := make([]int, len(bursts))
	began := time.Now()
	for i, st := range stream {
		if i%1024 == 0 && ctx.Err() != nil {
			return rep, ctx.Err()
		}
		burstOf[st.Signal.ID] = st.Burst
		if st.Burst >= 0 {
			arrived[st.Burst]++
		}
		res, err := eng.Process(st.Signal)
		if err != nil {
			return rep, err
		}
		if res.Alarm == nil {
			continue
		}
		c := eng.Cluster(res.Alarm.TopicID)
		members := map[int]int{}
		for _, m := range c.Members {
			if b, ok := burstOf[m.ID]; ok && b >= 0 {
				members[b]++
			}
		}
		hit := false
		for b, n := range members {
			if n >= 2 || burstOf[res.Alarm.TicketID] == b {
				hit = true
				if br := &rep.Bursts[b]; !br.Detected {
					br.Detected, br.TicketsToDetect, br.TimeToDetect, br.TopicID = true, arrived[b], res.Alarm.At.Sub(br.Start), c.ID
				}
			}
		}
		switch {
		case hit:
		case res.Alarm.At.Before(judgedFrom):
			rep.WarmupAlarms++
		default:
			rep.FalseAlarms++
			rep.FalseAlarmTopics = append(rep.FalseAlarmTopics, fmt.Sprintf("%s(%d)", c.ID, res.Alarm.InWindow))
		}
	}
	if el := time.Since(began).Seconds(); el > 0 {
		rep.TicketsPerSecond = float64(len(stream)) / el
	}
	rep.LiveClusters = eng.Clusters()
	var sumTickets int
	var sumTime time.Duration
	for _, b := range rep.Bursts {
		if b.Detected {
			rep.Detected++
			sumTickets += b.TicketsToDetect
			sumTime += b.TimeToDetect
			if b.TicketsToDetect <= 10 {
				rep.DetectedWithin10++
			}
		}
	}
	if len(rep.Bursts) > 0 {
		rep.DetectionRate = float64(rep.Detected) / float64(len(rep.Bursts))
	}
	if rep.Detected > 0 {
		rep.MeanTicketsToDetect = float64(sumTickets) / float64(rep.Detected)
		rep.MeanTimeToDetect = sumTime / time.Duration(rep.Detected)
	}
	rep.FalseAlarmsPerDay = float64(rep.FalseAlarms) / float64(opts.Days)
	writeReport(w, rep)
	return rep, nil
}

func writeReport(w io.Writer, rep Report) {
	if w == nil {
		return
	}
	rows := [][]string{{"burst", "kind", "district", "place", "size", "start", "detected", "tickets to detect", "time to detect"}}
	for i, b := range rep.Bursts {
		det, n, d := "否", "-", "-"
		if b.Detected {
			det, n, d = "是", fmt.Sprint(b.TicketsToDetect), b.TimeToDetect.Round(time.Second).String()
		}
		rows = append(rows, []string{fmt.Sprint(i + 1), b.Kind, b.District, b.Place, fmt.Sprint(b.Size), b.Start.Format("01-02 15:04"), det, n, d})
	}
	writeTable(w, rows)
	fmt.Fprintf(w, "seed %d: %d tickets over %d judged days; bursts detected %d/%d (within 10 tickets: %d; mean %.1f tickets, %s after the first); false alarms %d (%.2f/day; %d during warm-up); live clusters %d; %.0f tickets/s\n",
		rep.Seed, rep.Tickets, rep.Days, rep.Detected, len(rep.Bursts), rep.DetectedWithin10, rep.MeanTicketsToDetect, rep.MeanTimeToDetect.Round(time.Second), rep.FalseAlarms, rep.FalseAlarmsPerDay, rep.WarmupAlarms, rep.LiveClusters, rep.TicketsPerSecond)
}

// writeTable aligns columns by display width: Han characters take two
// terminal columns, which text/tabwriter does not know.
func writeTable(w io.Writer, rows [][]string) {
	widths := map[int]int{}
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		b.Reset()
		for i, cell := range r {
			b.WriteString(cell)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(cell)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xff60)) {
			n += 2
		} else {
			n++
		}
	}
	return n
}
