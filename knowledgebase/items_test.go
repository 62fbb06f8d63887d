package knowledgebase_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

func sampleItem() knowledgebase.ServiceItem {
	return knowledgebase.ServiceItem{
		Name: "供水用户过户", Code: "360100-WATER-GG-0001", Type: "公共服务", Department: "water",
		ImplementingBody: "江川市水务集团", LegalBasis: []string{"《城市供水条例》"},
		Conditions: []string{"新产权人持有不动产权证书"},
		Materials: []knowledgebase.Material{
			{Name: "身份证", Form: "original", Count: 1},
			{Name: "不动产权证书", Form: "复印件", Count: 2},
		},
		Steps:         []string{"提交申请", "窗口审核", "办结"},
		StatutoryDays: 5, PromisedDays: 1, Fees: "不收费", Place: "江川市水务集团营业厅",
		Hours: "工作日 9:00-17:00", Visits: 1, EnquiryPhone: "12345", ComplaintPhone: "0791-12345678",
		OnlineURL: "https://zwfw.example.gov.cn/item/1", Keywords: []string{"过户", "自来水"},
	}
}

func TestServiceItemCRUDGuideAndSearch(t *testing.T) { eachStore(t, testServiceItemCRUDGuideAndSearch) }

func testServiceItemCRUDGuideAndSearch(t *testing.T, f *fixture) {
	it, err := f.kb.CreateItem(f.ctx, waterDept, sampleItem())
	if err != nil {
		t.Fatal(err)
	}
	if it.ID != "360100-WATER-GG-0001" || it.Materials[0].Form != "原件" || it.Status != knowledgebase.StatusDraft {
		t.Fatalf("created: %s", jsonIndent(it))
	}
	if _, err := f.kb.GetItem(f.ctx, citizen, it.ID); !errors.Is(err, knowledgebase.ErrNotFound) {
		t.Fatalf("citizen sees a draft item: %v", err)
	}
	if _, err := f.kb.TransitionItem(f.ctx, editor, it.ID, knowledgebase.StatusPublished, 0, ""); err != nil {
		t.Fatal(err)
	}
	res, err := f.kb.Search(f.ctx, citizen, knowledgebase.Query{Text: "供水过户", Kind: knowledgebase.KindItem})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("item search: %+v %v", res, err)
	}
	h := res.Hits[0]
	if h.ID != it.ID || h.Kind != knowledgebase.KindItem || h.Question != "供水用户过户" || !strings.Contains(h.Answer, "申请材料") {
		t.Fatalf("item hit: %+v", h)
	}
	it, _ = f.kb.GetItem(f.ctx, citizen, it.ID)
	g := it.BuildGuide("江川市水务集团")
	titles := []string{}
	for _, s := range g.Sections {
		titles = append(titles, s.Title)
	}
	for _, want := range []string{"受理条件", "申请材料", "办理流程", "办理时限", "收费标准", "咨询与投诉", "网上办理"} {
		if !strings.Contains(strings.Join(titles, ","), want) {
			t.Fatalf("guide lacks %s: %v", want, titles)
		}
	}

	bad := sampleItem()
	bad.Code, bad.Type, bad.Department = "x", "小说", "caac"
	bad.Materials[0].Count = 0
	bad.Materials[0].Form = "传真"
	bad.PromisedDays = 9
	_, err = f.kb.CreateItem(f.ctx, editor, bad)
	var ve *knowledgebase.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, knowledgebase.ErrUnknownDepartment) {
		t.Fatalf("invalid item: %v", err)
	}
	fields := map[string]bool{}
	for _, fe := range ve.Fields {
		fields[fe.Field] = true
	}
	for _, want := range []string{"code", "type", "department", "materials[0].form", "promised_days"} {
		if !fields[want] {
			t.Fatalf("no problem for %s: %v", want, ve.Fields)
		}
	}

	upd := sampleItem()
	upd.Fees = "免费"
	if _, err := f.kb.UpdateItem(f.ctx, waterDept, it.ID, it.Version, upd); !errors.Is(err, knowledgebase.ErrTransition) {
		t.Fatalf("department editing a published item: %v", err)
	}
	if _, err := f.kb.UpdateItem(f.ctx, editor, it.ID, it.Version, upd); err != nil {
		t.Fatal(err)
	}
	vs, err := f.kb.Versions(f.ctx, knowledgebase.KindItem, it.ID)
	if err != nil || len(vs) != 3 || vs[2].Changes[0].Field != "fees" {
		t.Fatalf("item versions: %s %v", jsonIndent(vs), err)
	}
	if err := f.kb.DeleteItem(f.ctx, editor, it.ID, 0); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.idx.Count(f.ctx); n != 0 {
		t.Fatalf("deleted item still indexed")
	}
}
