package partnerapi_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/partner"
)

const media = "https://media.example.cn"

func TestAdminRoutes(t *testing.T) {
	base := startGateway(t)
	if r := call(t, "POST", base+"/api/v1/partners", `{}`); r.status != http.StatusUnauthorized {
		t.Fatalf("anonymous create: %d", r.status)
	}
	r := admin(t, "POST", base+"/api/v1/partners", `{"name":"","origins":["https://x.cn/path"],"rate_limit_per_minute":0,"features":["nope"]}`)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid spec: %d %s", r.status, r.body)
	}
	var prob struct{ Fields []string }
	r.json(t, &prob)
	if strings.Join(prob.Fields, ",") != "name,origins,rate_limit_per_minute,features" {
		t.Fatalf("fields: %s", r.body)
	}
	if r := admin(t, "POST", base+"/api/v1/partners", `{"name":"x","unknown":1}`); r.status != http.StatusBadRequest {
		t.Fatalf("unknown field: %d %s", r.status, r.body)
	}
	p := createPartner(t, base, `{"name":"县融媒体中心","origins":["`+media+`"],"rate_limit_per_minute":600,"features":["search","guides"]}`)
	r = admin(t, "GET", base+"/api/v1/partners", "")
	if r.status != 200 || strings.Contains(string(r.body), p.Key) || !strings.Contains(string(r.body), p.ID) {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	// The general token listing shows the key's token, never its secret.
	if r := admin(t, "GET", base+"/api/v1/tokens", ""); strings.Contains(string(r.body), p.Key) {
		t.Fatal("token listing leaks the key")
	}
	if r := call(t, "GET", base+"/partner/v1/me", "", "X-Partner-Key", p.Key); r.status != 200 || !strings.Contains(string(r.body), "县融媒体中心") {
		t.Fatalf("me: %d %s", r.status, r.body)
	}
	if r := call(t, "GET", base+"/partner/v1/me", "", "Authorization", "Bearer "+p.Key); r.status != 200 {
		t.Fatalf("me with bearer: %d %s", r.status, r.body)
	}
	if r := admin(t, "DELETE", base+"/api/v1/partners/"+p.ID, ""); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := admin(t, "DELETE", base+"/api/v1/partners/"+p.ID, ""); r.status != http.StatusConflict {
		t.Fatalf("second revoke: %d", r.status)
	}
	if r := admin(t, "DELETE", base+"/api/v1/partners/nosuchpartner000", ""); r.status != http.StatusNotFound {
		t.Fatalf("unknown revoke: %d", r.status)
	}
	for _, h := range [][]string{{"X-Partner-Key", p.Key}, {"Authorization", "Bearer " + p.Key}} {
		if r := call(t, "GET", base+"/partner/v1/search?q=x", "", h...); r.status != http.StatusUnauthorized {
			t.Fatalf("revoked key via %s: %d %s", h[0], r.status, r.body)
		}
	}
	if r := call(t, "GET", base+"/partner/v1/search?q=x", ""); r.status != http.StatusUnauthorized {
		t.Fatalf("no key: %d", r.status)
	}
	if r := admin(t, "GET", base+"/api/v1/partners/"+p.ID+"/usage?from=2026-13-01", ""); r.status != http.StatusBadRequest {
		t.Fatalf("bad usage range: %d", r.status)
	}
}

