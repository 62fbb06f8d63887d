// Package auditapi serves the audit trail (操作日志, gateway/audit) to
// administrators: a page of entries newest first, filtered by period,
// actor, target, action and outcome, or the whole selection as CSV for an
// inspection.
package auditapi

import (
	"bufio"
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/tabular"
)

// Module serves GET /api/v1/audit and /api/v1/audit/caller.
type Module struct {
	trail *audit.Trail
	loc   *time.Location
	// callerTickets returns the codes of a caller's tickets (by phone).
	callerTickets func(ctx context.Context, phone string) ([]string, error)
}

var _ httpapi.Module = (*Module)(nil)

// New returns the module; loc is the city's time zone, in which the from
// and to days are read and the CSV's times written; callerTickets finds the
// codes of a caller's tickets by phone number, for /api/v1/audit/caller.
func New(trail *audit.Trail, loc *time.Location, callerTickets func(ctx context.Context, phone string) ([]string, error)) *Module {
	if loc == nil {
		loc = time.Local
	}
	return &Module{trail: trail, loc: loc, callerTickets: callerTickets}
}

// Routes implements httpapi.Module.
func (m *Module) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: fiber.MethodGet, Path: "/api/v1/audit", Roles: []auth.Role{auth.RoleAdmin},
			Summary: "操作日志：谁在何时做了什么（修改、登录、查看来电人信息），按期间、操作人、对象、操作、结果筛选；format=csv 导出",
			Handler: m.list},
		{Method: fiber.MethodGet, Path: "/api/v1/audit/caller", Roles: []auth.Role{auth.RoleAdmin},
			Summary: "某来电人工单的操作日志：谁在何时受理、流转、查看了该号码的工单（处理个人信息投诉时用）",
			Handler: m.caller},
	}
}

type fieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

var outcomes = []string{audit.OutcomeDone, audit.OutcomeDenied, audit.OutcomeInvalid, audit.OutcomeFailed}

func (m *Module) query(c *fiber.Ctx) (audit.Query, error) {
	q := audit.Query{
		Actor:   strings.TrimSpace(c.Query("actor")),
		Target:  strings.TrimSpace(c.Query("target")),
		Action:  strings.TrimSpace(c.Query("action")),
		Outcome: strings.TrimSpace(c.Query("outcome")),
		Cursor:  c.Query("cursor"),
	}
	var fields []fieldError
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		v := c.Query(p.name)
		if v == "" {
			continue
		}
		t, err := httpapi.ParseDay(v, m.loc)
		if err != nil {
			fields = append(fields, fieldError{p.name, "YYYY-MM-DD or RFC 3339"})
			continue
		}
		if p.name == "to" && len(v) == len(time.DateOnly) {
			t = t.AddDate(0, 0, 1) // a day names the whole day
		}
		*p.dst = t
	}
	if q.Outcome != "" && !contains(outcomes, q.Outcome) {
		fields = append(fields, fieldError{"outcome", "one of " + strings.Join(outcomes, ", ")})
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			fields = append(fields, fieldError{"limit", "1..500"})
		}
		q.Limit = n
	}
	if f := c.Query("format"); f != "" && f != "json" && f != "csv" {
		fields = append(fields, fieldError{"format", "json or csv"})
	}
	if fields != nil {
		return q, httpapi.Errorf(fiber.StatusBadRequest, "查询参数有误").With("fields", fields)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, httpapi.Errorf(fiber.StatusUnprocessableEntity, "from 必须早于 to").With("fields", []fieldError{{"to", "after from"}})
	}
	return q, nil
}

func (m *Module) list(c *fiber.Ctx) error {
	q, err := m.query(c)
	if err != nil {
		return err
	}
	if c.Query("format") == "csv" {
		audit.BulkRead(c, "audit")
		return m.csv(c, q)
	}
	page, err := m.trail.List(c.UserContext(), q)
	if err != nil {
		return err
	}
	if page.Entries == nil {
		page.Entries = []audit.Entry{}
	}
	return c.JSON(fiber.Map{"entries": page.Entries, "next_cursor": page.NextCursor,
		"retention_days": int(m.trail.Retention().Hours() / 24)})
}

