package routing

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// A city gives each department a one-line duty statement; a municipal 三定
// plan lists far more. The shipped duty templates (duties.txt) describe, from
// general knowledge of Chinese public administration, what a department of
// each common kind (市场监督管理局, 城市管理局, 供电公司…) is responsible for,
// with the everyday things citizens call about. A department whose name
// matches a template gets its clauses as one more scorer (compStd, weighed
// by the stacker like the others) and as training documents below its own
// duties' weight. A city's own duties, history and guide decide where its
// practice differs from the common one.
//
//go:embed duties.txt
var templateText string

// DutyTemplate is one kind of department.
type DutyTemplate struct {
	Name  string
	Match []string // substrings of a department's name that identify the kind
	Text  string
	// Absorbs names kinds that belong to this one's line of administration
	// (消防救援 is part of 应急管理): a city with no department of such a
	// kind gets its duties here.
	Absorbs []string
}

// ParseDutyTemplates reads blocks "[name]", "match: a b", then duty lines; #
// starts a comment. A block repeating an earlier name continues that one.
func ParseDutyTemplates(text string) ([]DutyTemplate, error) {
	var out []DutyTemplate
	cur := -1
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			// A block whose name came before continues it.
			name := strings.TrimSpace(line[1 : len(line)-1])
			if cur = slices.IndexFunc(out, func(t DutyTemplate) bool { return t.Name == name }); cur < 0 {
				out, cur = append(out, DutyTemplate{Name: name}), len(out)
			}
		case cur < 0:
			return nil, fmt.Errorf("duty templates line %d: text before the first [name]", n+1)
		case strings.HasPrefix(line, "absorbs:"):
			out[cur].Absorbs = append(out[cur].Absorbs, strings.Fields(strings.TrimPrefix(line, "absorbs:"))...)
		case strings.HasPrefix(line, "match:"):
			for _, m := range strings.Fields(strings.TrimPrefix(line, "match:")) {
				if !slices.Contains(out[cur].Match, m) {
					out[cur].Match = append(out[cur].Match, m)
				}
			}
		default:
			out[cur].Text += line
		}
	}
	for _, t := range out {
		if len(t.Match) == 0 || utf8.RuneCountInString(t.Text) < 100 {
			return nil, fmt.Errorf("duty template %s: needs a match: line and its duties", t.Name)
		}
	}
	return out, nil
}

var shippedTemplates = func() []DutyTemplate {
	ts, err := ParseDutyTemplates(templateText)
	if err != nil {
		return nil
	}
	return ts
}()

// templateFor returns the template whose longest match substring occurs in
// name (-1: none).
func templateFor(name string, ts []DutyTemplate) int {
	best, bestLen := -1, 0
	for i, t := range ts {
		for _, m := range t.Match {
			if n := utf8.RuneCountInString(m); n > bestLen && strings.Contains(name, m) {
				best, bestLen = i, n
			}
		}
	}
	return best
}

// Knobs of the duty templates (chosen on inner folds, exp8_test.go).
var (
	// useTemplates switches the templates on.
	useTemplates = true
	// blendStd weighs the template-clause scorer in the fixed blend and
	// starts the stacker's weight for it; stdPower sharpens it.
	blendStd = 0.8
	stdPower = 2.0
	// templateDocWeight is the weight, relative to DutyWeight, of each
	// template clause as a training document (0: none).
	templateDocWeight float32 = 0.5
	// templateWhole makes each department's template one training document
	// instead of one per clause.
	templateWhole = false
	// templateGuideScale scales the template documents' weight when the
	// catalogue holds a city's dispatch guide (scope rules): the city's own
	// account of who does what replaces the common one in the documents,
	// and the template scorer stays for the stacker to weigh.
	templateGuideScale float32 = 0
)

// templateUse is the template one department gets: the index of its kind
// (-1: none) and of the kinds it absorbs because the city has no
// department of them.
type templateUse struct {
	kind     int
	absorbed []int
}

// resolveTemplates decides every department's template, the one place the
// matching and absorbing rules apply (the model and the API both read it).
func resolveTemplates(depts []DepartmentInfo) []templateUse {
	out := make([]templateUse, len(depts))
	kinds := map[string]bool{}
	for i, d := range depts {
		out[i].kind = -1
		if useTemplates {
			if out[i].kind = templateFor(d.Name, shippedTemplates); out[i].kind >= 0 {
				kinds[shippedTemplates[out[i].kind].Name] = true
			}
		}
	}
	if !templateAbsorb {
		return out
	}
	for i := range out {
		if out[i].kind < 0 {
			continue
		}
		for _, a := range shippedTemplates[out[i].kind].Absorbs {
			if j := slices.IndexFunc(shippedTemplates, func(x DutyTemplate) bool { return x.Name == a }); j >= 0 && !kinds[a] {
				out[i].absorbed = append(out[i].absorbed, j)
			}
		}
	}
	return out
}

