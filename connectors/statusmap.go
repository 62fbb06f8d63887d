package connectors

import (
	"fmt"
	"sort"
	"strings"
)

// StatusRule translates one legacy status code into a ticket event.
type StatusRule struct {
	Event string `json:"event" yaml:"event"` // one of the Event* kinds
	Note  string `json:"note,omitempty" yaml:"note,omitempty"`
}

// StatusMap maps a legacy system's status codes (as strings: "1", "11",
// "ACCEPTED") to ticket events. Each connector carries its own table because
// every legacy system numbers its states differently.
type StatusMap map[string]StatusRule

// DefaultStatusMap is the numbering most of the city's legacy 12345 systems
// share; configure a connector's own table when a system differs.
func DefaultStatusMap() StatusMap {
	return StatusMap{
		"1":  {Event: EventProgress, Note: "已接件"},
		"3":  {Event: EventAccepted, Note: "已受理"},
		"4":  {Event: EventReturned, Note: "不受理"},
		"8":  {Event: EventProgress, Note: "办理中"},
		"11": {Event: EventReplied, Note: "办结"},
	}
}

// knownEvents are the event kinds a StatusRule may name.
var knownEvents = map[string]bool{
	EventAccepted: true, EventReturned: true, EventProgress: true,
	EventReplied: true, EventExtensionRequested: true, EventKBProposal: true,
}

// Validate reports every rule that names an unknown event.
func (m StatusMap) Validate() error {
	var bad []string
	for code, r := range m {
		if !knownEvents[r.Event] {
			bad = append(bad, fmt.Sprintf("%s→%q", code, r.Event))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("status map: unknown events: %s", strings.Join(bad, ", "))
	}
	return nil
}

// Translate turns a legacy status into an Event. ok is false for codes the
// table does not know (they are ignored, not guessed).
func (m StatusMap) Translate(code string, base Event) (Event, bool) {
	r, ok := m[strings.TrimSpace(code)]
	if !ok {
		return Event{}, false
	}
	ev := base
	ev.Type = r.Event
	switch r.Event {
	case EventReturned:
		if ev.Reason == "" {
			ev.Reason = r.Note
		}
	case EventReplied:
		if ev.Text == "" {
			ev.Text = r.Note
		}
	default:
		if ev.Note == "" {
			ev.Note = r.Note
		}
	}
	return ev, true
}
