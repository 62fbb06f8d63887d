package ticket

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hallgate/hallgate/gateway/tabular"
)

// channelNames are the Chinese names of the channels in an export; the CSV
// import reads each back (csvChannels).
var channelNames = map[Channel]string{
	ChannelHotline: "电话", ChannelWebsite: "网站", ChannelApp: "APP", ChannelHall: "大厅", ChannelDepartment: "部门转办",
}

// exportColumns are the columns of a CSV export in order. Each heading is
// one the CSV import reads (or, for 状态 and 答复时限, one it knows to skip),
// so one city's export is another system's import. No caller data: a file
// leaves the gateway's access control.
var exportColumns = []struct {
	heading string
	value   func(t *Ticket, loc *time.Location) string
}{
	{"工单编号", func(t *Ticket, _ *time.Location) string {
		if t.Historical && t.ExternalID != "" {
			return t.ExternalID
		}
		return t.Code
	}},
	{"受理时间", func(t *Ticket, loc *time.Location) string { return exportTime(t.CreatedAt, loc) }},
	{"来源", func(t *Ticket, _ *time.Location) string {
		if n, ok := channelNames[t.Channel]; ok {
			return n
		}
		return string(t.Channel)
	}},
	{"诉求类型", func(t *Ticket, _ *time.Location) string { return string(t.Type) }},
	{"诉求内容", func(t *Ticket, _ *time.Location) string { return t.Text }},
	{"分类", func(t *Ticket, _ *time.Location) string { return t.Category }},
	{"区县", func(t *Ticket, _ *time.Location) string { return t.District }},
	{"地址", func(t *Ticket, _ *time.Location) string { return t.Address }},
	{"承办单位", func(t *Ticket, _ *time.Location) string { return t.Department }},
	{"协办单位", func(t *Ticket, _ *time.Location) string { return strings.Join(t.CoDepartments, "、") }},
	{"是否紧急", func(t *Ticket, _ *time.Location) string { return yesNo(t.Urgent) }},
	{"直接答复", func(t *Ticket, _ *time.Location) string { return yesNo(t.DirectAnswer) }},
	{"知识库条目", func(t *Ticket, _ *time.Location) string { return t.KBEntry }},
	{"状态", func(t *Ticket, _ *time.Location) string { return StatusLabels[t.Status] }},
	{"答复时限", func(t *Ticket, loc *time.Location) string { return exportTime(t.Deadlines.Due, loc) }},
	{"答复内容", func(t *Ticket, _ *time.Location) string { return t.Reply }},
	{"满意度", func(t *Ticket, _ *time.Location) string { return t.Rating }},
	{"办结时间", func(t *Ticket, loc *time.Location) string {
		if !t.Status.Final() {
			return ""
		}
		return exportTime(t.ClosedAt, loc)
	}},
}

// exportOnly are the export's headings the import knows and skips: they
// are computed here, not history to keep.
var exportOnly = map[string]bool{"状态": true, "答复时限": true}

func exportTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04:05")
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// ExportCSV writes the tickets of q's department and period as CSV (UTF-8
// with a byte-order mark, which spreadsheet software needs to read it as
// UTF-8), in intake order, and returns how many it wrote. history adds the
// imported history, selected by its intake time.
func (s *Service) ExportCSV(ctx context.Context, q StatsQuery, history bool, w io.Writer) (int, error) {
	head := make([]string, len(exportColumns))
	for i, c := range exportColumns {
		head[i] = c.heading
	}
	cw, err := tabular.NewWriter(w, head)
	if err != nil {
		return 0, err
	}
	loc := s.cal.Location()
	n := 0
	row := make([]string, len(exportColumns))
	err = s.eachInPeriod(ctx, q, history, func(t *Ticket) error {
		for i, c := range exportColumns {
			row[i] = c.value(t, loc)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		n++
		if n%500 == 0 {
			return cw.Flush()
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, cw.Flush()
}
