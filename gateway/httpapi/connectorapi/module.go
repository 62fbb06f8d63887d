package connectorapi

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/store"
)

// ApplyEvent applies a department's event to its ticket; the lead adapts
// ticket.Service.ApplyDepartmentEvent to it (see dispatch.ApplyEvent).
type ApplyEvent = dispatch.ApplyEvent

// Options wire the module.
type Options struct {
	Relay *dispatch.Relay // health, dead letters, redrive, registry
	Store store.Store     // delivery states, callback duplicate keys, KB proposals
	Apply ApplyEvent      // nil: callbacks are verified and recorded but not applied
	// Kinds builds connectors created through the API (nil: create disabled).
	Kinds connectors.Kinds
	// Chain wraps connectors created through the API in the resilience chain.
	Chain func(department string, c connectors.Connector) (connectors.Connector, error)
	// Tolerance of callback timestamps; default connectors.SignatureTolerance.
	Tolerance time.Duration
	// DuplicateTTL is how long callback event ids are remembered; default 7 days.
	DuplicateTTL time.Duration
	Now          func() time.Time
}

// Module serves the connector resources.
type Module struct{ o Options }

var _ httpapi.Module = (*Module)(nil)

// Errors mapped to statuses by this module's handlers.
var (
	ErrUnknownConnector = errors.New("connectorapi: unknown connector")
)

// New returns the module.
func New(o Options) *Module {
	if o.Tolerance == 0 {
		o.Tolerance = connectors.SignatureTolerance
	}
	if o.DuplicateTTL == 0 {
		o.DuplicateTTL = 7 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Module{o: o}
}

var (
	adminRoles  = []auth.Role{auth.RoleAdmin}
	watchRoles  = []auth.Role{auth.RoleSupervisor, auth.RoleAdmin}
	ticketRoles = []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin, auth.RoleDepartment}
	publicRoles = []auth.Role{auth.RoleCitizen, auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin, auth.RoleEditor, auth.RoleDepartment, auth.RolePartner, auth.RoleOpen311}
)

// Routes implements httpapi.Module.
func (m *Module) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: fiber.MethodGet, Path: "/api/v1/connectors", Roles: watchRoles, Summary: "对接系统健康：熔断状态、队列深度、最久等待、最近成功/失败、p95 延迟、死信数", Handler: m.list},
		{Method: fiber.MethodPost, Path: "/api/v1/connectors", Roles: adminRoles, Summary: "新增或替换对接系统 (name, kind, department, settings)", Handler: m.put},
		{Method: fiber.MethodGet, Path: "/api/v1/connectors/:name", Roles: watchRoles, Summary: "单个对接系统的健康", Handler: m.get},
		{Method: fiber.MethodDelete, Path: "/api/v1/connectors/:name", Roles: adminRoles, Summary: "停用对接系统（其部门的推送转为“无对接系统”等待）", Handler: m.remove},
		{Method: fiber.MethodPost, Path: "/api/v1/connectors/:name/redrive", Roles: watchRoles, Summary: "重投该对接系统的全部死信", Handler: m.redriveConnector},
		{Method: fiber.MethodPost, Path: "/api/v1/connectors/:name/callbacks", Roles: publicRoles, Summary: "部门系统回调（HMAC 签名：X-Hallgate-Timestamp, X-Hallgate-Signature）", Handler: m.callback},
		{Method: fiber.MethodGet, Path: "/api/v1/deadletters", Roles: watchRoles, Summary: "死信列表 (connector, limit)", Handler: m.deadLetters},
		{Method: fiber.MethodPost, Path: "/api/v1/deadletters/:id/redrive", Roles: watchRoles, Summary: "重投一条死信", Handler: m.redrive},
		{Method: fiber.MethodGet, Path: "/api/v1/tickets/:id/deliveries", Roles: ticketRoles, Summary: "工单的推送状态与每次尝试", Handler: m.ticketDeliveries},
	}
}

