package embedded

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hallgate/hallgate/knowledgebase"
)

// Write-ahead log operations, one JSON object per line. JSON keeps the log
// inspectable; it only holds the changes since the last snapshot.
const (
	opUpsert   = "upsert"
	opDelete   = "delete"
	opSynonyms = "synonyms"
)

type walOp struct {
	Op     string                   `json:"op"`
	Docs   []knowledgebase.Document `json:"docs,omitempty"`
	IDs    []string                 `json:"ids,omitempty"`
	Groups [][]string               `json:"groups,omitempty"`
}

type wal struct {
	f    *os.File
	w    *bufio.Writer
	sync bool
}

func openWAL(path string, sync bool) (*wal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &wal{f: f, w: bufio.NewWriterSize(f, 64<<10), sync: sync}, nil
}

func (w *wal) append(op walOp) error {
	b, err := json.Marshal(op)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := w.w.Write(b); err != nil {
		return err
	}
	if err := w.w.Flush(); err != nil {
		return err
	}
	if w.sync {
		return w.f.Sync()
	}
	return nil
}

func (w *wal) truncate() error {
	if err := w.w.Flush(); err != nil {
		return err
	}
	if err := w.f.Truncate(0); err != nil {
		return err
	}
	_, err := w.f.Seek(0, io.SeekStart)
	return err
}

func (w *wal) close() error {
	return errors.Join(w.w.Flush(), w.f.Close())
}

// readWAL returns the operations of a log; a torn last line (crash during
// append) is ignored, a bad line elsewhere is corruption.
func readWAL(path string) ([]walOp, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var ops []walOp
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if len(b) > 0 && b[len(b)-1] == '\n' {
			var op walOp
			if jerr := json.Unmarshal(b, &op); jerr != nil {
				return nil, fmt.Errorf("%w: wal line %d: %v", ErrCorrupt, line, jerr)
			}
			ops = append(ops, op)
		}
		if err == io.EOF {
			return ops, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// log appends an operation; caller holds mu. n counts document changes.
//
// While the index has no build stamp (never built, or between Reset and
// MarkBuilt during a rebuild) nothing is logged: after a crash the empty
// Stamp makes the owner rebuild from the store anyway, so logging a full
// rebuild would only double its cost. The changes are persisted by the
// next MarkBuilt, Snapshot or Close.
func (x *Index) log(op walOp, n int) error {
	if x.wal == nil {
		return nil
	}
	if x.stamp == "" {
		x.logged += n
		x.unlogged = true
		return nil
	}
	if err := x.wal.append(op); err != nil {
		return fmt.Errorf("embedded wal: %w", err)
	}
	x.logged += n
	return nil
}

func (x *Index) maybeSnapshot() error {
	if x.wal == nil || x.unlogged || x.logged < x.opts.SnapshotEvery {
		return nil
	}
	return x.snapshotLocked()
}
