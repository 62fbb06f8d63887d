package calendar

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, China)
	if err != nil {
		panic(err)
	}
	return t
}

func mustDefault(t *testing.T) (*Calendar, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	c, err := Default(nil, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return c, &buf
}

func TestWorkingDays2026(t *testing.T) {
	c, _ := mustDefault(t)
	cases := []struct {
		day  string
		work bool
	}{
		{"2026-01-01 10:00", false}, // 元旦 Thu
		{"2026-01-03 10:00", false}, // Sat inside holiday
		{"2026-01-04 10:00", true},  // adjusted working Sunday
		{"2026-01-05 10:00", true},  // ordinary Monday
		{"2026-01-10 10:00", false}, // ordinary Saturday
		{"2026-02-14 10:00", true},  // Sat before 春节 works
		{"2026-02-16 10:00", false}, // 春节 Monday
		{"2026-02-23 10:00", false}, // last day of 春节
		{"2026-02-24 10:00", true},
		{"2026-02-28 10:00", true}, // Sat after 春节 works
		{"2026-04-06 10:00", false},
		{"2026-05-05 10:00", false},
		{"2026-05-09 10:00", true},
		{"2026-06-19 10:00", false},
		{"2026-09-20 10:00", true},
		{"2026-09-25 10:00", false},
		{"2026-10-07 10:00", false},
		{"2026-10-08 10:00", true},
		{"2026-10-10 10:00", true},
		{"2026-10-11 10:00", false},
	}
	for _, tc := range cases {
		if got := c.IsWorkingDay(at(tc.day)); got != tc.work {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tc.day, got, tc.work)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	c, _ := mustDefault(t)
	cases := []struct {
		start string
		n     int
		want  string
	}{
		{"2026-03-02 09:00", 2, "2026-03-04"},  // Mon + 2 → Wed
		{"2026-03-06 18:00", 1, "2026-03-09"},  // Fri evening + 1 → Mon
		{"2026-12-31 10:00", 2, "2027-01-04"},  // crosses into 2027 (fallback Mon–Fri): Fri Jan 1, Mon Jan 4
		{"2025-12-31 10:00", 1, "2026-01-04"},  // 元旦 off, Sunday Jan 4 works
		{"2026-02-13 10:00", 1, "2026-02-14"},  // working Saturday
		{"2026-02-13 10:00", 2, "2026-02-24"},  // skips the whole 春节
		{"2026-02-13 10:00", 10, "2026-03-06"}, // Feb 14,24,25,26,27,28, Mar 2,3,4,5? see below
		{"2026-09-30 10:00", 1, "2026-10-08"},  // 国庆
		{"2026-09-30 10:00", 3, "2026-10-10"},  // Oct 8, 9, then working Saturday Oct 10
		{"2026-09-18 10:00", 1, "2026-09-20"},  // working Sunday before 国庆
		{"2026-01-01 10:00", 0, "2026-01-04"},  // n=0 → first working day on/after
	}
	// Feb 13 + 10: Feb 14(Sat,w) 24 25 26 27 28(Sat,w) Mar 2 3 4 5 → Mar 5.
	cases[6].want = "2026-03-05"
	for _, tc := range cases {
		got := c.AddWorkingDays(at(tc.start), tc.n)
		if got.Format(time.DateOnly) != tc.want || got.Hour() != 23 {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want end of %s", tc.start, tc.n, got, tc.want)
		}
		if !got.After(at(tc.start)) {
			t.Errorf("deadline %s not after start %s", got, tc.start)
		}
	}
}

func TestSubAndBetween(t *testing.T) {
	c, _ := mustDefault(t)
	if got := c.SubWorkingDays(at("2026-02-24 10:00"), 1).Format(time.DateOnly); got != "2026-02-14" {
		t.Errorf("SubWorkingDays over 春节 = %s", got)
	}
	if got := c.WorkingDaysBetween(at("2026-09-30 10:00"), at("2026-10-10 10:00")); got != 3 {
		t.Errorf("WorkingDaysBetween = %d, want 3", got)
	}
	for i := 1; i < 30; i++ {
		start := at("2026-09-28 10:00")
		d := c.AddWorkingDays(start, i)
		if n := c.WorkingDaysBetween(start, d); n != i {
			t.Fatalf("round trip %d gave %d", i, n)
		}
	}
}

func TestFallbackWarnsOncePerYear(t *testing.T) {
	c, buf := mustDefault(t)
	if !c.IsWorkingDay(at("2030-01-01 10:00")) { // Tuesday, no calendar
		t.Error("2030-01-01 should fall back to a working Tuesday")
	}
	c.IsWorkingDay(at("2030-01-05 10:00"))
	if n := strings.Count(buf.String(), "falling back"); n != 1 {
		t.Errorf("fallback warned %d times, want 1: %s", n, buf.String())
	}
}

func TestValidateReportsAll(t *testing.T) {
	_, err := Parse([]byte(`years:
  - year: 2026
    holidays: [{name: x, from: 2026-13-01, to: 2026-01-02}, {name: y, from: 2026-05-05, to: 2026-05-01}]
    workdays: [2026-01-05]
  - year: 2026
`))
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"holidays[0]", "to before from", "not a weekend day", "listed twice"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestLoadAddsYears(t *testing.T) {
	path := t.TempDir() + "/cal.yaml"
	if err := os.WriteFile(path, []byte("years:\n  - year: 2027\n    holidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-03}]\n    workdays: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	c, err := Load(path, nil, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkingDay(at("2027-01-01 10:00")) || c.IsWorkingDay(at("2026-10-01 10:00")) || !c.IsWorkingDay(at("2027-01-04 10:00")) {
		t.Error("loaded calendar lost a year")
	}
	if buf.Len() != 0 {
		t.Errorf("known years must not warn: %s", buf.String())
	}
	if _, err := Load(path+".missing", nil, nil); err == nil {
		t.Error("missing file accepted")
	}
}

func TestScheduleAndNextYearMissing(t *testing.T) {
	c, err := Default(nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if ys := c.Schedule(); len(ys) != 1 || ys[0].Year != 2026 || len(ys[0].Holidays) != 7 {
		t.Fatalf("Schedule() = %+v, want the 2026 schedule with its 7 holidays", ys)
	}
	lead := 45 * 24 * time.Hour
	if y, missing := c.NextYearMissing(at("2026-12-01 09:00"), lead); !missing || y != 2027 {
		t.Errorf("on 1 December: NextYearMissing = %d, %v; want 2027, true", y, missing)
	}
	if _, missing := c.NextYearMissing(at("2026-10-01 09:00"), lead); missing {
		t.Error("on 1 October, three months ahead, the next year is not yet owed")
	}
	path := t.TempDir() + "/cal.yaml"
	if err := os.WriteFile(path, []byte("years:\n  - year: 2027\n    holidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-03}]\n    workdays: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, missing := c.NextYearMissing(at("2026-12-01 09:00"), lead); missing {
		t.Error("2027 loaded, yet reported missing")
	}
	if ys := c.Schedule(); len(ys) != 2 || ys[0].Year != 2026 || ys[1].Year != 2027 {
		t.Errorf("Schedule() years = %+v, want 2026 then 2027", ys)
	}
}
