package knowledgebase_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
)

func TestProposeDraftAndDepartmentSuggestions(t *testing.T) {
	f := newFixture(t)
	d, err := f.kb.ProposeDraft(f.ctx, "message-svc", strings.Repeat("问", 140), "部门答复内容。", "water", "website")
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != knowledgebase.StatusDraft || len([]rune(d.Title)) != knowledgebase.MaxTitleRunes || d.Category != knowledgebase.UncategorisedCategory || d.CreatedBy != "message-svc" {
		t.Fatalf("draft: %+v", d)
	}
	if _, err := f.kb.ProposeDraft(f.ctx, "x", d.Title, "a", "water", ""); !errors.Is(err, knowledgebase.ErrDuplicateTitle) {
		t.Fatalf("duplicate proposal: %v", err)
	}
	if _, err := f.kb.ProposeDraft(f.ctx, "x", "新问题", "a", "nowhere", ""); !errors.Is(err, knowledgebase.ErrUnknownDepartment) {
		t.Fatalf("unknown department: %v", err)
	}

	for i, title := range []string{"水表报修", "水费缴纳", "停水通知"} {
		e := sampleEntry("sg-"+string(rune('a'+i)), title)
		e.Status = knowledgebase.StatusPublished
		if _, err := f.kb.CreateEntry(f.ctx, editor, e); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Minute)
	}
	other := sampleEntry("sg-tax", "个税汇算")
	other.Department, other.Status = "tax", knowledgebase.StatusPublished
	if _, err := f.kb.CreateEntry(f.ctx, editor, other); err != nil {
		t.Fatal(err)
	}
	got, err := f.kb.DepartmentSuggestions(f.ctx, "water", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "sg-c" || got[1].ID != "sg-b" {
		t.Fatalf("suggestions: %s", jsonIndent(got))
	}
}
