package routing

import (
	"context"
	"sync"
	"time"
)

// freshness tracks whether the model has caught up with the data it should
// have learned from. A city that imports its departments, knowledge base
// and ticket history and asks for a suggestion a moment later must not be
// answered by a model that never saw them; an agent whose colleague just
// closed one ticket must not wait for the rebuild that ticket causes.
type freshness struct {
	mu        sync.Mutex
	requested uint64        // rebuilds asked for
	built     uint64        // requested as of the start of the last finished build
	needed    uint64        // a bulk change: suggestions wait until built >= needed
	trained   int           // examples the current model learned from
	done      chan struct{} // closed and replaced after each build
}

func newFreshness() *freshness { return &freshness{done: make(chan struct{})} }

// request records a change; a bulk one makes suggestions wait for the
// rebuild that covers it.
func (f *freshness) request(bulk bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requested++
	if bulk {
		f.needed = f.requested
	}
}

// begin is called before a build reads its sources: every change requested
// so far is covered by it.
func (f *freshness) begin() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requested
}

// finish records a build that began at gen; trained < 0 leaves the count of
// examples as it was (the build failed and the old model stays).
func (f *freshness) finish(gen uint64, trained int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.built = max(f.built, gen)
	if trained >= 0 {
		f.trained = trained
	}
	close(f.done)
	f.done = make(chan struct{})
}

// stale says whether a suggestion should wait for the next build, given the
// examples the suggester holds now, and returns the channel that closes
// when a build finishes. A model is stale when a rebuild is owed and either
// a bulk change asked for it or the model learned from less than 80 % of
// the history held (a first import, or a restart whose full training is
// still running).
func (f *freshness) stale(held int) (bool, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.requested <= f.built {
		return false, nil
	}
	starved := held > 0 && f.trained*5 < held*4
	return f.needed > f.built || starved, f.done
}

// awaitModel waits, up to wait and while ctx lives, until the model is no
// longer stale; false means it still is.
func (s *Suggester) awaitModel(ctx context.Context, wait time.Duration) bool {
	var deadline <-chan time.Time
	for {
		s.mu.Lock()
		held := len(s.examples)
		s.mu.Unlock()
		stale, done := s.fresh.stale(held)
		if !stale {
			return true
		}
		if wait <= 0 {
			return false
		}
		if deadline == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-done:
		case <-deadline:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// AwaitModel waits, up to wait and while ctx lives, until the model has
// learned every bulk change (see freshness.stale); false means it has not.
// An import calls it so that its answer means the history is in use.
func (s *Suggester) AwaitModel(ctx context.Context, wait time.Duration) bool {
	return s.awaitModel(ctx, wait)
}

// ImportWait bounds how long an import waits for the model that learns it.
// An import is a long request already; a first history of a few thousand
// tickets trains in seconds to a quarter of a minute on two cores.
const ImportWait = time.Minute

// Refresh asks for a rebuild after the departments or the knowledge base
// changed outside the suggester (the gateway notices and calls it). bulk
// marks a change large enough that suggestions should wait for the rebuild
// (up to Options.StaleWait) rather than answer from a model that never saw
// it: a first import, or a large share of the knowledge base replaced.
func (s *Suggester) Refresh(bulk bool) { s.scheduleRetrain(bulk) }

// SyncExamples re-reads the history from the store when another replica
// sharing it has learned examples this one has not seen (an import or
// closed tickets handled there); it keeps examples observed here meanwhile
// and schedules a rebuild. It reports whether the held history changed.
func (s *Suggester) SyncExamples(ctx context.Context) (bool, error) {
	loaded, err := s.loadExamples(ctx)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	before := len(s.examples)
	// Anything held here but not loaded was committed after the load began.
	s.examples = upsertExamples(loaded, s.examples)
	after := len(s.examples)
	s.mu.Unlock()
	if after == before {
		return false, nil
	}
	s.scheduleRetrain(false) // a large difference starves the model: see stale
	return true, nil
}
