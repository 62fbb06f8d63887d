package knowledgebase_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/knowledgebase"
)

func TestEntryLifecycleAndRoles(t *testing.T) { eachStore(t, testEntryLifecycleAndRoles) }

func testEntryLifecycleAndRoles(t *testing.T, f *fixture) {
	ctx := f.ctx

	// A department may propose for itself only, and only as draft/in_review.
	if _, err := f.kb.CreateEntry(ctx, hrssDept, sampleEntry("w-1", "自来水如何过户？")); !errors.Is(err, knowledgebase.ErrForbidden) {
		t.Fatalf("hrss creating a water entry: got %v, want ErrForbidden", err)
	}
	pub := sampleEntry("w-1", "自来水如何过户？")
	pub.Status = knowledgebase.StatusPublished
	if _, err := f.kb.CreateEntry(ctx, waterDept, pub); !errors.Is(err, knowledgebase.ErrForbidden) {
		t.Fatalf("department creating a published entry: got %v, want ErrForbidden", err)
	}
	own := sampleEntry("w-1", "自来水如何过户？")
	own.Department = "" // a department principal writes for itself by default
	e, err := f.kb.CreateEntry(ctx, waterDept, own)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if e.Status != knowledgebase.StatusDraft || e.Version != 1 || e.CreatedBy != "dep-water" || e.Department != "water" {
		t.Fatalf("created entry: %+v", e)
	}
	// Drafts are projected but not searchable.
	if d, ok := f.idx.doc("w-1"); !ok || d.Searchable {
		t.Fatalf("draft projection: %+v present=%v", d, ok)
	}
	if _, err := f.kb.GetEntry(ctx, citizen, "w-1"); !errors.Is(err, knowledgebase.ErrNotFound) {
		t.Fatalf("citizen reading a draft: %v", err)
	}

	e, err = f.kb.TransitionEntry(ctx, waterDept, "w-1", knowledgebase.StatusInReview, 1, "请审核")
	if err != nil {
		t.Fatalf("propose: %v", err)
	}
	if _, err := f.kb.TransitionEntry(ctx, waterDept, "w-1", knowledgebase.StatusPublished, 0, ""); !errors.Is(err, knowledgebase.ErrForbidden) {
		t.Fatalf("department publishing: got %v, want ErrForbidden", err)
	}
	if _, err := f.kb.TransitionEntry(ctx, editor, "w-1", knowledgebase.StatusPublished, 1, ""); !errors.Is(err, knowledgebase.ErrConflict) {
		t.Fatalf("stale version: got %v, want ErrConflict", err)
	}
	e, err = f.kb.TransitionEntry(ctx, editor, "w-1", knowledgebase.StatusPublished, e.Version, "")
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if d, _ := f.idx.doc("w-1"); !d.Searchable || d.Internal {
		t.Fatalf("published projection: %+v", d)
	}
	if _, err := f.kb.TransitionEntry(ctx, editor, "w-1", knowledgebase.StatusInReview, 0, ""); !errors.Is(err, knowledgebase.ErrTransition) {
		t.Fatalf("published → in_review: got %v, want ErrTransition", err)
	}
	// Departments cannot change a live answer unreviewed.
	upd := sampleEntry("w-1", "自来水如何办理过户？")
	if _, err := f.kb.UpdateEntry(ctx, waterDept, "w-1", e.Version, upd); !errors.Is(err, knowledgebase.ErrTransition) {
		t.Fatalf("department editing a published entry: %v", err)
	}
	if _, err := f.kb.UpdateEntry(ctx, editor, "w-1", 0, upd); !errors.Is(err, knowledgebase.ErrVersionRequired) {
		t.Fatalf("update without version: %v", err)
	}
	upd.Answer = "可在江川水务APP在线办理过户，无需到营业厅。"
	e, err = f.kb.UpdateEntry(ctx, editor, "w-1", e.Version, upd)
	if err != nil {
		t.Fatalf("editor update: %v", err)
	}
	if e.Status != knowledgebase.StatusPublished || e.Version != 4 {
		t.Fatalf("after update: status %s version %d", e.Status, e.Version)
	}
	got, err := f.kb.GetEntry(ctx, citizen, "w-1")
	if err != nil || got.Title != "自来水如何办理过户？" {
		t.Fatalf("citizen read: %+v %v", got, err)
	}

	vs, err := f.kb.Versions(ctx, knowledgebase.KindEntry, "w-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 4 {
		t.Fatalf("versions: %d, want 4: %s", len(vs), jsonIndent(vs))
	}
	wantActions := []string{"create", "transition", "transition", "update"}
	for i, v := range vs {
		if v.Action != wantActions[i] || v.Version != uint64(i+1) || len(v.Snapshot) == 0 {
			t.Fatalf("version %d: %+v", i+1, v)
		}
	}
	if vs[2].By != "ed-1" || len(vs[2].Changes) != 1 || vs[2].Changes[0].Field != "status" ||
		vs[2].Changes[0].From != "in_review" || vs[2].Changes[0].To != "published" {
		t.Fatalf("publish diff: %s", jsonIndent(vs[2]))
	}
	fields := []string{}
	for _, c := range vs[3].Changes {
		fields = append(fields, c.Field)
	}
	if !slices.Equal(fields, []string{"answer", "title"}) {
		t.Fatalf("update diff fields %v", fields)
	}

	// Archive: leaves search, versions kept.
	if _, err := f.kb.TransitionEntry(ctx, editor, "w-1", knowledgebase.StatusArchived, 0, ""); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.idx.doc("w-1"); d.Searchable {
		t.Fatal("archived entry still searchable")
	}
	if err := f.kb.DeleteEntry(ctx, waterDept, "w-1", 0); !errors.Is(err, knowledgebase.ErrForbidden) {
		t.Fatalf("department delete: %v", err)
	}
	if err := f.kb.DeleteEntry(ctx, editor, "w-1", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.kb.GetEntry(ctx, editor, "w-1"); !errors.Is(err, knowledgebase.ErrNotFound) {
		t.Fatalf("deleted entry: %v", err)
	}
	vs, _ = f.kb.Versions(ctx, knowledgebase.KindEntry, "w-1")
	if len(vs) != 6 || vs[5].Action != "delete" {
		t.Fatalf("versions after delete: %d", len(vs))
	}
	// The title is free again.
	if _, err := f.kb.CreateEntry(ctx, editor, sampleEntry("w-2", "自来水如何办理过户？")); err != nil {
		t.Fatalf("reuse of a deleted entry's title: %v", err)
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	f := newFixture(t)
	bad := knowledgebase.Entry{
		ID: "bad id!", Title: strings.Repeat("长", 129), Category: "a//b", Department: "nowhere",
		MaterialType: "小说", Keywords: []string{strings.Repeat("词", 21)}, Channels: []string{"fax"},
		Visibility: "secret",
	}
	_, err := f.kb.CreateEntry(f.ctx, editor, bad)
	var ve *knowledgebase.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want ValidationError", err)
	}
	if !errors.Is(err, knowledgebase.ErrInvalid) || !errors.Is(err, knowledgebase.ErrUnknownDepartment) {
		t.Fatalf("sentinels: %v", err)
	}
	got := map[string]bool{}
	for _, fe := range ve.Fields {
		got[fe.Field] = true
	}
	for _, want := range []string{"id", "title", "answer", "category", "department", "material_type", "keywords[0]", "channels[0]", "visibility"} {
		if !got[want] {
			t.Errorf("missing problem for %s in %v", want, ve.Fields)
		}
	}
	if n, _ := f.st.Count(f.ctx, knowledgebase.CollEntries, nil); n != 0 {
		t.Fatalf("invalid entry written: %d records", n)
	}
}

func TestDuplicateTitleAndGeneratedID(t *testing.T) {
	f := newFixture(t)
	a := sampleEntry("", "自来水如何过户？")
	e, err := f.kb.CreateEntry(f.ctx, editor, a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.ID, "kb-") {
		t.Fatalf("generated id %q", e.ID)
	}
	// Width and case folding: the same title in full-width punctuation.
	b := sampleEntry("x-2", " 自来水如何过户? ")
	if _, err := f.kb.CreateEntry(f.ctx, editor, b); !errors.Is(err, knowledgebase.ErrDuplicateTitle) {
		t.Fatalf("duplicate title: %v", err)
	}
	if _, err := f.kb.CreateEntry(f.ctx, editor, sampleEntry(e.ID, "另一个问题")); !errors.Is(err, knowledgebase.ErrConflict) {
		t.Fatalf("duplicate id: %v", err)
	}
}

func TestSearchVisibilityAndHydration(t *testing.T) {
	f := newFixture(t)
	// Out-of-band store changes below must show at once: no hit cache.
	f.kb = knowledgebase.NewService(f.st, f.idx, f.depts, knowledgebase.Options{Now: f.clock.Now, HitCacheTTL: -1})
	pub := sampleEntry("s-pub", "自来水停水通知查询")
	pub.Status = knowledgebase.StatusPublished
	in := sampleEntry("s-int", "自来水停水内部口径")
	in.Status, in.Visibility = knowledgebase.StatusPublished, knowledgebase.VisibilityInternal
	draft := sampleEntry("s-draft", "自来水停水草稿")
	for _, e := range []knowledgebase.Entry{pub, in, draft} {
		if _, err := f.kb.CreateEntry(f.ctx, editor, e); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(a knowledgebase.Actor) []string {
		res, err := f.kb.Search(f.ctx, a, knowledgebase.Query{Text: "自来水停水"})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.ID)
			if h.Question == "" || h.Answer == "" || h.Department != "water" {
				t.Fatalf("hit not hydrated: %+v", h)
			}
		}
		slices.Sort(out)
		return out
	}
	if got := ids(citizen); !slices.Equal(got, []string{"s-pub"}) {
		t.Fatalf("citizen sees %v", got)
	}
	if got := ids(agent); !slices.Equal(got, []string{"s-int", "s-pub"}) {
		t.Fatalf("agent sees %v", got)
	}
	for _, q := range []string{"", "   ", strings.Repeat("水", 257)} {
		if _, err := f.kb.Search(f.ctx, citizen, knowledgebase.Query{Text: q}); !errors.Is(err, knowledgebase.ErrBadQuery) {
			t.Fatalf("query %q: %v", q[:min(len(q), 9)], err)
		}
	}
	// A stale index (store changed behind its back) never leaks: the hit is
	// re-checked against the store.
	rec, _ := f.st.Get(f.ctx, knowledgebase.CollEntries, "s-pub")
	rec.Data = []byte(strings.Replace(string(rec.Data), `"status":"published"`, `"status":"draft"`, 1))
	if _, err := f.st.Commit(f.ctx, store.Tx{Puts: []store.Put{{Record: rec, ExpectVersion: rec.Version}}}); err != nil {
		t.Fatal(err)
	}
	if got := ids(citizen); len(got) != 0 {
		t.Fatalf("stale index leaked %v", got)
	}
	if d, _ := f.idx.doc("s-pub"); !d.Searchable {
		t.Fatal("test setup: the index should still be stale")
	}
	f.kb.Tick(f.ctx)
	if d, _ := f.idx.doc("s-pub"); d.Searchable {
		t.Fatal("Tick did not re-project the stale document")
	}
}

