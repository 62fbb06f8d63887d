package partnerapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/partner"
	"github.com/hallgate/hallgate/gateway/store"
)

// ErrUpstreamMissing: an upstream route the partner API delegates to is not
// served by any of the given modules (a wiring error).
var ErrUpstreamMissing = errors.New("partnerapi: upstream route missing")

// Options wire the module.
type Options struct {
	Partners *partner.Registry
	Store    store.Store
	// Upstream are the modules whose public handlers the partner API runs
	// (kbapi, messageapi, ticketapi).
	Upstream []httpapi.Module
	// Redis, when set, shares the per-key and per-client buckets between
	// replicas (keys under RedisPrefix + "partner-ratelimit:").
	Redis       goredis.Scripter
	RedisPrefix string
	// ClientPerMinute and ClientBurst limit one client address of one
	// partner (defaults 120 and 30).
	ClientPerMinute int
	ClientBurst     int
	// OnError reports background failures (usage compaction); nil drops them.
	OnError func(error)
}

// Module serves the partner routes.
type Module struct {
	reg      *partner.Registry
	st       store.Store
	upstream map[string]fiber.Handler
	limits   *limits
	onErr    func(error)
	owner    string
}

var _ httpapi.Module = (*Module)(nil)

// New builds the module; it panics when an upstream route is missing,
// like the gateway's route table does on wiring errors.
func New(opts Options) *Module {
	m, err := build(opts)
	if err != nil {
		panic(err.Error())
	}
	return m
}

