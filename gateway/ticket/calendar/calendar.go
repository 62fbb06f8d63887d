package calendar

import (
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed calendar_2026.yaml
var default2026 []byte

// DefaultYAML returns the embedded official schedule (2026), for callers that
// want to write it out or merge it with their own years.
func DefaultYAML() []byte { return append([]byte(nil), default2026...) }

// ErrInvalid is wrapped by every validation error of a calendar file.
var ErrInvalid = errors.New("calendar: invalid")

// Holiday is a run of days off, inclusive.
type Holiday struct {
	Name string `yaml:"name" json:"name"`
	From string `yaml:"from" json:"from"` // YYYY-MM-DD
	To   string `yaml:"to" json:"to"`     // YYYY-MM-DD, inclusive
}

// Year is the published schedule of one year.
type Year struct {
	Year     int       `yaml:"year" json:"year"`
	Source   string    `yaml:"source" json:"source"`
	Holidays []Holiday `yaml:"holidays" json:"holidays"`
	// Workdays are weekend days that are working days (调休).
	Workdays []string `yaml:"workdays" json:"workdays"`
}

// File is the YAML document: a list of years.
type File struct {
	Years []Year `yaml:"years" json:"years"`
}

// Parse decodes a calendar YAML document and validates it.
func Parse(data []byte) ([]Year, error) {
	var f File
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := Validate(f.Years); err != nil {
		return nil, err
	}
	return f.Years, nil
}

type day struct {
	y int
	m time.Month
	d int
}

func dayOf(t time.Time) day { y, m, d := t.Date(); return day{y, m, d} }

func parseDay(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }

// Validate reports every problem of the given years at once.
func Validate(years []Year) error {
	var errs []error
	seen := map[int]bool{}
	for _, y := range years {
		if y.Year < 1970 || y.Year > 2200 {
			errs = append(errs, fmt.Errorf("%w: year %d out of range", ErrInvalid, y.Year))
		}
		if seen[y.Year] {
			errs = append(errs, fmt.Errorf("%w: year %d listed twice", ErrInvalid, y.Year))
		}
		seen[y.Year] = true
		for i, h := range y.Holidays {
			from, err1 := parseDay(h.From)
			to, err2 := parseDay(h.To)
			switch {
			case err1 != nil || err2 != nil:
				errs = append(errs, fmt.Errorf("%w: years[%d].holidays[%d] (%s): dates must be YYYY-MM-DD", ErrInvalid, y.Year, i, h.Name))
			case to.Before(from):
				errs = append(errs, fmt.Errorf("%w: years[%d].holidays[%d] (%s): to before from", ErrInvalid, y.Year, i, h.Name))
			case from.Year() != y.Year && to.Year() != y.Year:
				errs = append(errs, fmt.Errorf("%w: years[%d].holidays[%d] (%s): not in year", ErrInvalid, y.Year, i, h.Name))
			}
		}
		for i, w := range y.Workdays {
			d, err := parseDay(w)
			if err != nil {
				errs = append(errs, fmt.Errorf("%w: years[%d].workdays[%d]: %q is not YYYY-MM-DD", ErrInvalid, y.Year, i, w))
				continue
			}
			if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
				errs = append(errs, fmt.Errorf("%w: years[%d].workdays[%d]: %s is a %s, not a weekend day", ErrInvalid, y.Year, i, w, wd))
			}
		}
	}
	return errors.Join(errs...)
}

// Calendar answers working-day questions in one time zone. It is safe for
// concurrent use.
type Calendar struct {
	loc    *time.Location
	log    *slog.Logger
	off    map[day]bool
	work   map[day]bool
	known  map[int]bool
	years  []Year   // the schedules, by year
	warned sync.Map // year -> struct{}: warn once per year about the fallback
}

// China is the zone of the published schedules (UTC+8, no DST), fixed so that
// the binary does not depend on the host's tzdata.
var China = time.FixedZone("CST", 8*3600)

// New builds a calendar from validated years; loc defaults to China and
// logger to slog.Default().
func New(loc *time.Location, logger *slog.Logger, years ...Year) (*Calendar, error) {
	if err := Validate(years); err != nil {
		return nil, err
	}
	if loc == nil {
		loc = China
	}
	if logger == nil {
		logger = slog.Default()
	}
	c := &Calendar{loc: loc, log: logger, off: map[day]bool{}, work: map[day]bool{}, known: map[int]bool{}}
	c.years = slices.Clone(years)
	slices.SortFunc(c.years, func(a, b Year) int { return a.Year - b.Year })
	for _, y := range years {
		c.known[y.Year] = true
		for _, h := range y.Holidays {
			from, _ := parseDay(h.From)
			to, _ := parseDay(h.To)
			for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
				c.off[dayOf(d)] = true
			}
		}
		for _, w := range y.Workdays {
			d, _ := parseDay(w)
			c.work[dayOf(d)] = true
		}
	}
	return c, nil
}