func TestExpirySweepLeavesPublicSearch(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	e := sampleEntry("exp-1", "防汛沙袋免费领取")
	e.Status = knowledgebase.StatusPublished
	e.ExpiresAt = knowledgebase.Date{Time: now.Add(2 * time.Hour)}
	e.ReviewDue = knowledgebase.Date{Time: now.Add(time.Hour)}
	later := sampleEntry("eff-1", "新版水费阶梯价格")
	later.Status = knowledgebase.StatusPublished
	later.EffectiveFrom = knowledgebase.Date{Time: now.Add(90 * time.Minute)}
	for _, x := range []knowledgebase.Entry{e, later} {
		if _, err := f.kb.CreateEntry(f.ctx, editor, x); err != nil {
			t.Fatal(err)
		}
	}
	if d, _ := f.idx.doc("exp-1"); !d.Searchable {
		t.Fatal("valid entry not searchable")
	}
	if d, _ := f.idx.doc("eff-1"); d.Searchable {
		t.Fatal("not-yet-effective entry searchable")
	}
	if _, err := f.kb.Sweep(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(3 * time.Hour)
	page, err := f.kb.ListEntries(f.ctx, editor, knowledgebase.EntryFilter{Flag: knowledgebase.FlagExpired})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].ID != "exp-1" ||
		!slices.Contains(page.Entries[0].Flags, knowledgebase.FlagReviewDue) {
		t.Fatalf("expired flag listing: %s %v", jsonIndent(page), err)
	}
	n, err := f.kb.Sweep(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("sweep re-projected %d, want 2", n)
	}
	if d, _ := f.idx.doc("exp-1"); d.Searchable {
		t.Fatal("expired entry still searchable after the sweep")
	}
	if d, _ := f.idx.doc("eff-1"); !d.Searchable {
		t.Fatal("entry that became effective still hidden after the sweep")
	}
	if n, _ := f.kb.Sweep(f.ctx); n != 0 {
		t.Fatalf("second sweep re-projected %d, want 0", n)
	}
}

