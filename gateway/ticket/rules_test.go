package ticket

import (
	"strings"
	"testing"
	"time"
)

// The scheduler says, once a day, that next year's holiday schedule is
// missing, from 45 days before it starts.
func TestMissingNextYearIsLoggedOnceADay(t *testing.T) {
	e := newEnv(t, nil)
	count := func() int { return strings.Count(e.logs.String(), "next year's holiday schedule is not configured") }
	e.svc.warnMissingYear(cst("2026-10-01 09:00"))
	if n := count(); n != 0 {
		t.Fatalf("warned %d times on 1 October, three months ahead", n)
	}
	e.svc.warnMissingYear(cst("2026-12-01 09:00"))
	e.svc.warnMissingYear(cst("2026-12-01 17:00"))
	if n := count(); n != 1 {
		t.Fatalf("warned %d times on 1 December, want once", n)
	}
	e.svc.warnMissingYear(cst("2026-12-02 09:00"))
	if n := count(); n != 2 {
		t.Fatalf("warned %d times by 2 December, want once a day", n)
	}
	if !strings.Contains(e.logs.String(), `"year":2027`) {
		t.Fatalf("the warning does not name the year: %s", e.logs.String())
	}
	r := e.svc.Rules(cst("2026-12-01 09:00"))
	if r.NextYearMissing != 2027 || !strings.Contains(r.Warning, "2027 年节假日安排尚未配置") {
		t.Fatalf("Rules: %d %q", r.NextYearMissing, r.Warning)
	}
	if r.TimeLimits[TypeComplaint] != 15 || r.ReturnDays != 2 || r.TimeZone == "" {
		t.Fatalf("Rules: %+v", r)
	}
}

// Preview computes what intake computes.
func TestPreviewMatchesIntake(t *testing.T) {
	e := newEnv(t, nil)
	in := sampleIntake()
	tk := e.create(t, in)
	d, err := e.svc.Preview(in.Type, in.Urgent, tk.CreatedAt)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Due.Equal(tk.Deadlines.Due) || !d.Dispatch.Equal(tk.Deadlines.Dispatch) || !d.Warning.Equal(tk.Deadlines.Warning) {
		t.Fatalf("preview %+v, intake %+v", d, tk.Deadlines)
	}
	if _, err := e.svc.Preview("投拆", false, time.Now()); err == nil {
		t.Fatal("an unknown type previewed")
	}
}
