package routing

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// A city's dispatch guide (派单指引) is markdown whose department lines read
//
//	- `code`（name）：scope
//
// where scope is a 三定-style enumeration of duties (、，；。), with
// parentheses that elaborate an item (（含 …）) or name a co-department for
// it or for a case of it (（协办 Y）, （…的协办 Y）), and exceptions that
// hand a matter to another department (X 归 Z; X 归 Z 主办、W 协办; X 由 Z
// 主办; X 不归 D，归 Z). ParseGuide turns each such line into one scope Rule;
// the grammar below is the general shape of such text, nothing of any one
// city's guide.

// ScopeItem is one duty clause of a scope rule: requests about Text belong to
// Department (the rule's own, or another one for an exception inside the
// line), with CoDepartments as co-handlers when this clause is what matched.
type ScopeItem struct {
	Text          string   `json:"text"`
	Department    string   `json:"department"`
	CoDepartments []string `json:"co_departments,omitempty"`
}

// GuideError lists every problem of a guide, by line; it wraps ErrInvalid.
type GuideError struct {
	Problems []string
}

func (e *GuideError) Error() string {
	return "routing: dispatch guide: " + strings.Join(e.Problems, "; ")
}

func (e *GuideError) Unwrap() error { return ErrInvalid }

// guidePriority is the priority of the rules ParseGuide makes: the middle of
// the scale, so an administrator can raise or lower a line.
const guidePriority = 5

