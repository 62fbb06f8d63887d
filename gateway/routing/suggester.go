package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Options configure a Suggester: defaults → Validate → Open.
type Options struct {
	Store       RecordStore // required: rules and examples live here
	Departments Departments // required
	KBEntries   KBEntries   // optional: KB entries as training material
	KBSearch    KBSearch    // optional: direct answers
	// Synonyms, optional, are the knowledge base's runtime synonym groups:
	// they join the concept lexicon (SynonymConcepts).
	Synonyms SynonymSource
	// Tokenizer defaults to WordTokenizer(analysis.Shared()).
	Tokenizer Tokenizer
	// RetrainDelay debounces retraining after Observe and rule changes
	// (default 2s); many observations in a burst cost one rebuild.
	RetrainDelay time.Duration
	// MaxKBTrainEntries caps the KB entries the model trains on (default
	// 5,000, spread evenly over the departments; negative: no cap). A few
	// thousand entries teach the vocabulary of each department; a city's
	// whole KB of 100,000 would cost a minute of training and its memory
	// on every rebuild. Direct answers search the whole KB either way.
	MaxKBTrainEntries int
	// TrainInBackground makes Open return at once with a model built from
	// the departments' duties and the catalogue only, and train the full
	// model in the background (the gateway's start must not wait for it).
	TrainInBackground bool
	// StaleWait bounds how long a suggestion waits for a rebuild that a
	// bulk change made necessary (a first history import, a new knowledge
	// base; default 25s, under the server's 30s write timeout; negative: never wait). A suggestion that gives up
	// says so (model_pending) and answers from the model it has.
	StaleWait time.Duration
	// NoStarters leaves the shipped starter examples (starter.go) out of
	// the model: only the city's own history is learned from.
	NoStarters bool
	Logger     *slog.Logger
}

// defaultMaxKBTrainEntries is MaxKBTrainEntries' default.
const defaultMaxKBTrainEntries = 5000

// WithDefaults fills the zero fields.
func (o Options) WithDefaults() Options {
	if o.Tokenizer == nil {
		o.Tokenizer = WordTokenizer(analysis.Shared())
	}
	if o.RetrainDelay == 0 {
		o.RetrainDelay = 2 * time.Second
	}
	if o.MaxKBTrainEntries == 0 {
		o.MaxKBTrainEntries = defaultMaxKBTrainEntries
	}
	if o.StaleWait == 0 {
		o.StaleWait = 25 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Validate reports every problem at once; it does no I/O.
func (o Options) Validate() error {
	var errs []error
	if o.Store == nil {
		errs = append(errs, errors.New("store: required"))
	}
	if o.Departments == nil {
		errs = append(errs, errors.New("departments: required"))
	}
	if o.RetrainDelay < 0 {
		errs = append(errs, errors.New("retrain_delay: must not be negative"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
}

// Suggester answers routing suggestions from an immutable model snapshot
// and retrains in the background as examples and rules arrive.
type Suggester struct {
	opts      Options
	model     atomic.Pointer[model]
	rules     atomic.Pointer[[]Rule]
	catalogue *Catalogue

	mu       sync.Mutex
	examples []Example
	building sync.Mutex
	fresh    *freshness
	lex      lexiconCache

	// Background retraining: kicks are debounced by one goroutine; Close
	// cancels ctx and waits for it.
	kick      chan struct{}
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// Open loads examples and rules from the store and trains the first model.
func Open(ctx context.Context, opts Options) (*Suggester, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &Suggester{opts: opts, fresh: newFreshness()}
	s.catalogue = &Catalogue{st: opts.Store, known: s.knownDepartments, onChange: s.rulesChanged, onConcepts: s.conceptsChanged}
	exs, err := s.loadExamples(ctx)
	if err != nil {
		return nil, err
	}
	s.examples = exs
	if opts.TrainInBackground {
		if err := s.bootstrap(ctx); err != nil {
			return nil, err
		}
	} else if err := s.Retrain(ctx); err != nil {
		return nil, err
	}
	// The retrain loop outlives Open's ctx by design: it belongs to the
	// suggester and stops at Close.
	s.kick = make(chan struct{}, 1)
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.wg.Add(1)
	go s.retrainLoop()
	if opts.TrainInBackground {
		s.scheduleRetrain(false)
	}
	return s, nil
}

// bootstrap stores a model of the departments' duties and the catalogue
// alone, cheap to build, to answer until the first full training is done.
func (s *Suggester) bootstrap(ctx context.Context) error {
	depts, err := s.opts.Departments(ctx)
	if err != nil {
		return fmt.Errorf("routing: departments: %w", err)
	}
	rules, err := s.catalogue.List(ctx)
	if err != nil {
		return err
	}
	p := defaultParams()
	p.NoStarters = true // this first model must be quick; the full one has them
	if p.concepts, _, err = s.lexicon(ctx); err != nil {
		return err
	}
	s.model.Store(buildModel(s.opts.Tokenizer, depts, nil, nil, rules, p))
	s.rules.Store(&rules)
	return nil
}

// spreadKB keeps at most max entries, taking the departments in turn so
// that each keeps its share (a department with few entries keeps all of
// them), in the entries' order within a department.
func spreadKB(kb []KBEntry, max int) []KBEntry {
	if max < 0 || len(kb) <= max {
		return kb
	}
	var order []string
	by := map[string][]KBEntry{}
	for _, e := range kb {
		if _, ok := by[e.Department]; !ok {
			order = append(order, e.Department)
		}
		by[e.Department] = append(by[e.Department], e)
	}
	out := make([]KBEntry, 0, max)
	for i := 0; len(out) < max; i++ {
		for _, d := range order {
			if i < len(by[d]) && len(out) < max {
				out = append(out, by[d][i])
			}
		}
	}
	return out
}

// Catalogue returns the rule catalogue.
func (s *Suggester) Catalogue() *Catalogue { return s.catalogue }

func (s *Suggester) knownDepartments(ctx context.Context) (map[string]bool, error) {
	ds, err := s.opts.Departments(ctx)
	if err != nil {
		return nil, fmt.Errorf("routing: departments: %w", err)
	}
	known := make(map[string]bool, len(ds))
	for _, d := range ds {
		known[d.Code] = true
	}
	return known, nil
}

// DepartmentCodes lists the codes the suggester may propose (nil when the
// departments cannot be read).
func (s *Suggester) DepartmentCodes(ctx context.Context) []string {
	known, err := s.knownDepartments(ctx)
	if err != nil {
		return nil
	}
	return slices.Sorted(maps.Keys(known))
}

func (s *Suggester) loadExamples(ctx context.Context) ([]Example, error) {
	var out []Example
	cursor := ""
	for {
		page, err := s.opts.Store.List(ctx, CollectionExamples, store.ListOptions{Limit: 1000, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("routing: load examples: %w", err)
		}
		for _, rec := range page.Records {
			var ex Example
			if err := json.Unmarshal(rec.Data, &ex); err != nil {
				return nil, fmt.Errorf("routing: decode example %s: %w", rec.ID, err)
			}
			ex.ID = rec.ID
			out = append(out, ex)
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

// Retrain rebuilds the model now from the examples, the departments, the KB
// entries and the rules.
func (s *Suggester) Retrain(ctx context.Context) error {
	s.building.Lock()
	defer s.building.Unlock()
	gen, trained := s.fresh.begin(), -1
	defer func() { s.fresh.finish(gen, trained) }()
	depts, err := s.opts.Departments(ctx)
	if err != nil {
		return fmt.Errorf("routing: departments: %w", err)
	}
	var kb []KBEntry
	if s.opts.KBEntries != nil {
		if kb, err = s.opts.KBEntries(ctx); err != nil {
			return fmt.Errorf("routing: kb entries: %w", err)
		}
	}
	all := len(kb)
	kb = spreadKB(kb, s.opts.MaxKBTrainEntries)
	rules, err := s.catalogue.List(ctx)
	if err != nil {
		return err
	}
	p := defaultParams()
	p.NoStarters = s.opts.NoStarters
	var lk lexiconKey
	if p.concepts, lk, err = s.lexicon(ctx); err != nil {
		return err
	}
	s.lex.mu.Lock()
	s.lex.seen = lk // SyncConcepts: a later change differs from it
	s.lex.mu.Unlock()
	s.mu.Lock()
	exs := slices.Clone(s.examples)
	s.mu.Unlock()
	start := time.Now()
	m := buildModel(s.opts.Tokenizer, depts, exs, kb, rules, p)
	s.model.Store(m)
	s.rules.Store(&rules)
	trained = len(exs)
	s.opts.Logger.InfoContext(ctx, "routing model trained", "examples", len(exs), "kb_entries", len(kb), "kb_entries_all", all,
		"rules", len(rules), "departments", len(depts), "concepts", p.concepts.Len(), "took", time.Since(start))
	return nil
}

// scheduleRetrain asks for a rebuild; bursts of requests cost one. bulk:
// see Refresh.
func (s *Suggester) scheduleRetrain(bulk bool) {
	if s.kick == nil {
		return
	}
	s.fresh.request(bulk)
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// retrainLoop waits for kicks, lets a burst settle for RetrainDelay (at most
// five delays in all, so a steady stream cannot starve it), then rebuilds.
func (s *Suggester) retrainLoop() {
	defer s.wg.Done()
	delay := s.opts.RetrainDelay
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.kick:
		}
		start := time.Now()
		t := time.NewTimer(delay)
	settle:
		for {
			select {
			case <-s.ctx.Done():
				t.Stop()
				return
			case <-s.kick:
				if time.Since(start) < 5*delay {
					t.Reset(delay)
				}
			case <-t.C:
				break settle
			}
		}
		if err := s.Retrain(s.ctx); err != nil && s.ctx.Err() == nil {
			s.opts.Logger.Error("routing retrain failed", "err", err)
		}
	}
}

// Invalidate schedules a debounced rebuild; call it when KB entries or
// departments change (they are read again at the rebuild). Suggestions do
// not wait for it; see Refresh for a bulk change.
func (s *Suggester) Invalidate() { s.scheduleRetrain(false) }

func (s *Suggester) rulesChanged(ctx context.Context) {
	// Matching uses the new rules at once; they join the training text at
	// the next rebuild.
	if rules, err := s.catalogue.List(ctx); err == nil {
		s.rules.Store(&rules)
	}
	s.scheduleRetrain(false)
}

// Close stops background retraining and waits for a running one.
func (s *Suggester) Close() error {
	s.closeOnce.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
	})
	s.wg.Wait()
	return nil
}

// ValidateExample reports every invalid field of ex.
func ValidateExample(ex Example, known map[string]bool) map[string]string {
	bad := map[string]string{}
	if strings.TrimSpace(ex.Text) == "" {
		bad["text"] = "required"
	}
	if ex.Department == "" {
		bad["department"] = "required"
	} else if known != nil && !known[ex.Department] {
		bad["department"] = "unknown department " + ex.Department
	}
	if ex.Type != "" && typeIndex(ex.Type) < 0 {
		bad["type"] = "must be one of " + strings.Join(RequestTypes, " ")
	}
	for i, c := range ex.CoDepartments {
		if known != nil && !known[c] {
			bad[fmt.Sprintf("co_departments[%d]", i)] = "unknown department " + c
		}
	}
	return bad
}

// Observe learns from one labelled example (e.g. a ticket closed with its
// final department): it is stored and joins the model at the next rebuild.
func (s *Suggester) Observe(ctx context.Context, ex Example) error {
	_, err := s.ObserveBatch(ctx, []Example{ex})
	return err
}

// ObserveBatch validates every example first and stores none when any lacks
// text or names an unknown lead department (the error lists fields per line
// as "[i].field"); otherwise it stores them in chunks and schedules one
// rebuild. Secondary labels are cleaned rather than refused, so a history
// the ticket service already accepted is never lost for one stale
// co-department code: unknown co-departments are dropped and an unknown
// type is cleared. The HTTP edge validates strictly with ValidateExample.
func (s *Suggester) ObserveBatch(ctx context.Context, exs []Example) (int, error) {
	known, err := s.knownDepartments(ctx)
	if err != nil {
		return 0, err
	}
	bad := map[string]string{}
	for i := range exs {
		if exs[i].ID == "" {
			exs[i].ID = newID()
		}
		exs[i].CoDepartments = slices.DeleteFunc(slices.Clone(exs[i].CoDepartments), func(c string) bool { return !known[c] })
		if typeIndex(exs[i].Type) < 0 {
			exs[i].Type = ""
		}
		prefix := ""
		if len(exs) > 1 {
			prefix = fmt.Sprintf("[%d].", i)
		}
		for k, v := range ValidateExample(exs[i], known) {
			bad[prefix+k] = v
		}
	}
	if len(bad) > 0 {
		return 0, &ValidationError{Fields: bad}
	}
	const chunk = 500
	for lo := 0; lo < len(exs); lo += chunk {
		hi := min(lo+chunk, len(exs))
		var tx store.Tx
		for _, ex := range exs[lo:hi] {
			data, err := json.Marshal(ex)
			if err != nil {
				return lo, fmt.Errorf("routing: encode example: %w", err)
			}
			tx.Puts = append(tx.Puts, store.Put{Force: true, Record: store.Record{Collection: CollectionExamples, ID: ex.ID,
				Data: data, Index: map[string]string{"department": ex.Department}}})
		}
		if _, err := s.opts.Store.Commit(ctx, tx); err != nil {
			return lo, fmt.Errorf("routing: store examples: %w", err)
		}
		s.mu.Lock()
		s.examples = upsertExamples(s.examples, exs[lo:hi])
		s.mu.Unlock()
	}
	s.scheduleRetrain(false) // a large batch starves the model: see freshness.stale
	return len(exs), nil
}

// upsertExamples replaces examples with the same ID (a re-import) and
// appends the rest.
func upsertExamples(have, add []Example) []Example {
	pos := make(map[string]int, len(have))
	for i, ex := range have {
		pos[ex.ID] = i
	}
	for _, ex := range add {
		if i, ok := pos[ex.ID]; ok {
			have[i] = ex
			continue
		}
		pos[ex.ID] = len(have)
		have = append(have, ex)
	}
	return have
}

// Examples returns how many examples the suggester holds.
func (s *Suggester) Examples() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.examples)
}

// Suggest proposes departments, type, urgency and direct answers for q.
func (s *Suggester) Suggest(ctx context.Context, q Query) (Suggestion, error) {
	if strings.TrimSpace(q.Text) == "" {
		return Suggestion{}, &ValidationError{Fields: map[string]string{"text": "required"}}
	}
	// Wait (bounded) for a rebuild a bulk change made necessary.
	pending := !s.awaitModel(ctx, s.opts.StaleWait)
	m := s.model.Load()
	var rules []Rule
	if r := s.rules.Load(); r != nil {
		rules = *r
	}
	p := m.predict(ctx, q, rules)
	da, err := m.directAnswer(ctx, s.opts.KBSearch, q, &p)
	if err != nil {
		// The KB is an aid: a failing index must not block dispatch.
		s.opts.Logger.WarnContext(ctx, "routing: kb search failed", "err", err)
		p.evidence = append(p.evidence, "知识库暂不可用，未给出当场答复建议")
	}
	out := Suggestion{
		CoDepartments: p.co,
		Type:          p.typ,
		Urgent:        p.urgent,
		UrgentScore:   p.urgentScr,
		DirectAnswer:  da,
		Evidence:      p.evidence,
	}
	if out.CoDepartments == nil {
		out.CoDepartments = []string{}
	}
	out.Emergency = emergencyFor(q.Text, p.typ, p.urgent)
	if len(out.Emergency) > 0 {
		out.Evidence = append([]string{emergencyEvidence(out.Emergency)}, out.Evidence...)
	} else {
		out.Emergency = []Emergency{}
	}
	if out.DirectAnswer == nil {
		out.DirectAnswer = []DirectAnswer{}
	}
	if pending {
		out.ModelPending = true
		out.Evidence = append(out.Evidence, "路由模型正在学习新导入的数据，本建议来自此前的模型")
	}
	if out.Evidence == nil {
		out.Evidence = []string{}
	}
	for i, c := range p.ranked {
		if i == 5 {
			break
		}
		out.Candidates = append(out.Candidates, Candidate{Department: m.depts[c].Code, Score: round3(p.scores[c])})
	}
	if len(out.Candidates) > 0 {
		out.Department = out.Candidates[0].Department
	} else {
		out.Candidates = []Candidate{}
	}
	return out, nil
}

func round3(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }
