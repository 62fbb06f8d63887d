package knowledgebase_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/embedded"
)

// Synthetic vocabulary for generated entries (written for the benchmark).
var (
	benchSubjects = []string{"社保卡", "公积金", "居住证", "营业执照", "医保", "养老保险", "失业保险", "驾驶证", "户口",
		"不动产登记", "出入境证件", "个税", "水费", "燃气", "电费", "低保", "残疾人补贴", "新生儿落户", "二手房过户", "门诊报销"}
	benchActions = []string{"申请", "办理", "补办", "变更", "注销", "查询", "缴纳", "提取", "转移", "续期", "挂失", "认定"}
	benchTails   = []string{"需要什么材料", "在哪里办", "要多久", "收费吗", "可以网上办吗", "流程是什么", "有什么条件", "找哪个部门"}
	benchDepts   = []string{"hrss", "water", "tax"}
)

func benchCorpus(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for i := range n {
		s := benchSubjects[r.IntN(len(benchSubjects))]
		a := benchActions[r.IntN(len(benchActions))]
		t := benchTails[r.IntN(len(benchTails))]
		fmt.Fprintf(&b, `{"id":"g-%d","question":"%s%s%s（第%d号）","answer":"%s%s可通过政务服务网或窗口办理，携带身份证，一般%d个工作日办结。","department":"%s","category":"综合/%s","channel":"hotline","keywords":["%s","%s"]}`+"\n",
			i, s, a, t, i, s, a, 1+r.IntN(15), benchDepts[r.IntN(len(benchDepts))], s, s, a)
	}
	return b.String()
}

func benchDocs() int {
	if v, err := strconv.Atoi(os.Getenv("HALLGATE_BENCH_DOCS")); err == nil && v > 0 {
		return v
	}
	return 5000
}

// BenchmarkSearch compares the service's search (validation, index,
// hydration from the store, analytics) with the raw embedded index on the
// same corpus, so the service's overhead is visible. Corpus size:
// HALLGATE_BENCH_DOCS (default 5,000).
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	st := openStore(b, filepath.Join(dir, "kb.db"))
	defer st.Close()
	depts := department.NewService(st)
	if _, err := depts.Import(ctx, testDepartments); err != nil {
		b.Fatal(err)
	}
	idx, err := embedded.Open(ctx, embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	kb := knowledgebase.NewService(st, idx, depts, knowledgebase.Options{})
	if err := kb.Open(ctx); err != nil {
		b.Fatal(err)
	}
	n := benchDocs()
	res, err := kb.Import(ctx, editor, strings.NewReader(benchCorpus(n)))
	if err != nil || res.Imported != n {
		b.Fatalf("import %d: %v %v", res.Imported, err, res.Errors[:min(3, len(res.Errors))])
	}
	queries := []string{"社保卡补办需要什么材料", "公积金提取要多久", "营业执照变更", "医保门诊报销流程", "驾驶证续期网上办", "低保申请条件"}
	b.Run("service", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := kb.Search(ctx, citizen, knowledgebase.Query{Text: queries[i%len(queries)]}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("raw-index", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := idx.Search(ctx, knowledgebase.Query{Text: queries[i%len(queries)]}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
