package topics

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/devdata"
)

// devTickets finds ../shared/data/tickets_dev.jsonl next to the repository
// root (the directory holding go.mod); the test skips when it is absent.
func devTickets(t testing.TB) string { return devdata.File(t, "tickets_dev.jsonl") }

func TestEvaluateDevFixedSeed(t *testing.T) {
	path := devTickets(t)
	rep, err := Evaluate(context.Background(), newTestWriter(t), EvalOptions{TicketsPath: path, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkTargets(t, rep)
}

func TestEvaluateDevSeeds(t *testing.T) {
	path := devTickets(t)
	// Several seeds over four judged days each (eight bursts per seed);
	// the fixed-seed test above covers a full week.
	seeds := []uint64{2, 3, 4}
	if testing.Short() || raceEnabled {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			rep, err := Evaluate(context.Background(), newTestWriter(t), EvalOptions{TicketsPath: path, Seed: seed, Days: 4})
			if err != nil {
				t.Fatal(err)
			}
			checkTargets(t, rep)
		})
	}
}

// TestEvaluateCanFail shows the assertions bite: a detector that may not
// flag before 12 tickets misses the 10-ticket target.
func TestEvaluateCanFail(t *testing.T) {
	path := devTickets(t)
	rep, err := Evaluate(context.Background(), nil, EvalOptions{TicketsPath: path, Seed: 1, WarmupDays: 2, Days: 2, Engine: EngineOptions{MinTickets: 12}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.MeetsTargets() {
		t.Fatalf("a detector that waits for 12 tickets met the targets: %+v", rep)
	}
}

func checkTargets(t *testing.T, rep Report) {
	t.Helper()
	if len(rep.Bursts) == 0 {
		t.Fatal("no bursts were injected")
	}
	for i, b := range rep.Bursts {
		if !b.Detected || b.TicketsToDetect > 10 {
			t.Errorf("seed %d burst %d (%s, %d tickets): detected=%v after %d tickets", rep.Seed, i+1, b.Kind, b.Size, b.Detected, b.TicketsToDetect)
		}
	}
	if rep.FalseAlarmsPerDay > 1 {
		t.Errorf("seed %d: %.2f false alarms per day > 1 (%v)", rep.Seed, rep.FalseAlarmsPerDay, rep.FalseAlarmTopics)
	}
}

// testWriter buffers the report and logs it in one piece.
type testWriter struct {
	t   *testing.T
	buf *strings.Builder
}

func newTestWriter(t *testing.T) testWriter {
	w := testWriter{t: t, buf: &strings.Builder{}}
	t.Cleanup(func() { t.Log("\n" + w.buf.String()) })
	return w
}

func (w testWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }
