package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
	goredis "github.com/redis/go-redis/v9"
)

// ErrNotReplicated is returned by Commit when WAIT saw fewer than
// Options.WaitReplicas replicas acknowledge the write in time. The write was
// applied on the primary.
var ErrNotReplicated = errors.New("redis: commit not acknowledged by enough replicas")

// Options configure the Redis store. Zero values take the defaults below.
type Options struct {
	// URL is a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0.
	URL string
	// Prefix starts every key (default "hallgate:").
	Prefix string
	// WaitReplicas > 0 makes Commit wait for that many replicas (WAIT).
	WaitReplicas int
	// WaitTimeout bounds the WAIT (default 1s when WaitReplicas > 0).
	WaitTimeout time.Duration
}

// WithDefaults fills zero fields.
func (o Options) WithDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = "hallgate:"
	}
	if o.WaitReplicas > 0 && o.WaitTimeout == 0 {
		o.WaitTimeout = time.Second
	}
	return o
}

// Validate reports every problem at once; it does no I/O.
func (o Options) Validate() error {
	var errs []error
	if o.URL == "" {
		errs = append(errs, errors.New("redis: url: required"))
	} else if _, err := goredis.ParseURL(o.URL); err != nil {
		errs = append(errs, fmt.Errorf("redis: url: %w", err))
	}
	if strings.IndexByte(o.Prefix, 0) >= 0 {
		errs = append(errs, errors.New("redis: prefix: must not contain NUL"))
	}
	if o.WaitReplicas < 0 {
		errs = append(errs, errors.New("redis: wait_replicas: must not be negative"))
	}
	if o.WaitTimeout < 0 {
		errs = append(errs, errors.New("redis: wait_timeout: must not be negative"))
	}
	return errors.Join(errs...)
}

// Store is the Redis backend.
type Store struct {
	rdb    *goredis.Client
	opts   Options
	p      string
	closed atomic.Bool
}

var _ store.Store = (*Store)(nil)

// Open connects, pings and loads the scripts.
func Open(ctx context.Context, opts Options) (*Store, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ro, err := goredis.ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("redis: url: %w", err)
	}
	rdb := goredis.NewClient(ro)
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis: open %s: %w", ro.Addr, err)
	}
	for _, sc := range allScripts {
		if err := sc.Load(ctx, rdb).Err(); err != nil {
			_ = rdb.Close()
			return nil, fmt.Errorf("redis: load scripts: %w", err)
		}
	}
	return &Store{rdb: rdb, opts: opts, p: opts.Prefix}, nil
}

// Client exposes the connection for components that share it (rate limits,
// breaker state); they must use their own key prefix.
func (s *Store) Client() *goredis.Client { return s.rdb }

// Ping checks the server.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return mapErr(s.rdb.Ping(ctx).Err())
}

// Close closes the connection pool; later calls return ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.rdb.Close()
}

func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

func mapErr(err error) error {
	if errors.Is(err, goredis.ErrClosed) {
		return store.ErrClosed
	}
	return err
}

func (s *Store) run(ctx context.Context, sc *goredis.Script, keys []string, args ...any) (any, error) {
	v, err := sc.Run(ctx, s.rdb, keys, args...).Result()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	return v, mapErr(err)
}

// script args always start with the prefix.
func (s *Store) args(rest ...any) []any { return append([]any{s.p}, rest...) }

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func num(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// parseStamp reads the "sec:usec" of the server's TIME.
func parseStamp(s string) time.Time {
	sec, usec, ok := strings.Cut(s, ":")
	if !ok {
		return time.Time{}
	}
	a, _ := strconv.ParseInt(sec, 10, 64)
	b, _ := strconv.ParseInt(usec, 10, 64)
	return time.Unix(a, b*1000).UTC()
}

func nsString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

func parseNs(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func ms(d time.Duration) int64 {
	m := d.Milliseconds()
	if m < 1 {
		m = 1
	}
	return m
}
