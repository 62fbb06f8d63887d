package partnerapi

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/partner"
	"github.com/hallgate/hallgate/gateway/store"
)

// KeyHeader carries a partner key when the Authorization header is not used
// (the widget sends it; browsers cannot be made to send bearer tokens by a
// plain <script> tag anyway).
const KeyHeader = "X-Partner-Key"

// MessagesCollection links tickets created through the partner API to the
// partner (id = ticket id, index partner), so staff can tell which media
// centre a message came from.
const MessagesCollection = "partner_messages"

type endpoint struct {
	name     string // usage breakdown key
	method   string
	path     string
	feature  partner.Feature // "" = any partner
	upstream string          // "METHOD /path" of the module handler run for it
	own      func(m *Module) fiber.Handler
	summary  string
}

func publicEndpoints() []endpoint {
	get, post := fiber.MethodGet, fiber.MethodPost
	return []endpoint{
		{name: "me", method: get, path: "/partner/v1/me", own: func(m *Module) fiber.Handler { return m.me },
			summary: "合作方：本密钥的名称、可用功能与限额"},
		{name: "search", method: get, path: "/partner/v1/search", feature: partner.FeatureSearch, upstream: "GET /api/v1/kb/search",
			summary: "合作方：搜索已发布的公开问答与办事指南"},
		{name: "entry", method: get, path: "/partner/v1/kb/entries/:id", feature: partner.FeatureSearch, upstream: "GET /api/v1/kb/entries/:id",
			summary: "合作方：已发布的公开问答条目"},
		{name: "items", method: get, path: "/partner/v1/items", feature: partner.FeatureGuides, upstream: "GET /api/v1/items",
			summary: "合作方：政务服务事项列表"},
		{name: "item", method: get, path: "/partner/v1/items/:id", feature: partner.FeatureGuides, upstream: "GET /api/v1/items/:id",
			summary: "合作方：政务服务事项"},
		{name: "guide", method: get, path: "/partner/v1/items/:id/guide", feature: partner.FeatureGuides, upstream: "GET /api/v1/items/:id/guide",
			summary: "合作方：办事指南"},
		{name: "replies", method: get, path: "/partner/v1/replies", feature: partner.FeatureReplies, upstream: "GET /api/v1/messages/published",
			summary: "合作方：已公开的留言与答复"},
		{name: "messages", method: post, path: "/partner/v1/messages", feature: partner.FeatureMessages, upstream: "POST /api/v1/messages",
			summary: "合作方：提交留言（合作方渠道工单）"},
		{name: "tracking", method: get, path: "/partner/v1/tickets/track", feature: partner.FeatureTracking, upstream: "GET /api/v1/tickets/track",
			summary: "合作方：按编号和手机号后四位查询工单进度"},
	}
}

// guard authenticates the partner, enforces its origins, counts the call,
// checks the feature and the rate limits, then runs next as the partner.
func (m *Module) guard(ep endpoint, next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Vary(fiber.HeaderOrigin)
		origin := c.Get(fiber.HeaderOrigin)
		p, err := m.resolve(c)
		if err != nil {
			// Let a registered site's page read why (e.g. a revoked key).
			if known, kerr := m.reg.OriginKnown(c.UserContext(), origin); kerr == nil && known {
				allowOrigin(c, origin)
			}
			return err
		}
		if origin != "" {
			if !p.AllowsOrigin(origin) {
				// No CORS headers: the browser refuses the answer.
				return httpapi.Errorf(fiber.StatusForbidden, "来源 %s 未获此合作方授权 (origin not allowed for this partner)", origin)
			}
			allowOrigin(c, origin)
		}
		if err := m.reg.Count(c.UserContext(), p.ID, ep.name); err != nil {
			return err
		}
		if ep.feature != "" && !p.Has(ep.feature) {
			return httpapi.Errorf(fiber.StatusForbidden, "此合作方未开通“%s”功能 (feature not enabled)", ep.feature).With("feature", ep.feature)
		}
		if err := m.limits.check(c, p); err != nil {
			return err
		}
		pr := p.Principal()
		auth.SetPrincipal(c, pr)
		c.SetUserContext(auth.WithPrincipal(withClient(c.UserContext(), c.IP()), pr))
		if err := next(c); err != nil {
			return err
		}
		if ep.name == "messages" && c.Response().StatusCode() == fiber.StatusCreated {
			return m.linkMessage(c, p)
		}
		return nil
	}
}

func (m *Module) resolve(c *fiber.Ctx) (partner.Partner, error) {
	ctx := c.UserContext()
	if key := strings.TrimSpace(c.Get(KeyHeader)); key != "" {
		p, err := m.reg.Resolve(ctx, key)
		return p, mapErr(err)
	}
	if pr := auth.FromCtx(c); pr.Has(auth.RolePartner) {
		p, err := m.reg.FromPrincipal(ctx, pr)
		return p, mapErr(err)
	}
	return partner.Partner{}, httpapi.Errorf(fiber.StatusUnauthorized, "需要合作方密钥（X-Partner-Key 或 Authorization: Bearer）(partner key required)")
}

