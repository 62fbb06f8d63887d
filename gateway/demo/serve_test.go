package demo_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway"
	"github.com/hallgate/hallgate/gateway/demo"
	"github.com/hallgate/hallgate/gateway/routing"
)

// Serve loads the city, answers searches and the portal, and loading twice
// (a restart with --demo on the same data) keeps one copy.
func TestServeLoadsTheCity(t *testing.T) {
	cfg := config.Default()
	cfg.Server.DataDir = t.TempDir()
	cfg.Server.ShutdownTimeout = 5 * time.Second
	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		app, err := gateway.New(ctx, cfg, gateway.Options{LogOutput: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- demo.Serve(ctx, app, ln) }()
		base := "http://" + ln.Addr().String()
		var body string
		for deadline := time.Now().Add(30 * time.Second); ; {
			res, err := http.Get(base + "/api/v1/kb/search?q=" + "%E5%85%AC%E7%A7%AF%E9%87%91") // 公积金
			if err == nil {
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode == 200 {
					body = string(b)
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: search never answered: %v", round, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		var res struct {
			Hits []struct{ ID string }
		}
		if err := json.Unmarshal([]byte(body), &res); err != nil || len(res.Hits) == 0 || !strings.HasPrefix(res.Hits[0].ID, "demo-") {
			t.Fatalf("round %d: search: %v %s", round, err, body)
		}
		n, err := app.Caps.Departments.List(ctx)
		if err != nil || len(n) != 8 {
			t.Fatalf("round %d: %d departments, %v", round, len(n), err)
		}
		rules, err := app.Caps.Routing.Catalogue().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		guideLines := 0
		for _, r := range rules {
			if strings.HasPrefix(r.ID, "guide-") && r.Scope != "" {
				guideLines++
			}
		}
		if guideLines != 8 {
			t.Fatalf("round %d: %d guide lines in the catalogue, want one per department (8): %+v", round, guideLines, rules)
		}
		sug, err := app.Caps.Routing.Suggest(ctx, routing.Query{Text: "我家楼下饭店的油烟太大了，窗户都不敢开", Channel: "hotline"})
		if err != nil || sug.Department != "cgj" {
			t.Fatalf("round %d: a matter only the guide names (餐饮油烟 → 城管): %+v %v", round, sug, err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("round %d: serve: %v", round, err)
		}
	}
}
