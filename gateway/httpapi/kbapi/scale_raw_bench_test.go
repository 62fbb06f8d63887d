package kbapi_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// A lighter load generator for the scale benchmarks. httpLoad's net/http
// clients run in the benchmark's process on the same two cores as the
// server, and their CPU is counted with the server's. rawLoad does what a
// load generator such as wrk does, in a separate process (this test
// binary running TestRawLoadChild): one keep-alive HTTP/1.1 connection per
// client, requests pre-built as bytes, responses read by Content-Length.
// The server's CPU per search is then this process's CPU during the load,
// and the clients' is the child's, reported apart.

// BenchmarkScaleHTTPSearchDistinctRaw: every request a different query,
// from 32 raw keep-alive clients in a child process.
func BenchmarkScaleHTTPSearchDistinctRaw(b *testing.B) {
	env := setupScaleHTTP(b)
	rawLoad(b, env, sbQueries(40000))
}

const rawClients = 32 // as httpLoad: SetParallelism(16) × 2 cores

func rawLoad(b *testing.B, env *scaleEnv, qs []string) {
	rawLoadOnly(b, env.base, qs)
	indexAlone(b, env, freshQueries(qs, max(b.N, 500)))
}

// rawLoadOnly sends b.N fresh queries of qs to the server at base from the
// child process and reports throughput and CPU per search.
func rawLoadOnly(b *testing.B, base string, qs []string) {
	// One child run of b.N searches per call (the testing package calls
	// with b.N = 1 first, then with the -benchtime count). Every phase sends
	// queries no earlier phase sent (freshQueries), so the index's result
	// cache answers none of them: the child is told where its window starts.
	cmd := exec.Command(os.Args[0], "-test.run=^TestRawLoadChild$", "-test.v")
	cmd.Env = append(os.Environ(), "HALLGATE_RAWLOAD_ADDR="+base[len("http://"):],
		"HALLGATE_RAWLOAD_N="+strconv.Itoa(b.N), "HALLGATE_RAWLOAD_FROM="+strconv.Itoa(distinctNext))
	freshQueries(qs, b.N) // the child's window
	b.ResetTimer()
	stop := startProfile(b)
	cpu0 := processCPUClock()
	out, err := cmd.CombinedOutput()
	cpu := processCPUClock() - cpu0
	stop()
	b.StopTimer()
	if err != nil {
		b.Fatalf("load child: %v\n%s", err, out)
	}
	var elapsed, client time.Duration
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "RAWLOAD" {
			v, _ := strconv.ParseInt(f[2], 10, 64)
			switch f[1] {
			case "elapsed-ns":
				elapsed = time.Duration(v)
			case "cpu-ns":
				client = time.Duration(v)
			}
		}
	}
	if elapsed == 0 {
		b.Fatalf("load child reported nothing:\n%s", out)
	}
	n := float64(b.N)
	b.ReportMetric(n/elapsed.Seconds(), "searches/s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/n, "server-cpu-ms/search")
	b.ReportMetric(float64(client.Microseconds())/1000/n, "client-cpu-ms/search")
	b.ReportMetric(float64((cpu+client).Microseconds())/1000/n, "cpu-ms/search")
}

// startProfile starts a CPU profile of the load phase when
// HALLGATE_BENCH_CPUPROFILE names a file; with rawLoad it holds the server
// alone.
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
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// TestRawLoadChild is the child of rawLoad; it does nothing unless
// HALLGATE_RAWLOAD_ADDR is set. It sends HALLGATE_RAWLOAD_N distinct
// searches, from query HALLGATE_RAWLOAD_FROM on, and prints its wall and CPU time for them.
func TestRawLoadChild(t *testing.T) {
	host := os.Getenv("HALLGATE_RAWLOAD_ADDR")
	if host == "" {
		t.Skip("child process of BenchmarkScaleHTTPSearchDistinctRaw")
	}
	n, err := strconv.Atoi(os.Getenv("HALLGATE_RAWLOAD_N"))
	if err != nil || n <= 0 {
		t.Fatalf("HALLGATE_RAWLOAD_N: %v", err)
	}
	from, _ := strconv.Atoi(os.Getenv("HALLGATE_RAWLOAD_FROM"))
	qs := sbQueries(40000)
	reqs := make([][]byte, len(qs))
	for i, q := range qs {
		reqs[i] = []byte("GET /api/v1/kb/search?limit=10&q=" + url.QueryEscape(q) +
			" HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: hallgate-bench\r\n\r\n")
	}
	conns := make([]net.Conn, rawClients)
	for i := range conns {
		if conns[i], err = net.Dial("tcp", host); err != nil {
			t.Fatal(err)
		}
		defer conns[i].Close()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, rawClients)
	start, cpu0 := time.Now(), processCPUClock()
	for _, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rd := bufio.NewReaderSize(conn, 16<<10)
			var body []byte
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if _, err := conn.Write(reqs[(from+i)%len(reqs)]); err != nil {
					errs <- err
					return
				}
				var err error
				if body, err = readResponse(rd, body); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPUClock()-cpu0
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	fmt.Printf("RAWLOAD elapsed-ns %d\nRAWLOAD cpu-ns %d\n", elapsed.Nanoseconds(), cpu.Nanoseconds())
}

// readResponse reads one HTTP/1.1 response with a Content-Length body into
// buf (reused) and fails on any status but 200.
func readResponse(rd *bufio.Reader, buf []byte) ([]byte, error) {
	line, err := rd.ReadSlice('\n')
	if err != nil {
		return buf, err
	}
	ok := bytes.HasPrefix(line, []byte("HTTP/1.1 200 "))
	status := string(bytes.TrimSpace(line))
	n := -1
	for {
		line, err = rd.ReadSlice('\n')
		if err != nil {
			return buf, err
		}
		if len(line) <= 2 { // the blank line after the headers
			break
		}
		if k := bytes.IndexByte(line, ':'); k > 0 && bytes.EqualFold(line[:k], []byte("Content-Length")) {
			if n, err = strconv.Atoi(string(bytes.TrimSpace(line[k+1:]))); err != nil {
				return buf, fmt.Errorf("content-length %q: %w", line, err)
			}
		}
	}
	if n < 0 {
		return buf, fmt.Errorf("response without Content-Length (%s)", status)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(rd, buf); err != nil {
		return buf, err
	}
	if !ok {
		return buf, fmt.Errorf("%s: %.300s", status, buf)
	}
	return buf, nil
}

// processCPUClock is this process's CPU time in nanoseconds
// (CLOCK_PROCESS_CPUTIME_ID; /proc's figure counts in 10 ms ticks).
func processCPUClock() time.Duration {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 2, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}

// BenchmarkScaleHTTPServe only serves: with HALLGATE_BENCH_SERVE naming a
// file, it imports the corpus, writes the listener's address to that file
// and serves until the file is removed — for an outside load generator
// (wrk, or two builds side by side under the same load). Skipped otherwise.
func BenchmarkScaleHTTPServe(b *testing.B) {
	path := os.Getenv("HALLGATE_BENCH_SERVE")
	if path == "" {
		b.Skip("set HALLGATE_BENCH_SERVE to a file to serve an outside load generator")
	}
	env := setupScaleHTTP(b)
	if err := os.WriteFile(path+".tmp", []byte(env.base[len("http://"):]+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	for {
		if _, err := os.Stat(path); err != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
