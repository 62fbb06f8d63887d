package topics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/store"
)

// HeaderEventID carries the topic id: the receiver's deduplication key,
// since delivery is at least once.
const HeaderEventID = "X-Hallgate-Event-Id"

// AlertOptions configure an Alerter.
type AlertOptions struct {
	Store store.Store
	// URL receives POST application/json {"event":"topic.flagged","topic":…,"alarm":…}.
	URL string
	// Secret signs each body with auth.SignHMAC (headers X-Hallgate-Timestamp
	// and X-Hallgate-Signature).
	Secret []byte
	Client *http.Client // default: 10s timeout
	// MaxAttempts before the alert is dead-lettered (default 10); the wait
	// doubles from Backoff (default 2s) up to MaxBackoff (default 5m).
	MaxAttempts int
	Backoff     time.Duration
	MaxBackoff  time.Duration
	// Owner names this replica when claiming alerts.
	Owner        string
	PollInterval time.Duration // default 500ms
	Logger       *slog.Logger
}

func (o AlertOptions) withDefaults() AlertOptions {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 10
	}
	if o.Backoff == 0 {
		o.Backoff = 2 * time.Second
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.Owner == "" {
		o.Owner = Options{}.withDefaults().Owner
	}
	if o.PollInterval == 0 {
		o.PollInterval = 500 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// Validate reports every problem at once.
func (o AlertOptions) Validate() error {
	var errs []error
	if o.Store == nil {
		errs = append(errs, errors.New("Store is nil"))
	}
	if u, err := url.Parse(o.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("URL %q is not an absolute http(s) URL", o.URL))
	}
	if len(o.Secret) < 16 {
		errs = append(errs, errors.New("Secret must have at least 16 bytes"))
	}
	if o.MaxAttempts < 0 || o.Backoff < 0 || o.MaxBackoff < 0 {
		errs = append(errs, errors.New("MaxAttempts, Backoff and MaxBackoff must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: alert: %w", ErrBadOptions, err)
	}
	return nil
}

// Alerter delivers queued topic alerts to the webhook. Several replicas may
// run one; the outbox lease gives each alert to one of them at a time.
type Alerter struct{ o AlertOptions }

// NewAlerter validates the options.
func NewAlerter(o AlertOptions) (*Alerter, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Alerter{o: o.withDefaults()}, nil
}

// Run delivers alerts until ctx ends.
func (a *Alerter) Run(ctx context.Context) error {
	for {
		n, err := a.DeliverOnce(ctx)
		if err != nil && ctx.Err() == nil {
			a.o.Logger.Warn("topics: alert round failed", "err", err)
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(a.o.PollInterval):
		}
	}
}

// DeliverOnce claims due alerts and posts each once; it returns how many it
// attempted.
func (a *Alerter) DeliverOnce(ctx context.Context) (int, error) {
	items, err := a.o.Store.Claim(ctx, TopicAlert, a.o.Owner, 16, a.o.Client.Timeout+30*time.Second)
	if err != nil {
		return 0, fmt.Errorf("topics alerts claim: %w", err)
	}
	for _, it := range items {
		err := a.post(ctx, it)
		switch {
		case err == nil:
			err = a.o.Store.Ack(ctx, it)
		case errors.Is(err, errPermanent) || it.Attempts+1 >= a.o.MaxAttempts:
			a.o.Logger.Warn("topics: alert dead-lettered", "id", it.ID, "err", err)
			err = a.o.Store.DeadLetter(ctx, it, err.Error())
		default:
			wait := min(a.o.Backoff<<min(it.Attempts, 20), a.o.MaxBackoff)
			err = a.o.Store.Retry(ctx, it, time.Now().Add(wait), err.Error(), true)
		}
		if err != nil {
			return len(items), fmt.Errorf("topics alert %s: %w", it.ID, err)
		}
	}
	return len(items), nil
}

var errPermanent = errors.New("permanent webhook failure")

func (a *Alerter) post(ctx context.Context, it store.OutboxItem) error {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.o.URL, bytes.NewReader(it.Payload))
	if err != nil {
		return fmt.Errorf("%w: %w", errPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(auth.HeaderTimestamp, ts)
	req.Header.Set(auth.HeaderSignature, auth.SignHMAC(a.o.Secret, ts, it.Payload))
	req.Header.Set(HeaderEventID, strings.TrimPrefix(it.ID, TopicAlert+"/"))
	resp, err := a.o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return fmt.Errorf("%w: webhook answered %d", errPermanent, resp.StatusCode)
}
