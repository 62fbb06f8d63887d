package ticketapi

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/ticket"
)

// DeadlinesResponse is the deadline rules in force and, when asked with a
// type, the deadlines a ticket received at from would get.
type DeadlinesResponse struct {
	ticket.Rules
	Preview *DeadlinePreview `json:"preview,omitempty"`
}

// DeadlinePreview is what a ticket of Type received at From would be given.
type DeadlinePreview struct {
	Type   ticket.RequestType `json:"type"`
	Urgent bool               `json:"urgent"`
	From   time.Time          `json:"from"`
	ticket.Deadlines
}

// deadlines answers GET /api/v1/deadlines: the time limits, windows and
// working-day calendar, with a warning when next year's holiday schedule is
// missing; ?type=投诉[&urgent=true][&from=…] adds the deadlines a ticket
// received then would get (default from: now).
func (m *Module) deadlines(c *fiber.Ctx) error {
	now := m.svc.Now()
	out := DeadlinesResponse{Rules: m.svc.Rules(now)}
	typ := strings.TrimSpace(c.Query("type"))
	if typ == "" {
		if c.Query("from") != "" || c.Query("urgent") != "" {
			return httpapi.Errorf(fiber.StatusBadRequest, "查询参数有误：from 与 urgent 需与 type 一起使用").
				With("fields", []ticket.FieldError{{Field: "type", Reason: "required with from or urgent"}})
		}
		return c.JSON(out)
	}
	var fields []ticket.FieldError
	from := now
	if v := c.Query("from"); v != "" {
		t, err := httpapi.ParseDay(v, m.svc.Calendar().Location())
		if err != nil {
			fields = append(fields, ticket.FieldError{Field: "from", Reason: "YYYY-MM-DD or RFC 3339"})
		}
		from = t
	}
	urgent := false
	if v := c.Query("urgent"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fields = append(fields, ticket.FieldError{Field: "urgent", Reason: "true or false"})
		}
		urgent = b
	}
	if fields != nil {
		return httpapi.Errorf(fiber.StatusBadRequest, "查询参数有误").With("fields", fields)
	}
	d, err := m.svc.Preview(ticket.RequestType(typ), urgent, from)
	if err != nil {
		return mapErr(err)
	}
	out.Preview = &DeadlinePreview{Type: ticket.RequestType(typ), Urgent: urgent, From: from, Deadlines: d}
	return c.JSON(out)
}