// Bounds of a caller's trail.
const (
	maxCallerTickets = 200
	maxCallerEntries = 1000
)

// caller lists, newest first, the entries on every ticket of the caller
// whose number is given: who filed, moved and read them. The lookup by
// number is itself recorded, without the number.
func (m *Module) caller(c *fiber.Ctx) error {
	phone := strings.TrimSpace(c.Query("phone"))
	if phone == "" || len(phone) > 32 {
		return httpapi.Errorf(fiber.StatusBadRequest, "查询参数有误").With("fields", []fieldError{{"phone", "the caller's phone number"}})
	}
	q, err := m.query(c)
	if err != nil {
		return err
	}
	audit.Note(c, "lookup", "caller_phone")
	audit.PersonalDataShown(c)
	codes, err := m.callerTickets(c.UserContext(), phone)
	if err != nil {
		return err
	}
	truncated := len(codes) > maxCallerTickets
	codes = codes[:min(len(codes), maxCallerTickets)]
	entries := []audit.Entry{}
	for _, code := range codes {
		page, err := m.trail.List(c.UserContext(), audit.Query{Target: code, From: q.From, To: q.To, Outcome: q.Outcome, Limit: 500})
		if err != nil {
			return err
		}
		entries = append(entries, page.Entries...)
		truncated = truncated || page.NextCursor != ""
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].ID > entries[j].ID })
	if len(entries) > maxCallerEntries {
		entries, truncated = entries[:maxCallerEntries], true
	}
	return c.JSON(fiber.Map{"tickets": codes, "entries": entries, "truncated": truncated})
}

// CSVHeadings are the export's columns.
var CSVHeadings = []string{"时间", "操作人", "操作人名称", "角色", "经由", "操作", "说明", "对象", "详情", "涉及个人信息", "状态码", "结果", "请求编号", "追踪编号", "来源地址"}

var outcomeLabels = map[string]string{audit.OutcomeDone: "成功", audit.OutcomeDenied: "拒绝（无权或未登录）", audit.OutcomeInvalid: "无效请求", audit.OutcomeFailed: "失败"}

// csv streams every entry of the selection, newest first. A failure after
// the first bytes ends the file with a line saying it is incomplete.
func (m *Module) csv(c *fiber.Ctx, q audit.Query) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="audit-`+time.Now().In(m.loc).Format("20060102")+`.csv"`)
	ctx, trail, loc := context.WithoutCancel(c.UserContext()), m.trail, m.loc
	q.Limit = 500
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := writeCSV(ctx, trail, q, loc, w); err != nil {
			_, _ = w.WriteString("\r\n导出中断，文件不完整 (export interrupted; the file is incomplete)\r\n")
		}
		_ = w.Flush()
	})
	return nil
}

func writeCSV(ctx context.Context, trail *audit.Trail, q audit.Query, loc *time.Location, w *bufio.Writer) error {
	cw, err := tabular.NewWriter(w, CSVHeadings)
	if err != nil {
		return err
	}
	for {
		page, err := trail.List(ctx, q)
		if err != nil {
			return err
		}
		for _, e := range page.Entries {
			personal := ""
			if e.PersonalData {
				personal = "是"
			}
			if err := cw.Write([]string{e.At.In(loc).Format("2006-01-02 15:04:05"), e.Actor, e.ActorName, strings.Join(e.Roles, ","), e.Via,
				e.Action, e.Summary, e.Target, details(e.Details), personal, strconv.Itoa(e.Status), outcomeLabels[e.Outcome],
				e.RequestID, e.TraceID, e.IP}); err != nil {
				return err
			}
		}
		if err := cw.Flush(); err != nil {
			return err
		}
		if page.NextCursor == "" {
			return nil
		}
		q.Cursor = page.NextCursor
	}
}

func details(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + d[k]
	}
	return strings.Join(parts, "; ")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