// Default returns the calendar with the embedded official schedule.
func Default(loc *time.Location, logger *slog.Logger) (*Calendar, error) {
	years, err := Parse(default2026)
	if err != nil {
		return nil, err
	}
	return New(loc, logger, years...)
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Years lists the years with a published schedule.
func (c *Calendar) Years() []int {
	out := make([]int, 0, len(c.known))
	for y := range c.known {
		out = append(out, y)
	}
	return out
}

// Schedule returns the published schedules the calendar holds, by year.
func (c *Calendar) Schedule() []Year { return slices.Clone(c.years) }

// NextYearMissing reports the year after now's when it has no schedule and
// now is within lead of its start: deadlines then run into it on the
// Monday–Friday fallback, which misses 元旦 and the Spring Festival. The State
// Council publishes the schedule in the autumn; a deployment adds it to its
// calendar file.
func (c *Calendar) NextYearMissing(now time.Time, lead time.Duration) (year int, missing bool) {
	now = now.In(c.loc)
	next := now.Year() + 1
	start := time.Date(next, time.January, 1, 0, 0, 0, 0, c.loc)
	return next, !c.known[next] && start.Sub(now) <= lead
}

// IsWorkingDay reports whether the calendar day of t (in the calendar's zone)
// is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	d := dayOf(t.In(c.loc))
	if !c.known[d.y] {
		if _, done := c.warned.LoadOrStore(d.y, struct{}{}); !done {
			c.log.Warn("no holiday calendar for year, falling back to Monday–Friday", "year", d.y)
		}
	} else {
		if c.work[d] {
			return true
		}
		if c.off[d] {
			return false
		}
	}
	wd := t.In(c.loc).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// EndOfDay is the last instant (…23:59:59) of t's calendar day.
func (c *Calendar) EndOfDay(t time.Time) time.Time {
	y, m, d := t.In(c.loc).Date()
	return time.Date(y, m, d, 23, 59, 59, 0, c.loc)
}

func (c *Calendar) midday(t time.Time) time.Time {
	y, m, d := t.In(c.loc).Date()
	return time.Date(y, m, d, 12, 0, 0, 0, c.loc)
}

// AddWorkingDays returns the end of the n-th working day after the day of
// start (the day of start itself never counts, as a ticket filed on a
// Friday evening must not lose the Friday). n <= 0 returns the end of the
// first working day on or after start's day.
func (c *Calendar) AddWorkingDays(start time.Time, n int) time.Time {
	d := c.midday(start) // midday: AddDate never crosses a day boundary by accident
	if n <= 0 {
		for !c.IsWorkingDay(d) {
			d = d.AddDate(0, 0, 1)
		}
		return c.EndOfDay(d)
	}
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return c.EndOfDay(d)
}

// SubWorkingDays returns the end of the n-th working day before the day of
// t; with n <= 0 it returns the end of t's day. It places warnings ahead of a
// deadline.
func (c *Calendar) SubWorkingDays(t time.Time, n int) time.Time {
	d := c.midday(t)
	for n > 0 {
		d = d.AddDate(0, 0, -1)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return c.EndOfDay(d)
}

// WorkingDaysBetween counts working days after a's day up to and including
// b's day (0 when b is not after a).
func (c *Calendar) WorkingDaysBetween(a, b time.Time) int {
	n := 0
	d, end := c.midday(a), c.midday(b)
	for d.Before(end) {
		d = d.AddDate(0, 0, 1)
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

// Load builds a calendar from the embedded official schedule plus the years
// of the YAML file at path (the file's years replace embedded ones), so a
// deployment adds next year's schedule by configuration, not by a release.
// An empty path gives Default.
func Load(path string, loc *time.Location, logger *slog.Logger) (*Calendar, error) {
	base, err := Parse(default2026)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return New(loc, logger, base...)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	extra, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("calendar %s: %w", path, err)
	}
	byYear := map[int]Year{}
	for _, y := range append(base, extra...) {
		byYear[y.Year] = y
	}
	years := make([]Year, 0, len(byYear))
	for _, y := range byYear {
		years = append(years, y)
	}
	return New(loc, logger, years...)
}
