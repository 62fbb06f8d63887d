package eval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadKB(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "kb.jsonl")
	good := `{"id":"a","question":"问题一","answer":"答","department":"d","category":"c","channel":"hotline","keywords":["k"]}
{"id":"b","question":"问题二","answer":"答","channel":["website","hotline"]}

`
	os.WriteFile(p, []byte(good), 0o644)
	docs, err := LoadKB(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].Channels[0] != "hotline" || len(docs[1].Channels) != 2 || !docs[0].Searchable {
		t.Fatalf("docs = %+v", docs)
	}
	os.WriteFile(p, []byte(good+`{"id":"c"}`+"\n"), 0o644)
	if _, err := LoadKB(p); !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("want ErrBadFile at line 4, got %v", err)
	}
	os.WriteFile(p, []byte("{not json\n"), 0o644)
	if _, err := LoadKB(p); !errors.Is(err, ErrBadFile) {
		t.Fatalf("want ErrBadFile, got %v", err)
	}
}

func TestLoadQueriesRejectsMissingRelevant(t *testing.T) {
	p := filepath.Join(t.TempDir(), "q.jsonl")
	os.WriteFile(p, []byte(`{"q":"x","relevant":[]}`+"\n"), 0o644)
	if _, err := LoadQueries(p); !errors.Is(err, ErrBadFile) {
		t.Fatalf("want ErrBadFile, got %v", err)
	}
}