func TestPublicAPIFeaturesCORSAndChannel(t *testing.T) {
	base := startGateway(t)
	seed(t, base)
	p := createPartner(t, base, `{"name":"县融媒体中心","origins":["`+media+`"],"rate_limit_per_minute":600,"features":["search","guides","messages","tracking"]}`)
	other := createPartner(t, base, `{"name":"另一门户","origins":["https://portal.example.cn"],"rate_limit_per_minute":600,"features":["replies"]}`)
	key := []string{"X-Partner-Key", p.Key}

	r := call(t, "GET", base+"/partner/v1/search?q="+url.QueryEscape("自来水过户"), "", append(key, "Origin", media)...)
	if r.status != 200 || !strings.Contains(string(r.body), "t-water-1") || strings.Contains(string(r.body), "t-draft-1") {
		t.Fatalf("search: %d %s", r.status, r.body)
	}
	if r.header.Get("Access-Control-Allow-Origin") != media || !strings.Contains(r.header.Get("Vary"), "Origin") {
		t.Fatalf("CORS on allowed origin: %v", r.header)
	}
	if r := call(t, "GET", base+"/partner/v1/kb/entries/t-draft-1", "", key...); r.status != http.StatusNotFound {
		t.Fatalf("draft via partner: %d", r.status)
	}
	if r := call(t, "GET", base+"/partner/v1/items/990000-TEST-0001/guide", "", key...); r.status != 200 || !strings.Contains(string(r.body), "身份证") {
		t.Fatalf("guide: %d %s", r.status, r.body)
	}
	// Another partner's origin is not this key's: refused without CORS headers.
	r = call(t, "GET", base+"/partner/v1/search?q=x", "", append(key, "Origin", "https://portal.example.cn")...)
	if r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign origin: %d %v", r.status, r.header)
	}
	// Feature flags.
	if r := call(t, "GET", base+"/partner/v1/replies", "", key...); r.status != http.StatusForbidden {
		t.Fatalf("replies without the feature: %d", r.status)
	}
	if r := call(t, "GET", base+"/partner/v1/search?q=x", "", "X-Partner-Key", other.Key); r.status != http.StatusForbidden {
		t.Fatalf("search without the feature: %d", r.status)
	}
	if r := call(t, "GET", base+"/partner/v1/replies", "", "X-Partner-Key", other.Key); r.status != 200 {
		t.Fatalf("replies: %d %s", r.status, r.body)
	}
	// Preflight: exact origin for registered origins, nothing for others.
	r = call(t, "OPTIONS", base+"/partner/v1/search?q=x", "", "Origin", media, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-partner-key")
	if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != media || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "X-Partner-Key") {
		t.Fatalf("preflight allowed: %d %v", r.status, r.header)
	}
	r = call(t, "OPTIONS", base+"/partner/v1/search?q=x", "", "Origin", "https://evil.example.com", "Access-Control-Request-Method", "GET")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight for unknown origin: %v", r.header)
	}
	// A message becomes a partner-channel ticket, followed by code.
	r = call(t, "POST", base+"/partner/v1/messages", `{"title":"小区停水","content":"小区今天停水一天了，请尽快处理。","name":"测试用户","phone":"13800138000"}`, key...)
	if r.status != http.StatusCreated {
		t.Fatalf("message: %d %s", r.status, r.body)
	}
	var msg struct{ ID, Code string }
	r.json(t, &msg)
	tk := admin(t, "GET", base+"/api/v1/tickets/"+msg.ID, "")
	if tk.status != 200 || !strings.Contains(string(tk.body), `"channel":"partner"`) {
		t.Fatalf("ticket channel: %d %s", tk.status, tk.body)
	}
	r = admin(t, "GET", base+"/api/v1/partners/"+p.ID+"/messages", "")
	if r.status != 200 || !strings.Contains(string(r.body), msg.Code) || strings.Contains(string(r.body), "13800138000") {
		t.Fatalf("partner messages: %d %s", r.status, r.body)
	}
	if r := admin(t, "GET", base+"/api/v1/partners/"+other.ID+"/messages", ""); strings.Contains(string(r.body), msg.Code) {
		t.Fatalf("message linked to the wrong partner: %s", r.body)
	}
	if r := call(t, "GET", base+"/openapi.json", ""); r.status != 200 || !strings.Contains(string(r.body), "/partner/v1/search") {
		t.Fatalf("openapi: %d", r.status)
	}
	r = call(t, "GET", base+"/partner/v1/tickets/track?code="+url.QueryEscape(msg.Code)+"&phone_last4=8000", "", key...)
	if r.status != 200 || !strings.Contains(string(r.body), msg.Code) {
		t.Fatalf("track: %d %s", r.status, r.body)
	}
	if r := call(t, "GET", base+"/partner/v1/tickets/track?code="+url.QueryEscape(msg.Code)+"&phone_last4=1111", "", key...); r.status != http.StatusNotFound {
		t.Fatalf("track with wrong digits: %d", r.status)
	}
}

