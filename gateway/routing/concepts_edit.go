package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hallgate/hallgate/gateway/store"
)

// A city edits the shipped concept lexicon with lines of its own, in the
// lexicon's format, stored in the catalogue and applied on top of the shipped
// file at every rebuild (so a new release's lexicon keeps the city's edits):
//
//	特种设备 | 扶梯 观光梯      adds everyday words to the concept 特种设备
//	特种设备 | -电梯            takes a shipped word out of it
//	共享单车 | 小黄车 哈啰单车  a concept the shipped file lacks
//	-殡葬                       drops a shipped concept altogether
//
// A line extends the concept one of whose formal terms is its first term, and
// otherwise adds a concept. The knowledge base's runtime synonym groups are
// applied after the city's lines (SynonymConcepts).

// Limits of a city's concept edits.
const (
	MaxConceptEditBytes = 1 << 20
	MaxConceptEditLines = 5000
	MaxConceptTermRunes = 32
)

// CollectionSettings holds the routing settings that are one record each.
const CollectionSettings = "routing_settings"

const conceptsSetting = "concepts"

// ConceptEdit is one line of a city's edits.
type ConceptEdit struct {
	Line     int
	Drop     string   // "-名称": the concept to drop
	Formal   []string // formal terms; the first names the concept
	Everyday []string
	Remove   []string // "-词": terms to take out of the concept
}

