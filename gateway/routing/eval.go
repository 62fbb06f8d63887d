package routing

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// EvalOptions configures Evaluate. Files are the shapes of the development
// city's data: departments.json (array), kb JSONL, tickets JSONL.
type EvalOptions struct {
	DepartmentsFile string
	KBFile          string // optional: KB entries as training material and for direct answers
	TicketsFile     string
	RulesFile       string // optional: JSON array of Rule, to measure a catalogue's effect
	// GuideFile is an optional dispatch guide (markdown, ParseGuide's
	// shape): its rules join the catalogue before training.
	GuideFile    string
	Splits       int     // random history/test splits; default 5
	TestFraction float64 // default 0.3
	Folds        int     // k-fold cross-validation folds; default 5, negative = none
	Seed         uint64  // default 1
	Tokenizer    Tokenizer
	// KBBackend searches the KB for direct answers: "embedded" (default,
	// the gateway's own index) or "bm25" (this package's small BM25).
	KBBackend string
}

func (o *EvalOptions) defaults() {
	if o.Splits == 0 {
		o.Splits = 5
	}
	if o.TestFraction == 0 {
		o.TestFraction = 0.3
	}
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Tokenizer == nil {
		o.Tokenizer = WordTokenizer(analysis.Shared())
	}
	if o.KBBackend == "" {
		o.KBBackend = "embedded"
	}
}

