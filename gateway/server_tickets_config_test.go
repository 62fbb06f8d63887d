package gateway

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/ticket"
)

// The configuration's request types are the ticket service's.
func TestConfigRequestTypesAreTheTickets(t *testing.T) {
	var want []string
	for _, rt := range ticket.RequestTypes {
		want = append(want, string(rt))
	}
	if !slices.Equal(config.RequestTypes, want) {
		t.Fatalf("config.RequestTypes %v, ticket.RequestTypes %v", config.RequestTypes, want)
	}
}

// The tickets section reaches the deadlines: a city's time limits and its
// calendar file (next year's schedule) are what GET /api/v1/deadlines shows
// and what a ticket is given.
func TestTicketsConfigurationReachesTheDeadlines(t *testing.T) {
	cfg := testConfig(t)
	cfg.Tickets.TimeLimits = map[string]int{"投诉": 7}
	cfg.Tickets.ReturnDays = 3
	cfg.Tickets.CalendarFile = filepath.Join(t.TempDir(), "calendar.yaml")
	// A test schedule, not the official one.
	if err := os.WriteFile(cfg.Tickets.CalendarFile, []byte("years:\n  - year: 2027\n    source: test\n    holidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-03}]\n    workdays: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startFullGateway(t, cfg, nil)
	r := g.do("GET", "/api/v1/deadlines?type=投诉&from=2026-12-28T10:00:00%2B08:00", testAdminToken, nil)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m := r.json(t)
	if m["time_limits"].(map[string]any)["投诉"] != 7.0 || m["return_days"] != 3.0 {
		t.Fatalf("rules not from the configuration: %s", r.body)
	}
	if cal := m["calendar"].([]any); len(cal) != 2 {
		t.Fatalf("calendar has %d years, want 2026 and the file's 2027", len(cal))
	}
	// 7 working days from Monday 28 December: 29, 30, 31 December, then 4–7 January.
	due := m["preview"].(map[string]any)["due"].(string)
	if !strings.HasPrefix(due, "2027-01-07") {
		t.Fatalf("due %s, want 7 January 2027", due)
	}

	// A calendar file that does not parse stops the start with the key named.
	bad := testConfig(t)
	bad.Tickets.CalendarFile = filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad.Tickets.CalendarFile, []byte("years:\n  - year: 2027\n    holidays: [{name: 元旦, from: 2027-01-05, to: 2027-01-01}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), bad, Options{LogOutput: &syncBuffer{}, Version: "test"}); err == nil || !strings.Contains(err.Error(), "tickets.calendar_file") {
		t.Fatalf("a bad calendar file: %v, want an error naming tickets.calendar_file", err)
	}
}
