package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hallgate/hallgate/gateway/internal/browsertest"
)

// browser starts a fresh headless chromium for one test.
func browser(t *testing.T) context.Context {
	return browsertest.Start(t, 1280, 900, 3*time.Minute)
}

// artifacts is where screenshots go: $HALLGATE_ARTIFACTS/<test> or a temp dir.
func artifacts(t *testing.T) string { return browsertest.Artifacts(t) }

type step = chromedp.Action[chromedp.Void]

// shot saves a full-page PNG screenshot.
func shot(t *testing.T, dir, name string) step { return browsertest.Shot(t, dir, name) }

// run runs steps and fails the test with a last screenshot on error.
func run(t *testing.T, ctx context.Context, dir, name string, steps ...step) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		_ = chromedp.Do(ctx, shot(t, dir, "failed-"+name))
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		if len(html) > 3000 {
			html = html[:3000]
		}
		t.Fatalf("%s: %v\n%s", name, err, html)
	}
}

// text returns the text of the first element matching a CSS selector.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// value returns the value of a form control.
func value(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("value of %s: %v", sel, err)
	}
	return s
}

// waitJS polls a JS expression until it is true. It evaluates afresh
// each time, so a navigation in between (a form's redirect) is no error.
func waitJS(expr string) step {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(30 * time.Second)
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

// loginAs signs in through the form.
func loginAs(base, user, pass string) step {
	return chromedp.Steps(
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), pass),
		chromedp.Submit(chromedp.CSS("#password")),
		waitJS(`location.pathname !== "/login" && document.readyState === "complete"`),
	)
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }
