package ticketapi

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/ticket"
	"github.com/hallgate/hallgate/gateway/ticket/calendar"
)

func TestDeadlinesShowTheRulesAndPreview(t *testing.T) {
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, calendar.China)
	h := newHarness(t, func(o *ticket.Options) {
		o.Now = func() time.Time { return clock }
		o.Limits = map[ticket.RequestType]int{ticket.TypeComplaint: 12}
	})
	r := h.do(t, "GET", "/api/v1/deadlines", "agent", nil)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m := r.json(t)
	limits := m["time_limits"].(map[string]any)
	if limits["投诉"] != 12.0 || limits["咨询"] != 2.0 {
		t.Fatalf("time_limits = %v, want the configured 投诉 12 and the default 咨询 2", limits)
	}
	if cal := m["calendar"].([]any); len(cal) != 1 || cal[0].(map[string]any)["year"] != 2026.0 {
		t.Fatalf("calendar = %v, want the embedded 2026 schedule", cal)
	}
	if m["next_year_missing"] != 2027.0 || m["warning"] == nil {
		t.Fatalf("on 1 December without a 2027 schedule: next_year_missing %v, warning %v", m["next_year_missing"], m["warning"])
	}

	// A complaint received on the eve of the National Day holiday: its 12
	// working days start after 7 October, and 10 October is a working Saturday.
	q := url.Values{"type": {"投诉"}, "from": {"2026-09-30T16:00:00+08:00"}}
	r = h.do(t, "GET", "/api/v1/deadlines?"+q.Encode(), "agent", nil)
	if r.status != 200 {
		t.Fatalf("preview status %d: %s", r.status, r.body)
	}
	p := r.json(t)["preview"].(map[string]any)
	due, err := time.Parse(time.RFC3339, p["due"].(string))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := h.svc.Preview(ticket.TypeComplaint, false, time.Date(2026, 9, 30, 16, 0, 0, 0, calendar.China))
	if !due.Equal(want.Due) {
		t.Fatalf("preview due %v, want the service's %v", due, want.Due)
	}
	if d := due.In(calendar.China); d.Month() != time.October || d.Day() != 22 {
		t.Fatalf("due %v, want 22 October (8, 9, 10 (调休), 12–16, 19–22 October)", d)
	}
	q.Set("urgent", "true")
	r = h.do(t, "GET", "/api/v1/deadlines?"+q.Encode(), "agent", nil)
	if d, _ := time.Parse(time.RFC3339, r.json(t)["preview"].(map[string]any)["due"].(string)); d.In(calendar.China).Day() != 8 {
		t.Fatalf("urgent due %v, want 8 October (one working day)", d)
	}

	for _, c := range []struct{ query, field string }{
		{"type=投拆", "type"}, {"type=投诉&from=30/09/2026", "from"}, {"type=投诉&urgent=maybe", "urgent"}, {"from=2026-09-30", "type"},
	} {
		r := h.do(t, "GET", "/api/v1/deadlines?"+url.PathEscape(c.query), "agent", nil)
		if r.status != 400 && r.status != 422 {
			t.Errorf("%s: status %d, want 400 or 422", c.query, r.status)
			continue
		}
		fields, _ := r.json(t)["fields"].([]any)
		if len(fields) == 0 || fields[0].(map[string]any)["field"] != c.field {
			t.Errorf("%s: fields %v, want %s named", c.query, fields, c.field)
		}
	}
	if r := h.do(t, "GET", "/api/v1/deadlines", "citizen", nil); r.status != 403 {
		t.Fatalf("a citizen got %d, want 403", r.status)
	}
}

func TestDeadlinesCountOnAConfiguredNextYear(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cal.yaml")
	// A test schedule, not an official one: 2027-01-01 to 01-03 off.
	if err := os.WriteFile(path, []byte("years:\n  - year: 2027\n    source: test\n    holidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-03}]\n    workdays: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Load(path, calendar.China, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 12, 30, 10, 0, 0, 0, calendar.China)
	h := newHarness(t, func(o *ticket.Options) { o.Now = func() time.Time { return clock }; o.Calendar = cal })
	m := h.do(t, "GET", "/api/v1/deadlines?type=咨询", "supervisor", nil).json(t)
	if _, ok := m["next_year_missing"]; ok {
		t.Fatalf("2027 configured, yet reported missing: %v", m)
	}
	// An enquiry on 30 December: 31 December, then 4 January (1 January is a holiday).
	due, _ := time.Parse(time.RFC3339, m["preview"].(map[string]any)["due"].(string))
	if d := due.In(calendar.China); d.Year() != 2027 || d.Month() != time.January || d.Day() != 4 {
		t.Fatalf("due %v, want 4 January 2027", d)
	}
}

func TestListAtRiskAndAwaitingCallbackParameters(t *testing.T) {
	h := newHarness(t)
	for _, q := range []string{"at_risk=true", "awaiting_callback=true", "at_risk=true&order=oldest&limit=500"} {
		r := h.do(t, "GET", "/api/v1/tickets?"+q, "supervisor", nil)
		if r.status != 200 {
			t.Fatalf("%s: status %d %s", q, r.status, r.body)
		}
		if _, ok := r.json(t)["tickets"].([]any); !ok {
			t.Fatalf("%s: no tickets array: %s", q, r.body)
		}
	}
	r := h.do(t, "GET", "/api/v1/tickets?at_risk=maybe&awaiting_callback=x", "supervisor", nil)
	fields, _ := r.json(t)["fields"].([]any)
	if r.status != 400 || len(fields) != 2 {
		t.Fatalf("bad flags: %d %s, want 400 naming both", r.status, r.body)
	}
}
