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
	// TestFile, when set, is a separate labelled set: the whole of
	// TicketsFile is the history and TestFile the one test part, instead
	// of random splits and folds of TicketsFile.
	TestFile  string
	RulesFile string // optional: JSON array of Rule, to measure a catalogue's effect
	// GuideFile is an optional dispatch guide (markdown, ParseGuide's
	// shape): its rules join the catalogue before training.
	GuideFile    string
	Splits       int     // random history/test splits; default 5
	TestFraction float64 // default 0.3
	Folds        int     // k-fold cross-validation folds; default 5, negative = none
	Seed         uint64  // default 1
	Tokenizer    Tokenizer
	// NoStarters leaves the shipped starter examples out of every model.
	NoStarters bool
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

// ReadJSONLFile is ReadJSONL over the file at path.
func ReadJSONLFile[T any](path string) ([]T, error) {
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
	splits, err := LoadSplits(opts)
	if err != nil {
		return Report{}, err
	}
	var kb []KBEntry
	if opts.KBFile != "" {
		if kb, err = ReadJSONLFile[KBEntry](opts.KBFile); err != nil {
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

	var rep Report
	for _, sp := range splits {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		p := evalParams
		p.NoStarters = p.NoStarters || opts.NoStarters
		m := buildModel(opts.Tokenizer, depts, sp.History, kb, rules, p)
		mt, err := scoreSplit(ctx, m, rules, search, kbByID, sp.Test)
		if err != nil {
			return rep, err
		}
		mt.Name = sp.Name
		rep.Splits = append(rep.Splits, mt)
	}
	rep.Mean, rep.Worst = summarise(rep.Splits)
	printReport(w, rep)
	return rep, nil
}

// LoadSplits reads opts.TicketsFile and divides it as MakeSplits does, or,
// with opts.TestFile, returns the one split of the whole file as history
// and the test file as its test part.
func LoadSplits(opts EvalOptions) ([]Split, error) {
	tickets, err := ReadJSONLFile[Example](opts.TicketsFile)
	if err != nil {
		return nil, err
	}
	if opts.TestFile == "" {
		return MakeSplits(tickets, opts), nil
	}
	test, err := ReadJSONLFile[Example](opts.TestFile)
	if err != nil {
		return nil, err
	}
	if len(test) == 0 {
		return nil, fmt.Errorf("%w: %s holds no tickets", ErrInvalid, opts.TestFile)
	}
	return []Split{{Name: "test-file", History: tickets, Test: test}}, nil
}

// Split is one history/test division of a labelled ticket file.
type Split struct {
	Name          string
	History, Test []Example
}

// MakeSplits divides tickets as Evaluate does: opts.Splits random splits
// holding out opts.TestFraction, then opts.Folds cross-validation folds,
// all from opts.Seed (the same seed gives the same splits everywhere, so
// an evaluation through the HTTP API sees the tickets Evaluate sees).
func MakeSplits(tickets []Example, opts EvalOptions) []Split {
	opts.defaults()
	var splits []Split
	n := len(tickets)
	for s := 0; s < opts.Splits; s++ {
		rng := rand.New(rand.NewPCG(opts.Seed+uint64(s), 99))
		perm := rng.Perm(n)
		cut := int(float64(n) * (1 - opts.TestFraction))
		sp := Split{Name: fmt.Sprintf("random-%d", s+1)}
		for i, p := range perm {
			if i < cut {
				sp.History = append(sp.History, tickets[p])
			} else {
				sp.Test = append(sp.Test, tickets[p])
			}
		}
		splits = append(splits, sp)
	}
	if opts.Folds > 1 {
		rng := rand.New(rand.NewPCG(opts.Seed, 4242))
		perm := rng.Perm(n)
		for f := 0; f < opts.Folds; f++ {
			sp := Split{Name: fmt.Sprintf("fold-%d/%d", f+1, opts.Folds)}
			for i, p := range perm {
				if i%opts.Folds == f {
					sp.Test = append(sp.Test, tickets[p])
				} else {
					sp.History = append(sp.History, tickets[p])
				}
			}
			splits = append(splits, sp)
		}
	}
	return splits
}

func scoreSplit(ctx context.Context, m *model, rules []Rule, search KBSearch, kb map[string]KBEntry, test []Example) (Metrics, error) {
	var t Tally
	for _, ex := range test {
		q := Query{Text: ex.Text, District: ex.District, Channel: ex.Channel}
		p := m.predict(ctx, q, rules)
		da, err := m.directAnswer(ctx, search, q, &p)
		if err != nil {
			return Metrics{}, err
		}
		ranked := make([]string, 0, 3)
		for i := 0; i < 3 && i < len(p.ranked); i++ {
			ranked = append(ranked, m.depts[p.ranked[i]].Code)
		}
		t.Add(ex, Suggestion{Candidates: candidatesOf(ranked), Type: p.typ, Urgent: p.urgent, CoDepartments: p.co, DirectAnswer: da}, kb)
	}
	return t.Metrics(), nil
}

func candidatesOf(codes []string) []Candidate {
	out := make([]Candidate, len(codes))
	for i, c := range codes {
		out[i] = Candidate{Department: c}
	}
	return out
}

// Tally scores suggestions against labelled tickets, one split at a time;
// Evaluate and evaluations through the HTTP API share it.
type Tally struct {
	n, top1, top3, typ, uTP, uFN, uFP, coTP, coLab, coSug int
	daLab, daOffered, daOfferedRight, daFit               int
}

// Add scores one suggestion for ex: its candidates in rank order (the
// first is the lead), type, urgency, co-departments and direct answers
// (checked against kb, by id).
func (t *Tally) Add(ex Example, sg Suggestion, kb map[string]KBEntry) {
	t.n++
	for i := 0; i < 3 && i < len(sg.Candidates); i++ {
		if sg.Candidates[i].Department == ex.Department {
			t.top3++
			if i == 0 {
				t.top1++
			}
		}
	}
	if sg.Type == ex.Type {
		t.typ++
	}
	switch {
	case ex.Urgent && sg.Urgent:
		t.uTP++
	case ex.Urgent:
		t.uFN++
	case sg.Urgent:
		t.uFP++
	}
	t.coLab += len(ex.CoDepartments)
	t.coSug += len(sg.CoDepartments)
	for _, c := range sg.CoDepartments {
		if slices.Contains(ex.CoDepartments, c) {
			t.coTP++
		}
	}
	if ex.DirectAnswer {
		t.daLab++
	}
	if len(sg.DirectAnswer) > 0 {
		t.daOffered++
		if ex.DirectAnswer {
			t.daOfferedRight++
			if e, ok := kb[sg.DirectAnswer[0].ID]; ok && e.Department == ex.Department && topical(e, ex.Text) {
				t.daFit++
			}
		}
	}
}

// Metrics are the scores of what was added (Name left empty).
func (t *Tally) Metrics() Metrics {
	var mt Metrics
	n := float64(max(t.n, 1))
	mt.Test = t.n
	mt.Top1, mt.Top3, mt.Type = float64(t.top1)/n, float64(t.top3)/n, float64(t.typ)/n
	mt.UrgentTotal = t.uTP + t.uFN
	mt.UrgentRecall = ratio(t.uTP, t.uTP+t.uFN)
	mt.UrgentPrecision = ratio(t.uTP, t.uTP+t.uFP)
	mt.CoRecall = ratio(t.coTP, t.coLab)
	mt.CoPrecision = ratio(t.coTP, t.coSug)
	mt.DARecall = ratio(t.daOfferedRight, t.daLab)
	mt.DAPrecision = ratio(t.daOfferedRight, t.daOffered)
	mt.DAFit = ratio(t.daFit, t.daLab)
	return mt
}

// Summarise fills a report's mean and worst from its splits and writes the
// table Evaluate prints.
func Summarise(w io.Writer, splits []Metrics) Report {
	rep := Report{Splits: splits}
	rep.Mean, rep.Worst = summarise(splits)
	printReport(w, rep)
	return rep
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
