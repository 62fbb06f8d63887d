package analysis

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// Version changes whenever IndexTerms would produce different terms for
// the same text; persisted indexes built with another version re-analyse
// their documents.
const Version = "3"

// ErrBadOptions is returned by New for invalid options.
var ErrBadOptions = errors.New("analysis: bad options")

//go:embed words.txt
var defaultWords string

//go:embed synonyms.txt
var defaultSynonyms string

//go:embed function_words.txt
var defaultFunctionWords string

// Field names understood by IndexTerms. Short fields (everything but the
// body) also get pinyin and initials terms.
const (
	FieldTitle      = "title"
	FieldAlternates = "alternates"
	FieldKeywords   = "keywords"
	FieldCategory   = "category"
	FieldBody       = "body"
)

// TermType says where a term came from; scorers weight them differently.
type TermType uint8

// Term types. Pinyin term texts start with PinyinPrefix and initials with
// InitialsPrefix, so they never collide with text tokens (Normalize turns
// both prefixes into spaces).
const (
	TermNgram    TermType = iota + 1 // a Han unigram or bigram
	TermWord                         // a dictionary word (≥ 3 runes) or a Latin/digit token
	TermPinyin                       // toneless pinyin of a bigram or a word: "~shebao"
	TermInitials                     // pinyin initials of a trigram or word: "^sbk"
	TermSynonym                      // a term of a synonym of something in the query
	TermVariant                      // a query bigram's pinyin, matching homophone typos
)

func (t TermType) String() string {
	switch t {
	case TermNgram:
		return "ngram"
	case TermWord:
		return "word"
	case TermPinyin:
		return "pinyin"
	case TermInitials:
		return "initials"
	case TermSynonym:
		return "synonym"
	case TermVariant:
		return "variant"
	}
	return fmt.Sprintf("TermType(%d)", uint8(t))
}

// Prefixes of pinyin and initials term texts.
const (
	PinyinPrefix   = "~"
	InitialsPrefix = "^"
)

// Term is one search term. IndexTerms returns one Term per occurrence (the
// index counts frequencies); QueryTerms returns each text once with its
// highest weight.
type Term struct {
	Text   string
	Type   TermType
	Weight float32
	// Of is, for query variants and synonyms, the query text the term was
	// derived from (the bigram 社保 of ~shebao; the word 社保卡 of 社会保障卡).
	Of string
}

// Options configure an Analyzer. The zero value is the default: the shipped
// dictionary and synonym set.
type Options struct {
	// ExtraWords are added to the segmentation dictionary.
	ExtraWords []string
	// NoDefaultSynonyms drops the shipped synonym set (tests, experiments).
	NoDefaultSynonyms bool
	// Synonyms are initial runtime groups (same as calling SetSynonyms).
	Synonyms [][]string
}

// Validate reports every problem at once.
func (o Options) Validate() error {
	var errs []error
	for i, w := range o.ExtraWords {
		if strings.TrimSpace(w) == "" {
			errs = append(errs, fmt.Errorf("ExtraWords[%d] is empty", i))
		}
	}
	for i, g := range o.Synonyms {
		if len(g) < 2 {
			errs = append(errs, fmt.Errorf("Synonyms[%d] has fewer than 2 terms", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	return nil
}

// synonymSet is an immutable snapshot of all synonym groups, swapped
// atomically by SetSynonyms so readers never lock.
type synonymSet struct {
	groups  [][]string       // normalized terms
	byTerm  map[string][]int // term → group indexes
	maxRune int
}

// Analyzer is safe for concurrent use. SetSynonyms may run concurrently with
// analysis.
type Analyzer struct {
	dict     map[string]struct{}
	maxWord  int                 // longest dictionary word in runes
	prefix2  map[string]struct{} // first two runes of words of ≥ 3 runes
	funcs    map[string]struct{}
	maxFunc  int
	defaults [][]string
	syn      atomic.Pointer[synonymSet]
}

// New builds an Analyzer. It costs about a millisecond plus the one-off
// pinyin table (shared by all analyzers).
func New(opts Options) (*Analyzer, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	a := &Analyzer{dict: make(map[string]struct{}, 2048), funcs: make(map[string]struct{}, 256),
		prefix2: make(map[string]struct{}, 1024)}
	for _, w := range strings.Fields(stripComments(defaultFunctionWords)) {
		w = Normalize(w)
		a.funcs[w] = struct{}{}
		if n := len([]rune(w)); n > a.maxFunc {
			a.maxFunc = n
		}
	}
	for _, w := range strings.Fields(stripComments(defaultWords)) {
		a.addWord(w)
	}
	for _, w := range opts.ExtraWords {
		a.addWord(w)
	}
	if !opts.NoDefaultSynonyms {
		a.defaults = ParseSynonyms(defaultSynonyms)
		for _, g := range a.defaults {
			for _, w := range g {
				a.addWord(w)
			}
		}
	}
	a.SetSynonyms(opts.Synonyms)
	return a, nil
}

var (
	sharedOnce sync.Once
	shared     *Analyzer
)

// Shared returns the process-wide default Analyzer, built once. Runtime
// synonyms set on it are seen by every user of Shared.
func Shared() *Analyzer {
	sharedOnce.Do(func() {
		a, err := New(Options{})
		if err != nil {
			panic(fmt.Sprintf("analysis: default options invalid: %v", err)) // a bug in the shipped data
		}
		shared = a
	})
	return shared
}

func (a *Analyzer) addWord(w string) {
	w = Normalize(w)
	if w == "" || strings.ContainsRune(w, ' ') {
		return
	}
	a.dict[w] = struct{}{}
	rs := []rune(w)
	if len(rs) > a.maxWord {
		a.maxWord = len(rs)
	}
	if len(rs) >= 3 {
		a.prefix2[string(rs[:2])] = struct{}{}
	}
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// ParseSynonyms reads groups in the shipped text format: one group per line,
// terms separated by spaces, # starts a comment.
func ParseSynonyms(text string) [][]string {
	var out [][]string
	for _, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if f := strings.Fields(line); len(f) >= 2 {
			out = append(out, f)
		}
	}
	return out
}

// DefaultSynonyms returns a copy of the shipped synonym groups.
func DefaultSynonyms() [][]string { return ParseSynonyms(defaultSynonyms) }

// SetSynonyms replaces the runtime synonym groups; the shipped defaults stay.
// Terms are normalized; groups with fewer than two distinct terms are
// ignored.
func (a *Analyzer) SetSynonyms(groups [][]string) {
	s := &synonymSet{byTerm: make(map[string][]int)}
	add := func(g []string) {
		seen := make(map[string]bool, len(g))
		var terms []string
		for _, t := range g {
			t = Normalize(t)
			if t == "" || seen[t] {
				continue
			}
			seen[t] = true
			terms = append(terms, t)
		}
		if len(terms) < 2 {
			return
		}
		id := len(s.groups)
		s.groups = append(s.groups, terms)
		for _, t := range terms {
			s.byTerm[t] = append(s.byTerm[t], id)
			if n := len([]rune(t)); n > s.maxRune {
				s.maxRune = n
			}
		}
	}
	for _, g := range a.defaults {
		add(g)
	}
	for _, g := range groups {
		add(g)
	}
	a.syn.Store(s)
}

// Synonyms returns the synonyms of a term (normalized), excluding itself.
func (a *Analyzer) Synonyms(term string) []string {
	s := a.syn.Load()
	t := Normalize(term)
	var out []string
	for _, gi := range s.byTerm[t] {
		for _, m := range s.groups[gi] {
			if m != t {
				out = append(out, m)
			}
		}
	}
	return out
}