func (m *Module) list(c *fiber.Ctx) error {
	hs, err := m.o.Relay.Health(c.UserContext())
	if err != nil {
		return err
	}
	if hs == nil {
		hs = []dispatch.ConnectorHealth{}
	}
	return c.JSON(fiber.Map{"connectors": hs})
}

func (m *Module) get(c *fiber.Ctx) error {
	name := strings.Clone(c.Params("name"))
	if _, ok := m.o.Relay.Registry().ByName(name); !ok {
		return httpapi.Errorf(fiber.StatusNotFound, "对接系统 %q 不存在", name)
	}
	hs, err := m.o.Relay.Health(c.UserContext())
	if err != nil {
		return err
	}
	for _, h := range hs {
		if h.Name == name {
			return c.JSON(h)
		}
	}
	return httpapi.Errorf(fiber.StatusNotFound, "对接系统 %q 不存在", name)
}

func (m *Module) deadLetters(c *fiber.Ctx) error {
	limit := 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return httpapi.Errorf(fiber.StatusBadRequest, "limit 须为 1–1000 的整数").With("fields", []string{"limit"})
		}
		limit = n
	}
	views, err := m.o.Relay.DeadLetters(c.UserContext(), strings.Clone(c.Query("connector")), limit)
	if errors.Is(err, dispatch.ErrUnknownConnector) {
		return httpapi.Errorf(fiber.StatusNotFound, "对接系统 %q 不存在", c.Query("connector"))
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deadletters": views})
}

func (m *Module) redrive(c *fiber.Ctx) error {
	id, err := unescape(c.Params("id"))
	if err != nil {
		return err
	}
	if err := m.o.Relay.Redrive(c.UserContext(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return httpapi.Errorf(fiber.StatusNotFound, "死信 %q 不存在", id)
		}
		return err
	}
	return c.JSON(fiber.Map{"redriven": 1, "id": id})
}

func (m *Module) redriveConnector(c *fiber.Ctx) error {
	name := strings.Clone(c.Params("name"))
	n, err := m.o.Relay.RedriveConnector(c.UserContext(), name)
	if errors.Is(err, dispatch.ErrUnknownConnector) {
		return httpapi.Errorf(fiber.StatusNotFound, "对接系统 %q 不存在", name)
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"redriven": n, "connector": name})
}

func (m *Module) ticketDeliveries(c *fiber.Ctx) error {
	id, err := unescape(c.Params("id"))
	if err != nil {
		return err
	}
	states, attempts, err := dispatch.TicketDeliveries(c.UserContext(), m.o.Store, id)
	if err != nil {
		return err
	}
	// Department principals see only their own destinations.
	p := auth.FromCtx(c)
	if !p.Has(auth.RoleAgent) && !p.Has(auth.RoleSupervisor) && !p.Has(auth.RoleAdmin) {
		mine := map[string]bool{}
		for _, d := range p.Departments() {
			mine[d] = true
		}
		states = filter(states, func(s dispatch.DeliveryState) bool { return mine[s.Department] })
		attempts = filter(attempts, func(a dispatch.AttemptRecord) bool { return mine[a.Department] })
	}
	if states == nil {
		states = []dispatch.DeliveryState{}
	}
	if attempts == nil {
		attempts = []dispatch.AttemptRecord{}
	}
	return c.JSON(fiber.Map{"ticket_id": id, "deliveries": states, "attempts": attempts})
}

func filter[T any](in []T, keep func(T) bool) []T {
	var out []T
	for _, v := range in {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// unescape decodes a path parameter (outbox ids contain "/", sent as %2F)
// and copies it out of Fiber's reused buffer.
func unescape(raw string) (string, error) {
	s, err := urlUnescape(raw)
	if err != nil || s == "" {
		return "", httpapi.Errorf(fiber.StatusBadRequest, "路径参数格式错误")
	}
	return s, nil
}
