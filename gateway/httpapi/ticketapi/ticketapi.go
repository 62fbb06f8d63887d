package ticketapi

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/tabular"
	"github.com/hallgate/hallgate/gateway/ticket"
)

// Module serves /api/v1/tickets and /api/v1/stats.
type Module struct {
	svc *ticket.Service
}

var _ httpapi.Module = (*Module)(nil)

// New returns the module.
func New(svc *ticket.Service) httpapi.Module { return &Module{svc: svc} }

var (
	intakeRoles = []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin, auth.RoleDepartment}
	readRoles   = []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin, auth.RoleEditor, auth.RoleDepartment}
	eventRoles  = []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin, auth.RoleDepartment}
	importRoles = []auth.Role{auth.RoleSupervisor, auth.RoleAdmin}
	exportRoles = []auth.Role{auth.RoleSupervisor, auth.RoleAdmin, auth.RoleDepartment}
	statsRoles  = []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin, auth.RoleDepartment}
	anyone      = []auth.Role{auth.RoleCitizen, auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin, auth.RoleEditor, auth.RoleDepartment, auth.RolePartner, auth.RoleOpen311}
)

// Routes implements httpapi.Module. Static paths come before /:id.
func (m *Module) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: fiber.MethodPost, Path: "/api/v1/tickets", Roles: intakeRoles, Summary: "受理工单 (intake; Idempotency-Key honoured)", Handler: m.create},
		{Method: fiber.MethodGet, Path: "/api/v1/tickets/export", Roles: exportRoles, Summary: "导出工单 CSV (from, to, department, historical; UTF-8 with BOM, the import's headings, no caller data)", Handler: m.export},
		{Method: fiber.MethodPost, Path: "/api/v1/tickets/import", Roles: importRoles, Summary: "导入历史工单 (JSON Lines; or CSV with Content-Type: text/csv, UTF-8 or GBK, Chinese headings)", Handler: m.importLines},
		{Method: fiber.MethodGet, Path: "/api/v1/tickets/track", Roles: anyone, Summary: "市民查询工单进度 (code + phone_last4)", Handler: m.track},
		{Method: fiber.MethodGet, Path: "/api/v1/tickets", Roles: readRoles, Summary: "工单列表 (status, department, caller_phone, overdue, at_risk, awaiting_callback, open, q = words in text/address/code with from (default 90 days back), order, cursor)", Handler: m.list},
		{Method: fiber.MethodGet, Path: "/api/v1/tickets/:id", Roles: readRoles, Summary: "工单详情：状态、时限、事件 (id or code)", Handler: m.get},
		{Method: fiber.MethodPost, Path: "/api/v1/tickets/:id/events", Roles: eventRoles, Summary: "工单流转事件 (answer, dispatch, accept, return, reply, rate, ...)", Handler: m.event},
		{Method: fiber.MethodGet, Path: "/api/v1/deadlines", Roles: readRoles, Summary: "办理时限规则与工作日历 (time limits, windows, holiday schedule; ?type=&urgent=&from= previews a ticket's deadlines)", Handler: m.deadlines},
		{Method: fiber.MethodGet, Path: "/api/v1/stats", Roles: statsRoles, Summary: "考核指标：按时转出、按时答复、按时办结、首呼解决、满意率、超期", Handler: m.stats},
	}
}

// TicketResponse is a ticket as the principal may see it, with its reply
// deadline and the events the principal may post next.
type TicketResponse struct {
	*ticket.Ticket
	Deadline      time.Time `json:"deadline,omitzero"`
	AllowedEvents []string  `json:"allowed_events"`
}

// respond shows t to the request's principal; a read that shows a caller
// in clear is recorded in the audit trail (a change is recorded anyway,
// and its answer echoes what the actor just worked on).
func respond(c *fiber.Ctx, t *ticket.Ticket) TicketResponse {
	p := auth.FromCtx(c)
	if c.Method() == fiber.MethodGet && ticket.ShowsCaller(p, t) {
		audit.PersonalDataShown(c)
	}
	allowed := ticket.Allowed(p, t)
	if allowed == nil {
		allowed = []string{}
	}
	return TicketResponse{Ticket: ticket.View(p, t), Deadline: t.Deadline(), AllowedEvents: allowed}
}