func build(opts Options) (*Module, error) {
	if opts.ClientPerMinute <= 0 {
		opts.ClientPerMinute = 120
	}
	if opts.ClientBurst <= 0 {
		opts.ClientBurst = 30
	}
	up := map[string]fiber.Handler{}
	for _, mod := range opts.Upstream {
		for _, r := range mod.Routes() {
			up[r.Method+" "+r.Path] = r.Handler
		}
	}
	for _, ep := range endpoints {
		if ep.upstream != "" && up[ep.upstream] == nil {
			return nil, fmt.Errorf("%w: %s", ErrUpstreamMissing, ep.upstream)
		}
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	return &Module{reg: opts.Partners, st: opts.Store, upstream: up, limits: newLimits(opts), onErr: opts.OnError,
		owner: "partnerapi-" + hex.EncodeToString(b[:])}, nil
}

// Run folds past days' usage records into daily summaries (hourly, on the
// replica holding the lease) until ctx ends; add it to the background workers.
func (m *Module) Run(ctx context.Context) error {
	return m.reg.RunCompaction(ctx, m.owner, time.Hour, m.onErr)
}

var (
	admins = []auth.Role{auth.RoleAdmin}
	// Supervisors see where messages came from; they do not manage keys.
	partnerReaders = []auth.Role{auth.RoleAdmin, auth.RoleSupervisor}
	publicAPI      = []auth.Role{auth.RoleCitizen, auth.RolePartner}
	endpoints      = publicEndpoints()
	endpointNs     = func() []string {
		out := make([]string, len(endpoints))
		for i, ep := range endpoints {
			out[i] = ep.name
		}
		return out
	}()
)

// Endpoints lists the public endpoint names usage is broken down by.
func Endpoints() []string { return append([]string(nil), endpointNs...) }

// Routes implements httpapi.Module.
func (m *Module) Routes() []httpapi.Route {
	rs := []httpapi.Route{
		{Method: fiber.MethodPost, Path: "/api/v1/partners", Roles: admins, Summary: "登记合作方（融媒体中心等），密钥只返回一次", Handler: m.create},
		{Method: fiber.MethodGet, Path: "/api/v1/partners", Roles: admins, Summary: "合作方列表（不含密钥）", Handler: m.list},
		{Method: fiber.MethodGet, Path: "/api/v1/partners/:id", Roles: admins, Summary: "合作方详情", Handler: m.get},
		{Method: fiber.MethodDelete, Path: "/api/v1/partners/:id", Roles: admins, Summary: "吊销合作方密钥", Handler: m.revoke},
		{Method: fiber.MethodGet, Path: "/api/v1/partners/:id/usage", Roles: admins, Summary: "合作方调用量（按日、按接口；from/to 为 YYYY-MM-DD）", Handler: m.usage},
		{Method: fiber.MethodGet, Path: "/api/v1/partners/:id/messages", Roles: partnerReaders, Summary: "经合作方提交的留言（工单编号）", Handler: m.messages},
		{Method: fiber.MethodOptions, Path: "/partner/v1/*", Roles: publicAPI, Summary: "合作方接口 CORS 预检（仅对登记的来源放行）", Handler: m.preflight},
	}
	for _, ep := range endpoints {
		h := m.upstream[ep.upstream]
		if ep.own != nil {
			h = ep.own(m)
		}
		rs = append(rs, httpapi.Route{Method: ep.method, Path: ep.path, Roles: publicAPI, Summary: ep.summary, Handler: m.guard(ep, h)})
	}
	return rs
}

type createResponse struct {
	ID      string          `json:"id"`
	Key     string          `json:"key"`
	Partner partner.Partner `json:"partner"`
}

func (m *Module) create(c *fiber.Ctx) error {
	var spec partner.Spec
	if err := httpapi.DecodeJSON(c, &spec); err != nil {
		return err
	}
	p, key, err := m.reg.Create(c.UserContext(), spec, auth.FromCtx(c).ID)
	if err != nil {
		return mapErr(err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(createResponse{ID: p.ID, Key: key, Partner: p})
}

func (m *Module) list(c *fiber.Ctx) error {
	ps, err := m.reg.List(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"partners": ps})
}

func (m *Module) get(c *fiber.Ctx) error {
	p, err := m.reg.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(p)
}

func (m *Module) revoke(c *fiber.Ctx) error {
	p, err := m.reg.Revoke(c.UserContext(), c.Params("id"))
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(p)
}

func (m *Module) usage(c *fiber.Ctx) error {
	u, err := m.reg.Usage(c.UserContext(), c.Params("id"), strings.TrimSpace(c.Query("from")), strings.TrimSpace(c.Query("to")), endpointNs)
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(u)
}

// messages lists the tickets created through the partner's key, newest
// first (cursor paging).
func (m *Module) messages(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := m.reg.Get(c.UserContext(), id); err != nil {
		return mapErr(err)
	}
	limit := c.QueryInt("limit", 50)
	if limit < 1 || limit > 200 {
		return httpapi.Errorf(fiber.StatusBadRequest, "limit: 取值范围 1–200")
	}
	page, err := m.st.List(c.UserContext(), MessagesCollection, store.ListOptions{Filter: map[string]string{"partner": id}, Limit: limit, Cursor: c.Query("cursor")})
	if err != nil {
		return err
	}
	out := make([]json.RawMessage, 0, len(page.Records))
	for _, rec := range page.Records {
		out = append(out, rec.Data)
	}
	return c.JSON(fiber.Map{"messages": out, "next_cursor": page.NextCursor})
}

func mapErr(err error) error {
	var ve *partner.ValidationError
	switch {
	case errors.As(err, &ve):
		fields := make([]string, 0, len(ve.Fields))
		for _, f := range ve.Fields {
			fields = append(fields, f.Field)
		}
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "合作方信息有误：%s", strings.TrimPrefix(ve.Error(), "partner: invalid: ")).
			With("fields", fields).With("errors", ve.Fields)
	case errors.Is(err, partner.ErrNotFound):
		return httpapi.Errorf(fiber.StatusNotFound, "合作方不存在")
	case errors.Is(err, partner.ErrRevoked):
		return httpapi.Errorf(fiber.StatusConflict, "合作方密钥已吊销")
	case errors.Is(err, partner.ErrBadRange):
		return httpapi.Errorf(fiber.StatusBadRequest, "%s", err.Error())
	case errors.Is(err, partner.ErrUnauthenticated):
		return httpapi.Errorf(fiber.StatusUnauthorized, "合作方密钥无效或已吊销 (invalid or revoked partner key)")
	}
	return err
}

type ctxKey struct{}

// withClient carries the client address below the HTTP layer, for PerClient.
func withClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, ctxKey{}, client)
}

// PerClient wraps a limiter keyed by principal (like messageapi's) so that
// partner requests are limited per partner and client address: all the
// citizens on one partner's site must not share one bucket.
func PerClient(l auth.Limiter) auth.Limiter { return perClient{l} }

type perClient struct{ l auth.Limiter }

func (p perClient) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	if client, ok := ctx.Value(ctxKey{}).(string); ok && client != "" {
		key += "|ip:" + client
	}
	return p.l.Allow(ctx, key)
}
