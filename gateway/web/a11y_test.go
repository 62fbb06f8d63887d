package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// a11yScript checks, in the browser, that every form control has a label
// (label[for], a wrapping label, aria-label or aria-labelledby), every image
// has alt, and visible text has a contrast of at least 4.5:1 against its
// background, computed from the computed styles (backgrounds composed up
// the ancestor chain).
const a11yScript = `(() => {
  const problems = [];
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : "");
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const byFor = el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
    const ok = byFor || el.closest("label") || (el.getAttribute("aria-label") || "").trim() || (el.getAttribute("aria-labelledby") && document.getElementById(el.getAttribute("aria-labelledby")));
    if (!ok) problems.push("unlabelled control " + describe(el));
  }
  for (const img of document.querySelectorAll("img")) if (!img.hasAttribute("alt")) problems.push("image without alt " + img.src);
  const parse = (c) => { const m = /rgba?\(([^)]+)\)/.exec(c); if (!m) return null; const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const over = (top, under) => ({ r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1 });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let out = { r: 255, g: 255, b: 255, a: 1 };
    for (const c of layers.reverse()) out = over(c, out);
    return out;
  };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  let checked = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || seen.has(el) || !n.textContent.trim() || el.closest("svg,script,style,template")) continue;
    seen.add(el);
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden" || cs.display === "none" || parseFloat(cs.opacity) === 0 || !el.getClientRects().length || el.closest("[hidden]")) continue;
    const bg = background(el);
    const fgc = parse(cs.color); if (!fgc) continue;
    const fg = over(fgc, bg);
    const L1 = lum(fg), L2 = lum(bg);
    const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
    checked++;
    if (ratio < 4.5) problems.push("contrast " + ratio.toFixed(2) + " for " + describe(el) + ": " + n.textContent.trim().slice(0, 30));
  }
  if (checked === 0) problems.push("no text checked");
  return JSON.stringify(problems);
})()`

// originScript lists every reference (src, href, action) and every loaded
// resource that points to another origin; the only exception are links the
// data marks as external (a service item's online link).
const originScript = `(() => {
  const bad = [];
  for (const el of document.querySelectorAll("[src],[href],[action],[srcset],[poster],[data]")) {
    if (el.matches('a[rel~="external"]')) continue;
    for (const attr of ["src", "href", "action", "poster", "data"]) {
      const v = el.getAttribute(attr);
      if (v === null || v === "") continue;
      const u = new URL(v, location.href);
      if (u.origin !== location.origin) bad.push(el.tagName.toLowerCase() + " " + attr + "=" + v);
    }
  }
  for (const r of performance.getEntriesByType("resource")) if (new URL(r.name).origin !== location.origin) bad.push("loaded " + r.name);
  for (const sheet of document.styleSheets) { try { for (const rule of sheet.cssRules) if (/url\(\s*['"]?(https?:)?\/\//.test(rule.cssText)) bad.push("css " + rule.cssText.slice(0, 80)); } catch (e) { bad.push("unreadable stylesheet " + sheet.href); } }
  return JSON.stringify(bad);
})()`

func checkPage(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	run(t, ctx, dir, name+"-loaded", waitJS(`document.readyState === "complete" && !document.body.textContent.includes("加载中")`), shot(t, dir, name))
	for _, check := range []struct{ what, script string }{{"accessibility", a11yScript}, {"external references", originScript}} {
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](check.script))
		if err != nil {
			t.Fatalf("%s: %s: %v", name, check.what, err)
		}
		var problems []string
		if err := json.Unmarshal([]byte(out), &problems); err != nil {
			t.Fatalf("%s: %s: %v", name, check.what, err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s: %s", name, check.what, p)
		}
	}
}