func TestEnsureIndexRebuildsAndSynonymsPersist(t *testing.T) {
	f := newFixture(t)
	for i, title := range []string{"社保卡补办", "公积金提取", "水费缴纳"} {
		e := sampleEntry("r-"+string(rune('a'+i)), title)
		e.Status = knowledgebase.StatusPublished
		if _, err := f.kb.CreateEntry(f.ctx, editor, e); err != nil {
			t.Fatal(err)
		}
	}
	set, err := f.kb.SetSynonyms(f.ctx, editor, [][]string{{"社保卡", "社会保障卡"}, {"公积金", "住房公积金"}}, 0, false)
	if err != nil || set.Version != 1 {
		t.Fatalf("set synonyms: %+v %v", set, err)
	}
	if _, err := f.kb.SetSynonyms(f.ctx, editor, [][]string{{"a", "b"}}, 0, false); !errors.Is(err, knowledgebase.ErrConflict) {
		t.Fatalf("stale synonyms write: %v", err)
	}
	if _, err := f.kb.SetSynonyms(f.ctx, agent, [][]string{{"a", "b"}}, 1, false); !errors.Is(err, knowledgebase.ErrForbidden) {
		t.Fatalf("agent writing synonyms: %v", err)
	}
	if _, err := f.kb.SetSynonyms(f.ctx, editor, [][]string{{"only-one"}}, 1, false); !errors.Is(err, knowledgebase.ErrInvalid) {
		t.Fatalf("one-term group: %v", err)
	}

	// A new process: empty index, same store.
	idx := newTestIndex()
	kb := knowledgebase.NewService(f.st, idx, f.depts, knowledgebase.Options{Now: f.clock.Now})
	if err := kb.Open(f.ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := idx.Count(f.ctx); n != 3 {
		t.Fatalf("rebuilt index holds %d docs, want 3", n)
	}
	if len(idx.synonyms) != 2 || idx.synonyms[0][1] != "社会保障卡" {
		t.Fatalf("synonyms not applied at start: %v", idx.synonyms)
	}
	// Up to date: Open does not rebuild.
	if rebuilt, err := kb.EnsureIndex(f.ctx); err != nil || rebuilt {
		t.Fatalf("EnsureIndex on a fresh index: rebuilt=%v err=%v", rebuilt, err)
	}
	// Stale (a write it missed): rebuilt.
	_ = idx.Delete(f.ctx, "r-a")
	if rebuilt, err := kb.EnsureIndex(f.ctx); err != nil || !rebuilt {
		t.Fatalf("EnsureIndex on a stale index: rebuilt=%v err=%v", rebuilt, err)
	}
}

func TestAnalyticsGapsAndFeedback(t *testing.T) { eachStore(t, testAnalyticsGapsAndFeedback) }

func testAnalyticsGapsAndFeedback(t *testing.T, f *fixture) {
	e := sampleEntry("a-1", "自来水过户办理")
	e.Status = knowledgebase.StatusPublished
	if _, err := f.kb.CreateEntry(f.ctx, editor, e); err != nil {
		t.Fatal(err)
	}
	search := func(q string) knowledgebase.SearchResult {
		res, err := f.kb.Search(f.ctx, citizen, knowledgebase.Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for range 3 {
		search("无人机 飞行")
	}
	r1 := search("自来水过户")
	if _, err := f.kb.Search(f.ctx, knowledgebase.Actor{ID: "routing", Staff: true, System: true}, knowledgebase.Query{Text: "机器查询"}); err != nil {
		t.Fatal(err)
	}
	search("ＡＢＣ自来水") // full width folds into "abc自来水"
	search("abc自来水")
	if r1.Total != 1 || r1.SearchID == "" {
		t.Fatalf("search: %+v", r1)
	}
	if err := f.kb.RecordClick(f.ctx, r1.SearchID, "a-1"); err != nil {
		t.Fatal(err)
	}
	if err := f.kb.RecordClick(f.ctx, "nonsense", "a-1"); !errors.Is(err, knowledgebase.ErrInvalid) {
		t.Fatalf("bad search id: %v", err)
	}
	if err := f.kb.RecordClick(f.ctx, r1.SearchID, "missing"); !errors.Is(err, knowledgebase.ErrNotFound) {
		t.Fatalf("click on unknown doc: %v", err)
	}
	gaps, err := f.kb.Gaps(f.ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 2 || gaps[0].Query != "无人机 飞行" || gaps[0].ZeroResults != 3 || gaps[0].Reason != "zero_results" ||
		gaps[1].Query != "abc自来水" || gaps[1].Searches != 2 || gaps[1].Reason != "no_clicks" {
		t.Fatalf("gaps: %s", jsonIndent(gaps))
	}
	top, err := f.kb.TopQueries(f.ctx, 1)
	if err != nil || len(top) != 1 || top[0].Query != "无人机 飞行" {
		t.Fatalf("top: %s %v", jsonIndent(top), err)
	}
	// A second flush adds to what is stored instead of overwriting it.
	search("无人机 飞行")
	gaps, _ = f.kb.Gaps(f.ctx, 1)
	if gaps[0].Searches != 4 {
		t.Fatalf("merged count %d, want 4", gaps[0].Searches)
	}

	fb, err := f.kb.RecordFeedback(f.ctx, citizen, "a-1", false, "电话13912345678打不通")
	if err != nil {
		t.Fatal(err)
	}
	fb, _ = f.kb.RecordFeedback(f.ctx, citizen, "a-1", true, "")
	if fb.Helpful != 1 || fb.Unhelpful != 1 || len(fb.Comments) != 1 || strings.Contains(fb.Comments[0].Text, "1391234") {
		t.Fatalf("feedback: %s", jsonIndent(fb))
	}
	if _, err := f.kb.RecordFeedback(f.ctx, citizen, "nope", true, ""); !errors.Is(err, knowledgebase.ErrNotFound) {
		t.Fatalf("feedback on unknown entry: %v", err)
	}
}

// Two replicas over one store count the same queries and flush at the same
// time: the stored totals are the sum, nothing is overwritten.
func TestAnalyticsFlushFromTwoReplicasAdds(t *testing.T) {
	eachStore(t, testAnalyticsFlushFromTwoReplicasAdds)
}

func testAnalyticsFlushFromTwoReplicasAdds(t *testing.T, f *fixture) {
	e := sampleEntry("r2-1", "自来水过户办理")
	e.Status = knowledgebase.StatusPublished
	if _, err := f.kb.CreateEntry(f.ctx, editor, e); err != nil {
		t.Fatal(err)
	}
	other := knowledgebase.NewService(f.st, f.idx, f.depts, knowledgebase.Options{Now: f.clock.Now})
	queries := make([]string, 450) // more than one flush chunk
	for i := range queries {
		queries[i] = "查询第" + strconv.Itoa(i) + "号"
	}
	for _, kb := range []*knowledgebase.Service{f.kb, other} {
		for _, q := range queries {
			if _, err := kb.Search(f.ctx, citizen, knowledgebase.Query{Text: q}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, kb := range []*knowledgebase.Service{f.kb, other} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = kb.FlushAnalytics(f.ctx) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	top, err := f.kb.TopQueries(f.ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(top) != len(queries) {
		t.Fatalf("%d aggregates, want %d", len(top), len(queries))
	}
	for _, q := range top {
		if q.Searches != 2 || q.ZeroResults != 2 {
			t.Fatalf("aggregate %+v, want 2 searches from 2 replicas", q)
		}
	}
}

// The hit cache: this process's writes show at once, another replica's
// within the TTL.
func TestHitCache(t *testing.T) {
	f := newFixture(t)
	kb := knowledgebase.NewService(f.st, f.idx, f.depts, knowledgebase.Options{Now: f.clock.Now, HitCacheTTL: 200 * time.Millisecond})
	e := sampleEntry("hc-1", "自来水过户办理")
	e.Status = knowledgebase.StatusPublished
	created, err := kb.CreateEntry(f.ctx, editor, e)
	if err != nil {
		t.Fatal(err)
	}
	answer := func() string {
		res, err := kb.Search(f.ctx, citizen, knowledgebase.Query{Text: "自来水过户"})
		if err != nil || len(res.Hits) != 1 {
			t.Fatalf("search: %+v %v", res, err)
		}
		return res.Hits[0].Answer
	}
	answer() // fills the cache
	e.Answer = "本进程改写的答案。"
	if created, err = kb.UpdateEntry(f.ctx, editor, "hc-1", created.Version, e); err != nil {
		t.Fatal(err)
	}
	if got := answer(); got != e.Answer {
		t.Fatalf("own write not visible at once: %q", got)
	}
	// Another replica (its own service over the same store) updates it.
	other := knowledgebase.NewService(f.st, newTestIndex(), f.depts, knowledgebase.Options{Now: f.clock.Now})
	e.Answer = "另一副本改写的答案。"
	if _, err := other.UpdateEntry(f.ctx, editor, "hc-1", created.Version, e); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for answer() != e.Answer {
		if time.Now().After(deadline) {
			t.Fatal("another replica's write not visible after the TTL")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A caller that only calls EnsureIndex (not Open) gets the stored synonyms
// as soon as Run starts, and Shutdown is safe to call twice.
func TestRunAppliesStoredSynonymsAndShutdownOnce(t *testing.T) {
	f := newFixture(t)
	if _, err := f.kb.SetSynonyms(f.ctx, editor, [][]string{{"社保卡", "社会保障卡"}}, 0, false); err != nil {
		t.Fatal(err)
	}
	idx := newTestIndex()
	kb := knowledgebase.NewService(f.st, idx, f.depts, knowledgebase.Options{SweepInterval: time.Hour})
	if _, err := kb.EnsureIndex(f.ctx); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan error, 1)
	go func() { done <- kb.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		idx.mu.Lock()
		n := len(idx.synonyms)
		idx.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not apply the stored synonyms at start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := kb.Shutdown(f.ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
}
