// Package storetest is the conformance suite every store.Store backend runs,
// in the style of watermill's pubsub/tests and dex's storage/conformance:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { ... fresh, empty store ... }, storetest.Features{...})
//	}
//
// Every subtest gets a fresh, empty backend from the factory. Features declare
// what a backend honestly guarantees; a flag switches an assertion to its
// weaker form, it never skips a test silently.
//
// RunCrash and CrashChild implement the crash test: a child process (the test
// binary re-executed) commits records and outbox items in a loop and prints
// each acknowledged id; the parent kills it with SIGKILL (or kills the
// server), reopens the store and checks that every acknowledged write is
// present, intact and claimable.
package storetest
