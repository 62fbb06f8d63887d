package knowledgebase

import (
	"context"
	"slices"
	"strings"

	"github.com/hallgate/hallgate/gateway/store"
)

// UncategorisedCategory is the category of drafts proposed from outside the
// editors' workflow (website replies, department callbacks); an editor
// files them before publishing.
const UncategorisedCategory = "待分类"

// ProposeDraft creates a draft entry on behalf of another part of the
// gateway (e.g. a department's reply to a website message becoming a KB
// answer). The caller vouches for who may propose; by is recorded as the
// author. An over-long title is cut to MaxTitleRunes; a title already in use
// is ErrDuplicateTitle.
func (s *Service) ProposeDraft(ctx context.Context, by, title, answer, department, channel string) (Entry, error) {
	title = strings.TrimSpace(title)
	if r := []rune(title); len(r) > MaxTitleRunes {
		title = string(r[:MaxTitleRunes])
	}
	e := Entry{Title: title, Answer: answer, Department: department, Category: UncategorisedCategory, Status: StatusDraft}
	if channel != "" {
		e.Channels = []string{channel}
	}
	return s.CreateEntry(ctx, Actor{ID: by, Editor: true}, e)
}

// maxSuggestionScan bounds how many of a department's entries
// DepartmentSuggestions reads.
const maxSuggestionScan = 2000

// DepartmentSuggestions returns up to limit published entries of dept that
// are within their validity, most recently updated first — what an agent
// sees in the screen pop when a call comes in on that department's legacy
// number (recent changes are what callers ask about).
func (s *Service) DepartmentSuggestions(ctx context.Context, dept string, limit int) ([]Entry, error) {
	if limit <= 0 {
		limit = 5
	}
	now := s.now()
	var all []Entry
	cursor := ""
	for len(all) < maxSuggestionScan {
		page, err := s.st.List(ctx, CollEntries, store.ListOptions{
			Filter: map[string]string{"department": dept, "status": StatusPublished}, Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, mapStoreErr("department suggestions", err)
		}
		for _, rec := range page.Records {
			e, err := decode[Entry](rec)
			if err != nil {
				return nil, err
			}
			e.Version = rec.Version
			if searchable(e.Status, e.EffectiveFrom, e.ExpiresAt, now) {
				all = append(all, e)
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	slices.SortStableFunc(all, func(a, b Entry) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(all) > limit {
		all = all[:limit]
	}
	if all == nil {
		all = []Entry{}
	}
	return all, nil
}
