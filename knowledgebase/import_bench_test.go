package knowledgebase_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/embedded"
)

// BenchmarkImportEmbedded imports HALLGATE_BENCH_DOCS (default 5,000)
// generated entries through the service into bolt and the embedded index,
// and reports entries/s.
func BenchmarkImportEmbedded(b *testing.B) {
	ctx := context.Background()
	n := benchDocs()
	body := benchCorpus(n)
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		st := openStore(b, filepath.Join(dir, "kb.db"))
		depts := department.NewService(st)
		if _, err := depts.Import(ctx, testDepartments); err != nil {
			b.Fatal(err)
		}
		idx, err := embedded.Open(ctx, embedded.Options{Dir: filepath.Join(dir, "index")})
		if err != nil {
			b.Fatal(err)
		}
		batch, _ := strconv.Atoi(os.Getenv("HALLGATE_BENCH_BATCH"))
		kb := knowledgebase.NewService(st, idx, depts, knowledgebase.Options{ImportBatch: batch})
		if err := kb.Open(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := kb.Import(ctx, editor, strings.NewReader(body))
		if err != nil || res.Imported != n {
			b.Fatalf("import %d: %v", res.Imported, err)
		}
		b.StopTimer()
		idx.Close()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entries/s")
}
