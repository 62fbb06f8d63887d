package meili

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Sentinel errors; every error the package returns wraps one of these, a
// context error or knowledgebase.ErrBadQuery.
var (
	// ErrBadOptions: Options.Validate found problems.
	ErrBadOptions = errors.New("meili: bad options")
	// ErrTaskFailed: Meilisearch accepted a write but its task failed or was
	// canceled.
	ErrTaskFailed = errors.New("meili: task failed")
	// ErrTaskTimeout: a task did not finish within Options.Timeout.
	ErrTaskTimeout = errors.New("meili: task not finished in time")
	// ErrUnavailable: the server could not be reached or answered 5xx.
	ErrUnavailable = errors.New("meili: server unavailable")
	// ErrRejected: the server refused a request (4xx): bad key, bad filter,
	// bad document.
	ErrRejected = errors.New("meili: request rejected")
	// ErrBadDocument: a document cannot be stored (empty or oversized id,
	// unknown kind).
	ErrBadDocument = errors.New("meili: bad document")
)

// Defaults.
const (
	DefaultIndexUID     = "hallgate_kb"
	DefaultTimeout      = 30 * time.Second
	DefaultPollInterval = 50 * time.Millisecond
	DefaultBatchSize    = 500
	DefaultMaxTerms     = 48
	DefaultCandidates   = 100
	DefaultMaxTotalHits = 1_000_000
)

// Options configure the Meilisearch index. Zero fields take the defaults
// above; URL is required.
type Options struct {
	// URL of the Meilisearch server, e.g. http://127.0.0.1:7700.
	URL string
	// APIKey is sent as a bearer token; empty for an open development server.
	APIKey string
	// IndexUID names the index (letters, digits, - and _).
	IndexUID string
	// Timeout bounds each HTTP request and each wait for a write task.
	Timeout time.Duration
	// PollInterval is the pause between task status polls.
	PollInterval time.Duration
	// BatchSize is the number of documents per add-documents request.
	BatchSize int
	// MaxTerms caps the analysed query terms sent per search (highest
	// weights first); each becomes two queries of the multi-search (all
	// term fields, head fields). More terms help long colloquial queries.
	MaxTerms int
	// Candidates is how many hits each term query returns for fusion; it is
	// raised to offset+limit when a page lies deeper.
	Candidates int
	// MaxTotalHits is the index's pagination.maxTotalHits. Meilisearch caps
	// every hit count at it, and the adapter's idf needs true document
	// frequencies, so it must exceed the number of documents.
	MaxTotalHits int64
	// Dictionary adds words to Meilisearch's own segmentation dictionary
	// (used for the raw-text highlight query) beyond the shipped synonyms.
	Dictionary []string
	// Analyzer analyses documents and queries; nil builds a private default
	// analyzer, so SetSynonyms on one index does not leak into another.
	Analyzer *analysis.Analyzer
}

var uidRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,400}$`)

func (o Options) withDefaults() Options {
	if o.IndexUID == "" {
		o.IndexUID = DefaultIndexUID
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.MaxTerms == 0 {
		o.MaxTerms = DefaultMaxTerms
	}
	if o.Candidates == 0 {
		o.Candidates = DefaultCandidates
	}
	if o.MaxTotalHits == 0 {
		o.MaxTotalHits = DefaultMaxTotalHits
	}
	return o
}

// Validate reports every problem at once, after applying defaults. It does
// no I/O.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	if o.URL == "" {
		errs = append(errs, errors.New("URL is required"))
	} else if u, err := url.Parse(o.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("URL %q must be an absolute http(s) URL", o.URL))
	}
	if !uidRe.MatchString(o.IndexUID) {
		errs = append(errs, fmt.Errorf("IndexUID %q must be 1-400 letters, digits, - or _", o.IndexUID))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("Timeout %v must be positive", o.Timeout))
	}
	if o.PollInterval < 0 {
		errs = append(errs, fmt.Errorf("PollInterval %v must be positive", o.PollInterval))
	}
	if o.BatchSize < 0 || o.BatchSize > 10000 {
		errs = append(errs, fmt.Errorf("BatchSize %d must be in 1..10000", o.BatchSize))
	}
	if o.MaxTerms < 0 || o.MaxTerms > 100 {
		errs = append(errs, fmt.Errorf("MaxTerms %d must be in 1..100", o.MaxTerms))
	}
	// Meilisearch's default pagination.maxTotalHits is 1000.
	if o.Candidates < 0 || o.Candidates > 1000 {
		errs = append(errs, fmt.Errorf("Candidates %d must be in 1..1000", o.Candidates))
	}
	if o.MaxTotalHits < 1000 {
		errs = append(errs, fmt.Errorf("MaxTotalHits %d must be at least 1000", o.MaxTotalHits))
	}
	for i, w := range o.Dictionary {
		if w == "" {
			errs = append(errs, fmt.Errorf("Dictionary[%d] is empty", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	return nil
}
