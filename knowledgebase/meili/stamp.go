package meili

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/meilisearch/meilisearch-go"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

var _ knowledgebase.BuildStamper = (*Index)(nil)

// schemaVersion names the stored shape of this adapter (attributes, term
// encoding). Documents carry pre-analysed terms, so a new shape or a new
// analysis version makes every stored document stale: the stamp then reads
// as empty and the knowledge-base service rebuilds the index at start.
const schemaVersion = "meili-schema-1"

// buildDocID is the one document of the metadata index.
const buildDocID = "build"

// buildRecord is kept in a small side index (<uid>__meta) so that it never
// shows up in Count or in searches of the main index.
type buildRecord struct {
	ID     string `json:"id"`
	Stamp  string `json:"stamp"`
	Schema string `json:"schema"`
}

func (ix *Index) metaUID() string { return ix.opts.IndexUID + "__meta" }

func internalVersion() string { return schemaVersion + "/analysis-" + analysis.Version }

// Stamp returns the stamp of the last complete build, or "" if the index
// was never built, was reset since, or was built by an adapter or analysis
// version whose stored terms differ from this one's.
func (ix *Index) Stamp() string {
	ix.stampMu.Lock()
	defer ix.stampMu.Unlock()
	return ix.stamp
}

func (ix *Index) setStamp(s string) {
	ix.stampMu.Lock()
	ix.stamp = s
	ix.stampMu.Unlock()
}

// loadStamp reads the build record at Open; a missing metadata index or
// record means "never built".
func (ix *Index) loadStamp(ctx context.Context) error {
	var rec buildRecord
	err := ix.client.Index(ix.metaUID()).GetDocument(ctx, buildDocID, nil, &rec)
	var me *meilisearch.Error
	switch {
	case errors.As(err, &me) && me.StatusCode == http.StatusNotFound:
		ix.setStamp("")
		return nil
	case err != nil:
		return mapErr("read build stamp", err)
	}
	if rec.Schema != internalVersion() {
		ix.setStamp("")
		return nil
	}
	ix.setStamp(rec.Stamp)
	return nil
}

// MarkBuilt records the stamp of a completed full build.
func (ix *Index) MarkBuilt(ctx context.Context, stamp string) error {
	meta := ix.client.Index(ix.metaUID())
	info, err := ix.client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: ix.metaUID(), PrimaryKey: attrID})
	if err != nil {
		return mapErr("create metadata index", err)
	}
	if err := ix.wait(ctx, "create metadata index", info); err != nil && !isCode(err, meilisearch.APIErrCodeIndexAlreadyExists) {
		return err
	}
	pk := attrID
	docs := []buildRecord{{ID: buildDocID, Stamp: stamp, Schema: internalVersion()}}
	info, err = meta.AddDocuments(ctx, &docs, &meilisearch.DocumentOptions{PrimaryKey: &pk})
	if err != nil {
		return mapErr("write build stamp", err)
	}
	if err := ix.wait(ctx, "write build stamp", info); err != nil {
		return err
	}
	ix.setStamp(stamp)
	return nil
}

// forgetBuild drops the build record before a reset, so that a rebuild
// interrupted half-way is redone at the next start.
func (ix *Index) forgetBuild(ctx context.Context) error {
	ix.setStamp("")
	info, err := ix.client.Index(ix.metaUID()).DeleteDocument(ctx, buildDocID, nil)
	if err != nil {
		return mapErr("forget build stamp", err)
	}
	if err := ix.wait(ctx, "forget build stamp", info); err != nil && !isCode(err, meilisearch.APIErrCodeIndexNotFound) {
		return err
	}
	return nil
}

// isCode reports whether err is a failed task with the given error code.
func isCode(err error, code meilisearch.APIErrCode) bool {
	var te *taskError
	return errors.As(err, &te) && te.code == string(code)
}

// taskError carries a failed task's code for isCode; it wraps ErrTaskFailed.
type taskError struct {
	op, status, code, message string
	uid                       int64
}

func (e *taskError) Error() string {
	return fmt.Sprintf("meili %s: task %d %s: %v: %s (%s)", e.op, e.uid, e.status, ErrTaskFailed, e.message, e.code)
}

func (e *taskError) Unwrap() error { return ErrTaskFailed }
