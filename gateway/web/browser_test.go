package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium (or HALLGATE_CHROMIUM).
func chromiumPath() string {
	if p := os.Getenv("HALLGATE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts a fresh headless chromium for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip("no chromium found (apt-get install -y chromium, or set HALLGATE_CHROMIUM): browser tests skipped")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// artifacts is where screenshots go: $HALLGATE_ARTIFACTS/<test> or a temp dir.
func artifacts(t *testing.T) string {
	dir := os.Getenv("HALLGATE_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

type step = chromedp.Action[chromedp.Void]

// shot saves a full-page PNG screenshot.
func shot(t *testing.T, dir, name string) step {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		buf, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return chromedp.Void{}, err
		}
		p := filepath.Join(dir, name+".png")
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			return chromedp.Void{}, err
		}
		t.Logf("screenshot %s", p)
		return chromedp.Void{}, nil
	}
}

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
