package bench

import (
	"context"
	"sync"
	"time"
)

// Pace is an open-loop schedule: request i is due at start + i/Rate.
type Pace struct {
	Rate        float64       // requests per second
	Duration    time.Duration // measured part
	Warmup      time.Duration // run before Duration, not recorded
	Concurrency int           // cap on requests in flight; a due request waits for a slot
	// MaxLag drops a request that could not start within MaxLag of its due
	// time (recorded as status -1, "not_sent", with the lag as latency), so
	// a hopeless server cannot stretch the run without bound. Default 10 s.
	MaxLag time.Duration
}

// Sample is one recorded request.
type Sample struct {
	Op      string
	Latency time.Duration // from the scheduled time to the end of the answer
	Status  int           // HTTP status; 0 transport error; -1 not sent
}

// Op performs one request and returns its HTTP status (0 with err on a
// transport failure).
type Op func(ctx context.Context) (int, error)

// Picker names and returns the operation of request i.
type Picker func(i int) (string, Op)

// Schedule is a finished open-loop run.
type Schedule struct {
	Samples []Sample
	Window  time.Duration // from the end of the warmup to the last answer
}

// OpenLoop runs the schedule and returns the samples of the requests due
// after the warmup. It returns once every request has answered or been
// dropped; ctx cancels the remaining schedule.
func OpenLoop(ctx context.Context, p Pace, pick Picker) Schedule {
	if p.Concurrency <= 0 {
		p.Concurrency = 256
	}
	if p.MaxLag <= 0 {
		p.MaxLag = 10 * time.Second
	}
	n := int(p.Rate * (p.Warmup + p.Duration).Seconds())
	sem := make(chan struct{}, p.Concurrency)
	var (
		mu      sync.Mutex
		samples = make([]Sample, 0, int(p.Rate*p.Duration.Seconds())+1)
		lastEnd time.Time
		wg      sync.WaitGroup
	)
	start := time.Now()
	measureFrom := start.Add(p.Warmup)
	record := func(s Sample, due, end time.Time) {
		if due.Before(measureFrom) {
			return
		}
		mu.Lock()
		samples = append(samples, s)
		if end.After(lastEnd) {
			lastEnd = end
		}
		mu.Unlock()
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
loop:
	for i := range n {
		due := start.Add(time.Duration(float64(i) / p.Rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				break loop
			}
		}
		name, op := pick(i)
		// Wait for a slot, but not beyond the request's MaxLag.
		wait := time.NewTimer(time.Until(due.Add(p.MaxLag)))
		select {
		case sem <- struct{}{}:
			wait.Stop()
		case <-wait.C:
			now := time.Now()
			record(Sample{Op: name, Latency: now.Sub(due), Status: -1}, due, now)
			continue
		case <-ctx.Done():
			wait.Stop()
			break loop
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			st, _ := op(ctx) // a transport error is status 0
			end := time.Now()
			record(Sample{Op: name, Latency: end.Sub(due), Status: st}, due, end)
		}()
	}
	wg.Wait()
	w := lastEnd.Sub(measureFrom)
	if min := p.Duration; w < min {
		w = min // a run that answered early still offered load for the whole window
	}
	return Schedule{Samples: samples, Window: w}
}
