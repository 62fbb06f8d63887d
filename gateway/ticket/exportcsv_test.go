package ticket

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
)

// An export is a spreadsheet's CSV that another system — or hallgate —
// imports again: the same tickets, departments, types, channels and times,
// no caller data, and a citizen's "=..." kept from running as a formula.
func TestExportCSVRoundTrips(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	in := sampleIntake()
	in.Department = "tax"
	in.CoDepartments = []string{"eco"}
	in.Urgent = true
	first := e.create(t, in)
	e.apply(t, dept("tax"), first.ID, Command{Type: EvAccept})
	e.apply(t, dept("tax"), first.ID, Command{Type: EvReply, Text: "已核实并处理。"})
	e.apply(t, agent, first.ID, Command{Type: EvRate, Rating: "满意"})
	second := sampleIntake()
	second.Channel, second.Type, second.Text, second.Department = ChannelWebsite, TypeEnquiry, "=HYPERLINK(\"http://x\") 个税怎么汇算", "water"
	second.Address = "江川区中山路1号"
	e.create(t, second)
	third := sampleIntake() // received, not yet dispatched: exported, but no history to learn from
	third.Address = "江川区解放街2号"
	e.create(t, third)

	var buf bytes.Buffer
	n, err := e.svc.ExportCSV(ctx, StatsQuery{}, false, &buf)
	if err != nil || n != 3 {
		t.Fatalf("export: %d %v", n, err)
	}
	raw := buf.String()
	if !strings.HasPrefix(raw, "\ufeff工单编号,受理时间,来源,") {
		t.Fatalf("no BOM or heading: %.40q", raw)
	}
	if strings.Contains(raw, testPhone) || strings.Contains(raw, testName) {
		t.Fatal("caller data in an export")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("rows %d %v", len(rows), err)
	}
	if got := rows[2][4]; !strings.HasPrefix(got, "'=HYPERLINK") {
		t.Errorf("formula cell exported as %q", got)
	}

	got := map[string]*Ticket{}
	other := newEnv(t, func(o *Options) {
		o.Observers = []func(context.Context, *Ticket){func(_ context.Context, tk *Ticket) { got[tk.ExternalID] = tk }}
	})
	res, err := other.svc.ImportCSV(ctx, supervisor, strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || len(res.Errors) != 1 || res.Errors[0].Line != 4 || len(res.IgnoredColumns) != 0 {
		t.Fatalf("re-import %+v", res)
	}
	a, b := got[first.Code], got[rows[2][0]]
	if a == nil || b == nil {
		t.Fatalf("imported %v", got)
	}
	if a.Department != "tax" || len(a.CoDepartments) != 1 || a.CoDepartments[0] != "eco" || !a.Urgent || a.Type != first.Type ||
		a.Channel != ChannelHotline || a.Reply != "已核实并处理。" || a.Rating != "满意" || !a.CreatedAt.Equal(first.CreatedAt.Truncate(1e9)) || a.Text != first.Text {
		t.Errorf("first ticket came back as %+v", a)
	}
	if b.Text != second.Text || b.Channel != ChannelWebsite || b.Type != TypeEnquiry || b.Department != "water" {
		t.Errorf("second ticket came back as %+v", b)
	}
	// Exporting with history includes what was imported, by intake time.
	buf.Reset()
	if n, err := other.svc.ExportCSV(ctx, StatsQuery{}, true, &buf); err != nil || n != 2 {
		t.Fatalf("history export %d %v", n, err)
	}
	buf.Reset()
	if n, err := other.svc.ExportCSV(ctx, StatsQuery{}, false, &buf); err != nil || n != 0 {
		t.Fatalf("export without history %d %v", n, err)
	}
}
