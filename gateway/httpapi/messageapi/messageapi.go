package messageapi

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/message"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/ticket"
)

// Module serves /api/v1/messages.
type Module struct {
	svc     *message.Service
	limiter auth.Limiter
}

var _ httpapi.Module = (*Module)(nil)

// New returns the module; limiter caps submissions per client (nil: no cap).
func New(svc *message.Service, limiter auth.Limiter) *Module {
	return &Module{svc: svc, limiter: limiter}
}

var (
	anyone    = []auth.Role{auth.RoleCitizen, auth.RoleAgent, auth.RoleSupervisor, auth.RoleEditor, auth.RoleAdmin, auth.RolePartner, auth.RoleDepartment, auth.RoleOpen311}
	reviewers = []auth.Role{auth.RoleEditor, auth.RoleSupervisor, auth.RoleAdmin}
)

// Routes implements httpapi.Module.
func (m *Module) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: fiber.MethodPost, Path: "/api/v1/messages", Roles: anyone, Summary: "市民留言（政民互动），生成网站渠道工单；按客户端限流", Handler: m.submit},
		{Method: fiber.MethodGet, Path: "/api/v1/messages/published", Roles: anyone, Summary: "已公开的留言与答复（收到日期、答复日期、答复部门、答复内容）", Handler: m.published},
		{Method: fiber.MethodGet, Path: "/api/v1/messages/pending", Roles: reviewers, Summary: "待审核公开的留言", Handler: m.pending},
		{Method: fiber.MethodGet, Path: "/api/v1/messages/:id", Roles: reviewers, Summary: "留言详情（审核用）", Handler: m.get},
		{Method: fiber.MethodPost, Path: "/api/v1/messages/:id/review", Roles: reviewers, Summary: "审核：公开或不予公开，可修订公开文本", Handler: m.review},
		{Method: fiber.MethodPost, Path: "/api/v1/messages/:id/kb-draft", Roles: reviewers, Summary: "把答复一键转为知识库草稿", Handler: m.kbDraft},
	}
}

// ClientKey identifies a client for rate limiting: the principal when
// authenticated, otherwise the client address.
func ClientKey(c *fiber.Ctx) string {
	if p := auth.FromCtx(c); p.ID != auth.Anonymous.ID {
		return "p:" + p.ID
	}
	return "ip:" + c.IP()
}

func (m *Module) submit(c *fiber.Ctx) error {
	if m.limiter != nil {
		ok, wait, err := m.limiter.Allow(c.UserContext(), "message:"+ClientKey(c))
		if err != nil {
			return err
		}
		if !ok {
			secs := int(math.Ceil(wait.Seconds()))
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(secs, 1)))
			return httpapi.Errorf(fiber.StatusTooManyRequests, "留言过于频繁，请 %d 秒后再试", max(secs, 1))
		}
	}
	var sub message.Submission
	if err := httpapi.DecodeJSON(c, &sub); err != nil {
		return err
	}
	p := auth.FromCtx(c)
	channel := ticket.ChannelWebsite
	if p.Has(auth.RolePartner) {
		channel = ticket.ChannelPartner
	}
	msg, err := m.svc.Submit(c.UserContext(), p, channel, sub, strings.Clone(c.Get("Idempotency-Key")))
	if err != nil {
		return mapErr(err)
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{
		"id": msg.ID, "code": msg.Code, "status": msg.Status, "received_at": msg.ReceivedAt,
		"notice": "留言已收到。请记下编号 " + msg.Code + "，凭编号和手机号后四位查询办理进度。",
	})
}

func (m *Module) published(c *fiber.Ctx) error {
	limit := c.QueryInt("limit", 20)
	if limit < 1 || limit > 100 {
		return httpapi.Errorf(fiber.StatusBadRequest, "limit: 取值范围 1–100")
	}
	items, next, err := m.svc.PublishedPage(c.UserContext(), limit, c.Query("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"messages": items, "next_cursor": next})
}

func (m *Module) pending(c *fiber.Ctx) error {
	limit := c.QueryInt("limit", 50)
	if limit < 1 || limit > 200 {
		return httpapi.Errorf(fiber.StatusBadRequest, "limit: 取值范围 1–200")
	}
	items, next, err := m.svc.Pending(c.UserContext(), limit, c.Query("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"messages": items, "next_cursor": next})
}

func (m *Module) get(c *fiber.Ctx) error {
	msg, err := m.svc.Get(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(msg)
}

func (m *Module) review(c *fiber.Ctx) error {
	var r message.Review
	if err := httpapi.DecodeJSON(c, &r); err != nil {
		return err
	}
	msg, err := m.svc.ReviewMessage(c.UserContext(), auth.FromCtx(c), strings.Clone(c.Params("id")), r)
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(msg)
}

func (m *Module) kbDraft(c *fiber.Ctx) error {
	msg, err := m.svc.ToKBDraft(c.UserContext(), auth.FromCtx(c), strings.Clone(c.Params("id")))
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(msg)
}

func mapErr(err error) error {
	var ve *message.ValidationError
	switch {
	case errors.As(err, &ve):
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "留言内容有误：%s", strings.TrimPrefix(ve.Error(), "message: invalid: ")).With("fields", ve.Fields)
	case errors.Is(err, message.ErrNotFound), errors.Is(err, ticket.ErrNotFound):
		return httpapi.Errorf(fiber.StatusNotFound, "留言不存在")
	case errors.Is(err, message.ErrNotReady):
		return httpapi.Errorf(fiber.StatusConflict, "%s", strings.TrimPrefix(err.Error(), message.ErrNotReady.Error()+": "))
	case errors.Is(err, store.ErrConflict):
		return httpapi.Errorf(fiber.StatusConflict, "留言已被他人修改，请刷新后重试")
	case errors.Is(err, ticket.ErrIdemReuse):
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "Idempotency-Key 已用于另一条留言")
	}
	return err
}
