package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A tiny knowledge base written for this test: the eval command must import
// it through the HTTP API and score every query.
const evalKB = `{"id":"t-1","question":"如何办理居住证？","answer":"携带身份证和居住证明到派出所申请。","department":"police","category":"户籍","channel":"hotline","keywords":["居住证"]}
{"id":"t-2","question":"公积金贷款额度怎么算？","answer":"按缴存余额和还款能力计算。","department":"hpf","category":"公积金","channel":"website","keywords":["公积金贷款"]}
{"id":"t-3","question":"停水了找谁？","answer":"拨打供水服务热线报修。","department":"water","category":"供水","channel":"hotline","keywords":["停水"]}
`

const evalQueries = `{"q":"居住证怎么办","relevant":["t-1"],"kind":"exact"}
{"q":"gongjijin 贷款额度","relevant":["t-2"],"kind":"mixed"}
{"q":"家里没水了","relevant":["t-3"],"kind":"colloquial"}
`

func TestEvalSearchThroughHTTP(t *testing.T) {
	dir := t.TempDir()
	kb, queries := filepath.Join(dir, "kb.jsonl"), filepath.Join(dir, "q.jsonl")
	if err := os.WriteFile(kb, []byte(evalKB), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(queries, []byte(evalQueries), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCLI(t, nil, "eval", "search", "--kb", kb, "--queries", queries)
	if err != nil {
		t.Fatalf("eval search: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(out, "3 entries imported") || !strings.Contains(out, "recall@5") {
		t.Fatalf("output lacks the import count or the table:\n%s", out)
	}
	var all string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "all" {
			all = line
		}
	}
	if f := strings.Fields(all); len(f) < 4 || f[1] != "3" || f[3] == "0.000" {
		t.Fatalf("the all row must count 3 queries and find some: %q", all)
	}
	if _, _, err := runCLI(t, nil, "eval", "search", "--kb", kb); err == nil {
		t.Fatal("missing --queries accepted")
	}
}

func TestReindex(t *testing.T) {
	dir := t.TempDir()
	out, errOut, err := runCLI(t, map[string]string{"HALLGATE_DATA_DIR": dir}, "reindex")
	if err != nil || !strings.Contains(out, "reindexed 0 documents") {
		t.Fatalf("reindex: %v\n%s\n%s", err, out, errOut)
	}
}