// Every page passes the label, alt and contrast checks and references
// nothing outside the gateway, on a desk screen and on a phone.
func TestBrowserPagesAccessibleAndSelfContained(t *testing.T) {
	ctx := browser(t)
	c := startCity(t)
	dir := artifacts(t)
	public := map[string]string{
		"portal":     "/",
		"search":     "/?q=" + url.QueryEscape("居住证"),
		"guide":      "/items/demo-item-juzhuzheng",
		"faq":        "/faq/demo-gaj-001",
		"track-miss": "/track?code=JC0&phone_last4=1234",
		"login":      "/login",
		"not-found":  "/items/none",
	}
	for name, path := range public {
		run(t, ctx, dir, name, chromedp.Navigate(c.base+path))
		checkPage(t, ctx, dir, name)
	}
	run(t, ctx, dir, "phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(c.base+"/?q="+url.QueryEscape("公积金")))
	checkPage(t, ctx, dir, "phone-search")
	run(t, ctx, dir, "desk", chromedp.EmulateViewport(1280, 900))

	run(t, ctx, dir, "login-admin", loginAs(c.base, "admin", "demo-admin-pass"), chromedp.Navigate(c.base+"/admin"))
	checkPage(t, ctx, dir, "admin")
	run(t, ctx, dir, "agent", chromedp.Navigate(c.base+"/agent"),
		chromedp.Click(chromedp.CSS("#ring-btn")), chromedp.WaitVisible(chromedp.CSS("#history")),
		chromedp.SendKeys(chromedp.CSS("#kb-q"), "公积金"), waitJS(`document.querySelectorAll("#kb-hits li").length > 0`),
		chromedp.Click(chromedp.CSS("#tickets tr")), waitJS(`!!document.querySelector("#detail-code")`))
	checkPage(t, ctx, dir, "agent")
	run(t, ctx, dir, "account", chromedp.Navigate(c.base+"/account"), chromedp.WaitVisible(chromedp.CSS("#password-form")))
	checkPage(t, ctx, dir, "account")
}

var formTag = regexp.MustCompile(`(?s)<form\b[^>]*>`)
var attrRE = regexp.MustCompile(`(\w+)="([^"]*)"`)

// postForms returns the actions of the POST forms of a page.
func postForms(html string) []string {
	var out []string
	for _, tag := range formTag.FindAllString(html, -1) {
		attrs := map[string]string{}
		for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
			attrs[strings.ToLower(m[1])] = m[2]
		}
		if strings.EqualFold(attrs["method"], "post") {
			out = append(out, attrs["action"])
		}
	}
	return out
}

// Every POST form of every page refuses a request without its CSRF token,
// for a visitor and for a signed-in admin.
func TestFormsRefuseMissingCSRF(t *testing.T) {
	c := startCity(t)
	check := func(who string, hc *http.Client, pages []string) int {
		n := 0
		for _, p := range pages {
			_, html, _ := getPage(t, hc, c.base+p)
			for _, action := range postForms(html) {
				n++
				res, err := hc.PostForm(c.base+action, url.Values{"title": {"x"}, "username": {"agent"}, "password": {"demo-agent-pass"}})
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusForbidden {
					t.Errorf("%s: form %s on %s without csrf_token: status %d, want 403", who, action, p, res.StatusCode)
				}
			}
		}
		return n
	}
	anon := client(t)
	if n := check("visitor", anon, []string{"/", "/login", "/track"}); n < 2 {
		t.Fatalf("found only %d POST forms on public pages", n)
	}
	admin := client(t)
	login(t, admin, c.base, "admin", "demo-admin-pass")
	if n := check("admin", admin, []string{"/", "/agent", "/admin", "/account"}); n < 5 {
		t.Fatalf("found only %d POST forms on staff pages", n)
	}
	// The session still works: the refused requests changed nothing.
	if code, _ := do(t, admin, "GET", c.base+"/ui/api/v1/users", "", ""); code != 200 {
		t.Fatalf("session after refused forms: %d", code)
	}
}

// The checks themselves find what they look for: a page with an unlabelled
// input, a low-contrast paragraph, an image without alt and an image from
// another origin fails each of them.
func TestBrowserChecksCatchProblems(t *testing.T) {
	ctx := browser(t)
	c := startCity(t)
	dir := artifacts(t)
	run(t, ctx, dir, "login", chromedp.Navigate(c.base+"/login"))
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
	  const m = document.querySelector("main");
	  const i = document.createElement("input"); i.id = "unlabelled"; m.append(i);
	  const p = document.createElement("p"); p.textContent = "浅灰色的说明文字"; p.style.color = "#b0b0b0"; m.append(p);
	  const a = document.createElement("img"); a.src = "/static/favicon.svg"; m.append(a);
	  const b = document.createElement("img"); b.alt = ""; b.src = "https://cdn.example.com/x.png"; m.append(b);
	  return true;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, script := range []string{a11yScript, originScript} {
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](script))
		if err != nil {
			t.Fatal(err)
		}
		var problems []string
		_ = json.Unmarshal([]byte(out), &problems)
		all = append(all, problems...)
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{"unlabelled control input#unlabelled", "contrast", "image without alt", "cdn.example.com"} {
		if !strings.Contains(joined, want) {
			t.Errorf("checks missed %q; found:\n%s", want, joined)
		}
	}
}
