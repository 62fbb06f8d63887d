package routing

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// SynonymSource returns the knowledge base's runtime synonym groups and a
// version that changes whenever they do.
type SynonymSource func(ctx context.Context) (groups [][]string, version uint64, err error)

// lexiconKey names the inputs of a concept index: the city's edits and the
// knowledge base's synonyms, by version.
type lexiconKey struct{ edits, synonyms uint64 }

// lexiconCache keeps the index of the last inputs, so a rebuild that finds
// them unchanged does not index ten thousand terms again.
type lexiconCache struct {
	mu     sync.Mutex
	key    lexiconKey
	ix     *ConceptIndex
	change ConceptChange
	seen   lexiconKey // the inputs the last sync scheduled a rebuild for
	synN   int
}

// lexiconInputs reads the city's concept edits and the knowledge base's
// synonyms, and the key that names them.
func (s *Suggester) lexiconInputs(ctx context.Context) (ConceptEdits, [][]string, lexiconKey, error) {
	ce, err := s.catalogue.ConceptEdits(ctx)
	if err != nil {
		return ConceptEdits{}, nil, lexiconKey{}, err
	}
	var groups [][]string
	key := lexiconKey{edits: ce.Version}
	if s.opts.Synonyms != nil {
		if groups, key.synonyms, err = s.opts.Synonyms(ctx); err != nil {
			return ConceptEdits{}, nil, lexiconKey{}, fmt.Errorf("routing: synonyms: %w", err)
		}
	}
	return ce, groups, key, nil
}

// lexicon builds (or reuses) the concept index of the shipped lexicon, the
// city's stored edits and the knowledge base's synonyms.
func (s *Suggester) lexicon(ctx context.Context) (*ConceptIndex, lexiconKey, error) {
	ce, groups, key, err := s.lexiconInputs(ctx)
	if err != nil {
		return nil, lexiconKey{}, err
	}
	c := &s.lex
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ix != nil && c.key == key {
		return c.ix, key, nil
	}
	if key == (lexiconKey{}) {
		c.key, c.ix, c.change, c.synN = key, defaultConcepts, ConceptChange{Concepts: defaultConcepts.Len()}, 0
		return c.ix, key, nil
	}
	edits, _ := ParseConceptEdits(ce.Text) // checked when saved
	cs, change := ApplyConceptEdits(shippedConcepts, edits)
	cs = SynonymConcepts(cs, groups)
	change.Concepts = len(cs)
	c.key, c.ix, c.change, c.synN = key, NewConceptIndex(cs), change, len(groups)
	return c.ix, key, nil
}

// SyncConcepts schedules a rebuild when the city's concept edits or the
// knowledge base's synonyms changed since the model was built, here or on
// another replica sharing the store. It reports whether they had.
func (s *Suggester) SyncConcepts(ctx context.Context) (bool, error) {
	_, _, key, err := s.lexiconInputs(ctx)
	if err != nil {
		return false, err
	}
	s.lex.mu.Lock()
	changed := key != s.lex.seen
	s.lex.seen = key
	s.lex.mu.Unlock()
	if changed {
		s.scheduleRetrain(false)
	}
	return changed, nil
}

// conceptsChanged is the catalogue's hook after the city's edits were saved.
func (s *Suggester) conceptsChanged(ctx context.Context) {
	if _, err := s.SyncConcepts(ctx); err != nil {
		s.scheduleRetrain(false)
	}
}

// ConceptMatch is one concept a text mentions.
type ConceptMatch struct {
	Concept  string   `json:"concept"`
	Term     string   `json:"term"`   // the text's word that mentions it
	Formal   []string `json:"formal"` // the concept's formal terms, as duties word them
	Everyday int      `json:"everyday_terms"`
}

// LexiconView is what the API shows of the concept lexicon in use.
type LexiconView struct {
	Edits          ConceptEdits   `json:"edits"`
	Change         ConceptChange  `json:"change"`
	SynonymGroups  int            `json:"synonym_groups"`
	Shipped        int            `json:"shipped_concepts"`
	Concepts       int            `json:"concepts"`
	Terms          int            `json:"terms"`
	InModel        bool           `json:"in_model"` // the current model uses these edits and synonyms
	Matches        []ConceptMatch `json:"matches,omitempty"`
	ConceptsOfTerm []ConceptMatch `json:"concepts_of_term,omitempty"`
}

// Lexicon describes the concept lexicon: the city's edits and what they
// changed, and, for a text, the concepts it mentions; for a term, the
// concepts that hold it.
func (s *Suggester) Lexicon(ctx context.Context, text, term string) (LexiconView, error) {
	ix, key, err := s.lexicon(ctx)
	if err != nil {
		return LexiconView{}, err
	}
	ce, err := s.catalogue.ConceptEdits(ctx)
	if err != nil {
		return LexiconView{}, err
	}
	s.lex.mu.Lock()
	v := LexiconView{Edits: ce, Change: s.lex.change, SynonymGroups: s.lex.synN, Shipped: len(shippedConcepts), Concepts: ix.Len()}
	s.lex.mu.Unlock()
	for _, c := range ix.concepts {
		v.Terms += len(c.Terms)
	}
	m := s.model.Load()
	v.InModel = m != nil && m.concepts == ix && key.edits == ce.Version
	match := func(i int, t string) ConceptMatch {
		c := ix.Concept(i)
		return ConceptMatch{Concept: c.Name, Term: t, Formal: c.Terms[:c.Formal], Everyday: len(c.Terms) - c.Formal}
	}
	if text != "" {
		for _, h := range ix.Hits(text) {
			v.Matches = append(v.Matches, match(h.Concept, h.Term))
		}
	}
	if term = strings.ToLower(strings.TrimSpace(term)); term != "" {
		for i, c := range ix.concepts {
			for _, t := range c.Terms {
				if t == term {
					v.ConceptsOfTerm = append(v.ConceptsOfTerm, match(i, t))
					break
				}
			}
		}
	}
	return v, nil
}

// WriteLexicon writes the lexicon in use in the shipped file's format.
func (s *Suggester) WriteLexicon(ctx context.Context, b *strings.Builder) error {
	ix, _, err := s.lexicon(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "# 概念词表：%d 个概念（正式用语 | 群众说法）\n", ix.Len())
	for _, c := range ix.concepts {
		b.WriteString(strings.Join(c.Terms[:c.Formal], " "))
		b.WriteString(" | ")
		b.WriteString(strings.Join(c.Terms[c.Formal:], " "))
		b.WriteByte('\n')
	}
	return nil
}
