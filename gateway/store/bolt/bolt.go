package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("bolt: database file is locked by another process")

// Options configure the embedded store. Zero values take the defaults below.
type Options struct {
	// Path of the database file; the caller chooses it (e.g. <data-dir>/hallgate.db).
	Path string
	// LockTimeout is how long Open waits for the file lock (default 1s).
	LockTimeout time.Duration
	// BatchDelay is how long a commit waits in DB.Batch for others to share
	// its fsync (default 1ms). bbolt's own 10ms costs a lone writer too much;
	// a timer-less group commit measured slower here (fewer writes per fsync).
	BatchDelay time.Duration
	// BatchSize caps the commits sharing one fsync (default 1000).
	BatchSize int
	// SweepInterval is how often expired idempotency keys are removed (default 1m).
	SweepInterval time.Duration
}

// WithDefaults fills zero fields.
func (o Options) WithDefaults() Options {
	if o.LockTimeout == 0 {
		o.LockTimeout = time.Second
	}
	if o.BatchDelay == 0 {
		o.BatchDelay = time.Millisecond
	}
	if o.BatchSize == 0 {
		o.BatchSize = 1000
	}
	if o.SweepInterval == 0 {
		o.SweepInterval = time.Minute
	}
	return o
}

// Validate reports every problem at once; it does no I/O.
func (o Options) Validate() error {
	var errs []error
	if o.Path == "" {
		errs = append(errs, errors.New("bolt: path: required"))
	}
	if o.LockTimeout < 0 {
		errs = append(errs, errors.New("bolt: lock_timeout: must not be negative"))
	}
	if o.BatchDelay < 0 {
		errs = append(errs, errors.New("bolt: batch_delay: must not be negative"))
	}
	if o.BatchSize < 0 {
		errs = append(errs, errors.New("bolt: batch_size: must not be negative"))
	}
	if o.SweepInterval < 0 {
		errs = append(errs, errors.New("bolt: sweep_interval: must not be negative"))
	}
	return errors.Join(errs...)
}

// Store is the bbolt backend.
type Store struct {
	db        *bbolt.DB
	opts      Options
	closed    atomic.Bool
	closeOnce sync.Once
	stop      chan struct{}
	wg        sync.WaitGroup
}

var _ store.Store = (*Store)(nil)

var (
	bRecords   = []byte("records")
	bIndex     = []byte("index")
	bCounts    = []byte("counts")
	bItems     = []byte("ob.items")
	bDue       = []byte("ob.due")
	bPending   = []byte("ob.pending")
	bDead      = []byte("ob.dead")
	bDeadAt    = []byte("ob.deadat")
	bIdem      = []byte("idem")
	bIdemExp   = []byte("idem.exp")
	bCounters  = []byte("counters")
	bLeases    = []byte("leases")
	allBuckets = [][]byte{bRecords, bIndex, bCounts, bItems, bDue, bPending, bDead, bDeadAt, bIdem, bIdemExp, bCounters, bLeases}
)

// Open opens (creating if needed) the database file.
func Open(ctx context.Context, opts Options) (*Store, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if dir := filepath.Dir(opts.Path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("bolt: open %s: %w", opts.Path, err)
		}
	}
	db, err := bbolt.Open(opts.Path, 0o600, &bbolt.Options{Timeout: opts.LockTimeout, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bberrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s (waited %s)", ErrLocked, opts.Path, opts.LockTimeout)
		}
		return nil, fmt.Errorf("bolt: open %s: %w", opts.Path, err)
	}
	db.MaxBatchDelay = opts.BatchDelay
	db.MaxBatchSize = opts.BatchSize
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bolt: init %s: %w", opts.Path, err)
	}
	s := &Store{db: db, opts: opts, stop: make(chan struct{})}
	s.wg.Add(1)
	go s.sweepLoop()
	return s, nil
}

// Path returns the database file.
func (s *Store) Path() string { return s.opts.Path }

// Ping reports whether the store is open.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return s.view(func(tx *bbolt.Tx) error { return nil })
}

// Close stops the sweeper and closes the file; later calls return ErrClosed.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.stop)
		s.wg.Wait()
		err = s.db.Close()
	})
	return err
}

func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// update runs fn in a batched, fsync'd write transaction. fn may run more
// than once (bbolt re-runs a batch when one member fails), so it must reset
// any result it collects.
func (s *Store) update(fn func(tx *bbolt.Tx) error) error {
	return mapErr(s.db.Batch(fn))
}

func (s *Store) view(fn func(tx *bbolt.Tx) error) error {
	return mapErr(s.db.View(fn))
}

func mapErr(err error) error {
	if errors.Is(err, bberrors.ErrDatabaseNotOpen) {
		return store.ErrClosed
	}
	return err
}

func (s *Store) sweepLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			_ = s.sweepIdempotency(time.Now())
		}
	}
}

// key helpers

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func ns(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	n := t.UnixNano()
	if n < 0 {
		return 0
	}
	return uint64(n)
}

func cat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var nul = []byte{0}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