func TestUsageCountedExactly(t *testing.T) {
	base := startGateway(t)
	a := createPartner(t, base, `{"name":"甲","origins":["`+media+`"],"rate_limit_per_minute":100000,"features":["search","replies"]}`)
	b := createPartner(t, base, `{"name":"乙","origins":["`+media+`"],"rate_limit_per_minute":100000,"features":["replies"]}`)
	want := map[string]map[string]int{a.Key: {"search": 53, "replies": 21}, b.Key: {"replies": 34, "search": 6}} // b's searches are refused (403) but counted
	paths := map[string]string{"search": "/partner/v1/search?q=" + url.QueryEscape("过户"), "replies": "/partner/v1/replies"}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for key, eps := range want {
		for ep, n := range eps {
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sem <- struct{}{}
					defer func() { <-sem }()
					if r := call(t, "GET", base+paths[ep], "", "X-Partner-Key", key); r.status != 200 && r.status != 403 {
						t.Errorf("%s: %d %s", ep, r.status, r.body)
					}
				}()
			}
		}
	}
	wg.Wait()
	for key, eps := range want {
		id := a.ID
		if key == b.Key {
			id = b.ID
		}
		r := admin(t, "GET", base+"/api/v1/partners/"+id+"/usage", "")
		var u partner.Usage
		r.json(t, &u)
		today := partner.DayOf(time.Now())
		total := 0
		for ep, n := range eps {
			total += n
			var got int
			for _, d := range u.Days {
				if d.Day == today {
					got = d.ByEndpoint[ep]
				}
			}
			if got != n {
				t.Fatalf("%s %s: counted %d, fired %d (%s)", id, ep, got, n, r.body)
			}
		}
		if u.Total != total {
			t.Fatalf("%s: total %d want %d", id, u.Total, total)
		}
	}
}

func TestRateLimitPerKeyAndPerClient(t *testing.T) {
	base := startGateway(t)
	p := createPartner(t, base, `{"name":"限流测试","origins":["`+media+`"],"rate_limit_per_minute":60,"features":["replies"]}`)
	burst := func(key string, n int, headers ...string) (ok, limited int, retry string) {
		for range n {
			r := call(t, "GET", base+"/partner/v1/replies", "", append([]string{"X-Partner-Key", key}, headers...)...)
			switch r.status {
			case 200:
				ok++
			case http.StatusTooManyRequests:
				limited++
				retry = r.header.Get("Retry-After")
				if len(headers) > 0 && r.header.Get("Access-Control-Allow-Origin") != media {
					t.Fatal("429 without CORS: the page could not read Retry-After")
				}
			default:
				t.Fatalf("status %d %s", r.status, r.body)
			}
		}
		return ok, limited, retry
	}
	// Server to server (no Origin): the key's bucket, one minute's allowance.
	ok, limited, retry := burst(p.Key, 70)
	if ok < 60 || ok > 62 || limited == 0 {
		t.Fatalf("per key: ok %d limited %d", ok, limited)
	}
	secs, err := strconv.Atoi(retry)
	if err != nil || secs < 1 || secs > 2 {
		t.Fatalf("Retry-After %q", retry)
	}
	time.Sleep(time.Duration(secs)*time.Second + 100*time.Millisecond)
	if r := call(t, "GET", base+"/partner/v1/replies", "", "X-Partner-Key", p.Key); r.status != 200 {
		t.Fatalf("after Retry-After: %d", r.status)
	}
	// From a browser: one client address gets its own smaller bucket (burst 30).
	q := createPartner(t, base, `{"name":"宽额度","origins":["`+media+`"],"rate_limit_per_minute":100000,"features":["replies"]}`)
	ok, limited, retry = burst(q.Key, 40, "Origin", media)
	if ok < 30 || ok > 32 || limited == 0 || retry == "" {
		t.Fatalf("per client: ok %d limited %d retry %q", ok, limited, retry)
	}
}
