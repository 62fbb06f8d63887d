package hotline

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store/bolt"
)

// FuzzCallEvent feeds CTI pushes (the JSON body of POST /api/v1/calls) to
// decoding, Validate and Handle: nothing panics, an event Validate refuses
// is never stored, an accepted one is readable afterwards and never keeps
// the caller's number in the clear.
func FuzzCallEvent(f *testing.F) {
	for _, s := range []string{
		`{"call_id":"c1","event":"ringing","from":"13812345678","to":"12345","agent":"a1","at":"2026-11-02T09:00:00Z"}`,
		`{"call_id":"c1","event":"answered","agent":"a1"}`,
		`{"call_id":"c1","event":"hangup","at":"2026-11-02T09:05:00+08:00"}`,
		`{"call_id":"c2","event":"ringing","from":"+86 (0710) 321-4567","to":"12333"}`,
		`{"call_id":"","event":"bogus"}`,
		`{"call_id":"c3","event":"ringing","from":"anonymous"}`,
		`{"call_id":"c4","event":"hangup","at":"0001-01-01T00:00:00Z"}`,
		`[]`, `null`, `{"call_id":1}`,
	} {
		f.Add([]byte(s))
	}
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(f.TempDir(), "calls.db")})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	sealer, err := pii.New(bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{8}, 32))
	if err != nil {
		f.Fatal(err)
	}
	calls := NewCalls(st, NewRegistry(st), Normalizer{DefaultAreaCode: "0710"}, sealer, Lookups{
		History:     func(context.Context, string, int) ([]TicketSummary, error) { return nil, nil },
		Suggestions: func(context.Context, string, int) ([]Suggestion, error) { return nil, nil },
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		var ev CallEvent
		if json.Unmarshal(body, &ev) != nil {
			return
		}
		verr := ev.Validate()
		_, call, err := calls.Handle(context.Background(), ev, 5)
		if verr != nil {
			if err == nil {
				t.Fatalf("Handle accepted an event Validate refuses (%v): %s", verr, body)
			}
			return
		}
		if err != nil {
			return // e.g. an impossible transition: refused, not stored
		}
		got, err := calls.Get(context.Background(), ev.CallID)
		if err != nil || got.ID != call.ID {
			t.Fatalf("accepted call %q not readable: %v", ev.CallID, err)
		}
		raw, _ := json.Marshal(got)
		if allDigits(ev.From) && len(ev.From) >= 11 && bytes.Contains(raw, []byte(ev.From)) {
			t.Fatalf("stored call holds the caller's number in the clear: %s", raw)
		}
	})
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
