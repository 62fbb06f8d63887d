package partnerapi_test

import (
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/partner"
)

// TestUsageExactAcrossReplicasOnRedis runs two gateways on one Redis and
// fires a known number of calls at both at once: the usage either replica
// reports is exact, and the per-key bucket is shared.
func TestUsageExactAcrossReplicasOnRedis(t *testing.T) {
	url := os.Getenv("HALLGATE_TEST_REDIS_URL")
	if url == "" {
		t.Skip("HALLGATE_TEST_REDIS_URL unset (e.g. redis://127.0.0.1:6390/0): Redis replica test skipped")
	}
	prefix := fmt.Sprintf("hgtest-partnerapi-%d:", time.Now().UnixNano())
	onRedis := func(c *config.Config) {
		c.Redis.URL = url
		c.Redis.Prefix = prefix
		c.Redis.AppendFsync = ""
	}
	a, b := startGatewayWith(t, onRedis), startGatewayWith(t, onRedis)
	p := createPartner(t, a, `{"name":"两副本","origins":["`+media+`"],"rate_limit_per_minute":100000,"features":["replies"]}`)
	const perReplica = 40
	var wg sync.WaitGroup
	for _, base := range []string{a, b} {
		for range perReplica {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := call(t, "GET", base+"/partner/v1/replies", "", "X-Partner-Key", p.Key); r.status != 200 {
					t.Errorf("%s: %d %s", base, r.status, r.body)
				}
			}()
		}
	}
	wg.Wait()
	for _, base := range []string{a, b} {
		var u partner.Usage
		admin(t, "GET", base+"/api/v1/partners/"+p.ID+"/usage", "").json(t, &u)
		if u.Total != 2*perReplica || u.Days[len(u.Days)-1].ByEndpoint["replies"] != 2*perReplica {
			t.Fatalf("usage via %s: %+v", base, u)
		}
	}
	// A small key's bucket is shared: 30 per minute in total, not per replica.
	q := createPartner(t, a, `{"name":"共享限额","origins":["`+media+`"],"rate_limit_per_minute":30,"features":["replies"]}`)
	ok := 0
	for i := range 40 {
		base := a
		if i%2 == 1 {
			base = b
		}
		r := call(t, "GET", base+"/partner/v1/replies", "", "X-Partner-Key", q.Key)
		if r.status == 200 {
			ok++
		} else if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
			t.Fatalf("status %d %s", r.status, r.body)
		}
	}
	if ok < 30 || ok > 32 {
		t.Fatalf("shared bucket let %d of 40 through, want about 30", ok)
	}
}
