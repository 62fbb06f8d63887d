package ticket

import (
	"context"
	"slices"
	"testing"
)

func TestSearchTerms(t *testing.T) {
	for q, want := range map[string][]string{
		"滨江路噪音":       {"滨江路", "噪音"},
		"滨江路8号 夜间施工":  {"滨江路8号", "夜间施工"},
		"公积金提取没到账":    {"公积金", "提取", "没到账"},
		"ＪＣ2026，路灯不亮": {"jc2026", "路灯", "不亮"},
		"  ，。 ":       nil,
	} {
		if got := searchTerms(q); !slices.Equal(got, want) {
			t.Errorf("searchTerms(%q) = %q, want %q", q, got, want)
		}
	}
}

// An agent finds earlier tickets by the words of their text and address,
// newest first, within the window, page by page; the sealed caller data is
// never searched.
func TestSearchTickets(t *testing.T) { forEachStore(t, testSearchTickets) }

func testSearchTickets(t *testing.T, open opener) {
	e := newEnvOn(t, open(t), nil)
	ctx := context.Background()
	mk := func(at, text, addr, dept string) *Ticket {
		e.clk.Set(cst(at))
		in := sampleIntake()
		in.Text, in.Address, in.Department, in.Category = text, addr, dept, ""
		return e.create(t, in)
	}
	old := mk("2026-01-05 09:00", "滨江路工地夜间施工噪音扰民", "江川区滨江路8号", "housing")
	a := mk("2026-03-02 09:00", "工地晚上施工，噪音很大", "江川区滨江路8号", "housing")
	mk("2026-03-03 09:00", "路灯不亮", "江川区滨江路10号", "water")
	b := mk("2026-03-04 09:00", "滨江路广场舞噪音", "江川区中山路1号", "eco")
	mk("2026-03-05 09:00", "噪音", "临江区解放街2号", "eco")
	e.clk.Set(cst("2026-03-06 09:00"))

	ids := func(p Page) []string {
		var out []string
		for _, t := range p.Tickets {
			out = append(out, t.ID)
		}
		return out
	}
	since := cst("2026-02-01 00:00")
	p, err := e.svc.List(ctx, Filter{Text: "滨江路噪音", Since: since})
	if err != nil || !slices.Equal(ids(p), []string{b.ID, a.ID}) || p.NextCursor != "" {
		t.Fatalf("search: %v %v (next %q)", ids(p), err, p.NextCursor)
	}
	p, _ = e.svc.List(ctx, Filter{Text: "滨江路 噪音"})
	if !slices.Equal(ids(p), []string{b.ID, a.ID, old.ID}) {
		t.Errorf("without a window: %v", ids(p))
	}
	p, _ = e.svc.List(ctx, Filter{Text: "滨江路噪音", Since: since, Department: "housing"})
	if !slices.Equal(ids(p), []string{a.ID}) {
		t.Errorf("one department: %v", ids(p))
	}
	if p, _ = e.svc.List(ctx, Filter{Text: a.Code}); !slices.Equal(ids(p), []string{a.ID}) {
		t.Errorf("by code: %v", ids(p))
	}
	if p, _ = e.svc.List(ctx, Filter{Text: testName}); len(p.Tickets) != 0 {
		t.Errorf("the caller's name found %d tickets", len(p.Tickets))
	}
	// Pages: one at a time, and a bounded read that says where to go on.
	p1, _ := e.svc.List(ctx, Filter{Text: "噪音", Since: since, Limit: 1})
	p2, _ := e.svc.List(ctx, Filter{Text: "噪音", Since: since, Limit: 1, Cursor: p1.NextCursor})
	if len(p1.Tickets) != 1 || len(p2.Tickets) != 1 || p1.Tickets[0].ID == p2.Tickets[0].ID || p2.Tickets[0].ID != b.ID {
		t.Fatalf("pages %v / %v", ids(p1), ids(p2))
	}
	defer func(n int) { SearchScan = n }(SearchScan)
	SearchScan = 2
	var found []string
	cursor, rounds := "", 0
	for {
		p, err := e.svc.List(ctx, Filter{Text: "滨江路", Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, ids(p)...)
		rounds++
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(found) != 4 || rounds != 3 {
		t.Errorf("bounded reads: %d found in %d rounds, want 4 in 3", len(found), rounds)
	}
}
