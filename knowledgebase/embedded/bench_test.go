package embedded

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Scale benchmarks at 100,000 generated entries. Run with
//
//	go test -run '^$' -bench Scale -benchtime 1x ./knowledgebase/embedded
//
// (the index is built once per process and shared by the benchmarks). Set
// HALLGATE_BENCH_DOCS to change the size.

var (
	scaleOnce     sync.Once
	scaleIdx      *Index
	scaleDir      string
	scaleBuild    time.Duration
	scaleBuildCPU time.Duration
	scaleN        int
)

func scaleDocs() int {
	if v, err := strconv.Atoi(os.Getenv("HALLGATE_BENCH_DOCS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

// benchMemLimit is the soft memory limit the scale benchmarks run under,
// as the gateway process should (GOMEMLIMIT): without one the Go GC lets
// the heap reach twice the live index during a bulk build.
func benchMemLimit() int64 {
	if v, err := strconv.ParseInt(os.Getenv("HALLGATE_BENCH_MEMLIMIT_MIB"), 10, 64); err == nil {
		return v << 20
	}
	return 480 << 20
}

func TestMain(m *testing.M) {
	code := m.Run()
	if scaleDir != "" {
		os.RemoveAll(scaleDir)
	}
	os.Exit(code)
}

func buildScale(b *testing.B) *Index {
	scaleOnce.Do(func() {
		// HALLGATE_BENCH_PRUNE_MIN sets the query size (postings) from which
		// searches terminate early; a huge value measures exhaustive scoring.
		if v, err := strconv.Atoi(os.Getenv("HALLGATE_BENCH_PRUNE_MIN")); err == nil {
			pruneMinPostings = v
		}
		if l := benchMemLimit(); l > 0 {
			debug.SetMemoryLimit(l)
		}
		scaleN = scaleDocs()
		docs := genDocs(scaleN, 1)
		dir, err := os.MkdirTemp("", "hallgate-embedded-bench-")
		if err != nil {
			b.Fatal(err)
		}
		scaleDir = dir
		// No result cache: these figures are for searches that compute.
		x, err := Open(context.Background(), Options{Dir: dir, SnapshotEvery: 1 << 30, CacheSize: -1})
		if err != nil {
			b.Fatal(err)
		}
		start, cpu0 := time.Now(), processCPU()
		for i := 0; i < len(docs); i += 1000 {
			if err := x.Upsert(context.Background(), docs[i:min(i+1000, len(docs))]...); err != nil {
				b.Fatal(err)
			}
		}
		scaleBuild = time.Since(start)
		scaleBuildCPU = processCPU() - cpu0
		if err := x.MarkBuilt(context.Background(), "bench"); err != nil {
			b.Fatal(err)
		}
		scaleIdx = x
	})
	if scaleIdx == nil {
		b.Fatal("scale index not built")
	}
	// HALLGATE_BENCH_START_AT (Unix seconds): wait until then, so that two
	// builds run side by side (each pinned to its own core) search at the
	// same moment of the VM's drifting speed.
	if at, err := strconv.ParseInt(os.Getenv("HALLGATE_BENCH_START_AT"), 10, 64); err == nil {
		time.Sleep(time.Until(time.Unix(at, 0)))
	}
	return scaleIdx
}

// threadCPU is the CPU time of the calling OS thread (the goroutine must be
// locked to it). The machine these run on is shared, so wall-clock
// percentiles include time spent waiting for a core; CPU time does not.
func threadCPU() time.Duration { return clockCPU(3) } // CLOCK_THREAD_CPUTIME_ID

// clockCPU reads a CPU-time clock with nanosecond resolution (getrusage
// counts in scheduler ticks, too coarse for sub-millisecond searches).
func clockCPU(clock uintptr) time.Duration {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clock, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssMiB reads the resident set (VmRSS) and its peak (VmHWM) of this process.
func rssMiB() (cur, peak float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			cur = v / 1024
		case "VmHWM:":
			peak = v / 1024
		}
	}
	return cur, peak
}

func BenchmarkScaleIndexing(b *testing.B) {
	buildScale(b)
	for b.Loop() {
		runtime.GC()
	}
	cur, peak := rssMiB()
	b.ReportMetric(float64(scaleN)/scaleBuild.Seconds(), "docs/s")
	b.ReportMetric(float64(scaleN)/scaleBuildCPU.Seconds(), "docs/cpu-s")
	b.ReportMetric(cur, "rss-MiB")
	b.ReportMetric(peak, "peak-rss-MiB")
}

func latencyMetrics(b *testing.B, lat, cpu []time.Duration) {
	slices.Sort(lat)
	slices.Sort(cpu)
	p := func(ds []time.Duration, q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))]) / 1e6 }
	b.ReportMetric(p(lat, 0.50), "p50-ms")
	b.ReportMetric(p(lat, 0.99), "p99-ms")
	b.ReportMetric(p(cpu, 0.50), "cpu-p50-ms")
	b.ReportMetric(p(cpu, 0.99), "cpu-p99-ms")
	b.ReportMetric(float64(len(lat))/sum(lat).Seconds(), "searches/s")
	b.ReportMetric(sum(cpu).Seconds()*1000/float64(len(cpu)), "cpu-ms/search")
}

