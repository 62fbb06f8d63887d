package embedded

import (
	"reflect"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

// SearchDocuments answers as Search does, with each hit's own document
// (equal to Document(id)) beside it, page by page; a result from the result
// cache comes without documents.
func TestSearchDocuments(t *testing.T) {
	x := openTemp(t, "")
	ctx := t.Context()
	var docs []knowledgebase.Document
	for _, d := range []knowledgebase.Document{
		doc("a", "社保卡挂失补办", "到银行网点挂失。"), doc("b", "社保卡申领", "首次申领。"),
		doc("c", "社保卡密码重置", "持身份证到网点重置。"), doc("d", "公积金提取条件", "购房租房可提取。"),
	} {
		d.Keywords = []string{"社保"}
		docs = append(docs, d)
	}
	if err := x.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	for _, q := range []knowledgebase.Query{
		{Text: "社保卡", Limit: 10}, {Text: "社保卡", Limit: 2}, {Text: "社保卡", Limit: 2, Offset: 2},
		{Text: "社保卡", Limit: 2, Offset: 5}, {Text: "没有这种说法"},
	} {
		got, gotDocs, err := x.SearchDocuments(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := x.Search(ctx, q) // now from the cache: the same answer
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%+v: SearchDocuments %+v, Search %+v", q, got, want)
		}
		if q.Limit == 10 && len(got.Hits) < 3 {
			t.Fatalf("%+v: %d hits, want the three 社保卡 entries", q, len(got.Hits))
		}
		if len(gotDocs) != len(got.Hits) {
			t.Fatalf("%+v: %d documents for %d hits", q, len(gotDocs), len(got.Hits))
		}
		for i, h := range got.Hits {
			d, ok := x.Document(h.ID)
			if !ok || !reflect.DeepEqual(gotDocs[i], d) {
				t.Fatalf("%+v: hit %d (%s) came with %+v, Document has %+v", q, i, h.ID, gotDocs[i], d)
			}
		}
		again, againDocs, err := x.SearchDocuments(ctx, q)
		if err != nil || !reflect.DeepEqual(again, want) || againDocs != nil {
			t.Fatalf("%+v: cached SearchDocuments %+v %v %v", q, again, againDocs, err)
		}
	}
}
