// Package indextest is the conformance suite that every knowledgebase.Index
// backend runs (embedded, meili), in the style of watermill's pub/sub tests
// and gitea's issue-indexer tests: each subtest gets a fresh index from the
// backend's factory, asynchronous engines are polled until they have caught
// up, and what a backend cannot honour is declared in Features and reported
// as an explicit skip naming the flag, never dropped silently.
//
// The suite uses its own small hand-written documents, so it says nothing
// about ranking quality on real data; that is the evaluation's job.
//
// A backend calls it from its own test file:
//
//	func TestConformance(t *testing.T) {
//		indextest.Run(t, func(t *testing.T) knowledgebase.Index {
//			idx, err := Open(t.Context(), opts)
//			if err != nil { t.Fatal(err) }
//			t.Cleanup(func() { idx.Close() })
//			return idx
//		}, indextest.AllFeatures())
//	}
package indextest
