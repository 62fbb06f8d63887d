package knowledgebase

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hallgate/hallgate/gateway/store"
)

// An import is a pipeline of three stages, each in line order:
//
//   - the caller's goroutine parses lines and prepares each batch of valid
//     lines (the store reads and record encoding of every line, on all
//     cores: lines of one import never share an id or a title, so they are
//     independent of each other);
//   - one commit goroutine writes the batch before it, in one transaction
//     (line by line when that transaction fails);
//   - one projection goroutine indexes the chunk of written entries before
//     that.
//
// Preparing batch k+1 while batch k commits only differs from preparing it
// afterwards for a line whose title batch k frees (an entry renamed away
// from it): such a line fails its title check against the store as it was.
// Every line that fails while a commit was in flight is therefore prepared
// again once that commit is done, so the outcome is the sequential one.

// importBatchBytes bounds the lines of one batch, whatever ImportBatch says,
// so one transaction stays a few MiB.
const importBatchBytes = 8 << 20

// importRun is one Import in progress.
type importRun struct {
	ctx context.Context
	s   *Service
	by  string
	res ImportResult

	pending      []pendingLine
	pendingBytes int
	committing   chan batchOutcome // the batch in flight, nil when none
	docs         []Document        // written, not yet projected
	projecting   chan struct{}     // the chunk in flight, nil when none
}

type batchOutcome struct {
	written   []Document
	unchanged int
	lineErrs  []LineError
	err       error
}

func newImportRun(ctx context.Context, s *Service, by string) *importRun {
	return &importRun{ctx: ctx, s: s, by: by, res: ImportResult{Errors: []LineError{}}}
}

func (r *importRun) fail(n int, err error) {
	r.res.Errors = append(r.res.Errors, LineError{Line: n, Error: err.Error()})
}

// add queues a valid line; a full batch goes on its way.
func (r *importRun) add(p pendingLine) error {
	r.pending = append(r.pending, p)
	r.pendingBytes += p.size
	if len(r.pending) < r.s.opts.ImportBatch && r.pendingBytes < importBatchBytes {
		return nil
	}
	return r.flush()
}

// flush prepares the pending batch, waits for the batch in flight and
// starts committing this one.
func (r *importRun) flush() error {
	batch := r.pending
	r.pending, r.pendingBytes = nil, 0
	inFlight := r.committing != nil
	preps, unchanged, lineErrs, retry, err := r.s.prepareBatch(r.ctx, r.by, batch, inFlight)
	if werr := r.awaitCommit(); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	if len(retry) > 0 { // the store has moved on: prepare those lines again
		more, u, errs, _, rerr := r.s.prepareBatch(r.ctx, r.by, retry, false)
		if rerr != nil {
			return rerr
		}
		preps, unchanged, lineErrs = append(preps, more...), unchanged+u, append(lineErrs, errs...)
	}
	r.res.Imported += unchanged
	r.res.Unchanged += unchanged
	r.res.Errors = append(r.res.Errors, lineErrs...)
	if len(preps) == 0 {
		return nil
	}
	done := make(chan batchOutcome, 1)
	r.committing = done
	go func() { done <- r.s.commitBatch(r.ctx, r.by, preps) }()
	return nil
}

// awaitCommit takes the outcome of the batch in flight, if any, and hands
// its written entries to the index chunk by chunk.
func (r *importRun) awaitCommit() error {
	if r.committing == nil {
		return nil
	}
	o := <-r.committing
	r.committing = nil
	r.docs = append(r.docs, o.written...)
	r.res.Imported += len(o.written) + o.unchanged
	r.res.Unchanged += o.unchanged
	r.res.Errors = append(r.res.Errors, o.lineErrs...)
	if len(r.docs) >= importProjectChunk {
		r.project()
	}
	return o.err
}

// project starts indexing the written entries once the chunk before them
// is indexed.
func (r *importRun) project() {
	r.awaitProject()
	if len(r.docs) == 0 {
		return
	}
	chunk, done := r.docs, make(chan struct{})
	r.docs, r.projecting = nil, done
	go func() {
		defer close(done)
		r.s.project(r.ctx, chunk...)
	}()
}

