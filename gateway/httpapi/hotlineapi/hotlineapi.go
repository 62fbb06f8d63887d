package hotlineapi

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/hotline"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/store"
)

// Module serves /api/v1/hotlines and /api/v1/calls.
type Module struct {
	registry *hotline.Registry
	calls    *hotline.Calls
	// DepartmentExists validates the department of a hotline; nil accepts any.
	departmentExists func(code string) bool
}

var _ httpapi.Module = (*Module)(nil)

// New returns the module.
func New(registry *hotline.Registry, calls *hotline.Calls, departmentExists func(code string) bool) *Module {
	return &Module{registry: registry, calls: calls, departmentExists: departmentExists}
}

var (
	staff     = []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin}
	adminOnly = []auth.Role{auth.RoleAdmin}
)

// Routes implements httpapi.Module.
func (m *Module) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: fiber.MethodGet, Path: "/api/v1/hotlines", Roles: staff, Summary: "原部门热线号码及其整合方式", Handler: m.list},
		{Method: fiber.MethodGet, Path: "/api/v1/hotlines/transfer-targets", Roles: staff, Summary: "紧急转接号码（110、119、120、122）", Handler: m.transferTargets},
		{Method: fiber.MethodGet, Path: "/api/v1/hotlines/:number", Roles: staff, Summary: "查看一个原部门热线", Handler: m.get},
		{Method: fiber.MethodPut, Path: "/api/v1/hotlines/:number", Roles: adminOnly, Summary: "新增或替换原部门热线", Handler: m.put},
		{Method: fiber.MethodDelete, Path: "/api/v1/hotlines/:number", Roles: adminOnly, Summary: "删除原部门热线", Handler: m.delete},
		{Method: fiber.MethodPost, Path: "/api/v1/calls", Roles: staff, Summary: "话务事件（振铃时返回来电弹屏）", Handler: m.callEvent},
		{Method: fiber.MethodGet, Path: "/api/v1/calls/missed", Roles: staff, Summary: "待回拨的漏接来电", Handler: m.missed},
		{Method: fiber.MethodGet, Path: "/api/v1/calls/:id", Roles: staff, Summary: "查看一次通话及其工单", Handler: m.getCall},
		{Method: fiber.MethodPost, Path: "/api/v1/calls/:id/callback", Roles: staff, Summary: "标记漏接来电已回拨", Handler: m.calledBack},
		{Method: fiber.MethodPost, Path: "/api/v1/calls/:id/tickets", Roles: staff, Summary: "关联通话中受理的工单", Handler: m.linkTicket},
	}
}

func (m *Module) list(c *fiber.Ctx) error {
	hs, err := m.registry.List(c.UserContext())
	if err != nil {
		return err
	}
	if hs == nil {
		hs = []hotline.Hotline{}
	}
	return c.JSON(fiber.Map{"hotlines": hs})
}

func (m *Module) transferTargets(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"transfer_targets": hotline.TransferTargets})
}

func (m *Module) get(c *fiber.Ctx) error {
	h, err := m.registry.Get(c.UserContext(), strings.Clone(c.Params("number")))
	if err != nil {
		return mapErr(err, "热线号码不存在")
	}
	return c.JSON(h)
}

func (m *Module) put(c *fiber.Ctx) error {
	var h hotline.Hotline
	if err := httpapi.DecodeJSON(c, &h); err != nil {
		return err
	}
	number := strings.Clone(c.Params("number"))
	if h.Number != "" && h.Number != number {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "number: 请求体中的号码 %s 与路径中的 %s 不一致", h.Number, number)
	}
	h.Number = number
	saved, err := m.registry.Put(c.UserContext(), h, m.departmentExists)
	if err != nil {
		return mapErr(err, "")
	}
	return c.JSON(saved)
}

func (m *Module) delete(c *fiber.Ctx) error {
	if err := m.registry.Delete(c.UserContext(), strings.Clone(c.Params("number"))); err != nil {
		return mapErr(err, "热线号码不存在")
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (m *Module) callEvent(c *fiber.Ctx) error {
	var ev hotline.CallEvent
	if err := httpapi.DecodeJSON(c, &ev); err != nil {
		return err
	}
	audit.Note(c, "event", httpapi.Identifier(ev.Event))
	pop, call, err := m.calls.Handle(c.UserContext(), ev, 50)
	if err != nil {
		return mapErr(err, "")
	}
	audit.SetTarget(c, call.ID)
	if pop != nil {
		if pop.Caller.Known {
			audit.PersonalDataShown(c)
		}
		return c.JSON(pop)
	}
	return c.JSON(fiber.Map{"call_id": call.ID, "status": call.Status})
}

func (m *Module) missed(c *fiber.Ctx) error {
	limit := c.QueryInt("limit", 100)
	if limit < 1 || limit > 1000 {
		return httpapi.Errorf(fiber.StatusBadRequest, "limit: 取值范围 1–1000")
	}
	calls, err := m.calls.Missed(c.UserContext(), limit)
	if err != nil {
		return err
	}
	if len(calls) > 0 {
		audit.PersonalDataShown(c) // the numbers to call back, in clear
	}
	return c.JSON(fiber.Map{"missed": calls})
}

func (m *Module) getCall(c *fiber.Ctx) error {
	call, err := m.calls.Get(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return mapErr(err, "通话不存在")
	}
	call.CallerSealed = ""
	return c.JSON(call)
}

func (m *Module) calledBack(c *fiber.Ctx) error {
	call, err := m.calls.MarkCalledBack(c.UserContext(), strings.Clone(c.Params("id")), auth.FromCtx(c).ID)
	if err != nil {
		return mapErr(err, "通话不存在")
	}
	call.CallerSealed = ""
	return c.JSON(call)
}

func (m *Module) linkTicket(c *fiber.Ctx) error {
	var body struct {
		TicketID string `json:"ticket_id"`
	}
	if err := httpapi.DecodeJSON(c, &body); err != nil {
		return err
	}
	if body.TicketID == "" {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "ticket_id: 必填").With("fields", []string{"ticket_id"})
	}
	call, err := m.calls.LinkTicket(c.UserContext(), strings.Clone(c.Params("id")), body.TicketID)
	if err != nil {
		return mapErr(err, "通话不存在")
	}
	call.CallerSealed = ""
	return c.JSON(call)
}

func mapErr(err error, notFound string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return httpapi.Errorf(fiber.StatusNotFound, "%s", notFound)
	case errors.Is(err, hotline.ErrInvalid):
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "%s", strings.TrimPrefix(err.Error(), hotline.ErrInvalid.Error()+": "))
	case errors.Is(err, store.ErrConflict):
		return httpapi.Errorf(fiber.StatusConflict, "记录已被他人修改，请刷新后重试")
	}
	return err
}
