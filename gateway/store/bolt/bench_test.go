package bolt_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/store/storetest"
)

func benchStore(b *testing.B) *bolt.Store { return benchStoreOpts(b, bolt.Options{}) }

func benchStoreOpts(b *testing.B, o bolt.Options) *bolt.Store {
	b.Helper()
	o.Path = filepath.Join(b.TempDir(), "bench.db")
	s, err := bolt.Open(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func BenchmarkCommitParallel(b *testing.B) {
	b.SetParallelism(16) // 16 writers per CPU: enough to fill a batch
	storetest.BenchCommitParallel(b, benchStore(b))
}

func BenchmarkCommitSerial(b *testing.B) {
	b.SetParallelism(1)
	storetest.BenchCommitParallel(b, benchStore(b))
}

func BenchmarkOutboxCycle(b *testing.B) {
	b.SetParallelism(8)
	storetest.BenchOutboxCycle(b, benchStore(b))
}

// The large collection is loaded once per process (HALLGATE_BENCH_RECORDS,
// default 100000) and shared by the read benchmarks.
var big struct {
	s   *bolt.Store
	n   int
	dir string
}

// cleanupBig runs from TestMain after all benchmarks.
func cleanupBig() {
	if big.s != nil {
		_ = big.s.Close()
		_ = os.RemoveAll(big.dir)
	}
}

func bigStore(b *testing.B) (*bolt.Store, int) {
	if big.s == nil {
		dir, err := os.MkdirTemp("", "hallgate-bench-")
		if err != nil {
			b.Fatal(err)
		}
		big.dir = dir
		big.n = storetest.BenchRecords(100000)
		s, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(dir, "big.db")})
		if err != nil {
			b.Fatal(err)
		}
		storetest.Preload(b, s, big.n)
		big.s = s
	}
	return big.s, big.n
}

func BenchmarkGet(b *testing.B) {
	s, n := bigStore(b)
	storetest.BenchGet(b, s, n)
}

func BenchmarkListByCaller(b *testing.B) {
	s, n := bigStore(b)
	storetest.BenchListByCaller(b, s, n)
}

func BenchmarkCountByStatus(b *testing.B) {
	s, n := bigStore(b)
	storetest.BenchCountByStatus(b, s, n)
}
