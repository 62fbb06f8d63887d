package knowledgebase

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hallgate/hallgate/gateway/tabular"
)

// MaxImportCSV bounds a CSV import (read whole to find its encoding).
const MaxImportCSV = 64 << 20

// csvColumns name Line's fields in a spreadsheet: the field's own name or
// the headings departments' FAQ sheets use.
var csvColumns = tabular.Columns{
	"id":              {"编号", "条目编号", "知识编号", "知识库编号"},
	"question":        {"问题", "标题", "问题标题", "常见问题", "咨询问题"},
	"answer":          {"答案", "答复", "回答", "答复口径", "解答", "答复内容"},
	"department":      {"部门", "所属部门", "责任部门", "发布部门", "承办单位"},
	"category":        {"分类", "类别", "所属分类", "业务分类", "知识分类"},
	"channels":        {"渠道", "适用渠道", "发布渠道"},
	"keywords":        {"关键词", "关键字"},
	"alternates":      {"相似问法", "其他问法", "相似问题"},
	"material_type":   {"材料类型", "知识类型"},
	"region":          {"区域", "适用区域", "适用地区"},
	"issuing_unit":    {"发文单位", "发布机关"},
	"source_document": {"政策依据", "依据文件", "来源文件", "文件依据"},
	"effective_from":  {"生效日期", "生效时间"},
	"expires_at":      {"失效日期", "有效期至", "截止日期", "失效时间"},
	"review_due":      {"复核日期", "下次复核"},
	"visibility":      {"可见范围", "公开范围"},
	"status":          {"状态", "发布状态"},
}

// CSVColumns are the sheet's fields and the headings that name them (for
// documentation and its test).
func CSVColumns() map[string][]string { return csvColumns }

// csvValues are the Chinese names of the enumerated values.
var csvValues = map[string]map[string]string{
	"channels":   {"热线": ChannelHotline, "电话": ChannelHotline, "12345": ChannelHotline, "网站": ChannelWebsite, "门户网站": ChannelWebsite, "政府网站": ChannelWebsite, "办事指南": ChannelServiceItem},
	"visibility": {"公开": VisibilityPublic, "对外公开": VisibilityPublic, "内部": VisibilityInternal, "仅坐席": VisibilityInternal, "内部参考": VisibilityInternal},
	"status":     {"已发布": StatusPublished, "发布": StatusPublished, "草稿": StatusDraft, "待审核": StatusInReview, "审核中": StatusInReview, "已下线": StatusArchived, "归档": StatusArchived, "已归档": StatusArchived},
}

// csvShared are the channels of an entry whose sheet has no channel
// column: the hotline and the website share one knowledge base.
var csvShared = []string{ChannelHotline, ChannelWebsite}

