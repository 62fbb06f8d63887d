package open311

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/ticket"
)

// statusOf maps a ticket to the standard's open/closed.
func statusOf(t *ticket.Ticket) string {
	if t.Status.Final() {
		return "closed"
	}
	return "open"
}

// updateStatus maps a ticket event to the extended update statuses.
var updateStatus = map[string]string{
	ticket.EvIntake: "OPEN", ticket.EvDispatch: "INVESTIGATING", ticket.EvAccept: "IN_PROGRESS",
	ticket.EvReturn: "FOR_TRIAGE", ticket.EvReply: "ACTION_SCHEDULED", ticket.EvClose: "CLOSED",
	ticket.EvAnswer: "CLOSED", ticket.EvReopen: "REOPEN", ticket.EvMerge: "DUPLICATE",
	ticket.EvDispose: "NOT_COUNCILS_RESPONSIBILITY", ticket.EvTransfer: "INTERNAL_REFERRAL",
}

func (m *Module) toRequest(ctx context.Context, t *ticket.Ticket, names map[string]Service) Request {
	r := Request{
		ServiceRequestID: t.Code, Status: statusOf(t), ServiceCode: GeneralServiceCode, Description: t.Text,
		RequestedDatetime: t.CreatedAt.UTC(), UpdatedDatetime: t.UpdatedAt.UTC(), Address: t.Address, Lat: t.Lat, Long: t.Long,
		StatusNotes: ticket.StatusLabels[t.Status],
	}
	if svc, ok := names[t.Category]; ok {
		r.ServiceCode, r.ServiceName = svc.ServiceCode, svc.ServiceName
	}
	if t.Reply != "" {
		r.StatusNotes = t.Reply
	}
	if t.Department != "" {
		r.AgencyResponsible = t.Department
		for _, s := range names {
			if s.Department == t.Department {
				r.AgencyResponsible = s.Group
				break
			}
		}
	}
	if due := t.Deadline(); !due.IsZero() && !t.Status.Final() {
		d := due.UTC()
		r.ExpectedDatetime = &d
	}
	if len(t.Attachments) > 0 && (strings.HasPrefix(t.Attachments[0], "http://") || strings.HasPrefix(t.Attachments[0], "https://")) {
		r.MediaURL = t.Attachments[0]
	}
	return r
}

func (m *Module) serviceNames(ctx context.Context) (map[string]Service, error) {
	svcs, err := m.cat.Services(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]Service, len(svcs))
	for _, s := range svcs {
		names[s.ServiceName] = s
	}
	return names, nil
}

// window parses start_date/end_date (RFC 3339); the default is the last 90 days.
func (m *Module) window(c *fiber.Ctx) (start, end time.Time, err error) {
	end = m.opts.Now()
	if s := m.param(c, "end_date"); s != "" {
		if end, err = time.Parse(time.RFC3339, s); err != nil {
			return start, end, httpapi.Errorf(fiber.StatusBadRequest, "end_date must be a w3c datetime (RFC 3339)")
		}
	}
	start = end.Add(-DefaultWindow)
	if s := m.param(c, "start_date"); s != "" {
		if start, err = time.Parse(time.RFC3339, s); err != nil {
			return start, end, httpapi.Errorf(fiber.StatusBadRequest, "start_date must be a w3c datetime (RFC 3339)")
		}
	}
	if !start.Before(end) {
		return start, end, httpapi.Errorf(fiber.StatusBadRequest, "start_date must be before end_date")
	}
	if end.Sub(start) > DefaultWindow {
		return start, end, httpapi.Errorf(fiber.StatusBadRequest, "the date range may not exceed 90 days")
	}
	return start, end, nil
}

