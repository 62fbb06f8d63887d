package open311

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/ticket"
)

// fuzzApp is the Open311 module on a real store, built once per fuzz run.
func fuzzApp(f *testing.F) (*fiber.App, string) {
	ctx := context.Background()
	// Memory-backed when available: every accepted request is a commit,
	// and the fuzzer's minimisation runs thousands of them.
	dir := f.TempDir()
	if d, err := os.MkdirTemp("/dev/shm", "open311-fuzz-"); err == nil {
		dir = d
		f.Cleanup(func() { os.RemoveAll(d) })
	}
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(dir, "o.db")})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	sealer, err := pii.New(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32))
	if err != nil {
		f.Fatal(err)
	}
	tickets, err := ticket.NewService(st, ticket.Options{Sealer: sealer})
	if err != nil {
		f.Fatal(err)
	}
	tokens := auth.NewTokens(st, "")
	_, key, err := tokens.Create(ctx, "城市应用", []auth.Role{auth.RoleOpen311}, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	cat := Catalogue{Departments: func(context.Context) ([]DepartmentInfo, error) {
		return []DepartmentInfo{{Code: "water", Name: "江川市水务局", ShortName: "水务局", Responsibilities: "负责供水、排水与污水管网。"}}, nil
	}}
	m := New(tickets, cat, Options{Jurisdiction: "jiangchuan", Authenticate: tokens.Authenticate})
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	for _, r := range m.Routes() {
		app.Add(r.Method, r.Path, r.Handler)
	}
	return app, key
}

// checkAnswer: no 5xx for outside input, and the body parses in the asked
// format (Open311 errors are the standard's error list, not problem+json).
func checkAnswer(t *testing.T, what string, status int, raw []byte, format string) {
	t.Helper()
	if status >= 500 {
		t.Fatalf("%s: %d %s", what, status, raw)
	}
	switch format {
	case "json":
		if !json.Valid(raw) {
			t.Fatalf("%s: %d not JSON: %s", what, status, raw)
		}
	case "xml":
		d := xml.NewDecoder(bytes.NewReader(raw))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %d not XML (%v): %s", what, status, err, raw)
			}
		}
	}
}

// FuzzRequests posts fuzzed form bodies to POST /requests and fuzzed query
// strings to GET /requests and /servicerequestupdates, in both formats.
// The seed "KEY" in a form stands for the valid api_key, so the fuzzer
// reaches validation behind authentication.
func FuzzRequests(f *testing.F) {
	app, key := fuzzApp(f)
	valid := url.Values{"api_key": {"KEY"}, "service_code": {"water"}, "lat": {"30.52"}, "long": {"114.31"},
		"description": {"小区门口水管爆裂"}, "phone": {"13812345678"}, "attribute[request_type]": {"求助"}}.Encode()
	for _, s := range []struct{ form, query string }{
		{valid, "service_code=water&status=open"},
		{"api_key=KEY&service_code=water&address_string=%E4%BA%BA%E6%B0%91%E8%B7%AF&description=x&media_url=ftp://x", "start_date=2026-01-01T00:00:00Z&end_date=2025-01-01"},
		{"api_key=KEY&service_code=water&lat=1e400&long=-0&description=%00", "page=-1&page_size=99999999999999999999"},
		{"api_key=KEY&service_code=nope&lat=91&long=181", "service_request_id=a,b,,c&jurisdiction_id=jiangchuan"},
		{"api_key=&&&==&%zz", "%zz=&status=closed,open&updated_after=not-a-date"},
		{"api_key=KEY&service_code=water&address_id=1&description=" + strings.Repeat("长", 40), "page=2&page_size=0"},
	} {
		f.Add(s.form, s.query, true)
		f.Add(s.form, s.query, false)
	}
	f.Fuzz(func(t *testing.T, form, query string, asJSON bool) {
		format := "xml"
		if asJSON {
			format = "json"
		}
		form = strings.ReplaceAll(form, "KEY", key)
		req := httptest.NewRequest("POST", "http://hallgate.test/open311/v2/requests."+format, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := app.Test(req, 5000)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		checkAnswer(t, "POST requests", resp.StatusCode, raw, format)
		if resp.StatusCode == 200 && format == "json" {
			var out []struct {
				ID string `json:"service_request_id"`
			}
			if json.Unmarshal(raw, &out) != nil || len(out) != 1 || out[0].ID == "" {
				t.Fatalf("accepted without a service_request_id: %s", raw)
			}
		}
		for _, path := range []string{"/open311/v2/requests.", "/open311/v2/servicerequestupdates."} {
			// A request line cannot carry spaces or controls: a client
			// would have escaped them, so the fuzzer's query is escaped too.
			u := "http://hallgate.test" + path + format + "?" + strings.Map(func(r rune) rune {
				if r <= ' ' || r == 0x7f {
					return -1
				}
				return r
			}, query)
			if _, err := url.ParseRequestURI(u); err != nil {
				continue
			}
			resp, err := app.Test(httptest.NewRequest("GET", u, nil), 5000)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			checkAnswer(t, "GET "+path, resp.StatusCode, raw, format)
		}
	})
}
