package routing

import (
	"context"
	"fmt"
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/embedded"
)

// FromIndex adapts a knowledge-base index into a KBSearch. lookup returns
// the question and department of a hit's entry (false when the entry is
// gone); hits it cannot resolve are dropped. Agents' view: internal entries
// are included.
func FromIndex(ix knowledgebase.Index, lookup func(ctx context.Context, id string) (KBHit, bool)) KBSearch {
	return func(ctx context.Context, text string, limit int) ([]KBHit, error) {
		res, err := ix.Search(ctx, knowledgebase.Query{Text: text, Limit: limit, IncludeInternal: true, Kind: knowledgebase.KindEntry})
		if err != nil {
			return nil, err
		}
		out := make([]KBHit, 0, len(res.Hits))
		for _, h := range res.Hits {
			if kh, ok := lookup(ctx, h.ID); ok {
				kh.ID, kh.Score = h.ID, h.Score
				out = append(out, kh)
			}
		}
		return out, nil
	}
}

// embeddedSearch indexes entries in a memory-only embedded index, the
// gateway's default search backend, for the evaluation.
func embeddedSearch(ctx context.Context, entries []KBEntry) (KBSearch, func() error, error) {
	ix, err := embedded.Open(ctx, embedded.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("routing: open embedded index: %w", err)
	}
	byID := make(map[string]KBHit, len(entries))
	docs := make([]knowledgebase.Document, 0, len(entries))
	now := time.Now()
	for _, e := range entries {
		byID[e.ID] = KBHit{Question: e.Question, Department: e.Department}
		docs = append(docs, knowledgebase.Document{ID: e.ID, Kind: knowledgebase.KindEntry, Title: e.Question, Body: e.Answer,
			Department: e.Department, Category: e.Category, Keywords: e.Keywords, Searchable: true, UpdatedAt: now})
	}
	if err := ix.Upsert(ctx, docs...); err != nil {
		_ = ix.Close()
		return nil, nil, fmt.Errorf("routing: index kb: %w", err)
	}
	return FromIndex(ix, func(_ context.Context, id string) (KBHit, bool) {
		h, ok := byID[id]
		return h, ok
	}), ix.Close, nil
}
