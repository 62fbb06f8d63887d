package ticket

import (
	"fmt"
	"time"

	"github.com/hallgate/hallgate/gateway/ticket/calendar"
)

// calendarLead is how long before a year starts its missing schedule is
// reported: deadlines of complaints (15 working days) filed from mid-December
// already run into it.
const calendarLead = 45 * 24 * time.Hour

// Rules are the deadline rules in force: the time limits, the windows and the
// calendar they are counted on.
type Rules struct {
	TimeLimits       map[RequestType]int `json:"time_limits"` // working days per request type
	UrgentDays       int                 `json:"urgent_days"`
	DispatchDays     int                 `json:"dispatch_days"`
	ReturnDays       int                 `json:"return_days"`
	MaxExtensionDays int                 `json:"max_extension_days"`
	WarningDays      int                 `json:"warning_days"`
	TimeZone         string              `json:"time_zone"`
	Calendar         []calendar.Year     `json:"calendar"`
	// NextYearMissing is the coming year when it has no schedule and starts
	// within 45 days; its working days then count Monday to Friday.
	NextYearMissing int    `json:"next_year_missing,omitempty"`
	Warning         string `json:"warning,omitempty"`
}

// Rules returns the deadline rules in force at now.
func (s *Service) Rules(now time.Time) Rules {
	limits := make(map[RequestType]int, len(s.opts.Limits))
	for k, v := range s.opts.Limits {
		limits[k] = v
	}
	r := Rules{TimeLimits: limits, UrgentDays: s.opts.UrgentDays, DispatchDays: s.opts.DispatchDays, ReturnDays: s.opts.ReturnDays,
		MaxExtensionDays: s.opts.MaxExtensionDays, WarningDays: s.opts.WarningDays,
		TimeZone: s.cal.Location().String(), Calendar: s.cal.Schedule()}
	if y, missing := s.cal.NextYearMissing(now, calendarLead); missing {
		r.NextYearMissing = y
		r.Warning = missingYearText(y)
	}
	return r
}

func missingYearText(y int) string {
	return fmt.Sprintf("%d 年节假日安排尚未配置：跨入该年的办理时限按周一至周五计算，元旦、春节等假日不会顺延。请在国务院办公厅通知发布后将其加入 tickets.calendar_file。", y)
}

// Preview computes the deadlines a ticket of type typ (urgent or not)
// received at from would get, as intake computes them (the return window
// starts at each dispatch, so it is not among them).
func (s *Service) Preview(typ RequestType, urgent bool, from time.Time) (Deadlines, error) {
	if !validType(typ) {
		var ve ValidationError
		ve.add("type", "unknown request type")
		return Deadlines{}, ve.orNil()
	}
	t := &Ticket{Type: typ, Urgent: urgent, CreatedAt: from}
	t.Deadlines.Dispatch = s.cal.AddWorkingDays(from, s.opts.DispatchDays)
	s.setDue(t, from)
	return t.Deadlines, nil
}

// warnMissingYear logs, at most once a day per process, that the coming
// year has no schedule.
func (s *Service) warnMissingYear(now time.Time) {
	y, missing := s.cal.NextYearMissing(now, calendarLead)
	if !missing {
		return
	}
	day := now.In(s.cal.Location()).Format(time.DateOnly)
	if last, _ := s.missingWarned.Swap(day).(string); last == day {
		return
	}
	s.log.Warn("next year's holiday schedule is not configured: deadlines that run into it count Monday to Friday; add it to tickets.calendar_file",
		"year", y)
}

// Now is the service's clock, in the calendar's zone.
func (s *Service) Now() time.Time { return s.now() }