// ConceptProblem is one line a city's edits cannot use.
type ConceptProblem struct {
	Line   int    `json:"line"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

// ConceptEditError lists every problem of a city's edits; nothing was saved.
type ConceptEditError struct {
	Problems []ConceptProblem
}

func (e *ConceptEditError) Error() string {
	return fmt.Sprintf("routing: the concept edits have %d problem(s)", len(e.Problems))
}

func (e *ConceptEditError) Unwrap() error { return ErrInvalid }

// ParseConceptEdits reads a city's edit lines; # starts a comment. It checks
// the form of each line only (ApplyConceptEdits checks them against a
// lexicon).
func ParseConceptEdits(text string) ([]ConceptEdit, []ConceptProblem) {
	var (
		out      []ConceptEdit
		problems []ConceptProblem
	)
	lines := strings.Split(text, "\n")
	if len(lines) > MaxConceptEditLines {
		return nil, []ConceptProblem{{Line: MaxConceptEditLines + 1, Reason: fmt.Sprintf("at most %d lines", MaxConceptEditLines)}}
	}
	for n, raw := range lines {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(format string, a ...any) {
			problems = append(problems, ConceptProblem{Line: n + 1, Text: clip(line, 80), Reason: fmt.Sprintf(format, a...)})
		}
		if !utf8.ValidString(line) {
			bad("not valid UTF-8")
			continue
		}
		e := ConceptEdit{Line: n + 1}
		formal, everyday, hasBar := strings.Cut(line, "|")
		if !hasBar {
			fs := strings.Fields(line)
			if len(fs) != 1 || !strings.HasPrefix(fs[0], "-") {
				bad("no '|' between formal and everyday terms (a line without one drops a concept: -名称)")
				continue
			}
			e.Drop = strings.ToLower(strings.TrimPrefix(fs[0], "-"))
			if why := termProblem(e.Drop); why != "" {
				bad("%s", why)
				continue
			}
			out = append(out, e)
			continue
		}
		ok := true
		for side, part := range []string{formal, everyday} {
			for _, f := range strings.Fields(part) {
				remove := strings.HasPrefix(f, "-")
				f = strings.ToLower(strings.TrimPrefix(f, "-"))
				if why := termProblem(f); why != "" {
					bad("%s", why)
					ok = false
					continue
				}
				switch {
				case remove:
					e.Remove = append(e.Remove, f)
				case side == 0:
					e.Formal = append(e.Formal, f)
				default:
					e.Everyday = append(e.Everyday, f)
				}
			}
		}
		if !ok {
			continue
		}
		if len(e.Formal) == 0 {
			bad("the formal side must start with the concept's name")
			continue
		}
		if len(e.Formal) == 1 && len(e.Everyday) == 0 && len(e.Remove) == 0 {
			bad("nothing to add or remove for 「%s」", e.Formal[0])
			continue
		}
		out = append(out, e)
	}
	return out, problems
}

func termProblem(t string) string {
	switch n := utf8.RuneCountInString(t); {
	case n < 2:
		return fmt.Sprintf("term %q is shorter than 2 characters", t)
	case n > MaxConceptTermRunes:
		return fmt.Sprintf("term %q is longer than %d characters", clip(t, 20), MaxConceptTermRunes)
	}
	return ""
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// ConceptChange says what a city's edits did to the shipped lexicon.
type ConceptChange struct {
	Added        int              `json:"added"`         // concepts the shipped file lacks
	Extended     int              `json:"extended"`      // shipped concepts given more terms
	Dropped      int              `json:"dropped"`       // shipped concepts dropped
	TermsAdded   int              `json:"terms_added"`   // terms added in all
	TermsRemoved int              `json:"terms_removed"` // terms taken out in all
	Concepts     int              `json:"concepts"`      // concepts in the lexicon after the edits
	Stale        []ConceptProblem `json:"stale,omitempty"`
}

// ApplyConceptEdits applies edits to a copy of base, in line order. A line
// that no longer fits base (a drop or removal of what base lacks — after a
// release changed the shipped file) is skipped and reported in Stale.
func ApplyConceptEdits(base []Concept, edits []ConceptEdit) ([]Concept, ConceptChange) {
	out := make([]Concept, len(base))
	for i, c := range base {
		out[i] = Concept{Name: c.Name, Terms: slices.Clone(c.Terms), Formal: c.Formal}
	}
	var ch ConceptChange
	extended := map[int]bool{}
	find := func(name string) int {
		return slices.IndexFunc(out, func(c Concept) bool { return slices.Contains(c.Terms[:c.Formal], name) })
	}
	stale := func(e ConceptEdit, format string, a ...any) {
		ch.Stale = append(ch.Stale, ConceptProblem{Line: e.Line, Reason: fmt.Sprintf(format, a...)})
	}
	shipped := len(base)
	for _, e := range edits {
		if e.Drop != "" {
			i := find(e.Drop)
			if i < 0 {
				stale(e, "no concept 「%s」 to drop", e.Drop)
				continue
			}
			out = slices.Delete(out, i, i+1)
			if i < shipped {
				shipped--
				ch.Dropped++
			} else {
				ch.Added--
			}
			continue
		}
		i := find(e.Formal[0])
		if i < 0 {
			if len(e.Remove) > 0 {
				stale(e, "no concept 「%s」 to remove terms from", e.Formal[0])
				continue
			}
			c := Concept{Name: e.Formal[0]}
			c.Terms = dedupe(append(slices.Clone(e.Formal), e.Everyday...))
			c.Formal = min(len(dedupe(e.Formal)), len(c.Terms))
			out = append(out, c)
			ch.Added++
			ch.TermsAdded += len(c.Terms)
			continue
		}
		c := &out[i]
		changed := false
		for _, t := range e.Remove {
			j := slices.Index(c.Terms, t)
			switch {
			case j < 0:
				stale(e, "「%s」 has no term 「%s」", c.Name, t)
				continue
			case j == 0:
				stale(e, "「%s」 is the concept's name: drop the concept instead (-%s)", t, t)
				continue
			case j < c.Formal:
				c.Formal--
			}
			c.Terms = slices.Delete(c.Terms, j, j+1)
			ch.TermsRemoved++
			changed = true
		}
		for _, t := range e.Formal[1:] {
			if !slices.Contains(c.Terms, t) {
				c.Terms = slices.Insert(c.Terms, c.Formal, t)
				c.Formal++
				ch.TermsAdded++
				changed = true
			}
		}
		for _, t := range e.Everyday {
			if !slices.Contains(c.Terms, t) {
				c.Terms = append(c.Terms, t)
				ch.TermsAdded++
				changed = true
			}
		}
		if changed && i < shipped && !extended[i] {
			extended[i] = true
			ch.Extended++
		}
	}
	ch.Concepts = len(out)
	return out, ch
}

func dedupe(ts []string) []string {
	var out []string
	for _, t := range ts {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// SynonymConcepts applies the knowledge base's runtime synonym groups: a
// group one of whose terms a concept has joins that concept as everyday
// words; any other group becomes a concept of its own, all its terms formal
// (equals among themselves). Terms shorter than 2 characters are skipped.
func SynonymConcepts(cs []Concept, groups [][]string) []Concept {
	for _, g := range groups {
		var terms []string
		for _, t := range g {
			t = strings.ToLower(strings.TrimSpace(t))
			if n := utf8.RuneCountInString(t); n >= 2 && n <= MaxConceptTermRunes && !slices.Contains(terms, t) {
				terms = append(terms, t)
			}
		}
		if len(terms) < 2 {
			continue
		}
		i := slices.IndexFunc(cs, func(c Concept) bool {
			return slices.ContainsFunc(terms, func(t string) bool { return slices.Contains(c.Terms, t) })
		})
		if i < 0 {
			cs = append(cs, Concept{Name: terms[0], Terms: terms, Formal: len(terms)})
			continue
		}
		c := &cs[i]
		c.Terms = slices.Clone(c.Terms) // cs may share its terms with the shipped lexicon
		for _, t := range terms {
			if !slices.Contains(c.Terms, t) {
				c.Terms = append(c.Terms, t)
			}
		}
	}
	return cs
}

// ConceptEdits is a city's stored edit text.
type ConceptEdits struct {
	Text      string    `json:"text"`
	Version   uint64    `json:"version"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// ConceptEdits returns the city's stored edits (empty, version 0, when none
// were ever saved).
func (c *Catalogue) ConceptEdits(ctx context.Context) (ConceptEdits, error) {
	rec, err := c.st.Get(ctx, CollectionSettings, conceptsSetting)
	if errors.Is(err, store.ErrNotFound) {
		return ConceptEdits{}, nil
	}
	if err != nil {
		return ConceptEdits{}, fmt.Errorf("routing: concept edits: %w", err)
	}
	var ce ConceptEdits
	if err := json.Unmarshal(rec.Data, &ce); err != nil {
		return ConceptEdits{}, fmt.Errorf("routing: concept edits: %w", err)
	}
	ce.Version = rec.Version
	return ce, nil
}

// SetConceptEdits checks text against the shipped lexicon and stores it in
// place of the previous edits (expect: the version they replace, 0 to skip
// the check). Any problem — a malformed line, or one that drops or removes
// what the shipped lexicon lacks — saves nothing and is returned as a
// *ConceptEditError listing every line. Empty text returns to the shipped
// lexicon.
func (c *Catalogue) SetConceptEdits(ctx context.Context, text, actor string, expect uint64) (ConceptEdits, ConceptChange, error) {
	if len(text) > MaxConceptEditBytes {
		return ConceptEdits{}, ConceptChange{}, fmt.Errorf("%w: the edits are %d bytes; at most %d", ErrInvalid, len(text), MaxConceptEditBytes)
	}
	edits, problems := ParseConceptEdits(text)
	_, change := ApplyConceptEdits(shippedConcepts, edits)
	problems = append(problems, change.Stale...)
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b ConceptProblem) int { return a.Line - b.Line })
		lines := strings.Split(text, "\n")
		for i, p := range problems {
			if p.Text == "" && p.Line-1 < len(lines) {
				problems[i].Text = clip(strings.TrimSpace(lines[p.Line-1]), 80)
			}
		}
		return ConceptEdits{}, ConceptChange{}, &ConceptEditError{Problems: problems}
	}
	ce := ConceptEdits{Text: text, UpdatedAt: time.Now().UTC(), UpdatedBy: actor}
	var tx store.Tx
	if strings.TrimSpace(text) == "" {
		tx.Deletes = []store.Delete{{Collection: CollectionSettings, ID: conceptsSetting, ExpectVersion: expect}}
		ce.Text = ""
	} else {
		data, err := json.Marshal(ce)
		if err != nil {
			return ConceptEdits{}, ConceptChange{}, fmt.Errorf("routing: encode concept edits: %w", err)
		}
		tx.Puts = []store.Put{{Record: store.Record{Collection: CollectionSettings, ID: conceptsSetting, Data: data},
			ExpectVersion: expect, Force: expect == 0}}
	}
	recs, err := c.st.Commit(ctx, tx)
	switch {
	case errors.Is(err, store.ErrConflict):
		return ConceptEdits{}, ConceptChange{}, fmt.Errorf("the concept edits changed meanwhile (version %d expected): %w", expect, ErrConflict)
	case errors.Is(err, store.ErrNotFound) && len(tx.Deletes) > 0:
		// Nothing stored: already the shipped lexicon.
	case err != nil:
		return ConceptEdits{}, ConceptChange{}, fmt.Errorf("routing: save concept edits: %w", err)
	}
	if len(recs) > 0 {
		ce.Version = recs[0].Version
	}
	if c.onConcepts != nil {
		c.onConcepts(ctx)
	}
	return ce, change, nil
}
