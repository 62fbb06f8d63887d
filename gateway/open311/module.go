package open311

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/ticket"
)

// Window and paging limits of GET requests (GeoReport v2: 90 days, 1,000 results).
const (
	DefaultWindow   = 90 * 24 * time.Hour
	MaxResults      = 1000
	maxDescription  = 4000
	scanPageSize    = 500
	updatesLookback = 90 * 24 * time.Hour
)

// Options configure the Open311 module.
type Options struct {
	// Jurisdiction is this city's jurisdiction_id; requests naming another get 404.
	Jurisdiction string
	// BaseURL is the public URL of /open311/v2 for discovery (e.g. https://12345.example.gov.cn/open311/v2).
	BaseURL string
	Contact string
	// Authenticate resolves an api_key to its principal (the token store).
	Authenticate func(ctx context.Context, key string) (auth.Principal, error)
	Now          func() time.Time
	Log          *slog.Logger
}

// Module serves /open311/v2.
type Module struct {
	tickets *ticket.Service
	cat     Catalogue
	opts    Options
}

var _ httpapi.Module = (*Module)(nil)

// New returns the Open311 module.
func New(tickets *ticket.Service, cat Catalogue, opts Options) *Module {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Module{tickets: tickets, cat: cat, opts: opts}
}

// everyone: Open311 reads are public; POST authenticates by api_key in the form.
var everyone = []auth.Role{auth.RoleCitizen, auth.RoleAgent, auth.RoleSupervisor, auth.RoleEditor, auth.RoleAdmin,
	auth.RoleOpen311, auth.RolePartner, auth.RoleDepartment}

// Routes implements httpapi.Module.
func (m *Module) Routes() []httpapi.Route {
	r := func(method, path, summary string, h func(*fiber.Ctx, string) error) httpapi.Route {
		return httpapi.Route{Method: method, Path: "/open311/v2" + path, Roles: everyone, Summary: summary, Handler: m.withFormat(h)}
	}
	return []httpapi.Route{
		r(fiber.MethodGet, "/discovery.:format", "Open311 GeoReport v2 service discovery", m.discovery),
		r(fiber.MethodGet, "/services.:format", "Open311 service list", m.services),
		r(fiber.MethodGet, "/services/:code.:format", "Open311 service definition", m.definition),
		r(fiber.MethodPost, "/requests.:format", "Open311 create a service request (api_key required)", m.create),
		r(fiber.MethodGet, "/requests.:format", "Open311 list service requests (90 days, 1,000 results, page/page_size)", m.list),
		r(fiber.MethodGet, "/requests/:id.:format", "Open311 one service request", m.get),
		r(fiber.MethodGet, "/tokens/:token.:format", "Open311 resolve a token to its service request", m.token),
		r(fiber.MethodGet, "/servicerequestupdates.:format", "Open311 feed of service request updates", m.updates),
	}
}

// withFormat checks the response format and jurisdiction, and turns
// unexpected errors into the standard's error list instead of problem+json.
func (m *Module) withFormat(h func(*fiber.Ctx, string) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		format := strings.ToLower(c.Params("format"))
		if format != "json" && format != "xml" {
			return fail(c, "json", fiber.StatusNotFound, "response_format must be json or xml")
		}
		if j := m.param(c, "jurisdiction_id"); j != "" && m.opts.Jurisdiction != "" && j != m.opts.Jurisdiction {
			return fail(c, format, fiber.StatusNotFound, "jurisdiction_id not found: "+j)
		}
		if err := h(c, format); err != nil {
			var p *httpapi.Problem
			if errors.As(err, &p) {
				return fail(c, format, p.Status, p.Detail)
			}
			m.opts.Log.ErrorContext(c.UserContext(), "open311 request failed", "route", c.Route().Path, "error", err)
			return fail(c, format, fiber.StatusInternalServerError, "internal error")
		}
		return nil
	}
}

// param reads a parameter from the form body (POST) or the query.
func (m *Module) param(c *fiber.Ctx, name string) string {
	if c.Method() == fiber.MethodPost {
		if v := c.FormValue(name); v != "" {
			return strings.TrimSpace(v)
		}
	}
	return strings.TrimSpace(c.Query(name))
}

func (m *Module) discovery(c *fiber.Ctx, format string) error {
	base := m.opts.BaseURL
	if base == "" {
		base = c.BaseURL() + "/open311/v2"
	}
	changed := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	return respondOne(c, format, Discovery{
		Changeset: changed, Contact: m.opts.Contact, KeyService: "向热线管理部门申请 api_key（角色 open311）",
		Endpoints: []Endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: base, Changeset: changed,
			Type: "production", Formats: []string{"application/json", "text/xml"}}},
	})
}