// mapErr turns ticket errors into problems with precise reasons.
func mapErr(err error) error {
	var ve *ticket.ValidationError
	var te *ticket.TransitionError
	var he *tabular.HeaderError
	switch {
	case errors.As(err, &he):
		var fields []ticket.FieldError
		for _, f := range he.Missing {
			fields = append(fields, ticket.FieldError{Field: f, Reason: "no column names it (e.g. " + ticket.CSVHeading(f) + ")"})
		}
		for _, f := range he.Duplicates {
			fields = append(fields, ticket.FieldError{Field: f, Reason: "named by several columns"})
		}
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "CSV 表头有误，未导入任何工单 (%s)", he.Error()).With("fields", fields)
	case errors.As(err, &ve):
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "请求字段有误 (invalid fields)").With("fields", ve.Fields)
	case errors.As(err, &te):
		allowed := te.Allowed
		if allowed == nil {
			allowed = []string{}
		}
		p := httpapi.Errorf(fiber.StatusConflict, "当前状态不允许此操作: %s", te.Error()).With("allowed", allowed).With("status", te.Status).With("event", te.Event)
		if te.Reason != "" {
			p = p.With("reason", te.Reason)
		}
		return p
	case errors.Is(err, ticket.ErrNotFound):
		return httpapi.Errorf(fiber.StatusNotFound, "工单不存在 (no such ticket)")
	case errors.Is(err, ticket.ErrForbidden):
		return httpapi.Errorf(fiber.StatusForbidden, "无权操作此工单: %s", err.Error())
	case errors.Is(err, ticket.ErrIdemReuse):
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "Idempotency-Key 已用于另一个请求 (key reused with a different body)").With("fields", []ticket.FieldError{{Field: "Idempotency-Key", Reason: "reused with a different request body"}})
	case errors.Is(err, ticket.ErrInProgress):
		return httpapi.Errorf(fiber.StatusConflict, "同一 Idempotency-Key 的请求正在处理，请稍后重试 (in progress)")
	case errors.Is(err, store.ErrConflict), errors.Is(err, ticket.ErrConflict):
		return httpapi.Errorf(fiber.StatusConflict, "工单已被并发修改，请重试 (concurrent update)")
	}
	return err
}

// MaxIdempotencyKey bounds the header's length.
const MaxIdempotencyKey = 200

