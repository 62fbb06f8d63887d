package topics

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// EngineOptions configure clustering and the burst test. Zero fields take
// the defaults of DefaultEngineOptions.
type EngineOptions struct {
	// Window is the sliding window of the burst test (default 2h).
	Window time.Duration
	// Idle expires a cluster with no new ticket for this long (default 72h);
	// while alive it keeps learning its own baseline.
	Idle time.Duration
	// Cooldown ends a flagged topic after this long without a new ticket
	// (default 24h): later tickets start a new topic that can alert again,
	// instead of feeding a matter that is over.
	Cooldown time.Duration
	// Similarity is the minimum combined score (text cosine + place
	// agreement) to join a cluster (default 0.35).
	Similarity float64
	// MinTextSimilarity is the text cosine required whatever the place
	// (default 0.15): a shared address alone is not the same matter.
	MinTextSimilarity float64
	// DistrictBonus is added when the ticket's district is the cluster's
	// main district, and subtracted when both are known and differ (0.1).
	DistrictBonus float64
	// AddressBonus multiplies the bigram Jaccard overlap of the addresses (0.3).
	AddressBonus float64
	// MergeSimilarity is the centroid cosine above which two clusters that
	// are both busy in the window are the same matter (default 0.3).
	MergeSimilarity float64
	// TargetFalseAlarmsPerDay is the expected false alarms per day the test
	// allows (default 0.5); alpha = target / tests per day.
	TargetFalseAlarmsPerDay float64
	// MinTestsPerDay floors the learned daily volume while it is still
	// being learned (default 200), keeping alpha small on a cold start.
	MinTestsPerDay float64
	// PriorPerDay is the prior mean rate of a matter never seen before, in
	// tickets per day (default 0.6), and PriorStrength its weight in
	// pseudo-tickets (1). It is a rate, not a share of the stream: a city
	// with more calls has more distinct matters, not louder new ones.
	PriorPerDay   float64
	PriorStrength float64
	// Learning is how much stream time the engine observes before it may
	// flag anything (default 24h): baselines come from history, and a cold
	// engine has none. Import history (or replay it) to shorten it.
	Learning time.Duration
	// MinTickets is the smallest cluster that may be flagged (default 3):
	// a floor for the operators, the test itself decides.
	MinTickets int
	// MaxCentroidTerms bounds each centroid (default 120).
	MaxCentroidTerms int
	// MaxMembers bounds the tickets remembered per cluster (default 500).
	MaxMembers int
	// Analyzer is the Chinese analyzer (default analysis.Shared()).
	Analyzer *analysis.Analyzer `json:"-"`
}

// DefaultEngineOptions returns the documented defaults.
func DefaultEngineOptions() EngineOptions {
	return EngineOptions{
		Window: 2 * time.Hour, Idle: 72 * time.Hour, Cooldown: 24 * time.Hour, Learning: 24 * time.Hour,
		Similarity: 0.35, MinTextSimilarity: 0.15, DistrictBonus: 0.1, AddressBonus: 0.3,
		MergeSimilarity: 0.3, TargetFalseAlarmsPerDay: 0.5, MinTestsPerDay: 200,
		PriorPerDay: 0.6, PriorStrength: 1, MinTickets: 3, MaxCentroidTerms: 120, MaxMembers: 500,
	}
}

func (o EngineOptions) withDefaults() EngineOptions {
	d := DefaultEngineOptions()
	set := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	if o.Window == 0 {
		o.Window = d.Window
	}
	if o.Idle == 0 {
		o.Idle = d.Idle
	}
	if o.Cooldown == 0 {
		o.Cooldown = d.Cooldown
	}
	if o.Learning == 0 {
		o.Learning = d.Learning
	}
	set(&o.Similarity, d.Similarity)
	set(&o.MinTextSimilarity, d.MinTextSimilarity)
	set(&o.DistrictBonus, d.DistrictBonus)
	set(&o.AddressBonus, d.AddressBonus)
	set(&o.MergeSimilarity, d.MergeSimilarity)
	set(&o.TargetFalseAlarmsPerDay, d.TargetFalseAlarmsPerDay)
	set(&o.MinTestsPerDay, d.MinTestsPerDay)
	set(&o.PriorPerDay, d.PriorPerDay)
	set(&o.PriorStrength, d.PriorStrength)
	if o.MinTickets == 0 {
		o.MinTickets = d.MinTickets
	}
	if o.MaxCentroidTerms == 0 {
		o.MaxCentroidTerms = d.MaxCentroidTerms
	}
	if o.MaxMembers == 0 {
		o.MaxMembers = d.MaxMembers
	}
	if o.Analyzer == nil {
		o.Analyzer = analysis.Shared()
	}
	return o
}

// Validate reports every problem at once (after defaults are applied).
func (o EngineOptions) Validate() error {
	o = o.withDefaults()
	var errs []error
	if o.Window < time.Minute {
		errs = append(errs, fmt.Errorf("Window %s is shorter than a minute", o.Window))
	}
	if o.Idle < o.Window {
		errs = append(errs, fmt.Errorf("Idle %s is shorter than Window %s", o.Idle, o.Window))
	}
	for name, v := range map[string]float64{"Similarity": o.Similarity, "MinTextSimilarity": o.MinTextSimilarity, "MergeSimilarity": o.MergeSimilarity} {
		if v < 0 || v > 2 {
			errs = append(errs, fmt.Errorf("%s %.3f is outside [0, 2]", name, v))
		}
	}
	if o.TargetFalseAlarmsPerDay < 0 {
		errs = append(errs, errors.New("TargetFalseAlarmsPerDay is negative"))
	}
	if o.PriorPerDay <= 0 || o.PriorPerDay >= o.MinTestsPerDay {
		errs = append(errs, fmt.Errorf("PriorPerDay %.3f is outside (0, MinTestsPerDay)", o.PriorPerDay))
	}
	if o.PriorStrength <= 0 {
		errs = append(errs, errors.New("PriorStrength must be positive"))
	}
	if o.MinTickets < 2 {
		errs = append(errs, fmt.Errorf("MinTickets %d is below 2", o.MinTickets))
	}
	if o.MaxCentroidTerms < 8 || o.MaxMembers < 10 {
		errs = append(errs, errors.New("MaxCentroidTerms must be ≥ 8 and MaxMembers ≥ 10"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	return nil
}

// Member is one ticket of a cluster (no text, no caller data).
type Member struct {
	ID         string    `json:"id"`
	Code       string    `json:"code,omitempty"`
	At         time.Time `json:"at"`
	District   string    `json:"district,omitempty"`
	Address    string    `json:"address,omitempty"`
	Department string    `json:"department,omitempty"`
}

// Cluster is one group of similar tickets; flagged clusters are topics.
type Cluster struct {
	ID          string             `json:"id"`
	Centroid    map[string]float64 `json:"centroid"`
	Norm        float64            `json:"norm"`
	Count       int                `json:"count"`
	Members     []Member           `json:"members"` // the most recent MaxMembers, in arrival order
	Districts   map[string]int     `json:"districts,omitempty"`
	Addresses   map[string]int     `json:"addresses,omitempty"`
	Departments map[string]int     `json:"departments,omitempty"`
	Categories  map[string]int     `json:"categories,omitempty"`
	Hours       map[int64]int      `json:"hours,omitempty"` // unix hour → tickets (trend)
	Created     time.Time          `json:"created"`
	Last        time.Time          `json:"last"`
	// BornAt is the stream's ticket total when the cluster started: its
	// exposure is the number of tickets the whole stream had since.
	BornAt    uint64    `json:"born_at"`
	Flagged   bool      `json:"flagged,omitempty"`
	FlaggedAt time.Time `json:"flagged_at,omitempty"`
	// P is the tail probability of the test that flagged the cluster.
	P float64 `json:"p,omitempty"`
}

// Alarm reports that a cluster was flagged as a hot topic.
type Alarm struct {
	TopicID  string    `json:"topic_id"`
	TicketID string    `json:"ticket_id"` // the ticket whose arrival triggered it
	At       time.Time `json:"at"`
	InWindow int       `json:"in_window"` // cluster tickets in the window
	Expected float64   `json:"expected"`  // baseline expectation in the window
	P        float64   `json:"p"`
	Alpha    float64   `json:"alpha"`
}

// Result is what one Process call did.
type Result struct {
	ClusterID string
	Duplicate bool
	Alarm     *Alarm
	// Merged maps clusters absorbed by this call to the cluster they joined.
	Merged map[string]string
	// Expired lists clusters dropped for idleness.
	Expired []string
}

// engineState is everything the engine must remember across restarts.
type engineState struct {
	Docs     float64              `json:"docs"`
	DF       map[string]float64   `json:"df"`
	Seq      uint64               `json:"seq"`
	Total    uint64               `json:"total"`
	Now      time.Time            `json:"now"`
	Recent   []time.Time          `json:"recent"` // arrivals within the window
	Hours    map[int64]int        `json:"hours"`  // unix hour → tickets, last 24 h
	Seen     map[string]time.Time `json:"seen"`   // ticket id → arrival, last 24 h
	Clusters map[string]*Cluster  `json:"clusters"`
	Swept    time.Time            `json:"swept"`
	Since    time.Time            `json:"since"` // first ticket seen
}

// Engine is the online clusterer and burst detector. It is not safe for
// concurrent use; Detector serialises access.
type Engine struct {
	o     EngineOptions
	f     featurizer
	st    engineState
	posts map[string]map[string]struct{} // centroid term → cluster ids
	addrs map[string]map[string]struct{} // address → bigram set (cache)
}

// NewEngine returns an empty engine.
func NewEngine(o EngineOptions) (*Engine, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	e := &Engine{o: o, f: featurizer{an: o.Analyzer}, posts: map[string]map[string]struct{}{}, addrs: map[string]map[string]struct{}{}}
	e.st = engineState{DF: map[string]float64{}, Hours: map[int64]int{}, Seen: map[string]time.Time{}, Clusters: map[string]*Cluster{}}
	return e, nil
}

// Options returns the effective options.
func (e *Engine) Options() EngineOptions { return e.o }

// Clusters returns the number of live clusters.
func (e *Engine) Clusters() int { return len(e.st.Clusters) }

// Cluster returns a live cluster by id (nil when unknown). Callers must not
// modify it.
func (e *Engine) Cluster(id string) *Cluster { return e.st.Clusters[id] }

// Alpha is the per-test significance level now.
func (e *Engine) Alpha() float64 {
	return e.o.TargetFalseAlarmsPerDay / e.testsPerDay()
}

// priorShare converts the prior rate into a share of the current stream.
func (e *Engine) priorShare() float64 { return e.o.PriorPerDay / e.testsPerDay() }

func (e *Engine) testsPerDay() float64 {
	n := 0
	for _, c := range e.st.Hours {
		n += c
	}
	return math.Max(float64(n), e.o.MinTestsPerDay)
}

// Process feeds one ticket to the engine.
func (e *Engine) Process(s TicketSignal) (Result, error) {
	if err := s.Validate(); err != nil {
		return Result{}, err
	}
	if _, ok := e.st.Seen[s.ID]; ok {
		return Result{Duplicate: true}, nil
	}
	at := s.Created.UTC()
	if e.st.Since.IsZero() || at.Before(e.st.Since) {
		e.st.Since = at
	}
	if at.After(e.st.Now) {
		e.st.Now = at
	}
	now := e.st.Now
	var res Result
	if now.Sub(e.st.Swept) >= time.Hour {
		res.Expired = e.sweep(now)
	}
	e.st.Seen[s.ID] = at

	raw := e.f.rawTerms(s.Text)
	v := vectorOf(raw, e.st.DF, e.st.Docs)
	for t := range raw {
		e.st.DF[t]++
	}
	e.st.Docs++

	c := e.nearest(v, s)
	if c == nil {
		e.st.Seq++
		c = &Cluster{ID: fmt.Sprintf("tp-%s-%d", at.Format("20060102"), e.st.Seq), Centroid: map[string]float64{},
			Districts: map[string]int{}, Addresses: map[string]int{}, Departments: map[string]int{}, Categories: map[string]int{},
			Hours: map[int64]int{}, Created: at, BornAt: e.st.Total}
		e.st.Clusters[c.ID] = c
	}
	e.add(c, v, s, at)
	res.ClusterID = c.ID

	e.st.Total++
	e.st.Recent = append(e.st.Recent, at)
	e.st.Hours[at.Unix()/3600]++

	if e.tail(c, now) < mergeScreen {
		if merged := e.mergeInto(c, now); len(merged) > 0 {
			res.Merged = merged
			if to, ok := merged[c.ID]; ok {
				c = e.st.Clusters[to]
				res.ClusterID = c.ID
			}
		}
	}
	res.Alarm = e.test(c, s.ID, now)
	return res, nil
}

// candidates returns the clusters sharing one of v's k heaviest terms.
// Heavy tf-idf terms are the selective ones (a place, 停水); terms found in
// most clusters (来电, 反映) cannot make a match on their own and would make
// every lookup touch every cluster, so they count only in the exact cosine.
func (e *Engine) candidates(v map[string]float64, self string, k int) map[string]struct{} {
	type tw struct {
		t string
		w float64
	}
	terms := make([]tw, 0, len(v))
	for t, w := range v {
		terms = append(terms, tw{t, w})
	}
	sort.Slice(terms, func(i, j int) bool {
		if terms[i].w != terms[j].w {
			return terms[i].w > terms[j].w
		}
		return terms[i].t < terms[j].t
	})
	limit := max(64, len(e.st.Clusters)/10)
	out := map[string]struct{}{}
	used := 0
	for _, x := range terms {
		if used == k {
			break
		}
		p := e.posts[x.t]
		if len(p) > limit {
			continue
		}
		used++
		for id := range p {
			if id != self {
				out[id] = struct{}{}
			}
		}
	}
	return out
}

// candidateTerms is how many of a vector's heaviest terms find candidates.
const candidateTerms = 16

// mergeScreen is the burst-test tail below which a cluster looks for
// fragments of the same matter to merge with: fragments of a real burst
// each look unusual on their own, ordinary clusters rarely do, and the
// search is the costliest step, so it runs only when it can matter.
const mergeScreen = 0.05

// cosine of a unit vector v with a cluster's centroid.
func cosine(v map[string]float64, c *Cluster) float64 {
	if c.Norm == 0 {
		return 0
	}
	dot := 0.0
	if len(v) > len(c.Centroid) {
		for t, w := range c.Centroid {
			dot += w * v[t]
		}
	} else {
		for t, w := range v {
			dot += w * c.Centroid[t]
		}
	}
	return dot / c.Norm
}

// nearest returns the best cluster to join, or nil.
func (e *Engine) nearest(v map[string]float64, s TicketSignal) *Cluster {
	var best *Cluster
	bestScore := 0.0
	var addr map[string]struct{}
	for id := range e.candidates(v, "", candidateTerms) {
		c := e.st.Clusters[id]
		if c.Norm == 0 || e.closed(c, s.Created) {
			continue
		}
		cos := cosine(v, c)
		if cos < e.o.MinTextSimilarity {
			continue
		}
		place, disagree := e.placeScore(c, s, &addr)
		if disagree && c.Flagged {
			// A topic is bound to its place: a like matter elsewhere is a
			// new topic (two compounds without water are two outages).
			continue
		}
		score := cos + place
		if score >= e.o.Similarity && (best == nil || score > bestScore || (score == bestScore && id < best.ID)) {
			best, bestScore = c, score
		}
	}
	return best
}

// closed reports whether c is a topic that is over: flagged and quiet for
// the cooldown.
func (e *Engine) closed(c *Cluster, at time.Time) bool {
	return c.Flagged && at.Sub(c.Last) > e.o.Cooldown
}

// placeScore is the district and address agreement of s with c;
// disagree reports that both carry addresses and none of c's recent ones
// resembles s's.
func (e *Engine) placeScore(c *Cluster, s TicketSignal, addr *map[string]struct{}) (score float64, disagree bool) {
	if d := top(c.Districts); d != "" && s.District != "" {
		if d == s.District {
			score += e.o.DistrictBonus
		} else {
			score -= e.o.DistrictBonus
		}
	}
	if s.Address != "" {
		if *addr == nil {
			*addr = bigramSet(s.Address)
		}
		j, seen := e.addressAgreement(c, *addr)
		score += e.o.AddressBonus * j
		disagree = seen > 0 && j < addressAgree
	}
	return score, disagree
}

// addressAgree is the bigram Jaccard from which two addresses are taken as
// the same place (乙区滨江花园 vs 乙区人民路滨江花园 ≈ 0.6; two compounds of
// one district share only the district, ≈ 0.1-0.2).
const addressAgree = 0.3

// addressAgreement compares an address with those of the cluster's recent
// tickets (a burst is recent, and old clusters collect many addresses). It
// returns the best overlap and how many addresses were compared.
func (e *Engine) addressAgreement(c *Cluster, addr map[string]struct{}) (float64, int) {
	best, seen := 0.0, 0
	for i := len(c.Members) - 1; i >= 0 && seen < 10; i-- {
		a := c.Members[i].Address
		if a == "" {
			continue
		}
		seen++
		best = math.Max(best, jaccard(addr, e.addrSet(a)))
	}
	return best, seen
}

// addrSet caches address bigram sets (bounded: reset when large).
func (e *Engine) addrSet(a string) map[string]struct{} {
	if set, ok := e.addrs[a]; ok {
		return set
	}
	if len(e.addrs) > 50000 {
		e.addrs = map[string]map[string]struct{}{}
	}
	set := bigramSet(a)
	e.addrs[a] = set
	return set
}

func (e *Engine) add(c *Cluster, v map[string]float64, s TicketSignal, at time.Time) {
	for t, w := range v {
		c.Centroid[t] += w
	}
	e.prune(c)
	c.Count++
	c.Members = append(c.Members, Member{ID: s.ID, Code: s.Code, At: at, District: s.District, Address: s.Address, Department: s.Department})
	if len(c.Members) > e.o.MaxMembers {
		c.Members = append(c.Members[:0], c.Members[len(c.Members)-e.o.MaxMembers:]...)
	}
	inc(c.Districts, s.District)
	inc(c.Addresses, s.Address)
	capCounts(c.Addresses, 64)
	inc(c.Departments, s.Department)
	inc(c.Categories, s.Category)
	c.Hours[at.Unix()/3600]++
	if at.After(c.Last) {
		c.Last = at
	}
}

// capCounts keeps the n most frequent keys once m holds twice as many, so
// clusters of scattered addresses do not grow without bound.
func capCounts(m map[string]int, n int) {
	if len(m) <= 2*n {
		return
	}
	keep := map[string]bool{}
	for _, k := range ranked(m, n) {
		keep[k] = true
	}
	for k := range m {
		if !keep[k] {
			delete(m, k)
		}
	}
}

func inc(m map[string]int, k string) {
	if k != "" {
		m[k]++
	}
}

// prune keeps the centroid's heaviest terms and keeps postings in step.
func (e *Engine) prune(c *Cluster) {
	// Prune with slack so that the sort runs once per several additions.
	if len(c.Centroid) > e.o.MaxCentroidTerms*3/2 {
		type tw struct {
			t string
			w float64
		}
		all := make([]tw, 0, len(c.Centroid))
		for t, w := range c.Centroid {
			all = append(all, tw{t, w})
		}
		sort.Slice(all, func(i, j int) bool {
			if all[i].w != all[j].w {
				return all[i].w > all[j].w
			}
			return all[i].t < all[j].t
		})
		for _, x := range all[e.o.MaxCentroidTerms:] {
			delete(c.Centroid, x.t)
			e.unpost(x.t, c.ID)
		}
	}
	var n float64
	for t, w := range c.Centroid {
		n += w * w
		e.post(t, c.ID)
	}
	c.Norm = math.Sqrt(n)
}

func (e *Engine) post(t, id string) {
	p := e.posts[t]
	if p == nil {
		p = map[string]struct{}{}
		e.posts[t] = p
	}
	p[id] = struct{}{}
}

func (e *Engine) unpost(t, id string) {
	if p := e.posts[t]; p != nil {
		delete(p, id)
		if len(p) == 0 {
			delete(e.posts, t)
		}
	}
}

func (e *Engine) drop(c *Cluster) {
	for t := range c.Centroid {
		e.unpost(t, c.ID)
	}
	delete(e.st.Clusters, c.ID)
}

// inWindow counts a cluster's tickets after now-Window.
func (e *Engine) inWindow(c *Cluster, now time.Time) int {
	from := now.Add(-e.o.Window)
	n := 0
	for i := len(c.Members) - 1; i >= 0; i-- {
		if c.Members[i].At.After(from) {
			n++
		}
	}
	return n
}

// globalInWindow counts all tickets after now-Window (pruning older ones).
func (e *Engine) globalInWindow(now time.Time) int {
	from := now.Add(-e.o.Window)
	i := 0
	for i < len(e.st.Recent) && !e.st.Recent[i].After(from) {
		i++
	}
	if i > 0 {
		e.st.Recent = append(e.st.Recent[:0], e.st.Recent[i:]...)
	}
	return len(e.st.Recent)
}

// tail is the burst test's P(N ≥ n) for c now; 1 below MinTickets.
//
// The test runs because a ticket just arrived in c, so that ticket is given,
// not evidence: under the null the others in the window follow the baseline
// (Palm), hence n-1 of w-1 below. Testing n instead would overstate every
// burst by one ticket and multiply false alarms.
func (e *Engine) tail(c *Cluster, now time.Time) float64 {
	n := e.inWindow(c, now)
	if n < e.o.MinTickets {
		return 1
	}
	w := float64(e.globalInWindow(now))
	before := float64(e.st.Total) - w
	exposure := math.Max(0, before-float64(c.BornAt))
	history := math.Max(0, float64(c.Count-n))
	r := e.o.PriorStrength + history
	b := e.o.PriorStrength/e.priorShare() + exposure
	w = math.Max(w-1, 0)
	return nbTail(n-1, r, b/(b+w))
}

// test runs the burst test on c after an arrival and flags it.
func (e *Engine) test(c *Cluster, ticketID string, now time.Time) *Alarm {
	if c.Flagged || now.Sub(e.st.Since) < e.o.Learning {
		return nil
	}
	p := e.tail(c, now)
	alpha := e.Alpha()
	if p >= alpha {
		return nil
	}
	n := e.inWindow(c, now)
	w := float64(e.globalInWindow(now))
	r := e.o.PriorStrength + math.Max(0, float64(c.Count-n))
	b := e.o.PriorStrength/e.priorShare() + math.Max(0, float64(e.st.Total)-w-float64(c.BornAt))
	c.Flagged, c.FlaggedAt, c.P = true, now, p
	return &Alarm{TopicID: c.ID, TicketID: ticketID, At: now, InWindow: n, Expected: r / b * w, P: p, Alpha: alpha}
}

// mergeInto merges clusters that are the same matter as c: both busy in the
// window, centroids alike, same main district (or one unknown). The result
// keeps the id of the flagged one, else of the larger one.
func (e *Engine) mergeInto(c *Cluster, now time.Time) map[string]string {
	if e.inWindow(c, now) < 2 || c.Norm == 0 {
		return nil
	}
	ids := make([]string, 0, 16)
	for id := range e.candidates(c.Centroid, c.ID, candidateTerms) {
		if e.inWindow(e.st.Clusters[id], now) >= 1 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	merged := map[string]string{}
	for _, id := range ids {
		o := e.st.Clusters[id]
		if o == nil || o == c || o.Norm == 0 || c.Norm == 0 || cosine(c.Centroid, o)/c.Norm < e.o.MergeSimilarity {
			continue
		}
		if d1, d2 := top(c.Districts), top(o.Districts); d1 != "" && d2 != "" && d1 != d2 {
			continue
		}
		if e.placesDisagree(c, o) {
			continue
		}
		keep, gone := c, o
		if (o.Flagged && !c.Flagged) || (o.Flagged == c.Flagged && o.Count > c.Count) {
			keep, gone = o, c
		}
		e.absorb(keep, gone)
		merged[gone.ID] = keep.ID
		for k, v := range merged {
			if v == gone.ID {
				merged[k] = keep.ID
			}
		}
		c = keep
	}
	return merged
}

// placesDisagree reports that both clusters' recent tickets carry
// addresses and none of one's resembles any of the other's.
func (e *Engine) placesDisagree(a, b *Cluster) bool {
	compared := 0
	for i := len(a.Members) - 1; i >= 0 && compared < 10; i-- {
		if a.Members[i].Address == "" {
			continue
		}
		compared++
		j, seen := e.addressAgreement(b, e.addrSet(a.Members[i].Address))
		if seen == 0 || j >= addressAgree {
			return false
		}
	}
	return compared > 0
}

func (e *Engine) absorb(keep, gone *Cluster) {
	for t, w := range gone.Centroid {
		keep.Centroid[t] += w
	}
	e.drop(gone)
	e.prune(keep)
	keep.Count += gone.Count
	keep.Members = append(keep.Members, gone.Members...)
	sort.SliceStable(keep.Members, func(i, j int) bool { return keep.Members[i].At.Before(keep.Members[j].At) })
	if len(keep.Members) > e.o.MaxMembers {
		keep.Members = append(keep.Members[:0], keep.Members[len(keep.Members)-e.o.MaxMembers:]...)
	}
	for _, pair := range [][2]map[string]int{{keep.Districts, gone.Districts}, {keep.Addresses, gone.Addresses}, {keep.Departments, gone.Departments}, {keep.Categories, gone.Categories}} {
		for k, v := range pair[1] {
			pair[0][k] += v
		}
	}
	for h, v := range gone.Hours {
		keep.Hours[h] += v
	}
	if gone.Created.Before(keep.Created) {
		keep.Created = gone.Created
	}
	if gone.Last.After(keep.Last) {
		keep.Last = gone.Last
	}
	keep.BornAt = min(keep.BornAt, gone.BornAt)
	if gone.Flagged && !keep.Flagged {
		keep.Flagged, keep.FlaggedAt, keep.P = true, gone.FlaggedAt, gone.P
	}
}

// sweep expires idle clusters and old bookkeeping.
func (e *Engine) sweep(now time.Time) []string {
	e.st.Swept = now
	var gone []string
	for id, c := range e.st.Clusters {
		if now.Sub(c.Last) > e.o.Idle {
			gone = append(gone, id)
			e.drop(c)
			continue
		}
		for h := range c.Hours {
			if now.Unix()/3600-h > 7*24 {
				delete(c.Hours, h)
			}
		}
	}
	sort.Strings(gone)
	for h := range e.st.Hours {
		if now.Unix()/3600-h >= 24 {
			delete(e.st.Hours, h)
		}
	}
	for id, at := range e.st.Seen {
		if now.Sub(at) > 24*time.Hour {
			delete(e.st.Seen, id)
		}
	}
	// Document frequencies decay slowly so the vocabulary follows the season.
	const keep = 0.995
	for t, n := range e.st.DF {
		n *= keep
		if n < 0.5 {
			delete(e.st.DF, t)
			continue
		}
		e.st.DF[t] = n
	}
	e.st.Docs *= keep
	return gone
}

// top returns the most frequent key (ties: smallest), "" for none.
func top(m map[string]int) string {
	best, bn := "", 0
	for k, n := range m {
		if n > bn || (n == bn && k < best) {
			best, bn = k, n
		}
	}
	return best
}
