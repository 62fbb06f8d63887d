package widget_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hallgate/hallgate/gateway/internal/browsertest"
)

// browser starts a fresh headless chromium for one test.
func browser(t *testing.T) context.Context {
	return browsertest.Start(t, 900, 1000, 240*time.Second)
}

func artifacts(t *testing.T) string { return browsertest.Artifacts(t) }

type step = chromedp.Action[chromedp.Void]

func shot(t *testing.T, dir, name string) step { return browsertest.Shot(t, dir, name) }

// waitJS polls a JS expression until it is true.
func waitJS(expr string) step {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(45 * time.Second)
		var last error
		for {
			ok, err := chromedp.Evaluate[bool]("!!("+expr+")")(ctx, tg)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			if err != nil {
				last = err
			}
			if time.Now().After(deadline) {
				return chromedp.Void{}, fmt.Errorf("timed out waiting for %s (last error: %v)", expr, last)
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// js runs a statement (wrapped so it returns true).
func js(stmt string) step {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool]("(() => { "+stmt+"; return true })()")(ctx, tg)
		return chromedp.Void{}, err
	}
}

func run(t *testing.T, ctx context.Context, dir, name string, steps ...step) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		_ = chromedp.Do(ctx, shot(t, dir, "failed-"+name))
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#hg") && document.querySelector("#hg").shadowRoot) ? document.querySelector("#hg").shadowRoot.innerHTML.slice(0, 3000) : document.documentElement.outerHTML.slice(0, 3000)`))
		t.Fatalf("%s: %v\n%s", name, err, html)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// partnerPage serves a partner's page embedding snippet, from its own
// loopback origin, with host styles that try to restyle everything.
func partnerPage(t *testing.T, snippet, loaderSnippet string) *httptest.Server {
	head := `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>县融媒体中心</title>
<style>
  * { font-size: 40px !important; color: #ff00ff !important; }
  button { background: #ff0000 !important; }
  #hg { --hg-primary: #0a7d32; }
</style></head><body><h1>县融媒体中心 · 便民服务</h1>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		body := snippet
		if r.URL.Path == "/loader" {
			body = loaderSnippet
		}
		_, _ = w.Write([]byte(head + body + `</body></html>`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

const shadow = `document.querySelector("#hg").shadowRoot`

func TestWidgetInPartnerPage(t *testing.T) {
	ctx := browser(t)
	dir := artifacts(t)
	base := startGateway(t)
	seed(t, base)

	// Two partner sites on their own loopback ports; only the first is registered.
	var snippet string
	allowed := partnerPage(t, "", "")
	refused := partnerPage(t, "", "")
	p := createPartner(t, base, `{"name":"县融媒体中心","origins":["`+allowed.URL+`"],"rate_limit_per_minute":600,"features":["search","guides","messages","tracking","replies"]}`)
	r := call(t, "GET", base+"/widget/v1/embed?target=%23hg&key="+url.QueryEscape(p.Key), "")
	var e struct {
		Snippet       string `json:"snippet"`
		LoaderSnippet string `json:"loader_snippet"`
	}
	r.json(t, &e)
	snippet = e.Snippet
	if !strings.Contains(snippet, "integrity=") {
		t.Fatalf("snippet without integrity: %s", snippet)
	}
	allowed.Config.Handler = partnerPage(t, snippet, e.LoaderSnippet).Config.Handler
	refused.Config.Handler = allowed.Config.Handler

	ready := shadow + ` && document.querySelector("#hg").dataset.hallgate === "ready"`
	// The short-lived loader inserts the hashed build with its integrity.
	run(t, ctx, dir, "loader",
		chromedp.Navigate(allowed.URL+"/loader"),
		waitJS(shadow+` && document.querySelector("#hg").dataset.hallgate === "ready"`),
		waitJS(`[...document.scripts].some(s => /widget\.[0-9a-f]{16}\.js$/.test(s.src) && s.integrity.startsWith("sha384-") && s.dataset.key)`),
	)
	run(t, ctx, dir, "load",
		chromedp.Navigate(allowed.URL),
		waitJS(ready),
		waitJS(shadow+`.querySelector("#hg-tab-search").getAttribute("aria-selected") === "true"`),
		shot(t, dir, "01-loaded"),
	)
	// Host styles do not reach the widget; the host's theme variable does.
	if bg := eval[string](t, ctx, `getComputedStyle(`+shadow+`.querySelector(".btn")).backgroundColor`); bg != "rgb(10, 125, 50)" {
		t.Fatalf("widget button background %q: host styles leaked or theme ignored", bg)
	}
	if fs := eval[string](t, ctx, `getComputedStyle(`+shadow+`.querySelector("#hg-q")).fontSize`); fs == "40px" {
		t.Fatal("host font size leaked into the widget")
	}
	if lbl := eval[string](t, ctx, shadow+`.querySelector("label[for=hg-q]").textContent`); !strings.Contains(lbl, "搜索") {
		t.Fatalf("search input label %q", lbl)
	}

	// Search, open an FAQ answer and a service guide.
	run(t, ctx, dir, "search",
		js(`const s = `+shadow+`; s.querySelector("#hg-q").value = "自来水过户"; s.querySelector("form[role=search]").requestSubmit()`),
		waitJS(shadow+`.querySelector(".results button[data-id='t-water-1']")`),
		js(shadow+`.querySelector(".results button[data-id='t-water-1']").click()`),
		waitJS(shadow+`.querySelector(".detail:not([hidden]) p") && `+shadow+`.querySelector(".detail").textContent.includes("营业厅")`),
		shot(t, dir, "02-search-answer"),
	)
	if eval[bool](t, ctx, shadow+`.innerHTML.includes("t-draft-1")`) {
		t.Fatal("a draft entry reached the widget")
	}
	run(t, ctx, dir, "guide",
		js(`const s = `+shadow+`; s.querySelector("#hg-q").value = "供水用户过户"; s.querySelector("form[role=search]").requestSubmit()`),
		waitJS(shadow+`.querySelector(".results button[data-kind='item']")`),
		js(shadow+`.querySelector(".results button[data-kind='item']").click()`),
		waitJS(shadow+`.querySelector(".guide-title") && `+shadow+`.querySelector(".detail").textContent.includes("身份证")`),
		shot(t, dir, "03-guide"),
	)

	// Leave a message and follow it by code.
	run(t, ctx, dir, "message",
		js(`const s = `+shadow+`; s.querySelector("#hg-tab-message").click();
			s.querySelector("#hg-m-title").value = "小区停水";
			s.querySelector("#hg-m-content").value = "小区今天停水一天了，请尽快处理。";
			s.querySelector("#hg-m-name").value = "测试用户";
			s.querySelector("#hg-m-phone").value = "13800138000";
			s.querySelector("#hg-panel-message form").requestSubmit()`),
		waitJS(shadow+`.querySelector("[data-code]")`),
		shot(t, dir, "04-message-sent"),
	)
	code := eval[string](t, ctx, shadow+`.querySelector("[data-code]").dataset.code`)
	if code == "" {
		t.Fatal("no code shown")
	}
	run(t, ctx, dir, "track",
		js(shadow+`.querySelector("#hg-panel-message .detail .btn").click()`),
		waitJS(shadow+`.querySelector(".track-status")`),
		shot(t, dir, "05-tracking"),
	)
	if got := eval[string](t, ctx, shadow+`.querySelector("#hg-panel-track .detail .code").textContent`); got != code {
		t.Fatalf("tracked %q, sent %q", got, code)
	}
	var tk struct {
		Code    string `json:"code"`
		Channel string `json:"channel"`
	}
	r = admin(t, "GET", base+"/api/v1/tickets/"+url.PathEscape(code), "")
	r.json(t, &tk)
	if tk.Channel != "partner" || tk.Code != code {
		t.Fatalf("ticket: %d %s", r.status, r.body)
	}

	// An over-limit burst from this browser gets 429 with a readable
	// Retry-After and the widget says so; calls recover after the wait. The
	// burst keeps firing while the widget searches, so a slow machine
	// cannot refill the bucket in between.
	run(t, ctx, dir, "limited",
		js(`window.__hgBurst = true; window.__hgDone = false; window.__hgStatuses = [];
			const key = document.querySelector("script[data-key]").dataset.key;
			(async () => {
				while (window.__hgBurst) {
					await Promise.all(Array.from({length: 10}, () =>
						fetch("`+base+`/partner/v1/me", {headers: {"X-Partner-Key": key}})
							.then(r => { window.__hgStatuses.push([r.status, r.headers.get("Retry-After")]) }, () => {})));
				}
				window.__hgDone = true;
			})()`),
		waitJS(`window.__hgStatuses.some(s => s[0] === 429)`),
		js(`const s = `+shadow+`; s.querySelector("#hg-tab-search").click(); s.querySelector("#hg-q").value = "过户"; s.querySelector("form[role=search]").requestSubmit()`),
		waitJS(shadow+`.querySelector("#hg-panel-search .status[data-error]") && `+shadow+`.querySelector("#hg-panel-search .status").textContent.includes("频繁")`),
		shot(t, dir, "06-rate-limited"),
		js(`window.__hgBurst = false`),
		waitJS(`window.__hgDone`),
	)
	burst := eval[string](t, ctx, `JSON.stringify(window.__hgStatuses)`)
	var statuses [][2]any
	if err := json.Unmarshal([]byte(burst), &statuses); err != nil {
		t.Fatal(err)
	}
	limited, retry := 0, ""
	for _, s := range statuses {
		if s[0].(float64) == 429 {
			limited++
			retry, _ = s[1].(string)
		}
	}
	if limited == 0 || retry == "" {
		t.Fatalf("burst: no 429 with a readable Retry-After: %s", burst)
	}
	wait, _ := time.ParseDuration(retry + "s")
	time.Sleep(wait + 200*time.Millisecond)
	run(t, ctx, dir, "recovered",
		js(`const s = `+shadow+`; s.querySelector("form[role=search]").requestSubmit()`),
		waitJS(shadow+`.querySelector(".results button[data-id]") && !`+shadow+`.querySelector("#hg-panel-search .status[data-error]")`),
		shot(t, dir, "07-recovered"),
	)

	// The same page from an origin the partner did not register: the
	// browser refuses the answers (no CORS headers) and the widget says so.
	run(t, ctx, dir, "refused",
		chromedp.Navigate(refused.URL),
		waitJS(shadow+` && document.querySelector("#hg").dataset.hallgate === "error"`),
		js(`const s = `+shadow+`; s.querySelector("#hg-q").value = "自来水过户"; s.querySelector("form[role=search]").requestSubmit()`),
		waitJS(shadow+`.querySelector("#hg-panel-search .status[data-error]") && `+shadow+`.querySelector("#hg-panel-search .status").textContent.includes("无法连接")`),
		shot(t, dir, "08-refused-origin"),
	)
	if n := eval[int](t, ctx, shadow+`.querySelectorAll(".results li").length`); n != 0 {
		t.Fatalf("refused origin shows %d results", n)
	}
	// A direct fetch from that origin fails in the browser too.
	failed := eval[string](t, ctx, `(async () => {
		const key = document.querySelector("script[data-key]").dataset.key;
		try { await fetch("`+base+`/partner/v1/search?q=x", {headers: {"X-Partner-Key": key}}); return "fetched" }
		catch (e) { return "refused" }
	})()`)
	if failed != "refused" {
		t.Fatalf("cross-origin fetch from an unregistered origin: %s", failed)
	}

	// Every call was counted for the partner.
	r = admin(t, "GET", base+"/api/v1/partners/"+p.ID+"/usage", "")
	var u struct {
		Total int `json:"total"`
	}
	r.json(t, &u)
	if u.Total < len(statuses)+8 {
		t.Fatalf("usage total %d after %d burst calls and the flow: %s", u.Total, len(statuses), r.body)
	}
}
