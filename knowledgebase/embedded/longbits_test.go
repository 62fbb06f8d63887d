package embedded

import (
	"fmt"
	"testing"
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
)

// TestLongBitsMatchExhaustive: with every document alive, a pruned pass
// walks long lists through their bitmaps (longbits.go); hits, scores and
// totals must equal scoring everything, with and without filters.
func TestLongBitsMatchExhaustive(t *testing.T) {
	ctx := t.Context()
	x, err := Open(ctx, Options{CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	docs := genDocs(1100, 21)
	for i := range docs {
		if i%13 == 0 {
			docs[i].Internal = true
		}
		switch i % 19 {
		case 3:
			docs[i].ExpiresAt = pruneNow.Add(-time.Hour)
		case 4:
			docs[i].ExpiresAt = pruneNow.Add(time.Hour)
		}
	}
	if err := x.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	if x.core.dead() != 0 {
		t.Fatal("test wants every document alive")
	}
	oldP, oldMin, oldD, oldDrop := pruneMinPostings, longBitsMin, longBitsDensity, dropMinFactor
	defer func() { pruneMinPostings, longBitsMin, longBitsDensity, dropMinFactor = oldP, oldMin, oldD, oldDrop }()
	longBitsMin, longBitsDensity, dropMinFactor = 16, 64, 0
	dropped, skipped, raised, untouched := 0, 0, 0, 0
	defer func(v bool, f int) { fbBits, candWalkFactor = v, f }(fbBits, candWalkFactor)

	for i, q := range genQueries(300, 23) {
		// Both walks of addLongBits (by words, by candidates) and both
		// ways of the feedback pass's skips.
		candWalkFactor = []int{0, 1 << 20}[i%2]
		fbBits = i%3 != 0
		kq := knowledgebase.Query{Text: q, Limit: 10, Now: pruneNow}
		switch i % 5 {
		case 1:
			kq.Offset = 7
		case 2:
			kq.Department = genDepts[i%len(genDepts)]
		case 3:
			kq.IncludeInternal = true
			kq.Limit = 30
		case 4:
			kq.Limit = 100 // the whole first-pass pool is on the page
		}
		pruneMinPostings = 1 << 40
		want, err := x.Search(ctx, kq)
		if err != nil {
			t.Fatal(err)
		}
		pruneMinPostings = 0
		got, err := x.Search(ctx, kq)
		if err != nil {
			t.Fatal(err)
		}
		acc := x.pool.Get().(*accum)
		dropped += acc.dropped
		skipped += acc.fbSkipped
		raised += acc.raised
		untouched += acc.fbUntouched
		x.pool.Put(acc)
		if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
			t.Fatalf("query %+v:\nbitmaps    %s\nexhaustive %s", kq, g, w)
		}
	}
	x.core.lbits.mu.Lock()
	n := len(x.core.lbits.m)
	x.core.lbits.mu.Unlock()
	if n == 0 {
		t.Fatal("no list was walked through a bitmap: the test checks nothing")
	}
	if dropped == 0 {
		t.Fatal("no candidate was dropped between long lists: the test checks little")
	}
	if raised == 0 {
		t.Fatal("θ was never raised between long lists: the test checks little")
	}
	if skipped == 0 {
		t.Fatal("no feedback posting was bounded out: the test checks little")
	}
	if untouched == 0 {
		t.Fatal("no feedback posting was handled with bitsets: the test checks little")
	}
	t.Logf("%d lists with bitmaps, %d candidates dropped between long lists, %d feedback postings bounded out", n, dropped, skipped)
}