func (m *Module) create(c *fiber.Ctx) error {
	key := strings.TrimSpace(c.Get("Idempotency-Key"))
	if len(key) > MaxIdempotencyKey {
		return httpapi.Errorf(fiber.StatusBadRequest, "Idempotency-Key longer than %d characters", MaxIdempotencyKey)
	}
	var in ticket.Intake
	if err := httpapi.DecodeJSON(c, &in); err != nil {
		return err
	}
	sum := sha256.Sum256(c.Body())
	ans, err := m.svc.Create(c.UserContext(), auth.FromCtx(c), in, key, hex.EncodeToString(sum[:]))
	if err != nil {
		return mapErr(err)
	}
	if ans.Replayed {
		c.Set("Idempotent-Replayed", "true")
		audit.Note(c, "replayed", "true") // the first answer again: nothing new was filed
	} else {
		audit.SetTarget(c, ans.Result.Ticket.Code)
		c.Location("/api/v1/tickets/" + ans.Result.Ticket.ID)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(fiber.StatusCreated).Send(ans.Body)
}

// importLines takes JSON Lines, or CSV when the Content-Type says text/csv
// (an export of the system a city replaces, UTF-8 or GBK).
func (m *Module) importLines(c *fiber.Ctx) error {
	body := c.Body()
	if len(strings.TrimSpace(string(body))) == 0 {
		return httpapi.Errorf(fiber.StatusBadRequest, "请求体为空 (JSON Lines or CSV of historical tickets expected)")
	}
	imp := m.svc.Import
	if ct := strings.ToLower(string(c.Request().Header.ContentType())); strings.HasPrefix(ct, "text/csv") || strings.HasPrefix(ct, "application/csv") {
		imp = m.svc.ImportCSV
	}
	res, err := imp(c.UserContext(), auth.FromCtx(c), bytes.NewReader(body))
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(res)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (m *Module) track(c *fiber.Ctx) error {
	code := strings.TrimSpace(c.Query("code"))
	last4 := strings.TrimSpace(c.Query("phone_last4"))
	var fields []ticket.FieldError
	if code == "" {
		fields = append(fields, ticket.FieldError{Field: "code", Reason: "required"})
	}
	if len(last4) != 4 || !isDigits(last4) {
		fields = append(fields, ticket.FieldError{Field: "phone_last4", Reason: "the last 4 digits of the phone given at intake"})
	}
	if fields != nil {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "请提供工单编号和来电号码后四位").With("fields", fields)
	}
	t, err := m.svc.Get(c.UserContext(), code)
	// One answer for "no such code" and "wrong digits": codes cannot be probed.
	if errors.Is(err, ticket.ErrNotFound) || (err == nil && (t.Historical || !ticket.Last4Matches(t, last4))) {
		return httpapi.Errorf(fiber.StatusNotFound, "未找到匹配的工单 (no ticket with this code and phone)")
	}
	if err != nil {
		return err
	}
	return c.JSON(ticket.Public(t))
}

func (m *Module) list(c *fiber.Ctx) error {
	p := auth.FromCtx(c)
	f := ticket.Filter{
		Status:     ticket.Status(c.Query("status")),
		Department: strings.TrimSpace(c.Query("department")),
		Cursor:     c.Query("cursor"),
		Oldest:     c.Query("order") == "oldest",
	}
	var fields []ticket.FieldError
	if f.Status != "" && ticket.StatusLabels[f.Status] == "" {
		fields = append(fields, ticket.FieldError{Field: "status", Reason: "unknown status"})
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			fields = append(fields, ticket.FieldError{Field: "limit", Reason: "1..1000"})
		}
		f.Limit = n
	}
	for name, dst := range map[string]*bool{"overdue": &f.Overdue, "at_risk": &f.AtRisk, "awaiting_callback": &f.AwaitingCallback} {
		if v := c.Query(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				fields = append(fields, ticket.FieldError{Field: name, Reason: "true or false"})
			}
			*dst = b
		}
	}
	if v := c.Query("open"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fields = append(fields, ticket.FieldError{Field: "open", Reason: "true or false"})
		}
		f.Open = &b
	}
	if q := strings.TrimSpace(c.Query("q")); q != "" {
		// A text search reaches back 90 days unless from says otherwise.
		f.Text, f.Since = q, m.svc.Now().AddDate(0, 0, -90)
		if utf8.RuneCountInString(q) > ticket.MaxSearchText {
			fields = append(fields, ticket.FieldError{Field: "q", Reason: fmt.Sprintf("at most %d characters", ticket.MaxSearchText)})
		}
		if c.Query("from") != "" {
			f.Since = m.dayParam(c, "from", "YYYY-MM-DD or RFC 3339", &fields)
		}
	}
	if fields != nil {
		return httpapi.Errorf(fiber.StatusBadRequest, "查询参数有误").With("fields", fields)
	}
	if phone := c.Query("caller_phone"); phone != "" {
		if !p.Has(auth.RoleAgent) && !p.Has(auth.RoleSupervisor) && !p.Has(auth.RoleAdmin) {
			return httpapi.Errorf(fiber.StatusForbidden, "只有坐席可按来电号码查询 (caller lookup is for agents)")
		}
		f.CallerPhone = phone
		audit.Note(c, "lookup", "caller_phone")
		audit.PersonalDataShown(c) // a lookup by phone number is a use of it, whatever it finds
	}
	if !p.IsStaff() || (p.Has(auth.RoleDepartment) && !p.Has(auth.RoleAgent) && !p.Has(auth.RoleSupervisor) && !p.Has(auth.RoleAdmin)) {
		own := p.Departments()
		if f.Department == "" && len(own) > 0 {
			f.Department = own[0]
		}
		if !contains(own, f.Department) {
			return httpapi.Errorf(fiber.StatusForbidden, "部门只能查看本部门的工单 (own department only)")
		}
	}
	page, err := m.svc.List(c.UserContext(), f)
	if err != nil {
		return mapErr(err)
	}
	out := make([]TicketResponse, 0, len(page.Tickets))
	for _, t := range page.Tickets {
		out = append(out, respond(c, t))
	}
	return c.JSON(fiber.Map{"tickets": out, "next_cursor": page.NextCursor})
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// visible hides tickets of other departments from department principals.
func visible(p auth.Principal, t *ticket.Ticket) bool {
	if p.Has(auth.RoleAgent) || p.Has(auth.RoleSupervisor) || p.Has(auth.RoleAdmin) || p.Has(auth.RoleEditor) {
		return true
	}
	for _, d := range p.Departments() {
		if t.Handles(d) {
			return true
		}
	}
	return false
}

func (m *Module) load(c *fiber.Ctx) (*ticket.Ticket, error) {
	id, err := url.PathUnescape(c.Params("id"))
	if err != nil {
		return nil, httpapi.Errorf(fiber.StatusBadRequest, "bad ticket id")
	}
	t, err := m.svc.Get(c.UserContext(), strings.Clone(id))
	if err != nil {
		return nil, mapErr(err)
	}
	if !visible(auth.FromCtx(c), t) {
		return nil, httpapi.Errorf(fiber.StatusForbidden, "工单未派给本部门 (not dispatched to your department)")
	}
	return t, nil
}