func allowOrigin(c *fiber.Ctx, origin string) {
	c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
	c.Set(fiber.HeaderAccessControlExposeHeaders, "Retry-After, X-Request-ID, ETag")
}

// preflight answers CORS preflights. They carry no key, so an origin is
// admitted when any active partner lists it; the actual request is then
// checked against its own partner's origins.
func (m *Module) preflight(c *fiber.Ctx) error {
	c.Vary(fiber.HeaderOrigin)
	origin := c.Get(fiber.HeaderOrigin)
	method := c.Get(fiber.HeaderAccessControlRequestMethod)
	if origin != "" && (method == fiber.MethodGet || method == fiber.MethodPost) {
		known, err := m.reg.OriginKnown(c.UserContext(), origin)
		if err != nil {
			return err
		}
		if known {
			c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
			c.Set(fiber.HeaderAccessControlAllowMethods, "GET, POST")
			c.Set(fiber.HeaderAccessControlAllowHeaders, "X-Partner-Key, Authorization, Content-Type, Idempotency-Key")
			c.Set(fiber.HeaderAccessControlMaxAge, "600")
		}
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type meResponse struct {
	ID                 string            `json:"id"`
	Name               string            `json:"name"`
	Features           []partner.Feature `json:"features"`
	RateLimitPerMinute int               `json:"rate_limit_per_minute"`
}

func (m *Module) me(c *fiber.Ctx) error {
	id, _ := strings.CutPrefix(auth.FromCtx(c).ID, "partner:")
	p, err := m.reg.Get(c.UserContext(), id)
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(meResponse{ID: p.ID, Name: p.Name, Features: p.Features, RateLimitPerMinute: p.RateLimitPerMinute})
}

// linkMessage records which partner a message (and its ticket) came from.
func (m *Module) linkMessage(c *fiber.Ctx, p partner.Partner) error {
	var body struct {
		ID   string `json:"id"`
		Code string `json:"code"`
	}
	if err := json.Unmarshal(c.Response().Body(), &body); err != nil || body.ID == "" || m.st == nil {
		return nil
	}
	data, err := json.Marshal(map[string]any{"ticket_id": body.ID, "code": body.Code, "partner": p.ID, "partner_name": p.Name, "at": time.Now().UTC()})
	if err != nil {
		return err
	}
	_, err = m.st.Commit(c.UserContext(), store.Tx{Puts: []store.Put{{Record: store.Record{Collection: MessagesCollection, ID: body.ID, Data: data,
		Index: map[string]string{"partner": p.ID}}}}})
	if errors.Is(err, store.ErrConflict) {
		return nil // an idempotent retry of a message already linked
	}
	return err
}

// limits holds the per-key buckets (one limiter per distinct rate, keyed by
// partner) and the per-client bucket.
type limits struct {
	newLimiter func(perSecond float64, burst int) auth.Limiter
	client     auth.Limiter

	mu     sync.Mutex
	perKey map[int]auth.Limiter
}

func newLimits(opts Options) *limits {
	l := &limits{perKey: map[int]auth.Limiter{}}
	l.newLimiter = func(ps float64, burst int) auth.Limiter { return auth.NewTokenBucket(ps, burst) }
	if opts.Redis != nil {
		prefix := opts.RedisPrefix + "partner-ratelimit:"
		l.newLimiter = func(ps float64, burst int) auth.Limiter { return auth.NewRedisLimiter(opts.Redis, prefix, ps, burst) }
	}
	l.client = l.newLimiter(float64(opts.ClientPerMinute)/60, opts.ClientBurst)
	return l
}

// check applies the per-client bucket first (an abusive client must not
// drain its partner's quota), then the partner's per-minute bucket, whose
// burst is one minute's allowance.
//
// The per-client bucket applies to browser calls (those with an Origin):
// citizens on a partner's pages each have their own address, while a
// partner's server calling from one address is bounded by its key alone.
func (l *limits) check(c *fiber.Ctx, p partner.Partner) error {
	ctx := c.UserContext()
	ok, wait, err := true, time.Duration(0), error(nil)
	if c.Get(fiber.HeaderOrigin) != "" {
		ok, wait, err = l.client.Allow(ctx, "client:"+p.ID+"|"+c.IP())
	}
	if err == nil && ok {
		l.mu.Lock()
		lim := l.perKey[p.RateLimitPerMinute]
		if lim == nil {
			lim = l.newLimiter(float64(p.RateLimitPerMinute)/60, p.RateLimitPerMinute)
			l.perKey[p.RateLimitPerMinute] = lim
		}
		l.mu.Unlock()
		ok, wait, err = lim.Allow(ctx, "key:"+p.ID)
	}
	if err != nil || ok {
		return nil // a limiter outage must not take the partner API down
	}
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return httpapi.Errorf(fiber.StatusTooManyRequests, "请求过于频繁，请 %d 秒后再试 (rate limit exceeded)", secs)
}
