package routing

import (
	"context"
	"testing"
	"time"
)

func TestSpreadKBKeepsEachDepartmentsShare(t *testing.T) {
	var kb []KBEntry
	for d, n := range map[string]int{"a": 10, "b": 2, "c": 100} {
		for i := range n {
			kb = append(kb, KBEntry{ID: d + string(rune('0'+i%10)), Department: d})
		}
	}
	got := spreadKB(kb, 12)
	count := map[string]int{}
	for _, e := range got {
		count[e.Department]++
	}
	if len(got) != 12 || count["a"] != 5 || count["b"] != 2 || count["c"] != 5 {
		t.Fatalf("spread of 12 over 10/2/100 entries: %v (%d)", count, len(got))
	}
	if len(spreadKB(kb, -1)) != len(kb) || len(spreadKB(kb, 500)) != len(kb) {
		t.Fatal("no cap, or a cap above the size, must keep every entry")
	}
}

// With TrainInBackground, Open does not wait for the KB or the history: it
// answers from the duties at once and from the full model once trained.
func TestTrainInBackground(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	seed := openSuggester(t, st)
	if _, err := seed.ObserveBatch(ctx, synthExamples(400, 1)); err != nil {
		t.Fatal(err)
	}
	_ = seed.Close()

	release := make(chan struct{})
	kbCalls := 0
	s, err := Open(ctx, Options{NoStarters: true, Store: st, Departments: synthDepartments, Tokenizer: CharNGrams, Logger: quietLogger,
		RetrainDelay: 10 * time.Millisecond, TrainInBackground: true,
		// Never wait for the held training: this test is about the
		// bootstrap model answering meanwhile (fresh_test.go covers the
		// wait).
		StaleWait: -1,
		KBEntries: func(ctx context.Context) ([]KBEntry, error) {
			kbCalls++
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return nil, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	test := synthExamples(100, 99)
	accuracy := func() float64 {
		right := 0
		for _, ex := range test {
			sg, err := s.Suggest(ctx, Query{Text: ex.Text})
			if err != nil {
				t.Fatal(err)
			}
			if sg.Department == ex.Department {
				right++
			}
		}
		return float64(right) / float64(len(test))
	}
	before := accuracy() // the bootstrap model answers while training waits
	close(release)
	deadline := time.Now().Add(30 * time.Second)
	for accuracy() < 0.95 {
		if time.Now().After(deadline) {
			t.Fatalf("the background training never took over (accuracy %.2f before it)", before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if kbCalls == 0 {
		t.Fatal("the background training never read the KB")
	}
	t.Logf("accuracy from the duties alone %.2f, after the background training ≥ 0.95", before)
}