// ImportCSV upserts entries from a spreadsheet's CSV (package tabular:
// UTF-8 or GBK, a heading row in Line's field names or headings such as
// 问题, 答案, 部门, 分类, 关键词), one entry a row, checked and written like
// Import's lines and reported by their line in the file. A sheet without
// an id column gets ids from its questions (kb-<hash>), so importing a
// revised sheet again updates the same entries; one without a channel
// column serves the hotline and the website. A heading row without
// question, answer, department and category columns is refused whole.
func (s *Service) ImportCSV(ctx context.Context, actor Actor, r io.Reader) (ImportResult, error) {
	if !actor.Editor {
		return ImportResult{}, fmt.Errorf("import: %w", ErrForbidden)
	}
	tab, err := tabular.Open(r, tabular.Spec{Columns: csvColumns, MaxBytes: MaxImportCSV,
		Required: [][]string{{"question"}, {"answer"}, {"department"}, {"category"}}})
	if err != nil {
		return ImportResult{}, csvOpenError(err)
	}
	run := newImportRun(ctx, s, actor.ID)
	defer run.drain()
	li := newLineImporter(s, run)
	for {
		row, rerr := tab.Next()
		var re *tabular.RowError
		if errors.Is(rerr, io.EOF) {
			break
		}
		if errors.As(rerr, &re) {
			run.fail(re.Line, re)
			continue
		}
		if rerr != nil {
			err = rerr
			break
		}
		l, problems := csvLine(row.Cells)
		if len(problems) > 0 {
			run.fail(row.Line, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; ")))
			continue
		}
		size := 0
		for _, v := range row.Cells {
			size += len(v)
		}
		if err = li.add(ctx, row.Line, l, size); err != nil {
			break
		}
	}
	res, ferr := run.finish(err == nil)
	if err == nil {
		err = ferr
	}
	res.IgnoredColumns = tab.Ignored
	if err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	return res, nil
}

// csvOpenError turns what tabular refuses into the package's validation
// error, field by field.
func csvOpenError(err error) error {
	var he *tabular.HeaderError
	var be *tabular.BodyError
	var fe fieldErrors
	switch {
	case errors.As(err, &he):
		for _, f := range he.Missing {
			fe.add(f, "no column names it (e.g. "+csvColumns.Example(f)+")")
		}
		for _, f := range he.Duplicates {
			fe.add(f, "named by several columns")
		}
	case errors.As(err, &be):
		fe.add("body", be.Reason)
	default:
		return err
	}
	return fe.err()
}

// csvLine builds the Line of one row; problems are cells that cannot be
// read (a date, a value outside the field's names).
func csvLine(cells map[string]string) (Line, []string) {
	var l Line
	var problems []string
	text := map[string]*string{"id": &l.ID, "question": &l.Question, "answer": &l.Answer, "department": &l.Department,
		"category": &l.Category, "material_type": &l.MaterialType, "region": &l.Region, "issuing_unit": &l.IssuingUnit,
		"source_document": &l.SourceDocument}
	lists := map[string]*[]string{"keywords": &l.Keywords, "alternates": &l.Alternates}
	dates := map[string]*Date{"effective_from": &l.EffectiveFrom, "expires_at": &l.ExpiresAt, "review_due": &l.ReviewDue}
	for field, v := range cells {
		switch {
		case text[field] != nil:
			*text[field] = v
		case lists[field] != nil:
			*lists[field] = tabular.List(v)
		case dates[field] != nil:
			if v == "" {
				continue
			}
			d, err := csvDate(v)
			if err != nil {
				problems = append(problems, field+": "+err.Error())
				continue
			}
			*dates[field] = d
		case field == "channels":
			for _, c := range tabular.List(v) {
				l.Channels = append(l.Channels, csvValue(field, c))
			}
		case field == "visibility":
			l.Visibility = csvValue(field, v)
		case field == "status":
			l.Status = csvValue(field, v)
		default:
			panic("knowledgebase: CSV column without a reader: " + field)
		}
	}
	if _, ok := cells["channels"]; !ok {
		l.Channels = slices.Clone(csvShared)
	}
	if l.ID == "" && l.Question != "" {
		sum := sha256.Sum256([]byte(titleKey(l.Question)))
		l.ID = "kb-" + hex.EncodeToString(sum[:6])
	}
	slices.Sort(problems)
	return l, problems
}

// csvDate reads the dates spreadsheets write: ParseDate's forms and
// 2025/3/4 or 2025-3-4.
func csvDate(v string) (Date, error) {
	if d, err := ParseDate(v); err == nil {
		return d, nil
	}
	for _, layout := range []string{"2006/1/2", "2006-1-2", "2006年1月2日"} {
		if t, err := time.ParseInLocation(layout, v, chinaTime); err == nil {
			return Date{t}, nil
		}
	}
	return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD, YYYY/M/D or RFC 3339", v)
}

// csvValue maps a Chinese value name to the value; others stay as written
// for the entry's validation to judge.
func csvValue(field, v string) string {
	if m, ok := csvValues[field][v]; ok {
		return m
	}
	return strings.ToLower(v)
}

// csvNames are the Chinese names an export writes for the enumerated
// values (csvValues reads them back).
var csvNames = map[string]map[string]string{
	"channels":   {ChannelHotline: "热线", ChannelWebsite: "网站", ChannelServiceItem: "办事指南"},
	"visibility": {VisibilityPublic: "公开", VisibilityInternal: "内部"},
	"status":     {StatusPublished: "已发布", StatusDraft: "草稿", StatusInReview: "待审核", StatusArchived: "已归档"},
}

// csvSheet are the columns of a KB sheet in order; each heading is the
// first Chinese name csvColumns reads back.
var csvSheet = []struct {
	field string
	value func(e *Entry) string
}{
	{"id", func(e *Entry) string { return e.ID }},
	{"question", func(e *Entry) string { return e.Title }},
	{"answer", func(e *Entry) string { return e.Answer }},
	{"department", func(e *Entry) string { return e.Department }},
	{"category", func(e *Entry) string { return e.Category }},
	{"channels", func(e *Entry) string { return csvNamed("channels", e.Channels...) }},
	{"keywords", func(e *Entry) string { return strings.Join(e.Keywords, "、") }},
	{"alternates", func(e *Entry) string { return strings.Join(e.Alternates, "、") }},
	{"material_type", func(e *Entry) string { return e.MaterialType }},
	{"region", func(e *Entry) string { return e.Region }},
	{"issuing_unit", func(e *Entry) string { return e.IssuingUnit }},
	{"source_document", func(e *Entry) string { return e.SourceDocument }},
	{"effective_from", func(e *Entry) string { return csvDay(e.EffectiveFrom) }},
	{"expires_at", func(e *Entry) string { return csvDay(e.ExpiresAt) }},
	{"review_due", func(e *Entry) string { return csvDay(e.ReviewDue) }},
	{"visibility", func(e *Entry) string { return csvNamed("visibility", e.Visibility) }},
	{"status", func(e *Entry) string { return csvNamed("status", e.Status) }},
}

func csvNamed(field string, vs ...string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v
		if n, ok := csvNames[field][v]; ok {
			out[i] = n
		}
	}
	return strings.Join(out, "、")
}

func csvDay(d Date) string {
	if d.IsZero() {
		return ""
	}
	return d.In(chinaTime).Format(time.DateOnly)
}

// ExportCSV writes the entries actor may see as a sheet (UTF-8 with a
// byte-order mark, Chinese headings and values), the one ImportCSV reads
// back: an editor exports, corrects answers in a spreadsheet, and imports
// the sheet again.
func (s *Service) ExportCSV(ctx context.Context, actor Actor, w io.Writer) (int, error) {
	head := make([]string, len(csvSheet))
	for i, c := range csvSheet {
		head[i] = csvColumns.Example(c.field)
	}
	cw, err := tabular.NewWriter(w, head)
	if err != nil {
		return 0, err
	}
	row := make([]string, len(csvSheet))
	n, err := s.eachExported(ctx, actor, func(e *Entry) error {
		for i, c := range csvSheet {
			row[i] = c.value(e)
		}
		return cw.Write(row)
	})
	if err != nil {
		return n, err
	}
	return n, cw.Flush()
}
