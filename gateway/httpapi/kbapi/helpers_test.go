package kbapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/devdata"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/httpapi/kbapi"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/knowledgebase"
)

func sharedData(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(devdata.File(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bigramIndex is a small exact Index for handler tests (the ranking is the
// index backends' business, tested in indextest and the evaluation).
type bigramIndex struct {
	mu   sync.Mutex
	docs map[string]knowledgebase.Document
}

func (x *bigramIndex) Upsert(_ context.Context, docs ...knowledgebase.Document) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, d := range docs {
		x.docs[d.ID] = d
	}
	return nil
}

func (x *bigramIndex) Delete(_ context.Context, ids ...string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		delete(x.docs, id)
	}
	return nil
}

func (x *bigramIndex) Search(_ context.Context, q knowledgebase.Query) (knowledgebase.Result, error) {
	if strings.TrimSpace(q.Text) == "" {
		return knowledgebase.Result{}, knowledgebase.ErrBadQuery
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	r := []rune(q.Text)
	var hits []knowledgebase.Hit
	for _, d := range x.docs {
		if !d.Searchable || (d.Internal && !q.IncludeInternal) ||
			(q.Department != "" && d.Department != q.Department) || (q.Kind != "" && d.Kind != q.Kind) ||
			(q.Channel != "" && !slices.Contains(d.Channels, q.Channel)) ||
			(q.Category != "" && d.Category != q.Category && !strings.HasPrefix(d.Category, q.Category+"/")) {
			continue
		}
		text := d.Title + strings.Join(d.Alternates, " ") + strings.Join(d.Keywords, " ") + d.Body
		score := 0.0
		for i := 0; i+1 < len(r); i++ {
			if strings.Contains(text, string(r[i:i+2])) {
				score++
			}
		}
		if score > 0 {
			hits = append(hits, knowledgebase.Hit{ID: d.ID, Kind: d.Kind, Score: score, Highlight: d.Title})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].ID < hits[j].ID
	})
	total := len(hits)
	limit := q.Limit
	if limit == 0 {
		limit = 10
	}
	return knowledgebase.Result{Hits: hits[min(q.Offset, total):min(q.Offset+limit, total)], Total: total}, nil
}

func (x *bigramIndex) Count(context.Context) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.docs), nil
}

func (x *bigramIndex) Reset(context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.docs = map[string]knowledgebase.Document{}
	return nil
}

func (x *bigramIndex) SetSynonyms(context.Context, [][]string) error { return nil }
func (x *bigramIndex) Close() error                                  { return nil }

// testApp mounts the module's routes on a Fiber app the way the gateway
// does: principal from a test header, role check from the route table,
// problem+json errors.
func testApp(t testing.TB, idx knowledgebase.Index) (*fiber.App, *knowledgebase.Service, *department.Service) {
	t.Helper()
	ctx := context.Background()
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(t.TempDir(), "api.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if idx == nil {
		idx = &bigramIndex{docs: map[string]knowledgebase.Document{}}
	}
	depts := department.NewService(st)
	kb := knowledgebase.NewService(st, idx, depts, knowledgebase.Options{Logger: slog.New(slog.DiscardHandler),
		HydrateFromIndex: true}) // as the gateway wires bolt + embedded
	if err := kb.Open(ctx); err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{
		BodyLimit:             64 << 20,
		DisableStartupMessage: true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			p := httpapi.AsProblem(err)
			c.Set(fiber.HeaderContentType, "application/problem+json")
			return c.Status(p.Status).JSON(p)
		},
	})
	app.Use(func(c *fiber.Ctx) error {
		if h := c.Get("X-Test-Roles"); h != "" {
			var roles []auth.Role
			for _, r := range strings.Split(h, ",") {
				roles = append(roles, auth.Role(r))
			}
			auth.SetPrincipal(c, auth.Principal{ID: "u-" + h, Roles: roles})
		}
		return c.Next()
	})
	for _, r := range kbapi.New(kb, depts).Routes() {
		route := r
		app.Add(route.Method, route.Path, func(c *fiber.Ctx) error {
			p := auth.FromCtx(c)
			for _, role := range route.Roles {
				if p.Has(role) {
					return c.Next()
				}
			}
			return httpapi.Errorf(http.StatusForbidden, "role not admitted")
		}, route.Handler)
	}
	return app, kb, depts
}

type resp struct {
	status int
	body   []byte
	header http.Header
}

func (r resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func do(t testing.TB, app *fiber.App, method, path, roles string, body string, headers ...string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if roles != "" {
		req.Header.Set("X-Test-Roles", roles)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := app.Test(req, int((30 * time.Second).Milliseconds()))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return resp{res.StatusCode, b, res.Header}
}

const deptsJSON = `[
 {"code":"water","name":"江川市水务集团","short_name":"水务","legacy_hotlines":[],"consolidation_mode":"merged","responsibilities":"供水"},
 {"code":"hrss","name":"江川市人力资源和社会保障局","short_name":"人社局","legacy_hotlines":["12333"],"consolidation_mode":"subcentre","responsibilities":"社保就业"}
]`