// measure runs f once per query, recording wall and thread CPU time.
func measure(n int, f func(i int)) (lat, cpu []time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for i := range n {
		t, c := time.Now(), threadCPU()
		f(i)
		cpu = append(cpu, threadCPU()-c)
		lat = append(lat, time.Since(t))
	}
	return lat, cpu
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

// BenchmarkScaleSearch is the Index: analysis, scoring, filters, feedback
// pass, reranking and highlights.
func BenchmarkScaleSearch(b *testing.B) {
	x := buildScale(b)
	defer benchSwitches()()
	qs := genQueries(2000, 3)
	ctx := context.Background()
	search := func(i int) {
		if _, err := x.Search(ctx, knowledgebase.Query{Text: qs[i%len(qs)], Limit: 10}); err != nil {
			b.Fatal(err)
		}
	}
	// The warm-up goes through the queries too (the index has no result
	// cache here, but one query repeated would profile one query's lists).
	stop := startProfile(b)
	n := 0
	for b.Loop() {
		search(n)
		n++
	}
	lat, cpu := measure(len(qs), search)
	stop()
	latencyMetrics(b, lat, cpu)
}

// benchSwitches turns off the sixth pass's changes named in
// HALLGATE_BENCH_OFF (comma-separated: candwalk, fbbits), for A/B runs of
// one binary; the returned func restores the state before.
func benchSwitches() (restore func()) {
	cw, fb := candWalkFactor, fbBits
	for _, name := range strings.Split(os.Getenv("HALLGATE_BENCH_OFF"), ",") {
		switchOff(name)
	}
	return func() { candWalkFactor, fbBits = cw, fb }
}

func switchOff(name string) {
	switch name {
	case "candwalk":
		candWalkFactor = 0
	case "fbbits":
		fbBits = false
	}
}

// startProfile writes a CPU profile of what follows (until the returned
// stop) to the file HALLGATE_BENCH_CPUPROFILE names, if set: the searches
// only, not the build.
func startProfile(b *testing.B) (stop func()) {
	path := os.Getenv("HALLGATE_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// BenchmarkScaleRawCore is the bare scoring library: pre-analysed query
// terms, one BM25F pass (with the same early termination as the Index) and
// top-10 selection, without filters, feedback, reranking or highlights —
// the figure the Index's overhead compares to.
func BenchmarkScaleRawCore(b *testing.B) {
	x := buildScale(b)
	qs := genQueries(2000, 3)
	terms := make([][]analysis.Term, len(qs))
	for i, q := range qs {
		terms[i] = x.an.QueryTerms(q)
	}
	acc := &accum{}
	run := func(i int) {
		x.mu.RLock()
		defer x.mu.RUnlock()
		x.core.scoreTop(terms[i%len(terms)], acc, 10, nil, nil)
		var top [10]cand
		nTop := 0
		for _, d := range acc.touched {
			if !acc.slot[d].strong {
				continue
			}
			c := cand{d, acc.slot[d].score}
			if nTop == len(top) && c.score <= top[nTop-1].score {
				continue
			}
			if nTop < len(top) {
				nTop++
			}
			j := nTop - 1
			for ; j > 0 && top[j-1].score < c.score; j-- {
				top[j] = top[j-1]
			}
			top[j] = c
		}
	}
	for b.Loop() {
		run(0)
	}
	lat, cpu := measure(len(qs), run)
	latencyMetrics(b, lat, cpu)
}

// BenchmarkScaleReopen starts a fresh process (this test binary running
// TestReopenChild) that opens the persisted index, answers searches and
// reports its open time and resident memory: the gateway's start-up.
func BenchmarkScaleReopen(b *testing.B) {
	buildScale(b)
	var out []byte
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReopenChild$", "-test.v")
		cmd.Env = append(os.Environ(), "HALLGATE_REOPEN_DIR="+scaleDir)
		var err error
		out, err = cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "REOPEN" {
			v, _ := strconv.ParseFloat(f[2], 64)
			b.ReportMetric(v, f[1])
		}
	}
	if fi, err := os.Stat(scaleDir + "/" + snapName); err == nil {
		b.ReportMetric(float64(fi.Size())/(1<<20), "snapshot-MiB")
	}
}

// TestReopenChild is the child of BenchmarkScaleReopen; it does nothing
// unless HALLGATE_REOPEN_DIR is set.
func TestReopenChild(t *testing.T) {
	dir := os.Getenv("HALLGATE_REOPEN_DIR")
	if dir == "" {
		t.Skip("child process of BenchmarkScaleReopen")
	}
	start, cpu := time.Now(), clockCPU(2) // CLOCK_PROCESS_CPUTIME_ID
	x, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	open, openCPU := time.Since(start), clockCPU(2)-cpu
	for _, q := range genQueries(200, 5) {
		if _, err := x.Search(context.Background(), knowledgebase.Query{Text: q}); err != nil {
			t.Fatal(err)
		}
	}
	cur, peak := rssMiB()
	n, _ := x.Count(context.Background())
	fmt.Printf("REOPEN reopen-cpu-ms %.1f\n", openCPU.Seconds()*1000)
	fmt.Printf("REOPEN reopen-ms %.1f\nREOPEN child-rss-MiB %.1f\nREOPEN child-peak-rss-MiB %.1f\nREOPEN docs %d\n",
		open.Seconds()*1000, cur, peak, n)
}

// BenchmarkScaleSearchAB runs every query twice back to back, once with
// this pass's early-termination refinements switched off (the package
// variables dropMinFactor, feedbackBounds, thresholdBound, raiseTheta,
// rankCands, batchRescore) and once on, alternating which goes first, and
// reports the thread CPU per search of each and their ratio: the fairest
// comparison on a shared machine, as both see the same load at the same
// moment. Results are identical either way (prune_test.go).
func BenchmarkScaleSearchAB(b *testing.B) {
	x := buildScale(b)
	qs := genQueries(2000, 3)
	ctx := context.Background()
	set := func(on bool) {
		dropMinFactor = 2
		if !on {
			dropMinFactor = 1 << 30
		}
		feedbackBounds, thresholdBound, raiseTheta, rankCands, batchRescore = on, on, on, on, on
	}
	defer set(true)
	search := func(q string) {
		if _, err := x.Search(ctx, knowledgebase.Query{Text: q, Limit: 10}); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range qs[:200] { // bitmaps of the long lists
		search(q)
	}
	cpu, n := abLoop(b, qs, set, func(q string, _ bool) { search(q) })
	b.ReportMetric(cpu[0].Seconds()*1000/float64(n), "off-cpu-ms")
	b.ReportMetric(cpu[1].Seconds()*1000/float64(n), "on-cpu-ms")
	b.ReportMetric(cpu[1].Seconds()/cpu[0].Seconds(), "on/off")
}

// abLoop runs every query twice back to back on a locked thread, without
// and with a change (flip sets which), alternating which goes first, and
// returns the thread CPU each way ([1]: with) and the number of queries.
func abLoop(b *testing.B, qs []string, flip func(with bool), search func(q string, with bool)) (cpu [2]time.Duration, n int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for b.Loop() {
		for j := range 2 {
			k := (n + j) % 2 // 1: with the change
			flip(k == 1)
			c := threadCPU()
			search(qs[n%len(qs)], k == 1)
			cpu[k] += threadCPU() - c
		}
		n++
	}
	return cpu, n
}

// BenchmarkScaleSearchSwitchAB is BenchmarkScaleSearchAB for one of the
// sixth pass's changes, named in HALLGATE_BENCH_AB as in
// HALLGATE_BENCH_OFF: every query twice back to back, without and with
// it, alternating which goes first (the others as HALLGATE_BENCH_OFF
// leaves them). It also reports the candidates per search each way
// (documents that got a long list's score).
func BenchmarkScaleSearchSwitchAB(b *testing.B) {
	x := buildScale(b)
	defer benchSwitches()()
	name := os.Getenv("HALLGATE_BENCH_AB")
	qs := genQueries(2000, 3)
	ctx := context.Background()
	var cands [2]int
	search := func(q string, j int) {
		if _, err := x.Search(ctx, knowledgebase.Query{Text: q, Limit: 10}); err != nil {
			b.Fatal(err)
		}
		acc := x.pool.Get().(*accum)
		if acc.pruned {
			cands[j] += len(acc.cands) + acc.dropped
		}
		x.pool.Put(acc)
	}
	for _, q := range qs[:200] { // bitmaps of the long lists
		search(q, 0)
	}
	cands[0] = 0
	on := benchSwitches() // the state HALLGATE_BENCH_OFF left
	cpu, n := abLoop(b, qs, func(with bool) {
		on()
		if !with {
			switchOff(name)
		}
	}, func(q string, with bool) {
		k := 0
		if with {
			k = 1
		}
		search(q, k)
	})
	on()
	b.ReportMetric(cpu[0].Seconds()*1000/float64(n), "off-cpu-ms")
	b.ReportMetric(cpu[1].Seconds()*1000/float64(n), "on-cpu-ms")
	b.ReportMetric(cpu[1].Seconds()/cpu[0].Seconds(), "on/off")
	b.ReportMetric(float64(cands[0])/float64(n), "off-cands/search")
	b.ReportMetric(float64(cands[1])/float64(n), "on-cands/search")
}
