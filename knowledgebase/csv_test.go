package knowledgebase_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/hallgate/hallgate/knowledgebase"
)

// A department's FAQ sheet, saved as CSV by a spreadsheet in GBK: entries
// under the departments' codes, serving the hotline and the website, ids
// from their questions so a revised sheet updates the same entries; bad
// rows refused by line, unknown columns listed.
func TestImportCSVSheet(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		sheet := strings.Join([]string{
			"问题,答案,部门,分类,关键词,失效日期,备注",
			"养老保险关系怎么转移？,\"到社保窗口办理。\n需带身份证。\",人社局,社保就业,转移、养老保险,2099/12/31,旧表",
			"个税汇算在哪里办？,个税APP。,12366,税费,个税,,",
			"无人机在哪里登记？,向民航部门登记。,民航局,其他,,,",
			"失业金怎么领？,线上申领。,hrss,社保就业,,明年,",
			",,,,,,",
		}, "\r\n")
		gbk, err := simplifiedchinese.GBK.NewEncoder().String(sheet)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.kb.ImportCSV(f.ctx, editor, strings.NewReader(gbk))
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 2 || len(res.Errors) != 2 || res.Errors[0].Line != 5 || res.Errors[1].Line != 6 ||
			!strings.Contains(res.Errors[0].Error, "unknown department 民航局") || !strings.Contains(res.Errors[1].Error, "expires_at") {
			t.Fatalf("result %s", jsonIndent(res))
		}
		if len(res.IgnoredColumns) != 1 || res.IgnoredColumns[0] != "备注" {
			t.Errorf("ignored %v", res.IgnoredColumns)
		}
		page, err := f.kb.ListEntries(f.ctx, editor, knowledgebase.EntryFilter{Department: "hrss"})
		if err != nil || len(page.Entries) != 1 {
			t.Fatalf("hrss entries %d %v", len(page.Entries), err)
		}
		e := page.Entries[0]
		if !strings.HasPrefix(e.ID, "kb-") || e.Answer != "到社保窗口办理。\n需带身份证。" || len(e.Keywords) != 2 || len(e.Channels) != 2 ||
			e.Status != knowledgebase.StatusPublished || e.ExpiresAt.IsZero() {
			t.Errorf("entry %+v", e)
		}
		// The revised sheet: the same question keeps its id and is updated.
		revised := "问题,答案,部门,分类\r\n养老保险关系怎么转移？,网上也可办理。,hrss,社保就业\r\n"
		again, err := f.kb.ImportCSV(f.ctx, editor, strings.NewReader(revised))
		if err != nil || again.Imported != 1 || len(again.Errors) != 0 {
			t.Fatalf("revised sheet %s %v", jsonIndent(again), err)
		}
		got, err := f.kb.GetEntry(f.ctx, editor, e.ID)
		if err != nil || got.Answer != "网上也可办理。" {
			t.Errorf("revised entry %+v %v", got, err)
		}
	})
}

func TestImportCSVSheetRefusals(t *testing.T) {
	f := newFixture(t)
	_, err := f.kb.ImportCSV(f.ctx, editor, strings.NewReader("问题,内容\nx,y\n"))
	var ve *knowledgebase.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 3 {
		t.Fatalf("heading without answer, department, category: %v", err)
	}
	if _, err := f.kb.ImportCSV(f.ctx, waterDept, strings.NewReader("问题,答案,部门,分类\nx,y,water,z\n")); !errors.Is(err, knowledgebase.ErrForbidden) {
		t.Fatalf("a department's import: %v", err)
	}
	if n, _ := f.st.Count(f.ctx, knowledgebase.CollEntries, nil); n != 0 {
		t.Fatalf("%d entries written by refused imports", n)
	}
}

// An editor's round trip: the sheet exported, opened in a spreadsheet and
// imported again changes nothing; an answer corrected in it is updated.
func TestExportCSVSheetRoundTrips(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		lines := strings.Join([]string{
			`{"id":"r-1","question":"自来水如何过户？","answer":"带身份证到营业厅。","department":"water","category":"水电燃气","channels":["hotline","website"],"keywords":["过户","水表"],"alternates":["水费户名怎么改"],"expires_at":"2099-12-31"}`,
			`{"id":"r-2","question":"=停水内部口径","answer":"先安抚再报修。","department":"water","category":"水电燃气","channel":"hotline","keywords":[],"visibility":"internal","status":"draft"}`,
		}, "\n")
		if res, err := f.kb.Import(f.ctx, editor, strings.NewReader(lines)); err != nil || res.Imported != 2 {
			t.Fatalf("seed: %+v %v", res, err)
		}
		var buf strings.Builder
		n, err := f.kb.ExportCSV(f.ctx, editor, &buf)
		if err != nil || n != 2 {
			t.Fatalf("export %d %v", n, err)
		}
		sheet := buf.String()
		if !strings.HasPrefix(sheet, "\ufeff编号,问题,答案,部门,分类,渠道,") || !strings.Contains(sheet, "热线、网站") || !strings.Contains(sheet, "'=停水内部口径") ||
			!strings.Contains(sheet, ",内部,草稿") || !strings.Contains(sheet, "2099-12-31") {
			t.Fatalf("sheet:\n%s", sheet)
		}
		again, err := f.kb.ImportCSV(f.ctx, editor, strings.NewReader(sheet))
		if err != nil || again.Imported != 2 || again.Unchanged != 2 || len(again.Errors) != 0 {
			t.Fatalf("re-import of the sheet: %s %v", jsonIndent(again), err)
		}
		fixed, err := f.kb.ImportCSV(f.ctx, editor, strings.NewReader(strings.Replace(sheet, "带身份证到营业厅。", "带身份证和房产证到营业厅。", 1)))
		if err != nil || fixed.Unchanged != 1 {
			t.Fatalf("corrected sheet: %s %v", jsonIndent(fixed), err)
		}
		if e, err := f.kb.GetEntry(f.ctx, editor, "r-1"); err != nil || e.Answer != "带身份证和房产证到营业厅。" || len(e.Alternates) != 1 {
			t.Errorf("corrected entry %+v %v", e, err)
		}
	})
}
