package ticket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/tabular"
)

// MaxImportCSV bounds a CSV import (it is read whole to detect its encoding).
const MaxImportCSV = 64 << 20

// csvColumns maps the headings of a CSV export to ImportLine's fields: its
// JSON names, and the Chinese headings 12345 systems and hand-kept
// spreadsheets use. A heading is compared without spaces, letter case and a
// bracketed remark (受理时间（北京时间）).
var csvColumns = tabular.Columns{
	"id":                  {"工单编号", "工单号", "编号", "原工单编号", "流水号", "ticket_id"},
	"channel":             {"渠道", "来源", "受理渠道", "来源渠道", "诉求渠道"},
	"text":                {"诉求内容", "内容", "来电内容", "诉求描述", "问题描述", "工单内容", "反映内容", "诉求"},
	"district":            {"区县", "所属区县", "区域", "所属区域", "行政区", "行政区划"},
	"address":             {"地址", "事发地址", "事发地点", "诉求地址"},
	"type":                {"诉求类型", "类型", "工单类型", "诉求性质"},
	"category":            {"分类", "诉求分类", "业务分类", "问题分类", "事项分类"},
	"department":          {"承办单位", "承办部门", "主办单位", "主办部门", "处理部门", "责任单位", "办理单位", "dept"},
	"co_departments":      {"协办单位", "协办部门"},
	"urgent":              {"是否紧急", "紧急", "紧急程度"},
	"direct_answer":       {"直接答复", "是否直接答复", "当场答复", "直办"},
	"kb_entry":            {"知识库条目", "引用知识", "知识库编号"},
	"reply":               {"答复内容", "办理结果", "处理结果", "回复内容", "答复意见"},
	"rating":              {"满意度", "评价", "回访结果", "回访满意度"},
	"created_at":          {"受理时间", "登记时间", "来电时间", "创建时间"},
	"closed_at":           {"办结时间", "结案时间", "完成时间"},
	"caller.name":         {"来电人", "姓名", "诉求人", "联系人", "caller_name"},
	"caller.phone":        {"来电号码", "联系电话", "电话", "手机号", "手机号码", "caller_phone"},
	"caller.confidential": {"是否保密", "保密", "caller_confidential"},
}

// csvChannels are the channel names exports write.
var csvChannels = map[string]Channel{
	"电话": ChannelHotline, "热线": ChannelHotline, "来电": ChannelHotline, "12345": ChannelHotline, "12345热线": ChannelHotline, "电话热线": ChannelHotline,
	"网站": ChannelWebsite, "门户网站": ChannelWebsite, "网上": ChannelWebsite, "网络": ChannelWebsite, "政府网站": ChannelWebsite, "信件": ChannelWebsite,
	"app": ChannelApp, "移动端": ChannelApp, "小程序": ChannelApp, "微信": ChannelApp, "手机": ChannelApp,
	"大厅": ChannelHall, "窗口": ChannelHall, "政务服务中心": ChannelHall, "现场": ChannelHall,
	"部门": ChannelDepartment, "部门转办": ChannelDepartment,
}

// ImportCSV stores historical tickets from a CSV export, as a city's old
// 12345 system or a spreadsheet writes them (package tabular: UTF-8 or
// GBK, a heading row in ImportLine's field names or the usual Chinese
// headings 诉求内容, 诉求类型, 承办单位…), one ticket a row. Rows are checked
// like JSON Lines; a refused row is reported by its line in the file and
// the rest are kept. Columns that name nothing are listed in the answer, so
// nobody wonders where a column went. A heading row without the text, type
// and department (or direct_answer) columns is a *tabular.HeaderError.
func (s *Service) ImportCSV(ctx context.Context, p auth.Principal, r io.Reader) (ImportResult, error) {
	tab, err := tabular.Open(r, tabular.Spec{Columns: csvColumns, MaxBytes: MaxImportCSV, Known: exportOnly,
		Required: [][]string{{"text"}, {"type"}, {"department", "direct_answer"}}})
	var be *tabular.BodyError
	if errors.As(err, &be) {
		return ImportResult{}, &ValidationError{Fields: []FieldError{{Field: "body", Reason: be.Reason}}}
	}
	if err != nil {
		return ImportResult{}, err
	}
	res, err := s.importRows(ctx, p, func(row func(n int, l *ImportLine, problem string) error) (string, error) {
		for {
			r, err := tab.Next()
			if errors.Is(err, io.EOF) {
				return "csv " + tab.Encoding, nil
			}
			var re *tabular.RowError
			if errors.As(err, &re) {
				if err := row(re.Line, nil, re.Reason); err != nil {
					return "", err
				}
				continue
			}
			if err != nil {
				return "", fmt.Errorf("import read: %w", err)
			}
			l, problems := csvLine(r.Cells)
			if len(problems) > 0 {
				if err := row(r.Line, nil, strings.Join(problems, "; ")); err != nil {
					return "", err
				}
				continue
			}
			if err := row(r.Line, &l, ""); err != nil {
				return "", err
			}
		}
	})
	res.IgnoredColumns = tab.Ignored
	return res, err
}

// CSVColumns are the fields the CSV import reads and the headings that
// name them (for documentation and its test).
func CSVColumns() map[string][]string { return csvColumns }

// CSVHeading is a Chinese heading that names field, for messages.
func CSVHeading(field string) string { return csvColumns.Example(field) }

// csvText are the fields a cell is copied into as written.
var csvText = map[string]func(l *ImportLine) *string{
	"id": func(l *ImportLine) *string { return &l.ID }, "text": func(l *ImportLine) *string { return &l.Text },
	"district": func(l *ImportLine) *string { return &l.District }, "address": func(l *ImportLine) *string { return &l.Address },
	"type": func(l *ImportLine) *string { return &l.Type }, "category": func(l *ImportLine) *string { return &l.Category },
	"department": func(l *ImportLine) *string { return &l.Department }, "kb_entry": func(l *ImportLine) *string { return &l.KBEntry },
	"reply": func(l *ImportLine) *string { return &l.Reply }, "rating": func(l *ImportLine) *string { return &l.Rating },
	"caller.name": func(l *ImportLine) *string { return &l.Caller.Name }, "caller.phone": func(l *ImportLine) *string { return &l.Caller.Phone },
}

// csvLine builds the import line of one row from its cells by field;
// problems are the cells that cannot be read (a yes/no, a date).
func csvLine(cells map[string]string) (ImportLine, []string) {
	var l ImportLine
	var problems []string
	for field, v := range cells {
		if dst, ok := csvText[field]; ok {
			*dst(&l) = v
			continue
		}
		var err error
		switch field {
		case "channel":
			l.Channel = csvChannel(v)
		case "co_departments":
			l.CoDepartments = tabular.List(v)
		case "urgent":
			l.Urgent, err = tabular.Bool(v, "紧急", "特急")
		case "direct_answer":
			l.DirectAnswer, err = tabular.Bool(v)
		case "caller.confidential":
			l.Caller.Confidential, err = tabular.Bool(v)
		case "created_at":
			err = l.CreatedAt.parse(v)
		case "closed_at":
			err = l.ClosedAt.parse(v)
		default:
			panic("ticket: CSV column without a reader: " + field)
		}
		if err != nil {
			problems = append(problems, field+": "+err.Error())
		}
	}
	slices.Sort(problems)
	return l, problems
}

func csvChannel(v string) Channel {
	if c, ok := csvChannels[strings.ToLower(v)]; ok {
		return c
	}
	return Channel(strings.ToLower(v))
}