func (m *Module) get(c *fiber.Ctx) error {
	t, err := m.load(c)
	if err != nil {
		return err
	}
	audit.SetTarget(c, t.Code)
	return c.JSON(respond(c, t))
}

func (m *Module) event(c *fiber.Ctx) error {
	var cmd ticket.Command
	if err := httpapi.DecodeJSON(c, &cmd); err != nil {
		return err
	}
	if cmd.Type == "" {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "缺少事件类型").With("fields", []ticket.FieldError{{Field: "type", Reason: "required"}})
	}
	audit.Note(c, "event", httpapi.Identifier(cmd.Type))
	t, err := m.load(c)
	if err != nil {
		return err
	}
	audit.SetTarget(c, t.Code)
	t, err = m.svc.Apply(c.UserContext(), auth.FromCtx(c), t.ID, cmd)
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(respond(c, t))
}

// dayParam reads the day or instant query parameter name (zero when
// absent), adding reason to fields when it cannot be read.
func (m *Module) dayParam(c *fiber.Ctx, name, reason string, fields *[]ticket.FieldError) time.Time {
	v := c.Query(name)
	if v == "" {
		return time.Time{}
	}
	t, err := httpapi.ParseDay(v, m.svc.Calendar().Location())
	if err != nil {
		*fields = append(*fields, ticket.FieldError{Field: name, Reason: reason})
	}
	return t
}

// periodQuery reads department, from and to (exclusive) of the statistics
// and the export, and keeps a department's own users to their department.
func (m *Module) periodQuery(c *fiber.Ctx) (ticket.StatsQuery, error) {
	p := auth.FromCtx(c)
	q := ticket.StatsQuery{Department: strings.TrimSpace(c.Query("department"))}
	var fields []ticket.FieldError
	q.From = m.dayParam(c, "from", "YYYY-MM-DD or RFC 3339", &fields)
	q.To = m.dayParam(c, "to", "YYYY-MM-DD or RFC 3339 (exclusive)", &fields)
	if fields != nil {
		return q, httpapi.Errorf(fiber.StatusBadRequest, "查询参数有误").With("fields", fields)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, httpapi.Errorf(fiber.StatusUnprocessableEntity, "from 必须早于 to").With("fields", []ticket.FieldError{{Field: "to", Reason: "after from"}})
	}
	if !p.Has(auth.RoleAgent) && !p.Has(auth.RoleSupervisor) && !p.Has(auth.RoleAdmin) {
		own := p.Departments()
		if q.Department == "" && len(own) > 0 {
			q.Department = own[0]
		}
		if !contains(own, q.Department) {
			return q, httpapi.Errorf(fiber.StatusForbidden, "部门只能查看本部门的数据 (own department only)")
		}
	}
	return q, nil
}

func (m *Module) stats(c *fiber.Ctx) error {
	q, err := m.periodQuery(c)
	if err != nil {
		return err
	}
	st, err := m.svc.Stats(c.UserContext(), q)
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(st)
}

// export streams the period's tickets as CSV (ticket.ExportCSV). A failure
// after the first bytes cannot change the status any more: the file then
// ends with a line saying it is incomplete.
func (m *Module) export(c *fiber.Ctx) error {
	q, err := m.periodQuery(c)
	if err != nil {
		return err
	}
	history := false
	if v := c.Query("historical"); v != "" {
		if history, err = strconv.ParseBool(v); err != nil {
			return httpapi.Errorf(fiber.StatusBadRequest, "查询参数有误").With("fields", []ticket.FieldError{{Field: "historical", Reason: "true or false"}})
		}
	}
	audit.BulkRead(c, "tickets")
	name := "tickets"
	loc := m.svc.Calendar().Location()
	for _, t := range []time.Time{q.From, q.To} {
		if !t.IsZero() {
			name += "-" + t.In(loc).Format("20060102")
		}
	}
	if q.Department != "" {
		name += "-" + q.Department
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
	ctx, svc := context.WithoutCancel(c.UserContext()), m.svc
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if _, err := svc.ExportCSV(ctx, q, history, w); err != nil {
			_, _ = w.WriteString("\r\n导出中断，文件不完整 (export interrupted; the file is incomplete)\r\n")
		}
		_ = w.Flush()
	})
	return nil
}
