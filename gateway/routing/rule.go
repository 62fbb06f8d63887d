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
type Rule struct {
	ID            string   `json:"id"`
	Keywords      []string `json:"keywords"`
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
	if strings.TrimSpace(r.Department) == "" {
		bad["department"] = "required"
	} else if known != nil && !known[r.Department] {
		bad["department"] = "unknown department " + r.Department
	}
	if len(r.Keywords) == 0 && len(r.Categories) == 0 {
		bad["keywords"] = "at least one keyword or category is required"
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

// matches reports whether the rule applies to the normalised text in the
// district with the given KB categories.
func (r Rule) matches(normText, district string, categories []string) bool {
	if r.Disabled {
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
