package ticket

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/hallgate/hallgate/gateway/auth"
)

// MaxImportCSV bounds a CSV import (it is read whole to detect its encoding).
const MaxImportCSV = 64 << 20

// csvColumns maps the headings of a CSV export to ImportLine's fields: its
// JSON names, and the Chinese headings 12345 systems and hand-kept
// spreadsheets use. A heading is compared without spaces, letter case and a
// bracketed remark (受理时间（北京时间）).
var csvColumns = map[string][]string{
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

func foldHeading(h string) string {
	h = strings.TrimPrefix(h, "\ufeff")
	if i := strings.IndexAny(h, "（("); i > 0 {
		h = h[:i]
	}
	return strings.ToLower(strings.Join(strings.Fields(h), ""))
}

// csvField returns the ImportLine field a heading names, or "".
func csvField(heading string) string {
	h := foldHeading(heading)
	for field, names := range csvColumns {
		if h == field || h == strings.ReplaceAll(field, ".", "_") {
			return field
		}
		for _, n := range names {
			if h == foldHeading(n) {
				return field
			}
		}
	}
	return ""
}

// CSVHeadingExample is a Chinese heading that names field, for messages.
func CSVHeadingExample(field string) string {
	if names := csvColumns[field]; len(names) > 0 {
		return names[0]
	}
	return field
}

// CSVHeaderError says what is wrong with a CSV import's heading row; nothing
// was imported.
type CSVHeaderError struct {
	Missing    []string // fields no column provides
	Duplicates []string // fields two columns provide
}

func (e *CSVHeaderError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "no column for "+strings.Join(e.Missing, ", "))
	}
	if len(e.Duplicates) > 0 {
		parts = append(parts, "several columns for "+strings.Join(e.Duplicates, ", "))
	}
	return "CSV heading row: " + strings.Join(parts, "; ")
}

// ImportCSV stores historical tickets from a CSV export, as a city's old
// 12345 system or a spreadsheet writes them: a heading row (ImportLine's
// field names or the usual Chinese headings, 诉求内容, 诉求类型, 承办单位…),
// then one ticket a row. UTF-8 with or without a byte-order mark and GB
// 18030 (GBK, what Chinese spreadsheet software saves) are both read.
// Rows are checked like JSON Lines; a refused row is reported by its line
// in the file and the rest are kept. Columns that name nothing are listed
// in the answer, so nobody wonders where a column went.
func (s *Service) ImportCSV(ctx context.Context, p auth.Principal, r io.Reader) (ImportResult, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxImportCSV+1))
	if err != nil {
		return ImportResult{}, fmt.Errorf("import read: %w", err)
	}
	if len(raw) > MaxImportCSV {
		return ImportResult{}, &ValidationError{Fields: []FieldError{{Field: "body", Reason: fmt.Sprintf("CSV larger than %d bytes; split it", MaxImportCSV)}}}
	}
	text, encoding, err := decodeCSV(raw)
	if err != nil {
		return ImportResult{}, &ValidationError{Fields: []FieldError{{Field: "body", Reason: err.Error()}}}
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	head, err := cr.Read()
	if err != nil {
		return ImportResult{}, &ValidationError{Fields: []FieldError{{Field: "body", Reason: "no CSV heading row: " + err.Error()}}}
	}
	fields := make([]string, len(head))
	var ignored []string
	seen := map[string]bool{}
	herr := &CSVHeaderError{}
	for i, h := range head {
		f := csvField(h)
		switch {
		case f == "":
			if strings.TrimSpace(h) != "" && !exportOnly[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] {
				ignored = append(ignored, strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
			}
		case seen[f]:
			herr.Duplicates = append(herr.Duplicates, f)
		default:
			seen[f] = true
			fields[i] = f
		}
	}
	for _, need := range []string{"text", "type"} {
		if !seen[need] {
			herr.Missing = append(herr.Missing, need)
		}
	}
	if !seen["department"] && !seen["direct_answer"] {
		herr.Missing = append(herr.Missing, "department")
	}
	if len(herr.Missing) > 0 || len(herr.Duplicates) > 0 {
		return ImportResult{}, herr
	}
	res, err := s.importRows(ctx, p, func(row func(n int, l *ImportLine, problem string) error) (string, error) {
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return "csv " + encoding, nil
			}
			line, _ := cr.FieldPos(0)
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if err := row(pe.StartLine, nil, "malformed CSV: "+pe.Err.Error()); err != nil {
					return "", err
				}
				continue
			}
			if err != nil {
				return "", fmt.Errorf("import read: %w", err)
			}
			if blankRecord(rec) {
				continue
			}
			l, problems := csvLine(fields, rec)
			if len(problems) > 0 {
				if err := row(line, nil, strings.Join(problems, "; ")); err != nil {
					return "", err
				}
				continue
			}
			if err := row(line, &l, ""); err != nil {
				return "", err
			}
		}
	})
	res.IgnoredColumns = ignored
	return res, err
}

// decodeCSV returns the text of a CSV body and the encoding it was in.
func decodeCSV(raw []byte) (string, string, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if utf8.Valid(raw) {
		return string(raw), "utf-8", nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	// The decoder replaces what GB 18030 cannot read with U+FFFD.
	if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
		return "", "", errors.New("the CSV is neither UTF-8 nor GB 18030 (GBK)")
	}
	return string(out), "gb18030", nil
}

func blankRecord(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// csvText are the fields a cell is copied into as written.
var csvText = map[string]func(l *ImportLine) *string{
	"id": func(l *ImportLine) *string { return &l.ID }, "text": func(l *ImportLine) *string { return &l.Text },
	"district": func(l *ImportLine) *string { return &l.District }, "address": func(l *ImportLine) *string { return &l.Address },
	"type": func(l *ImportLine) *string { return &l.Type }, "category": func(l *ImportLine) *string { return &l.Category },
	"department": func(l *ImportLine) *string { return &l.Department }, "kb_entry": func(l *ImportLine) *string { return &l.KBEntry },
	"reply": func(l *ImportLine) *string { return &l.Reply }, "rating": func(l *ImportLine) *string { return &l.Rating },
	"caller.name": func(l *ImportLine) *string { return &l.Caller.Name }, "caller.phone": func(l *ImportLine) *string { return &l.Caller.Phone },
}

// csvLine builds the import line of one row; problems are the cells that
// cannot be read (a boolean that is neither yes nor no, a date).
func csvLine(fields, rec []string) (ImportLine, []string) {
	var l ImportLine
	var problems []string
	for i, v := range rec {
		if i >= len(fields) || fields[i] == "" {
			continue
		}
		v = unFormulaSafe(strings.TrimSpace(v))
		if dst, ok := csvText[fields[i]]; ok {
			*dst(&l) = v
			continue
		}
		var err error
		switch fields[i] {
		case "channel":
			l.Channel = csvChannel(v)
		case "co_departments":
			l.CoDepartments = splitList(v)
		case "urgent":
			l.Urgent, err = csvBool(v, "紧急", "特急")
		case "direct_answer":
			l.DirectAnswer, err = csvBool(v)
		case "caller.confidential":
			l.Caller.Confidential, err = csvBool(v)
		case "created_at":
			err = l.CreatedAt.parse(v)
		case "closed_at":
			err = l.ClosedAt.parse(v)
		default:
			panic("ticket: CSV column without a reader: " + fields[i])
		}
		if err != nil {
			problems = append(problems, fields[i]+": "+err.Error())
		}
	}
	return l, problems
}

func csvChannel(v string) Channel {
	if c, ok := csvChannels[strings.ToLower(v)]; ok {
		return c
	}
	return Channel(strings.ToLower(v))
}

// csvBool reads the yes/no of a spreadsheet cell; extra names count as yes
// (紧急程度: 紧急 / 一般).
func csvBool(v string, yes ...string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "否", "不", "no", "n", "false", "0", "一般", "普通", "f":
		return false, nil
	case "是", "yes", "y", "true", "1", "t", "√":
		return true, nil
	}
	for _, y := range yes {
		if v == y {
			return true, nil
		}
	}
	return false, fmt.Errorf("%q is neither 是 nor 否", v)
}

// splitList splits a cell listing several values (协办单位: 住建局、城管局).
func splitList(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune("、,，;；/| ", r) }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
