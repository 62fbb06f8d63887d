package web_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway"
	"github.com/hallgate/hallgate/gateway/demo"
)

const bootstrapToken = "web-test-bootstrap-admin-token-0123456789"

// city is a full gateway with the demo city, serving on loopback.
type city struct {
	app  *gateway.App
	base string
	sims *demo.Simulators
}

var (
	shared     *city
	sharedErr  error
	sharedOnce sync.Once
	stopShared = func() {}
)

// TestMain stops the shared city after the package's tests.
func TestMain(m *testing.M) {
	code := m.Run()
	stopShared()
	os.Exit(code)
}

// startCity returns the package's one gateway (gateway.New with a temp data
// dir, the demo city and its simulators, serving on loopback), started on
// first use: every test works with its own users, sessions and tickets, so
// they can share it, and the package stays fast under -race.
func startCity(t *testing.T) *city {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = newCity() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

func newCity() (*city, error) {
	dir, err := os.MkdirTemp("", "hallgate-web-test-")
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.Server.DataDir = dir
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Server.ShutdownTimeout = 5 * time.Second
	cfg.Auth.BootstrapAdminToken = bootstrapToken
	cfg.RateLimit.Public.PerSecond = 0
	cfg.RateLimit.Authenticated.PerSecond = 0
	cfg.RateLimit.SignIn.PerSecond = 0 // the tests sign in far more often than people do
	ctx, cancel := context.WithCancel(context.Background())
	fail := func(err error) (*city, error) {
		cancel()
		_ = os.RemoveAll(dir)
		return nil, err
	}
	app, err := gateway.New(ctx, cfg, gateway.Options{LogOutput: io.Discard})
	if err != nil {
		return fail(err)
	}
	if err := demo.Load(ctx, app); err != nil {
		_ = app.Close(ctx)
		return fail(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = app.Close(ctx)
		return fail(err)
	}
	base := "http://" + ln.Addr().String()
	sims, err := demo.StartSimulators(ctx, app, base, 300*time.Millisecond)
	if err != nil {
		_ = app.Close(ctx)
		return fail(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, ln) }()
	stopShared = func() {
		sims.Close()
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
		}
		_ = os.RemoveAll(dir)
	}
	if err := waitReady(base); err != nil {
		return nil, err
	}
	return &city{app: app, base: base, sims: sims}, nil
}

func waitReady(base string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("gateway not ready")
}

// client is a cookie-keeping HTTP client that does not follow redirects.
func client(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

// getPage fetches a page and returns its body and CSRF token.
func getPage(t *testing.T, c *http.Client, u string) (int, string, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	tok := ""
	if m := csrfMeta.FindStringSubmatch(string(b)); m != nil {
		tok = m[1]
	}
	return res.StatusCode, string(b), tok
}

// login signs c in and returns the session's CSRF token.
func login(t *testing.T, c *http.Client, base, user, pass string) string {
	t.Helper()
	if code, _ := signIn(t, c, base, user, pass); code != http.StatusSeeOther {
		t.Fatalf("login %s: status %d", user, code)
	}
	_, _, tok := getPage(t, c, base+"/agent")
	if tok == "" {
		t.Fatal("no CSRF token on /agent after login")
	}
	return tok
}

// signIn posts the sign-in form and returns the status and where it
// redirects.
func signIn(t *testing.T, c *http.Client, base, user, pass string) (int, string) {
	t.Helper()
	_, _, tok := getPage(t, c, base+"/login")
	res, err := c.PostForm(base+"/login", url.Values{"csrf_token": {tok}, "username": {user}, "password": {pass}, "next": {"/agent"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Location")
}

func do(t *testing.T, c *http.Client, method, u, csrf, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