// scan walks the Open311 tickets filed before end, newest first, until one
// filed before stopBefore: through the channel index and from end, so a
// public request reads its window's Open311 tickets, not every ticket the
// city filed since.
func (m *Module) scan(ctx context.Context, stopBefore, end time.Time, visit func(*ticket.Ticket) bool) error {
	cursor := ""
	for {
		page, err := m.tickets.List(ctx, ticket.Filter{Channel: ticket.ChannelOpen311, Before: end, Limit: scanPageSize, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, t := range page.Tickets {
			if t.CreatedAt.Before(stopBefore) {
				return nil
			}
			if t.Channel == ticket.ChannelOpen311 && !visit(t) {
				return nil
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
}

func (m *Module) list(c *fiber.Ctx, format string) error {
	ctx := c.UserContext()
	names, err := m.serviceNames(ctx)
	if err != nil {
		return err
	}
	if ids := m.param(c, "service_request_id"); ids != "" {
		var out []Request
		for _, id := range strings.Split(ids, ",") {
			t, err := m.find(ctx, strings.TrimSpace(id))
			if errors.Is(err, ticket.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			out = append(out, m.toRequest(ctx, t, names))
		}
		return respond(c, format, fiber.StatusOK, "service_requests", out)
	}
	start, end, err := m.window(c)
	if err != nil {
		return err
	}
	page, size := c.QueryInt("page", 1), c.QueryInt("page_size", MaxResults)
	if page < 1 || size < 1 || size > MaxResults {
		return httpapi.Errorf(fiber.StatusBadRequest, "page must be ≥ 1 and page_size between 1 and %d", MaxResults)
	}
	codes := map[string]bool{}
	for _, code := range strings.Split(m.param(c, "service_code"), ",") {
		if code = strings.TrimSpace(code); code != "" {
			codes[code] = true
		}
	}
	statuses := map[string]bool{}
	for _, s := range strings.Split(m.param(c, "status"), ",") {
		switch s = strings.TrimSpace(strings.ToLower(s)); s {
		case "":
		case "open", "closed":
			statuses[s] = true
		default:
			return httpapi.Errorf(fiber.StatusBadRequest, "status must be open or closed")
		}
	}
	skip, out := (page-1)*size, []Request{}
	err = m.scan(ctx, start, end, func(t *ticket.Ticket) bool {
		if t.CreatedAt.After(end) {
			return true
		}
		r := m.toRequest(ctx, t, names)
		if (len(codes) > 0 && !codes[r.ServiceCode]) || (len(statuses) > 0 && !statuses[r.Status]) {
			return true
		}
		if skip > 0 {
			skip--
			return true
		}
		out = append(out, r)
		return len(out) < size
	})
	if err != nil {
		return err
	}
	return respond(c, format, fiber.StatusOK, "service_requests", out)
}

// find resolves a public code (or a token) to an Open311 ticket.
func (m *Module) find(ctx context.Context, id string) (*ticket.Ticket, error) {
	if id == "" || len(id) > 64 {
		return nil, ticket.ErrNotFound
	}
	t, err := m.tickets.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.Channel != ticket.ChannelOpen311 {
		return nil, ticket.ErrNotFound // other channels' tickets are not public
	}
	return t, nil
}

func (m *Module) get(c *fiber.Ctx, format string) error {
	ctx := c.UserContext()
	t, err := m.find(ctx, c.Params("id"))
	if errors.Is(err, ticket.ErrNotFound) {
		return httpapi.Errorf(fiber.StatusNotFound, "service_request_id not found: %s", c.Params("id"))
	} else if err != nil {
		return err
	}
	names, err := m.serviceNames(ctx)
	if err != nil {
		return err
	}
	return respond(c, format, fiber.StatusOK, "service_requests", []Request{m.toRequest(ctx, t, names)})
}

func (m *Module) token(c *fiber.Ctx, format string) error {
	t, err := m.find(c.UserContext(), c.Params("token"))
	if errors.Is(err, ticket.ErrNotFound) || (err == nil && t.ID != c.Params("token")) {
		return httpapi.Errorf(fiber.StatusNotFound, "token not found: %s", c.Params("token"))
	} else if err != nil {
		return err
	}
	return respond(c, format, fiber.StatusOK, "service_requests", []TokenResponse{{ServiceRequestID: t.Code, Token: t.ID}})
}

func (m *Module) updates(c *fiber.Ctx, format string) error {
	start, end, err := m.window(c)
	if err != nil {
		return err
	}
	out := []Update{}
	err = m.scan(c.UserContext(), start.Add(-updatesLookback), end, func(t *ticket.Ticket) bool {
		for _, e := range t.Events {
			st, ok := updateStatus[e.Type]
			if e.To == ticket.StatusClosed {
				st, ok = "CLOSED", true // a rating or a close ends it
			}
			if !ok || e.At.Before(start) || e.At.After(end) {
				continue
			}
			desc := ticket.StatusLabels[e.To]
			if e.Type == ticket.EvReply && t.Reply != "" {
				desc = t.Reply
			}
			out = append(out, Update{UpdateID: t.ID + "-" + strconv.Itoa(e.Seq), ServiceRequestID: t.Code, Status: st,
				UpdatedDatetime: e.At.UTC(), Description: desc})
			if len(out) >= MaxResults {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("open311 updates: %w", err)
	}
	return respond(c, format, fiber.StatusOK, "service_request_updates", out)
}
