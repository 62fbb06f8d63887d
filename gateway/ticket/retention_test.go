package ticket

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// Tickets closed before the cut lose their caller's name and phone, and
// their texts lose numbers and the name; open tickets and tickets closed
// after the cut keep theirs; the caller's history no longer finds the
// erased ones; statistics do not change; a second run erases nothing.
func TestErasePersonalDataPastRetention(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		e := newEnvOn(t, open(t), nil)
		in := sampleIntake()
		in.Text = "我叫" + testName + "，楼下施工噪音，回电 " + testPhone + "，身份证110101199003071234"
		old := e.create(t, in)
		e.apply(t, agent, old.ID, Command{Type: "answer", KBEntry: "kb-1", Text: "已告知王小明：夜间施工须有许可，电话13812345678已登记"})
		oldClosedAt := e.clk.Now()
		e.clk.Add(40 * 24 * time.Hour)
		recent := e.create(t, in)
		e.apply(t, agent, recent.ID, Command{Type: "answer", KBEntry: "kb-1"})
		stillOpen := e.create(t, in)
		e.clk.Add(24 * time.Hour)
		statsBefore, err := e.svc.Stats(ctx, StatsQuery{})
		if err != nil {
			t.Fatal(err)
		}

		cut := oldClosedAt.Add(24 * time.Hour) // only the first is past it
		var erased []Erased
		n, err := e.svc.ErasePersonalData(ctx, cut, func(x Erased) { erased = append(erased, x) })
		if err != nil || n != 1 || len(erased) != 1 || erased[0].Code != old.Code || !erased[0].ClosedAt.Equal(oldClosedAt) {
			t.Fatalf("erased %d %+v (%v), want the first ticket only", n, erased, err)
		}
		got, err := e.svc.Get(ctx, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Caller.Name != "" || got.Caller.Phone != "" || got.PersonalDataErasedAt.IsZero() {
			t.Errorf("caller after erasure: %+v, erased at %v", got.Caller, got.PersonalDataErasedAt)
		}
		all := got.Text + got.Reply
		for _, ev := range got.Events {
			all += ev.Note
			for _, v := range ev.Data {
				if s, ok := v.(string); ok {
					all += s
				}
			}
		}
		for _, secret := range []string{testName, testPhone, "110101199003071234"} {
			if strings.Contains(all, secret) {
				t.Errorf("the erased ticket's texts still hold %q: %s", secret, all)
			}
		}
		if !strings.Contains(got.Text, "楼下施工噪音") || got.Status != StatusAnswered || got.Department != old.Department {
			t.Errorf("erasure took more than the personal data: %+v", got)
		}
		for _, keep := range []*Ticket{recent, stillOpen} {
			k, err := e.svc.Get(ctx, keep.ID)
			if err != nil || k.Caller.Phone != testPhone || k.Caller.Name != testName || !k.PersonalDataErasedAt.IsZero() {
				t.Errorf("ticket %s lost its caller: %+v %v", keep.Code, k.Caller, err)
			}
		}
		// The caller's history finds the two kept tickets only.
		page, err := e.svc.List(ctx, Filter{CallerPhone: testPhone, Limit: 10})
		if err != nil || len(page.Tickets) != 2 {
			t.Fatalf("caller history after erasure: %d tickets (%v), want 2", len(page.Tickets), err)
		}
		statsAfter, err := e.svc.Stats(ctx, StatsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if a, b := statsAfter.FirstCallResolution, statsBefore.FirstCallResolution; statsAfter.Tickets != statsBefore.Tickets || a.Num != b.Num || a.Den != b.Den {
			t.Errorf("statistics changed: %+v → %+v", statsBefore.FirstCallResolution, statsAfter.FirstCallResolution)
		}
		if n, err := e.svc.ErasePersonalData(ctx, cut, nil); err != nil || n != 0 {
			t.Errorf("second run erased %d (%v)", n, err)
		}
		// The index holds the kept final ticket, not the erased one.
		if c, err := e.st.Count(ctx, Collection, map[string]string{ixPersonal: oldClosedAt.In(e.svc.Calendar().Location()).Format("200601")}); err != nil || c != 0 {
			t.Errorf("%d tickets of the erased month still indexed as holding personal data (%v)", c, err)
		}
	})
}

// Tickets stored before the retention index existed are found once the
// index migration has run.
func TestEraseFindsTicketsOfAnOlderRelease(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	tk := e.create(t, sampleIntake())
	e.apply(t, agent, tk.ID, Command{Type: "answer", KBEntry: "kb-1"})
	// An older release wrote no ixPersonal: drop it and the migration marker.
	r, err := e.st.Get(ctx, Collection, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	delete(r.Index, ixPersonal)
	if _, err := e.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: Collection, ID: r.ID, Data: r.Data, Index: r.Index}, ExpectVersion: r.Version}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Commit(ctx, store.Tx{Deletes: []store.Delete{{Collection: MetaCollection, ID: indexVersion}}}); err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	e.svc.indexMigrated.Store(false)
	cut := e.clk.Now().Add(time.Hour)
	if n, _ := e.svc.ErasePersonalData(ctx, cut, nil); n != 0 {
		t.Fatalf("erased %d before the migration: the test does not model an older release", n)
	}
	if err := e.svc.migrateIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.ErasePersonalData(ctx, cut, nil); err != nil || n != 1 {
		t.Fatalf("erased %d after the migration (%v), want 1", n, err)
	}
}
