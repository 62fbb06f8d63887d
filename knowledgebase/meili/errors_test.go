package meili

import (
	"context"
	"errors"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
)

func TestBadQueriesSendNothing(t *testing.T) {
	f := newFakeMeili(t, "")
	ix := openFake(t, f)
	for _, q := range []knowledgebase.Query{
		{Text: ""}, {Text: " \t"}, {Text: strings.Repeat("证", 257)}, {Text: "社保", Limit: -1}, {Text: "社保", Offset: -3},
	} {
		if _, err := ix.Search(t.Context(), q); !errors.Is(err, knowledgebase.ErrBadQuery) {
			t.Errorf("%q: want ErrBadQuery, got %v", q.Text, err)
		}
	}
	if n := len(f.find("POST", regexp.MustCompile(`search`))); n != 0 {
		t.Errorf("bad queries reached the server %d times", n)
	}
}

func TestFailedTaskIsAnError(t *testing.T) {
	f := newFakeMeili(t, "")
	ix := openFake(t, f)
	f.mu.Lock()
	f.failTask["documentAdditionOrUpdate"] = "invalid_document_fields"
	f.mu.Unlock()
	err := ix.Upsert(t.Context(), knowledgebase.Document{ID: "x", Kind: knowledgebase.KindEntry, Title: "测试"})
	if !errors.Is(err, ErrTaskFailed) || !strings.Contains(err.Error(), "invalid_document_fields") {
		t.Fatalf("want ErrTaskFailed naming the code, got %v", err)
	}
	f.mu.Lock()
	f.failTask["settingsUpdate"] = "invalid_settings_synonyms"
	f.mu.Unlock()
	if err := ix.SetSynonyms(t.Context(), [][]string{{"甲证", "乙证"}}); !errors.Is(err, ErrTaskFailed) {
		t.Fatalf("SetSynonyms with a failed task: %v", err)
	}
	// The analyzer must not have taken the groups the server refused.
	for _, term := range ix.an.QueryTerms("甲证") {
		if term.Text == "乙证" {
			t.Fatalf("refused synonyms leaked into query analysis")
		}
	}
}

func TestStuckTaskTimesOut(t *testing.T) {
	f := newFakeMeili(t, "")
	f.stuck = true
	_, err := Open(t.Context(), Options{URL: f.URL(), IndexUID: "stuck", PollInterval: time.Millisecond, Timeout: 150 * time.Millisecond})
	if !errors.Is(err, ErrTaskTimeout) {
		t.Fatalf("want ErrTaskTimeout, got %v", err)
	}
}

func TestCallerCancellationIsNotATimeout(t *testing.T) {
	f := newFakeMeili(t, "")
	ix := openFake(t, f)
	f.mu.Lock()
	f.stuck = true
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := ix.Reset(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTaskTimeout) {
		t.Fatalf("want the caller's context error, got %v", err)
	}
}

func TestPing(t *testing.T) {
	f := newFakeMeili(t, "")
	ix := openFake(t, f)
	if err := ix.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	f.srv.Close()
	if err := ix.Ping(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Ping of a stopped server: want ErrUnavailable, got %v", err)
	}
}

func TestAuthAndUnavailable(t *testing.T) {
	f := newFakeMeili(t, "right")
	_, err := Open(t.Context(), Options{URL: f.URL(), APIKey: "wrong", IndexUID: "auth"})
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "invalid_api_key") {
		t.Fatalf("wrong key: want ErrRejected, got %v", err)
	}
	dead := httptest.NewServer(nil)
	url := dead.URL
	dead.Close()
	_, err = Open(t.Context(), Options{URL: url, IndexUID: "dead", Timeout: time.Second})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("closed server: want ErrUnavailable, got %v", err)
	}
}

func TestOptionsValidateListsEveryProblem(t *testing.T) {
	err := Options{URL: "ftp://x", IndexUID: "bad uid!", Timeout: -1, BatchSize: 20000, MaxTerms: 500,
		Candidates: 5000, MaxTotalHits: 10, Dictionary: []string{""}}.Validate()
	if !errors.Is(err, ErrBadOptions) {
		t.Fatalf("want ErrBadOptions, got %v", err)
	}
	for _, want := range []string{"URL", "IndexUID", "Timeout", "BatchSize", "MaxTerms", "Candidates", "MaxTotalHits", "Dictionary[0]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	if err := (Options{URL: "http://127.0.0.1:7700"}).Validate(); err != nil {
		t.Errorf("defaults must validate: %v", err)
	}
	if err := (Options{}).Validate(); err == nil || !strings.Contains(err.Error(), "URL is required") {
		t.Errorf("missing URL: %v", err)
	}
}

func TestUpsertRejectsBadDocumentsBeforeSending(t *testing.T) {
	f := newFakeMeili(t, "")
	ix := openFake(t, f)
	for _, d := range []knowledgebase.Document{
		{ID: "", Kind: knowledgebase.KindEntry},
		{ID: strings.Repeat("a", maxIDBytes+1), Kind: knowledgebase.KindEntry},
		{ID: "ok", Kind: "faq"},
	} {
		if err := ix.Upsert(t.Context(), d); !errors.Is(err, ErrBadDocument) {
			t.Errorf("%q/%q: want ErrBadDocument, got %v", d.ID, d.Kind, err)
		}
	}
	if n := len(f.find("POST", regexp.MustCompile(`/documents$`))); n != 0 {
		t.Errorf("bad documents reached the server %d times", n)
	}
}
