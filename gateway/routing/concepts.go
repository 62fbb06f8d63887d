package routing

import (
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// The concept lexicon is general knowledge of Chinese public administration:
// each line names an administrative category as duty statements word it (特种设备,
// 欠薪) and the everyday words citizens use for its things and troubles (电梯,
// 工钱). A request that says 电梯 and a duty that says 特种设备 then share the
// feature "c:特种设备", which no amount of a city's own text provides when the
// city's history never paired the two. Written from knowledge, not from any
// city's tickets.
//
//go:embed concepts.txt
var conceptText string

// conceptRepeat is how many times a concept feature is emitted for a text
// that mentions it (0 switches the lexicon off).
var conceptRepeat = 6

// Concept is one line of the lexicon: Name is its first formal term.
type Concept struct {
	Name   string
	Terms  []string // formal terms first, then everyday words
	Formal int      // how many of Terms are formal
}

// ParseConcepts reads lines "formal … | everyday …"; # starts a comment.
func ParseConcepts(text string) ([]Concept, error) {
	var out []Concept
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		formal, everyday, ok := strings.Cut(line, "|")
		if !ok {
			return nil, fmt.Errorf("concepts line %d: no '|' between formal and everyday terms", n+1)
		}
		c := Concept{}
		seen := map[string]bool{}
		for i, part := range []string{formal, everyday} {
			if i == 1 {
				c.Formal = len(c.Terms)
			}
			fs := strings.Fields(part)
			if len(fs) == 0 {
				return nil, fmt.Errorf("concepts line %d: empty %s side", n+1, [2]string{"formal", "everyday"}[i])
			}
			for _, f := range fs {
				if utf8.RuneCountInString(f) < 2 {
					return nil, fmt.Errorf("concepts line %d: term %q is shorter than 2 characters", n+1, f)
				}
				if seen[f] {
					continue
				}
				seen[f] = true
				c.Terms = append(c.Terms, strings.ToLower(f))
			}
		}
		c.Name = c.Terms[0]
		out = append(out, c)
	}
	return out, nil
}

// conceptTrie finds every lexicon term inside a text in one pass.
type conceptTrie struct {
	next     map[rune]*conceptTrie
	concepts []int32
	term     string // the term that ends here, if any
}

func (t *conceptTrie) add(term string, c int32) {
	n := t
	for _, r := range term {
		if n.next == nil {
			n.next = map[rune]*conceptTrie{}
		}
		child := n.next[r]
		if child == nil {
			child = &conceptTrie{}
			n.next[r] = child
		}
		n = child
	}
	n.concepts = append(n.concepts, c)
	n.term = term
}

// ConceptIndex matches texts against a concept lexicon.
type ConceptIndex struct {
	concepts []Concept
	features []string // "c:" + each concept's name
	root     conceptTrie
}

// NewConceptIndex indexes cs.
func NewConceptIndex(cs []Concept) *ConceptIndex {
	ix := &ConceptIndex{concepts: cs}
	for i, c := range cs {
		ix.features = append(ix.features, "c:"+c.Name)
		for _, t := range c.Terms {
			ix.root.add(t, int32(i))
		}
	}
	return ix
}

// Match returns the indexes of the concepts that text mentions, each once,
// in the order of their first mention.
func (ix *ConceptIndex) Match(text string) []int {
	var out []int
	ix.scan(text, func(c int, _ string) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	})
	return out
}

// ConceptHit is a concept a text mentions and the term that mentions it
// first.
type ConceptHit struct {
	Concept int
	Term    string
}

// Hits is Match with the terms.
func (ix *ConceptIndex) Hits(text string) []ConceptHit {
	var out []ConceptHit
	ix.scan(text, func(c int, term string) {
		if !slices.ContainsFunc(out, func(h ConceptHit) bool { return h.Concept == c }) {
			out = append(out, ConceptHit{c, term})
		}
	})
	return out
}

// scan calls found for every term occurrence in text, leftmost first, then
// for the terms among the separable verbs text splits (停了七八次电 is 停电).
func (ix *ConceptIndex) scan(text string, found func(concept int, term string)) {
	if strings.IndexFunc(text, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0 {
		text = strings.ToLower(text)
	}
	ix.scanText(text, found)
	for _, w := range rejoinSeparable(text) {
		ix.scanText(w, found)
	}
}

func (ix *ConceptIndex) scanText(text string, found func(concept int, term string)) {
	for i := range text {
		n := &ix.root
		for _, r := range text[i:] {
			if n = n.next[r]; n == nil {
				break
			}
			for _, c := range n.concepts {
				found(int(c), n.term)
			}
		}
	}
}

// Concept is concept i.
func (ix *ConceptIndex) Concept(i int) Concept { return ix.concepts[i] }

// Name is concept i's name.
func (ix *ConceptIndex) Name(i int) string { return ix.concepts[i].Name }

// shippedConcepts is the shipped lexicon, parsed once at start-up (a
// malformed file fails the package's tests, never a running gateway);
// defaultConcepts indexes it for models built without a city's edits.
var (
	shippedConcepts = func() []Concept {
		cs, err := ParseConcepts(conceptText)
		if err != nil {
			return nil
		}
		return cs
	}()
	defaultConcepts = NewConceptIndex(shippedConcepts)
)

// Len is how many concepts ix holds.
func (ix *ConceptIndex) Len() int { return len(ix.concepts) }

// terms are the concept features of text, each repeated conceptRepeat times.
func (ix *ConceptIndex) terms(text string) []string {
	if conceptRepeat <= 0 || ix == nil {
		return nil
	}
	var out []string
	for _, c := range ix.Match(text) {
		for range conceptRepeat {
			out = append(out, ix.features[c])
		}
	}
	return out
}

// withConcepts appends ix's concept features to tok's tokens.
func withConcepts(tok Tokenizer, ix *ConceptIndex) Tokenizer {
	if conceptRepeat <= 0 || ix == nil || ix.Len() == 0 {
		return tok
	}
	return func(text string) []string { return append(tok(text), ix.terms(text)...) }
}

// baseTokens are tok's tokens of text without the concept features: for the
// type model and for matching a request to a KB question, where what is
// asked matters, not the category it belongs to.
func baseTokens(tok Tokenizer, text string) []string {
	toks := tok(text)
	if conceptRepeat <= 0 {
		return toks
	}
	return slices.DeleteFunc(toks, func(t string) bool { return strings.HasPrefix(t, "c:") })
}

// conceptIDSet hashes every concept feature of ix.
func conceptIDSet(ix *ConceptIndex) map[uint32]bool {
	out := make(map[uint32]bool, len(ix.features))
	for _, f := range ix.features {
		out[hashToken(f)] = true
	}
	return out
}

// simWithout is the cosine of a and b (sorted by id) over the ids not in
// skip; with skip empty it is their dot product renormalised.
func simWithout(a, b sparse, skip map[uint32]bool) float32 {
	var dotp, na, nb float64
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].id < b[j].id):
			if !skip[a[i].id] {
				na += float64(a[i].w) * float64(a[i].w)
			}
			i++
		case i == len(a) || b[j].id < a[i].id:
			if !skip[b[j].id] {
				nb += float64(b[j].w) * float64(b[j].w)
			}
			j++
		default:
			if !skip[a[i].id] {
				dotp += float64(a[i].w) * float64(b[j].w)
				na += float64(a[i].w) * float64(a[i].w)
				nb += float64(b[j].w) * float64(b[j].w)
			}
			i++
			j++
		}
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return float32(dotp / math.Sqrt(na*nb))
}
