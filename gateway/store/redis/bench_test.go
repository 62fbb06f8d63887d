package redis_test

import (
	"testing"

	"github.com/hallgate/hallgate/gateway/store/redis"
	"github.com/hallgate/hallgate/gateway/store/storetest"
)

func BenchmarkCommitParallel(b *testing.B) {
	b.SetParallelism(16)
	storetest.BenchCommitParallel(b, openFresh(b, redisURL(b)))
}

func BenchmarkCommitSerial(b *testing.B) {
	b.SetParallelism(1)
	storetest.BenchCommitParallel(b, openFresh(b, redisURL(b)))
}

func BenchmarkOutboxCycle(b *testing.B) {
	b.SetParallelism(8)
	storetest.BenchOutboxCycle(b, openFresh(b, redisURL(b)))
}

// The large collection (HALLGATE_BENCH_RECORDS, default 100000) is loaded
// once per process under its own prefix and removed by TestMain.
var big struct {
	s *redis.Store
	n int
}

func bigStore(b *testing.B) (*redis.Store, int) {
	url := redisURL(b)
	if big.s == nil {
		s := openShared(b, url)
		big.n = storetest.BenchRecords(100000)
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
