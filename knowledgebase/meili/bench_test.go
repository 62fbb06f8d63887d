package meili

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Synthetic service-hall text for benchmarks: subjects × actions, so the
// documents share vocabulary the way FAQ entries do.
var (
	benchSubjects = []string{"社保卡", "公积金", "居住证", "营业执照", "医保", "驾驶证", "不动产登记", "新生儿落户",
		"失业保险金", "养老保险", "残疾人补贴", "食品经营许可", "出入境证件", "个体工商户", "燃气开通", "路灯报修"}
	benchActions = []string{"怎么办理", "需要什么材料", "在哪里补办", "多久能办好", "可以网上办理吗", "收费标准是多少",
		"丢失了怎么办", "异地能办吗"}
)

func benchDoc(i int) knowledgebase.Document {
	s := benchSubjects[i%len(benchSubjects)]
	a := benchActions[(i/len(benchSubjects))%len(benchActions)]
	body := strings.Repeat(fmt.Sprintf("%s%s：请携带身份证原件到政务服务中心窗口或登录政务服务网提交申请，承诺时限五个工作日。", s, a), 4)
	return knowledgebase.Document{ID: fmt.Sprintf("b-%d", i), Kind: knowledgebase.KindEntry,
		Title: fmt.Sprintf("%s%s（%d）", s, a, i), Body: body, Department: "dept", Category: "综合/测试",
		Channels: []string{"hotline"}, Keywords: []string{s}, Searchable: true}
}

// BenchmarkProjectDocument measures the adapter's per-document indexing
// work (analysis of every field and term encoding), which bounds how fast
// a reindex can feed Meilisearch.
func BenchmarkProjectDocument(b *testing.B) {
	a, err := analysis.New(analysis.Options{})
	if err != nil {
		b.Fatal(err)
	}
	d := benchDoc(7)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := toMeili(a, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchThroughFake measures one Search end to end over loopback
// HTTP against the fake (1,000 documents): query analysis, the multi-search
// request and its JSON, fusion and the highlight request. The fake's own
// linear work is included, so this is an upper bound of the adapter's cost,
// not a Meilisearch figure.
func BenchmarkSearchThroughFake(b *testing.B) {
	f := newFakeMeili(b, "")
	ix, err := Open(b.Context(), Options{URL: f.URL(), IndexUID: "bench", PollInterval: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	docs := make([]knowledgebase.Document, 1000)
	for i := range docs {
		docs[i] = benchDoc(i)
	}
	if err := ix.Upsert(b.Context(), docs...); err != nil {
		b.Fatal(err)
	}
	queries := []string{"社保卡丢了怎么补办", "公积金提取需要什么材料", "shebaoka", "营业执照网上办理", "户籍新生儿"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := ix.Search(b.Context(), knowledgebase.Query{Text: queries[i%len(queries)]}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