// templateClauses are the clauses of the templates of depts, by department
// index: the duty sentences cut like 三定 text, and each parenthesised
// everyday item its own clause.
func templateClauses(depts []DepartmentInfo) [][]string {
	if !useTemplates || len(shippedTemplates) == 0 {
		return nil
	}
	paren := strings.NewReplacer("（", "；", "）", "；", "(", "；", ")", "；")
	out := make([][]string, len(depts))
	for i, u := range resolveTemplates(depts) {
		if u.kind < 0 {
			continue
		}
		text := shippedTemplates[u.kind].Text
		for _, j := range u.absorbed {
			text += shippedTemplates[j].Text
		}
		out[i] = dutyClauses(paren.Replace(text))
	}
	return out
}

// templateAbsorb lets a template take in the kinds it absorbs when the city
// has no department of them.
var templateAbsorb = true

// stdEvidenceMin is the least BM25 of the lead's best template clause for
// quoting it (a clause sharing one common word is no reason).
const stdEvidenceMin = 2.0

// templateEvidence quotes the lead's best-matching template clause, saying
// it is what such a department commonly handles (not the city's own duty).
func (m *model) templateEvidence(tf map[uint32]float32, lead int) string {
	if m.std == nil || tf == nil {
		return ""
	}
	raw, best := m.std.score(tf, len(m.depts))
	if best[lead] < 0 || raw[lead] < stdEvidenceMin {
		return ""
	}
	return fmt.Sprintf("同类部门（%s）通常负责「%s」", m.stdName[lead], m.std.clause[best[lead]])
}

// templateNames are the names of depts' templates ("" for none).
func templateNames(depts []DepartmentInfo) []string {
	out := make([]string, len(depts))
	for i, u := range resolveTemplates(depts) {
		if u.kind >= 0 {
			out[i] = shippedTemplates[u.kind].Name
		}
	}
	return out
}

// buildStdIndex indexes the template clauses (nil when no department has a
// template).
func buildStdIndex(tok Tokenizer, clauses [][]string) *dutyIndex {
	ix := &dutyIndex{post: map[uint32][]bmPosting{}}
	for d, cs := range clauses {
		for _, c := range cs {
			ix.add(tok, d, c, 1, nil)
		}
	}
	if len(ix.lens) == 0 {
		return nil
	}
	return ix
}

// stdScores fills comp with the template scorer's distribution.
func (m *model) stdScores(tf map[uint32]float32, out []float64) {
	if m.std == nil || blendStd <= 0 {
		return
	}
	s, _ := m.std.score(tf, len(m.depts))
	for c, v := range s {
		out[c] = math.Pow(v, stdPower)
	}
}

// templateKind is the kind of the template documents: kindRule (with no
// rule: scope-like, adding only features nothing else has) or kindDuty.
var templateKind = kindRule

// TemplateUse is which duty template a department gets.
type TemplateUse struct {
	Department string   `json:"department"`
	Name       string   `json:"name"`
	Template   string   `json:"template,omitempty"` // "" when no template matches
	Match      []string `json:"match,omitempty"`
	Text       string   `json:"text,omitempty"`
	Absorbed   []string `json:"absorbed,omitempty"` // kinds the city has no department of, whose duties join this one
}

// DutyTemplates lists, for every department, the shipped duty template its
// name matches, with the template's text.
func (s *Suggester) DutyTemplates(ctx context.Context) ([]TemplateUse, error) {
	depts, err := s.opts.Departments(ctx)
	if err != nil {
		return nil, fmt.Errorf("routing: departments: %w", err)
	}
	out := make([]TemplateUse, len(depts))
	for i, u := range resolveTemplates(depts) {
		out[i] = TemplateUse{Department: depts[i].Code, Name: depts[i].Name}
		if u.kind < 0 {
			continue
		}
		tp := shippedTemplates[u.kind]
		out[i].Template, out[i].Match, out[i].Text = tp.Name, tp.Match, tp.Text
		for _, j := range u.absorbed {
			out[i].Absorbed = append(out[i].Absorbed, shippedTemplates[j].Name)
		}
	}
	return out, nil
}