func (m *Module) services(c *fiber.Ctx, format string) error {
	svcs, err := m.cat.Services(c.UserContext())
	if err != nil {
		return err
	}
	return respond(c, format, fiber.StatusOK, "services", svcs)
}

func (m *Module) definition(c *fiber.Ctx, format string) error {
	s, ok, err := m.cat.Service(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	if !ok {
		return httpapi.Errorf(fiber.StatusNotFound, "service_code not found: %s", c.Params("code"))
	}
	return respondOne(c, format, m.cat.Definition(s))
}

func (m *Module) create(c *fiber.Ctx, format string) error {
	ctx := c.UserContext()
	key := m.param(c, "api_key")
	if key == "" {
		return httpapi.Errorf(fiber.StatusForbidden, "api_key is required")
	}
	p, err := m.opts.Authenticate(ctx, key)
	if err != nil || !(p.Has(auth.RoleOpen311) || p.Has(auth.RoleAdmin)) {
		return httpapi.Errorf(fiber.StatusForbidden, "api_key is not valid for Open311")
	}
	in, err := m.intake(c)
	if err != nil {
		return err
	}
	ans, err := m.tickets.Create(ctx, p, in, "", "")
	if err != nil {
		var ve *ticket.ValidationError
		if errors.As(err, &ve) {
			return httpapi.Errorf(fiber.StatusBadRequest, "%s", ve.Error())
		}
		return err
	}
	t := ans.Result.Ticket
	return respond(c, format, fiber.StatusOK, "service_requests", []RequestResponse{{
		ServiceRequestID: t.Code, Token: t.ID,
		ServiceNotice: fmt.Sprintf("已受理，工单编号 %s，可凭编号查询办理进度。", t.Code),
	}})
}

// intake validates the form: every problem is reported with its parameter.
func (m *Module) intake(c *fiber.Ctx) (ticket.Intake, error) {
	code := m.param(c, "service_code")
	if code == "" {
		return ticket.Intake{}, httpapi.Errorf(fiber.StatusBadRequest, "service_code is required")
	}
	svc, ok, err := m.cat.Service(c.UserContext(), code)
	if err != nil {
		return ticket.Intake{}, err
	}
	if !ok {
		return ticket.Intake{}, httpapi.Errorf(fiber.StatusNotFound, "service_code not found: %s", code)
	}
	var problems []string
	in := ticket.Intake{Channel: ticket.ChannelOpen311, Type: ticket.TypeHelp, Category: svc.ServiceName}
	latS, longS := m.param(c, "lat"), m.param(c, "long")
	in.Address = m.param(c, "address_string")
	addressID := m.param(c, "address_id")
	if latS == "" && longS == "" && in.Address == "" && addressID == "" {
		problems = append(problems, "a location is required: lat and long, address_string or address_id")
	}
	if latS != "" || longS != "" {
		lat, err1 := strconv.ParseFloat(latS, 64)
		long, err2 := strconv.ParseFloat(longS, 64)
		switch {
		case err1 != nil || err2 != nil:
			problems = append(problems, "lat and long must both be decimal degrees")
		case lat < -90 || lat > 90 || long < -180 || long > 180:
			problems = append(problems, "lat must be within ±90 and long within ±180")
		default:
			in.Lat, in.Long = &lat, &long
		}
	}
	if in.Address == "" && addressID != "" {
		in.Address = "address_id " + addressID
	}
	in.Text = m.param(c, "description")
	switch n := len([]rune(in.Text)); {
	case n == 0:
		problems = append(problems, "description is required")
	case n > maxDescription:
		problems = append(problems, fmt.Sprintf("description is longer than %d characters", maxDescription))
	}
	in.Caller.Name = strings.TrimSpace(m.param(c, "last_name") + m.param(c, "first_name"))
	in.Caller.Phone = m.param(c, "phone")
	if v := m.param(c, "attribute[request_type]"); v != "" {
		in.Type = ticket.RequestType(v)
		if !validType(in.Type) {
			problems = append(problems, "attribute[request_type] must be one of 咨询, 求助, 投诉, 举报, 建议, 表扬")
		}
	}
	in.District = m.param(c, "attribute[district]")
	in.Caller.Confidential = m.param(c, "attribute[confidential]") == "yes"
	if media := m.param(c, "media_url"); media != "" {
		if u, err := url.Parse(media); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			problems = append(problems, "media_url must be an http(s) URL")
		} else {
			in.Attachments = []string{media}
		}
	}
	if len(problems) > 0 {
		return ticket.Intake{}, httpapi.Errorf(fiber.StatusBadRequest, "%s", strings.Join(problems, "; "))
	}
	return in, nil
}

func validType(t ticket.RequestType) bool {
	for _, v := range ticket.RequestTypes {
		if v == t {
			return true
		}
	}
	return false
}
