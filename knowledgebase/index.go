package knowledgebase

import (
	"context"
	"errors"
	"time"
)

// ErrBadQuery is returned by Index.Search for an empty or oversized query.
var ErrBadQuery = errors.New("knowledgebase: bad query")

// Kinds of searchable documents.
const (
	KindEntry = "entry" // FAQ / policy Q&A entry (知识条目)
	KindItem  = "item"  // service item guide (办事指南)
)

// Document is the searchable projection of an entry or a service item. The
// store is the system of record; an Index holds only this projection and can
// be rebuilt from the store at any time.
type Document struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`       // KindEntry or KindItem
	Title      string    `json:"title"`      // the question, or the item's name
	Alternates []string  `json:"alternates"` // other phrasings of the question
	Body       string    `json:"body"`       // the answer, or the guide's text
	Department string    `json:"department"` // department code
	Category   string    `json:"category"`   // category path, "/"-separated
	Channels   []string  `json:"channels"`   // hotline, website, service_item
	Keywords   []string  `json:"keywords"`
	Region     string    `json:"region,omitempty"`
	Internal   bool      `json:"internal"`   // visible to agents only
	Searchable bool      `json:"searchable"` // published and within its validity
	ExpiresAt  time.Time `json:"expires_at,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Query is one search. Filters are exact matches; empty means any.
type Query struct {
	Text            string
	Limit           int // default 10, max 100
	Offset          int
	Department      string
	Category        string // matches the path or any prefix of it
	Channel         string
	Kind            string
	IncludeInternal bool      // agents see internal entries
	Now             time.Time // documents with ExpiresAt before Now are hidden; zero = time.Now()
}

// Hit is one result.
type Hit struct {
	ID        string  `json:"id"`
	Kind      string  `json:"kind"`
	Score     float64 `json:"score"`
	Highlight string  `json:"highlight"` // title or body fragment with <em>…</em> around matched terms
}

// Result is a page of hits and the total number of matches.
type Result struct {
	Hits  []Hit `json:"hits"`
	Total int   `json:"total"`
}

// DocumentSource is an optional power of an Index that keeps the documents
// it indexed in memory and hands one back by id (the embedded index does).
type DocumentSource interface {
	Document(id string) (Document, bool)
}

// Index is a search backend. Both backends (embedded, meili) pass indextest.
type Index interface {
	Upsert(ctx context.Context, docs ...Document) error
	Delete(ctx context.Context, ids ...string) error
	Search(ctx context.Context, q Query) (Result, error)
	Count(ctx context.Context) (int, error)
	// Reset removes every document (before a full rebuild).
	Reset(ctx context.Context) error
	// SetSynonyms replaces the runtime synonym groups (each group's terms are
	// interchangeable); the shipped default set is always applied too.
	SetSynonyms(ctx context.Context, groups [][]string) error
	Close() error
}
