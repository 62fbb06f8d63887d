package ticket

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// SearchScan bounds the tickets one text search reads; a search that
// reached it without filling its page answers what it found with a cursor
// to read on from there.
var SearchScan = 20000

// MaxSearchText bounds a search's text, in characters.
const MaxSearchText = 100

// searchTerms splits an agent's search into the words every match must
// contain: chunks between spaces and punctuation, segmented, with runs of
// single characters (a place name the dictionary does not know, 滨江路8号)
// kept together as they were typed.
func searchTerms(q string) []string {
	var terms []string
	for _, chunk := range strings.FieldsFunc(analysis.Normalize(q), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) {
		var run strings.Builder
		flush := func() {
			if run.Len() > 0 {
				terms = append(terms, run.String())
				run.Reset()
			}
		}
		for _, w := range analysis.Shared().Segment(chunk) {
			if utf8.RuneCountInString(w) == 1 || !isHanWord(w) {
				run.WriteString(w)
				continue
			}
			flush()
			terms = append(terms, w)
		}
		flush()
	}
	return terms
}

func isHanWord(w string) bool {
	for _, r := range w {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

// searchable is the part of a stored ticket a search reads: decoding it
// alone skips the events and the sealed caller, most of a record's cost.
type searchable struct {
	Text       string    `json:"text"`
	Address    string    `json:"address"`
	District   string    `json:"district"`
	Category   string    `json:"category"`
	Code       string    `json:"code"`
	ExternalID string    `json:"external_id"`
	CreatedAt  time.Time `json:"created_at"`
}

// matches reports whether every term occurs in the ticket's text, address,
// district, category or codes (never in the sealed caller data).
func (t *searchable) matches(terms []string) bool {
	hay := analysis.Normalize(strings.Join([]string{t.Text, t.Address, t.District, t.Category, t.Code, t.ExternalID}, " "))
	for _, term := range terms {
		if !strings.Contains(hay, term) {
			return false
		}
	}
	return true
}

// search is List for a filter with Text: it reads the filter's tickets
// newest first (oldest first with f.Oldest) from f.Since on and keeps
// those that match, until the page is full or SearchScan tickets were read.
func (s *Service) search(ctx context.Context, f Filter, filter map[string]string) (Page, error) {
	terms := searchTerms(f.Text)
	out := Page{Tickets: []*Ticket{}}
	if len(terms) == 0 {
		return out, nil
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	cursor, stop := f.Cursor, ""
	if !f.Since.IsZero() {
		if f.Oldest && cursor == "" {
			cursor = store.EncodeCursor(idTimePrefix(f.Since))
		} else if !f.Oldest {
			stop = idTimePrefix(f.Since)
		}
	}
	read := 0
	for {
		p, err := s.st.List(ctx, Collection, store.ListOptions{Filter: filter, Limit: 500, Cursor: cursor, Reverse: !f.Oldest})
		if err != nil {
			return Page{}, fmt.Errorf("search tickets: %w", err)
		}
		for _, r := range p.Records {
			// Ids begin with their intake time; imported history is
			// selected by its own intake time below.
			if stop != "" && r.ID < stop {
				return out, nil
			}
			var doc searchable
			if err := json.Unmarshal(r.Data, &doc); err != nil {
				return Page{}, fmt.Errorf("ticket %s: decode: %w", r.ID, err)
			}
			read++
			cursor = store.EncodeCursor(r.ID)
			if (f.Since.IsZero() || !doc.CreatedAt.Before(f.Since)) && doc.matches(terms) {
				t, err := s.decode(r)
				if err != nil {
					return Page{}, err
				}
				out.Tickets = append(out.Tickets, t)
				if len(out.Tickets) == limit {
					out.NextCursor = cursor
					return out, nil
				}
			}
			if read >= SearchScan {
				out.NextCursor = cursor
				return out, nil
			}
		}
		if p.NextCursor == "" {
			return out, nil
		}
		cursor = p.NextCursor
	}
}
