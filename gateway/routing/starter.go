package routing

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
)

// A city that adopts hallgate has a few hundred labelled tickets at best,
// and each doubling of its history adds about 0.02 to top-1. The shipped
// starter examples (starter.jsonl) are citizens' requests in everyday words,
// each labelled with the kind of department that commonly handles it (a
// duty template's name: 人力资源和社会保障局, 城市管理局…), written from
// general knowledge of Chinese public administration by writers who read
// one city's list of departments and duties but never its tickets, KB or
// dispatch guide, nor any city's. A city's departments take the examples
// of their kind (resolveTemplates, the duty templates' own matching), and
// the examples join the history as the oldest tickets: the city's own
// tickets outnumber and outweigh them as they accumulate, and past
// MaxLinearExamples the linear models drop them first. They are never
// quoted as similar past tickets, never vote on urgency or co-departments,
// and the urgency model does not learn from them.
//
//go:embed starter.jsonl
var starterText []byte

// starterExample is one line of starter.jsonl.
type starterExample struct {
	Kind    string `json:"kind"`
	Text    string `json:"text"`
	Type    string `json:"type"`
	Channel string `json:"channel"`
}

// parseStarters reads starter lines, refusing an unknown kind or type.
func parseStarters(b []byte) ([]starterExample, error) {
	lines, err := ReadJSONL[starterExample](bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	for i, l := range lines {
		if !slices.ContainsFunc(shippedTemplates, func(t DutyTemplate) bool { return t.Name == l.Kind }) {
			return nil, fmt.Errorf("starter example %d: unknown kind %q", i+1, l.Kind)
		}
		if l.Type != "" && typeIndex(l.Type) < 0 {
			return nil, fmt.Errorf("starter example %d: unknown type %q", i+1, l.Type)
		}
		if l.Text == "" {
			return nil, fmt.Errorf("starter example %d: no text", i+1)
		}
	}
	return lines, nil
}

var shippedStarters = func() []starterExample {
	s, err := parseStarters(starterText)
	if err != nil {
		return nil
	}
	return s
}()

// starterWeight scales a starter example's weight as a training document
// against a history ticket's.
var starterWeight float32 = 1

// starterExamples labels the shipped examples with depts' codes (idx: code
// → index): each kind goes to the one department whose template is that
// kind or absorbs it; a kind no department or several departments have is
// left out. Beside a city's dispatch guide (scope rules) there are none.
func starterExamples(depts []DepartmentInfo, idx map[string]int, rules []Rule) []Example {
	if len(shippedStarters) == 0 || besideGuide(idx, rules) {
		return nil
	}
	owner := map[string]int{}
	for i, u := range resolveTemplates(depts) {
		if u.kind < 0 {
			continue
		}
		for _, k := range append([]int{u.kind}, u.absorbed...) {
			name := shippedTemplates[k].Name
			if _, seen := owner[name]; seen {
				owner[name] = -1 // shared by several departments: ambiguous
				continue
			}
			owner[name] = i
		}
	}
	var out []Example
	for i, s := range shippedStarters {
		d, ok := owner[s.Kind]
		if !ok || d < 0 {
			continue
		}
		out = append(out, Example{ID: fmt.Sprintf("starter-%04d", i+1), Text: s.Text, Type: s.Type, Channel: s.Channel, Department: depts[d].Code, starter: true})
	}
	return out
}

// besideGuide reports whether the catalogue holds a city's dispatch guide
// (scope rules): the starter examples then step back, like the duty
// templates' documents, and the city's own account of who does what
// replaces the common one. (Dropping only the examples some guide clause of
// another department matched, at the evidence threshold, left 569 of 1,000
// and cost the dev splits with the guide 0.028 top-1: exp10_test.go.)
func besideGuide(idx map[string]int, rules []Rule) bool {
	return len(scopeClauses(rules, idx)) > 0
}