var (
	guideLine = regexp.MustCompile("^\\s*[-*+]\\s+`([^`]+)`\\s*(?:[（(]([^）)]*)[）)])?\\s*[：:]\\s*(.*)$")
	listItem  = regexp.MustCompile(`^\s*[-*+]\s+(.*)$`)
	// A department code as a guide writes it: latin letters, digits, - and _.
	codeRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*`)
	// byName is a segment that only names the lead by its name, not code.
	byName = regexp.MustCompile(`^[均都也]?[由归][^，、]{1,12}主办$`)
)

// ParseGuide reads a dispatch guide: every list item that starts with a
// back-ticked department code becomes a scope Rule (ID "guide-<code>",
// priority 5, Note the name in brackets), and a general list item about
// urgency ("urgent" or 紧急 before its first colon) becomes an Urgent rule
// whose Keywords are the phrases it enumerates. known (nil: no check) lists
// the department codes; unknown codes, in a line's head or its scope, are
// reported with their line numbers, all at once, as a *GuideError.
func ParseGuide(r io.Reader, known map[string]bool) ([]Rule, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var rules []Rule
	var problems []string
	seen := map[string]int{}
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if m := guideLine.FindStringSubmatch(line); m != nil {
			code, name, scope := strings.TrimSpace(m[1]), strings.TrimSpace(m[2]), strings.TrimSpace(m[3])
			if known != nil && !known[code] {
				problems = append(problems, fmt.Sprintf("line %d: unknown department %s", n, code))
				continue
			}
			if prev, ok := seen[code]; ok {
				problems = append(problems, fmt.Sprintf("line %d: department %s already has line %d", n, code, prev))
				continue
			}
			seen[code] = n
			items, unknown := parseScope(code, scope)
			for _, u := range unknown {
				if known != nil && !known[u] {
					problems = append(problems, fmt.Sprintf("line %d: unknown department %s in the scope of %s", n, u, code))
				}
			}
			if len(items) == 0 {
				problems = append(problems, fmt.Sprintf("line %d: department %s has no duty clause", n, code))
				continue
			}
			rules = append(rules, Rule{ID: "guide-" + code, Department: code, Scope: scope, Priority: guidePriority, Note: name})
			continue
		}
		if strings.HasPrefix(line, "- `") || strings.HasPrefix(line, "* `") {
			problems = append(problems, fmt.Sprintf("line %d: a department line needs `code`（name）：scope", n))
			continue
		}
		if m := listItem.FindStringSubmatch(line); m != nil {
			if phrases := urgentPhrases(m[1]); len(phrases) > 0 {
				rules = append(rules, Rule{ID: fmt.Sprintf("guide-urgent-%d", n), Urgent: true, Keywords: phrases, Priority: guidePriority, Note: "派单指引紧急情形"})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("routing: read guide: %w", err)
	}
	if len(problems) > 0 {
		return rules, &GuideError{Problems: problems}
	}
	return rules, nil
}

// urgentPhrases returns the enumerated phrases of a general item about
// urgency: the text after its first colon up to the end of that sentence,
// split on enumerators and 或.
func urgentPhrases(item string) []string {
	i := strings.IndexAny(item, "：:")
	if i < 0 {
		return nil
	}
	head := strings.ToLower(item[:i])
	if !strings.Contains(head, "urgent") && !strings.Contains(head, "紧急") {
		return nil
	}
	body := item[i:]
	body = strings.TrimLeft(body, "：:")
	if j := strings.IndexAny(body, "。；;"); j >= 0 {
		body = body[:j]
	}
	var out []string
	for _, p := range splitTop(body, "、，,") {
		p = strings.TrimSuffix(strings.TrimSpace(p), "等")
		for _, q := range strings.Split(p, "或") {
			if q = strings.TrimSpace(q); len([]rune(q)) >= 2 && len([]rune(q)) <= 40 && !slices.Contains(out, q) {
				out = append(out, q)
			}
		}
	}
	return out
}

// splitTop splits s at any rune of seps that is outside brackets and quotes.
func splitTop(s, seps string) []string {
	var out []string
	depth := 0
	start := 0
	for i, r := range s {
		switch r {
		case '（', '(', '“', '「', '《', '‘', '[', '【':
			depth++
		case '）', ')', '”', '」', '》', '’', ']', '】':
			if depth > 0 {
				depth--
			}
		default:
			if depth == 0 && strings.ContainsRune(seps, r) {
				out = append(out, s[start:i])
				start = i + len(string(r))
			}
		}
	}
	return append(out, s[start:])
}

// takeCode reads a department code at the start of s (after spaces).
func takeCode(s string) (code, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	c := codeRe.FindString(s)
	return c, s[len(c):]
}

// directive is what a segment says about where its matter goes.
type directive struct {
	text   string   // the matter (before 归/由/协办)
	to     string   // 归 Z / 由 Z 主办: Z
	co     []string // … 协办 W
	notTo  string   // 不归 D
	coOnly bool     // "X 协办 W" without a lead: X stays with the line's department
}

// parseDirective recognises 归 Z (主办)、W 协办, 由 Z 主办, 不归 D and X 协办 W in
// one segment; ok is false for a plain enumeration.
func parseDirective(seg string) (d directive, codes []string, ok bool) {
	if i := strings.Index(seg, "不归"); i >= 0 {
		if c, _ := takeCode(seg[i+len("不归"):]); c != "" {
			d.text, d.notTo = seg[:i], c
			return d, []string{c}, true
		}
	}
	for _, kw := range []string{"归", "由"} {
		i := strings.LastIndex(seg, kw)
		if i < 0 {
			continue
		}
		c, rest := takeCode(seg[i+len(kw):])
		if c == "" {
			continue
		}
		rest = strings.TrimSpace(rest)
		if kw == "由" && !strings.HasPrefix(rest, "主办") {
			continue
		}
		d.text, d.to = seg[:i], c
		codes = append(codes, c)
		rest = strings.TrimPrefix(rest, "主办")
		for _, p := range splitTop(rest, "、，,和及") {
			if cc, r := takeCode(p); cc != "" && strings.HasPrefix(strings.TrimSpace(r), "协办") {
				d.co = append(d.co, cc)
				codes = append(codes, cc)
			}
		}
		return d, codes, true
	}
	if i := strings.LastIndex(seg, "协办"); i >= 0 {
		if c, _ := takeCode(seg[i+len("协办"):]); c != "" {
			d.text, d.co, d.coOnly = seg[:i], []string{c}, true
			return d, []string{c}, true
		}
	}
	return d, nil, false
}

// cleanMatter trims the connective words around a matter ("…的", "也", "均").
func cleanMatter(s string) string {
	s = strings.TrimSpace(s)
	for _, suf := range []string{"的", "也", "均", "都", "，", "、"} {
		s = strings.TrimSpace(strings.TrimSuffix(s, suf))
	}
	s = strings.TrimSuffix(s, "的")
	for _, pre := range []string{"涉及", "其中", "以及", "另外", "但"} {
		s = strings.TrimPrefix(s, pre)
	}
	return strings.TrimSpace(s)
}

// ScopeItems parses the rule's Scope into its duty clauses (nil without a
// scope).
func (r Rule) ScopeItems() []ScopeItem {
	if strings.TrimSpace(r.Scope) == "" {
		return nil
	}
	items, _ := parseScope(r.Department, r.Scope)
	return items
}

// parseScope cuts a scope into items for dept and returns the department
// codes it names (for validation).
func parseScope(dept, scope string) ([]ScopeItem, []string) {
	var items []ScopeItem
	var codes []string
	add := func(it ScopeItem) {
		it.Text = strings.TrimSpace(it.Text)
		if len([]rune(it.Text)) < 2 || it.Department == "" {
			return
		}
		it.CoDepartments = slices.DeleteFunc(it.CoDepartments, func(c string) bool { return c == it.Department })
		items = append(items, it)
	}
	for _, sentence := range splitTop(scope, "；;。\n") {
		// pending holds the plain items of this sentence not yet assigned:
		// a following "不归 D，归 Z" may hand them to Z.
		var pending []ScopeItem
		flush := func() {
			for _, it := range pending {
				add(it)
			}
			pending = nil
		}
		var prevHead string
		for _, seg := range splitTop(sentence, "，,") {
			seg = strings.TrimSpace(seg)
			if seg == "" {
				continue
			}
			head, paren := splitParen(seg)
			if d, cs, ok := parseDirective(head); ok {
				codes = append(codes, cs...)
				matter := cleanMatter(d.text)
				switch {
				case d.notTo != "":
					// "X 不归 D": X waits for the "归 Z" that follows.
					flush()
					for _, m := range splitTop(matter, "、") {
						pending = append(pending, ScopeItem{Text: cleanMatter(m)})
					}
					continue
				case d.to != "" && matter == "" && len(pending) > 0 && pending[0].Department == "":
					for _, it := range pending {
						it.Department, it.CoDepartments = d.to, d.co
						add(it)
					}
					pending = nil
					continue
				case d.coOnly:
					// "X 的协办 W": a case of the sentence's matter.
					flush()
					add(ScopeItem{Text: strings.TrimSpace(prevHead + " " + matter), Department: dept, CoDepartments: d.co})
					continue
				}
				flush()
				to := d.to
				if to == "" {
					to = dept
				}
				its, cs := parenItems(matter, paren, to)
				codes = append(codes, cs...)
				for _, it := range its {
					it.CoDepartments = append(it.CoDepartments, d.co...)
					add(it)
				}
				prevHead = matter
				continue
			}
			if byName.MatchString(head) {
				// "均由<name>主办": the line's own department, by name.
				continue
			}
			flush()
			for _, part := range splitTop(seg, "、") {
				h, p := splitParen(strings.TrimSpace(part))
				h = cleanMatter(h)
				its, cs := parenItems(h, p, dept)
				codes = append(codes, cs...)
				pending = append(pending, its...)
				prevHead = h
			}
		}
		// Matters still without a department were only said not to be
		// dept's: they are nobody's scope here.
		pending = slices.DeleteFunc(pending, func(it ScopeItem) bool { return it.Department == "" })
		flush()
	}
	return items, codes
}

// splitParen separates an item's head from the content of its (last
// top-level) parenthesis: "校车（超员的协办 Y）" → "校车", "超员的协办 Y".
func splitParen(s string) (head, paren string) {
	open := -1
	depth := 0
	var b strings.Builder
	var p strings.Builder
	for i, r := range s {
		switch {
		case (r == '（' || r == '(') && depth == 0:
			open = i
			depth = 1
			// Keep the words on either side apart: "归 A(x)00" must not
			// glue into the code "A00".
			b.WriteByte(' ')
			if p.Len() > 0 {
				p.WriteString("，")
			}
			continue
		case r == '（' || r == '(':
			depth++
		case (r == '）' || r == ')') && depth == 1:
			depth = 0
			continue
		case r == '）' || r == ')':
			depth--
		}
		if depth > 0 {
			p.WriteRune(r)
		} else {
			b.WriteRune(r)
		}
	}
	_ = open
	return strings.TrimSpace(b.String()), strings.TrimSpace(p.String())
}

// parenItems makes the items of one head and its parenthesis: elaborations
// (含 …, plain lists) join the head's text; "case 的协办 Y" is a separate
// item (head + case) with co-department Y; "协办 Y" alone gives the head Y.
func parenItems(head, paren, dept string) ([]ScopeItem, []string) {
	main := ScopeItem{Text: head, Department: dept}
	var extra []ScopeItem
	var codes []string
	if paren != "" {
		for _, piece := range splitTop(paren, "，,；;") {
			piece = strings.TrimSpace(piece)
			if d, cs, ok := parseDirective(piece); ok {
				codes = append(codes, cs...)
				matter := cleanMatter(d.text)
				if d.to != "" && d.to != dept {
					extra = append(extra, ScopeItem{Text: strings.TrimSpace(head + " " + matter), Department: d.to, CoDepartments: d.co})
					continue
				}
				if matter == "" {
					main.CoDepartments = append(main.CoDepartments, d.co...)
					continue
				}
				extra = append(extra, ScopeItem{Text: strings.TrimSpace(head + " " + matter), Department: dept, CoDepartments: d.co})
				continue
			}
			if strings.HasPrefix(piece, "协办") {
				// a co-handler named by role, not code: nothing to route
				continue
			}
			piece = strings.TrimPrefix(piece, "含")
			main.Text += " " + strings.Join(splitTop(piece, "、"), " ")
		}
	}
	if strings.TrimSpace(head) == "" {
		return extra, codes
	}
	return append([]ScopeItem{main}, extra...), codes
}