func (r *importRun) awaitProject() {
	if r.projecting != nil {
		<-r.projecting
		r.projecting = nil
	}
}

// finish commits what is pending (unless the walk failed), waits for every
// stage and answers the result, errors in line order. What was committed
// stays committed (every line is atomic) and reaches the index, whatever
// failed after it; the caller's next search sees every imported entry.
func (r *importRun) finish(walkOK bool) (ImportResult, error) {
	var err error
	if walkOK && len(r.pending) > 0 {
		err = r.flush()
	}
	if werr := r.awaitCommit(); err == nil {
		err = werr
	}
	r.drain()
	sortLineErrors(r.res.Errors)
	return r.res, err
}

// drain waits for the stages in flight and indexes what they wrote (also
// when the caller gives up early).
func (r *importRun) drain() {
	_ = r.awaitCommit()
	r.project()
	r.awaitProject()
}

// preparedImport is one line ready to commit.
type preparedImport struct {
	line pendingLine
	tx   store.Tx
	out  Entry
}

// prepareBatch prepares a batch's lines on all cores, keeping their order.
// With retryLineErrors, lines that fail as lines are returned in retry
// instead of lineErrs (a commit in flight may change their outcome).
func (s *Service) prepareBatch(ctx context.Context, by string, batch []pendingLine, retryLineErrors bool) (preps []preparedImport, unchanged int, lineErrs []LineError, retry []pendingLine, err error) {
	type result struct {
		tx   store.Tx
		out  Entry
		skip bool
		err  error
	}
	results := make([]result, len(batch))
	prep := func(i int) {
		x := &results[i]
		x.tx, x.out, x.skip, x.err = s.prepareImport(ctx, by, batch[i].entry)
	}
	workers := min(runtime.GOMAXPROCS(0), len(batch)/prepareMinPerWorker)
	if workers <= 1 {
		for i := range batch {
			prep(i)
		}
	} else {
		var (
			wg   sync.WaitGroup
			next atomic.Int64
		)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1) - 1); i < len(batch); i = int(next.Add(1) - 1) {
					prep(i)
				}
			}()
		}
		wg.Wait()
	}
	for i, x := range results {
		switch {
		case x.err != nil && !isLineError(x.err):
			return nil, 0, nil, nil, x.err
		case x.err != nil && retryLineErrors:
			retry = append(retry, batch[i])
		case x.err != nil:
			lineErrs = append(lineErrs, LineError{batch[i].n, x.err.Error()})
		case x.skip:
			unchanged++
		default:
			preps = append(preps, preparedImport{batch[i], x.tx, x.out})
		}
	}
	return preps, unchanged, lineErrs, retry, nil
}

// prepareMinPerWorker keeps small batches (an editor's handful of lines) on
// the calling goroutine.
const prepareMinPerWorker = 32

// commitBatch commits prepared lines in one transaction, falling back to
// one transaction per line, each prepared again against the latest store,
// when the batch fails.
func (s *Service) commitBatch(ctx context.Context, by string, preps []preparedImport) (o batchOutcome) {
	var all store.Tx
	for _, p := range preps {
		all.Puts = append(all.Puts, p.tx.Puts...)
		all.Deletes = append(all.Deletes, p.tx.Deletes...)
	}
	now := s.now()
	if _, err := s.st.Commit(ctx, all); err == nil {
		for _, p := range preps {
			o.written = append(o.written, p.out.Document(now))
		}
		return o
	} else if ctx.Err() != nil {
		o.err = err
		return o
	}
	// One line (or a concurrent writer) spoiled the batch: go line by line.
	for _, p := range preps {
		tx, e, skip, err := s.prepareImport(ctx, by, p.line.entry)
		if err == nil && skip {
			o.unchanged++
			continue
		}
		if err == nil {
			_, err = s.st.Commit(ctx, tx)
			err = mapStoreErr("write", err)
		}
		if err != nil {
			if !isLineError(err) {
				o.err = err
				return o
			}
			o.lineErrs = append(o.lineErrs, LineError{p.line.n, err.Error()})
			continue
		}
		o.written = append(o.written, e.Document(now))
	}
	return o
}

func isLineError(err error) bool {
	return errors.Is(err, ErrDuplicateTitle) || errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalid)
}
