package routing

import (
	"fmt"
	"slices"
	"strings"
)

// Rule is one line of the dispatch catalogue (派单目录), e.g. a line of a
// city's dispatch guide: requests mentioning any of Keywords (optionally
// only in Districts, or only when the matching KB category is one of
// Categories) go to Department, with CoDepartments as co-handlers.
// Priority (0–10) says how strongly the rule overrides what was learned.
//
// A scope rule holds a line of a city's dispatch guide instead: Scope is a
// free-text duty description in the guide's style ("A、B（含 …，C 的协办 Y）；
// X 归 Z"), split into clauses (ScopeItems) that join the learned scorers as
// the department's duty clauses, weighed by Priority; a clause may carry its
// own co-departments, and "X 归 Z" makes X another department's clause. An
// Urgent rule (no department needed) holds phrases in Keywords that make a
// request urgent.
type Rule struct {
	ID            string   `json:"id"`
	Keywords      []string `json:"keywords"`
	Scope         string   `json:"scope,omitempty"`
	Urgent        bool     `json:"urgent,omitempty"`
	Categories    []string `json:"categories,omitempty"`
	Department    string   `json:"department"`
	CoDepartments []string `json:"co_departments,omitempty"`
	Districts     []string `json:"districts,omitempty"`
	Priority      int      `json:"priority"`
	Note          string   `json:"note,omitempty"`
	Disabled      bool     `json:"disabled,omitempty"`
	Version       uint64   `json:"version,omitempty"`
}

// Validate reports every problem of r at once, as field names → reasons.
// known may be nil when departments are not available.
func (r Rule) Validate(known map[string]bool) map[string]string {
	bad := map[string]string{}
	switch {
	case strings.TrimSpace(r.Department) == "" && !r.Urgent:
		bad["department"] = "required"
	case r.Department != "" && known != nil && !known[r.Department]:
		bad["department"] = "unknown department " + r.Department
	}
	switch {
	case r.Urgent && len(r.Keywords) == 0:
		bad["keywords"] = "an urgent rule needs at least one phrase"
	case len(r.Keywords) == 0 && len(r.Categories) == 0 && strings.TrimSpace(r.Scope) == "":
		bad["keywords"] = "at least one keyword, category or scope is required"
	}
	if r.Urgent && strings.TrimSpace(r.Scope) != "" {
		bad["scope"] = "an urgent rule holds phrases in keywords, not a scope"
	} else if strings.TrimSpace(r.Scope) != "" {
		items, codes := parseScope(r.Department, r.Scope)
		var unknown []string
		for _, c := range codes {
			if known != nil && !known[c] && !slices.Contains(unknown, c) {
				unknown = append(unknown, c)
			}
		}
		switch {
		case len([]rune(r.Scope)) > maxScopeRunes:
			bad["scope"] = fmt.Sprintf("longer than %d characters", maxScopeRunes)
		case len(unknown) > 0:
			bad["scope"] = "unknown department " + strings.Join(unknown, ", ")
		case len(items) == 0:
			bad["scope"] = "no duty clause (enumerate duties with 、，；)"
		}
	}
	for i, k := range r.Keywords {
		if strings.TrimSpace(normalize(k)) == "" {
			bad[fmt.Sprintf("keywords[%d]", i)] = "empty"
		} else if len([]rune(k)) > 40 {
			bad[fmt.Sprintf("keywords[%d]", i)] = "longer than 40 characters"
		}
	}
	for i, c := range r.CoDepartments {
		if c == r.Department {
			bad[fmt.Sprintf("co_departments[%d]", i)] = "same as department"
		} else if known != nil && !known[c] {
			bad[fmt.Sprintf("co_departments[%d]", i)] = "unknown department " + c
		}
	}
	if r.Priority < 0 || r.Priority > 10 {
		bad["priority"] = "must be between 0 and 10"
	}
	return bad
}

// maxScopeRunes bounds a scope: a guide line is a paragraph, not a manual.
const maxScopeRunes = 4000

// matches reports whether the keyword/category rule applies to the
// normalised text in the district with the given KB categories. Scope-only
// and urgent rules never match here: scopes are learned from, urgent phrases
// are checked by predictUrgent.
func (r Rule) matches(normText, district string, categories []string) bool {
	if r.Disabled || r.Urgent || r.Department == "" || (len(r.Keywords) == 0 && len(r.Categories) == 0) {
		return false
	}
	if len(r.Districts) > 0 && !slices.Contains(r.Districts, district) {
		return false
	}
	if len(r.Categories) > 0 {
		ok := false
		for _, c := range r.Categories {
			for _, have := range categories {
				if have == c || strings.HasPrefix(have, c+"/") {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	if len(r.Keywords) == 0 {
		return true
	}
	for _, k := range r.Keywords {
		if kn := strings.TrimSpace(normalize(k)); kn != "" && strings.Contains(normText, kn) {
			return true
		}
	}
	return false
}