// Validate reports every problem at once.
func (o EvalOptions) Validate() error {
	var errs []error
	if o.DepartmentsFile == "" {
		errs = append(errs, errors.New("departments file is required"))
	}
	if o.TicketsFile == "" {
		errs = append(errs, errors.New("tickets file is required"))
	}
	if o.TestFraction < 0 || o.TestFraction >= 1 {
		errs = append(errs, errors.New("test fraction must be in [0,1)"))
	}
	if o.KBBackend != "embedded" && o.KBBackend != "bm25" {
		errs = append(errs, fmt.Errorf("kb backend %q: want embedded or bm25", o.KBBackend))
	}
	if o.Folds == 1 {
		errs = append(errs, errors.New("folds must be at least 2 (or negative for none)"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
}

// Metrics are the scores of one history/test split.
type Metrics struct {
	Name            string  `json:"name"`
	Test            int     `json:"test"`
	Top1            float64 `json:"top1"`
	Top3            float64 `json:"top3"`
	Type            float64 `json:"type"`
	UrgentRecall    float64 `json:"urgent_recall"`
	UrgentPrecision float64 `json:"urgent_precision"`
	UrgentTotal     int     `json:"urgent_total"`
	CoRecall        float64 `json:"co_recall"`    // labelled co-departments suggested
	CoPrecision     float64 `json:"co_precision"` // suggested co-departments labelled
	// DARecall: share of tickets labelled direct_answer that got an offer.
	DARecall float64 `json:"da_recall"`
	// DAPrecision: share of offers made on tickets labelled direct_answer.
	DAPrecision float64 `json:"da_precision"`
	// DAFit: share of tickets labelled direct_answer whose first offered
	// entry belongs to the ticket's department and is topically right
	// (shares a keyword with the text, or ≥ 30 % of its question's bigrams).
	DAFit float64 `json:"da_fit"`
}

// Report holds every split and the mean and worst of each metric.
type Report struct {
	Splits []Metrics `json:"splits"`
	Mean   Metrics   `json:"mean"`
	Worst  Metrics   `json:"worst"`
}

// LoadDepartments reads a departments.json array.
func LoadDepartments(path string) ([]DepartmentInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("routing: read departments: %w", err)
	}
	var out []DepartmentInfo
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("routing: decode departments %s: %w", path, err)
	}
	return out, nil
}

// ReadJSONL decodes one T per non-empty line.
func ReadJSONL[T any](r io.Reader) ([]T, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var out []T
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrInvalid, line, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

func readJSONLFile[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	defer f.Close()
	return ReadJSONL[T](f)
}

var evalParams = defaultParams()

// Evaluate splits the tickets into history and test parts several ways,
// trains on each history part (with the departments and KB), and prints a
// table of the test parts' scores with their mean and worst.
func Evaluate(ctx context.Context, w io.Writer, opts EvalOptions) (Report, error) {
	opts.defaults()
	if err := opts.Validate(); err != nil {
		return Report{}, err
	}
	depts, err := LoadDepartments(opts.DepartmentsFile)
	if err != nil {
		return Report{}, err
	}
	tickets, err := readJSONLFile[Example](opts.TicketsFile)
	if err != nil {
		return Report{}, err
	}
	var kb []KBEntry
	if opts.KBFile != "" {
		if kb, err = readJSONLFile[KBEntry](opts.KBFile); err != nil {
			return Report{}, err
		}
	}
	var rules []Rule
	if opts.RulesFile != "" {
		b, err := os.ReadFile(opts.RulesFile)
		if err != nil {
			return Report{}, fmt.Errorf("routing: %w", err)
		}
		if err := json.Unmarshal(b, &rules); err != nil {
			return Report{}, fmt.Errorf("routing: decode rules: %w", err)
		}
	}
	if opts.GuideFile != "" {
		known := make(map[string]bool, len(depts))
		for _, d := range depts {
			known[d.Code] = true
		}
		f, err := os.Open(opts.GuideFile)
		if err != nil {
			return Report{}, fmt.Errorf("routing: %w", err)
		}
		g, err := ParseGuide(f, known)
		f.Close()
		if err != nil {
			return Report{}, err
		}
		rules = append(rules, g...)
	}
	var search KBSearch
	switch {
	case len(kb) == 0:
	case opts.KBBackend == "bm25":
		search = NewBM25(kb).Search
	default:
		s, closeIx, err := embeddedSearch(ctx, kb)
		if err != nil {
			return Report{}, err
		}
		defer closeIx()
		search = s
	}
	kbByID := map[string]KBEntry{}
	for _, e := range kb {
		kbByID[e.ID] = e
	}

	type split struct {
		name        string
		train, test []Example
	}
	var splits []split
	n := len(tickets)
	for s := 0; s < opts.Splits; s++ {
		rng := rand.New(rand.NewPCG(opts.Seed+uint64(s), 99))
		perm := rng.Perm(n)
		cut := int(float64(n) * (1 - opts.TestFraction))
		var sp split
		sp.name = fmt.Sprintf("random-%d", s+1)
		for i, p := range perm {
			if i < cut {
				sp.train = append(sp.train, tickets[p])
			} else {
				sp.test = append(sp.test, tickets[p])
			}
		}
		splits = append(splits, sp)
	}
	if opts.Folds > 1 {
		rng := rand.New(rand.NewPCG(opts.Seed, 4242))
		perm := rng.Perm(n)
		for f := 0; f < opts.Folds; f++ {
			var sp split
			sp.name = fmt.Sprintf("fold-%d/%d", f+1, opts.Folds)
			for i, p := range perm {
				if i%opts.Folds == f {
					sp.test = append(sp.test, tickets[p])
				} else {
					sp.train = append(sp.train, tickets[p])
				}
			}
			splits = append(splits, sp)
		}
	}

	var rep Report
	for _, sp := range splits {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		m := buildModel(opts.Tokenizer, depts, sp.train, kb, rules, evalParams)
		mt, err := scoreSplit(ctx, m, rules, search, kbByID, sp.test)
		if err != nil {
			return rep, err
		}
		mt.Name = sp.name
		rep.Splits = append(rep.Splits, mt)
	}
	rep.Mean, rep.Worst = summarise(rep.Splits)
	printReport(w, rep)
	return rep, nil
}

func scoreSplit(ctx context.Context, m *model, rules []Rule, search KBSearch, kb map[string]KBEntry, test []Example) (Metrics, error) {
	var mt Metrics
	var top1, top3, typ, uTP, uFN, uFP, coTP, coLab, coSug int
	var daLab, daOffered, daOfferedRight, daFit int
	for _, ex := range test {
		q := Query{Text: ex.Text, District: ex.District, Channel: ex.Channel}
		p := m.predict(ctx, q, rules)
		da, err := m.directAnswer(ctx, search, q, &p)
		if err != nil {
			return mt, err
		}
		if len(p.ranked) > 0 && m.depts[p.ranked[0]].Code == ex.Department {
			top1++
		}
		for i := 0; i < 3 && i < len(p.ranked); i++ {
			if m.depts[p.ranked[i]].Code == ex.Department {
				top3++
			}
		}
		if p.typ == ex.Type {
			typ++
		}
		switch {
		case ex.Urgent && p.urgent:
			uTP++
		case ex.Urgent:
			uFN++
		case p.urgent:
			uFP++
		}
		coLab += len(ex.CoDepartments)
		coSug += len(p.co)
		for _, c := range p.co {
			if slices.Contains(ex.CoDepartments, c) {
				coTP++
			}
		}
		if ex.DirectAnswer {
			daLab++
		}
		if len(da) > 0 {
			daOffered++
			if ex.DirectAnswer {
				daOfferedRight++
				if e, ok := kb[da[0].ID]; ok && e.Department == ex.Department && topical(e, ex.Text) {
					daFit++
				}
			}
		}
	}
	t := float64(len(test))
	mt.Test = len(test)
	mt.Top1, mt.Top3, mt.Type = float64(top1)/t, float64(top3)/t, float64(typ)/t
	mt.UrgentTotal = uTP + uFN
	mt.UrgentRecall = ratio(uTP, uTP+uFN)
	mt.UrgentPrecision = ratio(uTP, uTP+uFP)
	mt.CoRecall = ratio(coTP, coLab)
	mt.CoPrecision = ratio(coTP, coSug)
	mt.DARecall = ratio(daOfferedRight, daLab)
	mt.DAPrecision = ratio(daOfferedRight, daOffered)
	mt.DAFit = ratio(daFit, daLab)
	return mt, nil
}

// ratio is a/b, 1 when there is nothing to count (no urgent ticket in a
// split cannot be missed).
func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// topical is the measurable proxy for "the entry answers this request": a
// keyword of the entry occurs in the text, or at least 30 % of the bigrams of
// its question do.
func topical(e KBEntry, text string) bool {
	norm := normalize(text)
	for _, k := range e.Keywords {
		if kn := strings.TrimSpace(normalize(k)); kn != "" && strings.Contains(norm, kn) {
			return true
		}
	}
	var qb, in int
	for _, g := range CharNGrams(e.Question) {
		if len([]rune(g)) != 2 {
			continue
		}
		qb++
		if strings.Contains(norm, g) {
			in++
		}
	}
	return qb > 0 && float64(in)/float64(qb) >= 0.3
}

func summarise(ms []Metrics) (mean, worst Metrics) {
	if len(ms) == 0 {
		return
	}
	mean.Name, worst.Name = "mean", "worst"
	worst = ms[0]
	worst.Name = "worst"
	for _, m := range ms {
		mean.Test += m.Test
		mean.Top1 += m.Top1
		mean.Top3 += m.Top3
		mean.Type += m.Type
		mean.UrgentRecall += m.UrgentRecall
		mean.UrgentPrecision += m.UrgentPrecision
		mean.UrgentTotal += m.UrgentTotal
		mean.CoRecall += m.CoRecall
		mean.CoPrecision += m.CoPrecision
		mean.DARecall += m.DARecall
		mean.DAPrecision += m.DAPrecision
		mean.DAFit += m.DAFit
		worst.Test = min(worst.Test, m.Test)
		worst.Top1 = min(worst.Top1, m.Top1)
		worst.Top3 = min(worst.Top3, m.Top3)
		worst.Type = min(worst.Type, m.Type)
		worst.UrgentRecall = min(worst.UrgentRecall, m.UrgentRecall)
		worst.UrgentPrecision = min(worst.UrgentPrecision, m.UrgentPrecision)
		worst.UrgentTotal = min(worst.UrgentTotal, m.UrgentTotal)
		worst.CoRecall = min(worst.CoRecall, m.CoRecall)
		worst.CoPrecision = min(worst.CoPrecision, m.CoPrecision)
		worst.DARecall = min(worst.DARecall, m.DARecall)
		worst.DAPrecision = min(worst.DAPrecision, m.DAPrecision)
		worst.DAFit = min(worst.DAFit, m.DAFit)
	}
	k := float64(len(ms))
	mean.Test /= len(ms)
	mean.Top1 /= k
	mean.Top3 /= k
	mean.Type /= k
	mean.UrgentRecall /= k
	mean.UrgentPrecision /= k
	mean.CoRecall /= k
	mean.CoPrecision /= k
	mean.DARecall /= k
	mean.DAPrecision /= k
	mean.DAFit /= k
	return mean, worst
}

func printReport(w io.Writer, rep Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "split\ttest\ttop1\ttop3\ttype\turg.recall\turg.prec\turgent\tco.recall\tco.prec\tda.recall\tda.prec\tda.fit\t")
	row := func(m Metrics) {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", m.Name, m.Test, m.Top1, m.Top3, m.Type,
			m.UrgentRecall, m.UrgentPrecision, m.UrgentTotal, m.CoRecall, m.CoPrecision, m.DARecall, m.DAPrecision, m.DAFit)
	}
	for _, m := range rep.Splits {
		row(m)
	}
	row(rep.Mean)
	row(rep.Worst)
	_ = tw.Flush()
}
