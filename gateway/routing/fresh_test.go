package routing

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// kbGate lets a test hold rebuilds: KBEntries is read by Retrain only, so a
// closed-over channel there stops a rebuild mid-way without touching
// Observe.
type kbGate struct {
	mu   sync.Mutex
	hold chan struct{}
}

func (g *kbGate) entries(ctx context.Context) ([]KBEntry, error) {
	g.mu.Lock()
	h := g.hold
	g.mu.Unlock()
	if h != nil {
		select {
		case <-h:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, nil
}

func (g *kbGate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hold != nil {
		close(g.hold)
		g.hold = nil
	}
}

func openGated(t *testing.T, g *kbGate, staleWait time.Duration) *Suggester {
	t.Helper()
	s, err := Open(context.Background(), Options{NoStarters: true, Store: openBolt(t), Departments: synthDepartments, KBEntries: g.entries,
		Tokenizer: CharNGrams, Logger: quietLogger, RetrainDelay: 100 * time.Millisecond, StaleWait: staleWait})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.close(); _ = s.Close() })
	return s
}

func (s *Suggester) trainedExamples() int {
	s.fresh.mu.Lock()
	defer s.fresh.mu.Unlock()
	return s.fresh.trained
}

// A city imports its history and asks at once: the answer comes from a
// model that learned the history, not from the empty one.
func TestSuggestWaitsForAnImportedHistory(t *testing.T) {
	ctx := context.Background()
	s := openGated(t, &kbGate{}, time.Minute)
	if _, err := s.ObserveBatch(ctx, synthExamples(300, 7)); err != nil {
		t.Fatal(err)
	}
	sg, err := s.Suggest(ctx, Query{Text: "来电反映：小区门口燃气管道漏气，请尽快处理。"})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.trainedExamples(); got != 300 || sg.ModelPending {
		t.Fatalf("suggestion answered by a model of %d examples (pending %v), want the 300 just imported", got, sg.ModelPending)
	}
}

// An agent's suggestion never waits for the rebuild one closed ticket
// causes: the model already knows (nearly) all of the history.
func TestSuggestDoesNotWaitForOneMoreTicket(t *testing.T) {
	ctx := context.Background()
	g := &kbGate{}
	s := openGated(t, g, time.Hour)
	if _, err := s.ObserveBatch(ctx, synthExamples(300, 8)); err != nil {
		t.Fatal(err)
	}
	if err := s.Retrain(ctx); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	g.hold = make(chan struct{}) // the next rebuild cannot finish
	g.mu.Unlock()
	if err := s.Observe(ctx, Example{Text: "路灯不亮已经一周", Department: synthDepts[0].Code, Type: "投诉"}); err != nil {
		t.Fatal(err)
	}
	got := make(chan Suggestion, 1)
	go func() {
		sg, _ := s.Suggest(ctx, Query{Text: "路灯不亮"})
		got <- sg
	}()
	select {
	case sg := <-got:
		if sg.ModelPending || sg.Department == "" {
			t.Errorf("steady-state suggestion: pending %v, department %q", sg.ModelPending, sg.Department)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a suggestion waited for the rebuild of one new ticket")
	}
}

// A bulk change whose rebuild takes longer than StaleWait: the suggestion
// answers from the model it has and says so.
func TestSuggestGivesUpAfterStaleWait(t *testing.T) {
	ctx := context.Background()
	g := &kbGate{}
	s := openGated(t, g, 50*time.Millisecond)
	g.mu.Lock()
	g.hold = make(chan struct{}) // Open trained; the next rebuild cannot finish
	g.mu.Unlock()
	s.Refresh(true)
	sg, err := s.Suggest(ctx, Query{Text: "路灯不亮"})
	if err != nil {
		t.Fatal(err)
	}
	if !sg.ModelPending || !strings.Contains(strings.Join(sg.Evidence, "|"), "正在学习新导入的数据") {
		t.Fatalf("want model_pending and its evidence line, got %+v", sg)
	}
	g.close()
	// Once the rebuild is through, the same question no longer waits or
	// reports pending.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if sg, _ := s.Suggest(ctx, Query{Text: "路灯不亮"}); !sg.ModelPending {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("still pending after the rebuild was released")
}

// Replicas share one store: history learned by one is re-read by the other,
// whose next suggestion waits for the model that learned it.
func TestSyncExamplesFromAnotherReplica(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	open := func() *Suggester {
		s, err := Open(ctx, Options{NoStarters: true, Store: st, Departments: synthDepartments, Tokenizer: CharNGrams, Logger: quietLogger,
			RetrainDelay: 50 * time.Millisecond, StaleWait: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	a, b := open(), open()
	if _, err := a.ObserveBatch(ctx, synthExamples(300, 9)); err != nil {
		t.Fatal(err)
	}
	if b.Examples() != 0 {
		t.Fatalf("replica b holds %d examples before syncing", b.Examples())
	}
	if changed, err := b.SyncExamples(ctx); err != nil || !changed || b.Examples() != 300 {
		t.Fatalf("sync: changed %v, err %v, held %d; want 300", changed, err, b.Examples())
	}
	if _, err := b.Suggest(ctx, Query{Text: "路灯不亮"}); err != nil {
		t.Fatal(err)
	}
	if got := b.trainedExamples(); got != 300 {
		t.Fatalf("replica b answered from a model of %d examples, want 300", got)
	}
	if changed, _ := b.SyncExamples(ctx); changed {
		t.Fatal("a second sync with nothing new reported a change")
	}
}
