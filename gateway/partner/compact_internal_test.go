package partner

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/store/bolt"
)

// TestCompactKeepsUsageExact folds a past day while readers and a second
// compactor run: every Usage read sees exactly the calls made, before,
// during and after.
func TestCompactKeepsUsageExact(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(t.TempDir(), "h.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	day1 := time.Date(2026, 3, 9, 10, 0, 0, 0, Zone)
	clock := day1
	r := NewRegistry(st, auth.NewTokens(st, ""))
	r.now = func() time.Time { return clock }
	p, _, err := r.Create(ctx, Spec{Name: "压缩测试", Origins: []string{"https://a.example.cn"}, RateLimitPerMinute: 60,
		Features: []Feature{FeatureSearch}}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"search": 403, "guide": 111}
	for ep, n := range want {
		for range n {
			if err := r.Count(ctx, p.ID, ep); err != nil {
				t.Fatal(err)
			}
		}
	}
	clock = day1.AddDate(0, 0, 1)
	for range 7 {
		if err := r.Count(ctx, p.ID, "search"); err != nil {
			t.Fatal(err)
		}
	}
	eps := []string{"search", "guide"}
	check := func() error {
		u, err := r.Usage(ctx, p.ID, "2026-03-09", "2026-03-10", eps)
		if err != nil {
			return err
		}
		if u.Total != 403+111+7 || u.Days[0].ByEndpoint["search"] != 403 || u.Days[0].ByEndpoint["guide"] != 111 || u.Days[1].Total != 7 {
			t.Errorf("usage %+v", u)
		}
		return nil
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	folded := make(chan int, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := r.Compact(ctx)
			if err != nil {
				t.Error(err)
			}
			folded <- n
		}()
	}
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := check(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	close(folded)
	total := 0
	for n := range folded {
		total += n
	}
	if total != 403+111 {
		t.Fatalf("folded %d calls, want %d (each exactly once)", total, 403+111)
	}
	if n, _ := st.Count(ctx, CallsCollection, map[string]string{"partner_day": p.ID + "/2026-03-09"}); n != 0 {
		t.Fatalf("%d call records left on the compacted day", n)
	}
	if n, _ := st.Count(ctx, CallsCollection, map[string]string{"partner_day": p.ID + "/2026-03-10"}); n != 7 {
		t.Fatalf("today's records compacted: %d left", n)
	}
	if err := check(); err != nil {
		t.Fatal(err)
	}
}
