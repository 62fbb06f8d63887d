package knowledgebase

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/width"

	"github.com/hallgate/hallgate/gateway/store"
)

// Change is one field that differs between two versions.
type Change struct {
	Field string `json:"field"`
	From  any    `json:"from,omitempty"`
	To    any    `json:"to,omitempty"`
}

// Version is one kept version of an entry or item: who, when, what changed,
// and the full snapshot after the change.
type Version struct {
	Kind     string          `json:"kind"` // KindEntry or KindItem
	ID       string          `json:"id"`
	Version  uint64          `json:"version"`
	At       time.Time       `json:"at"`
	By       string          `json:"by"`
	Action   string          `json:"action"` // create, update, transition, import, delete
	Note     string          `json:"note,omitempty"`
	Changes  []Change        `json:"changes"`
	Snapshot json.RawMessage `json:"snapshot,omitempty"`
}

// Version actions.
const (
	ActionCreate     = "create"
	ActionUpdate     = "update"
	ActionTransition = "transition"
	ActionImport     = "import"
	ActionDelete     = "delete"
)

// bookkeeping fields are not part of a diff: they change on every write.
var bookkeeping = map[string]bool{
	"version": true, "created_at": true, "created_by": true,
	"updated_at": true, "updated_by": true, "flags": true,
}

// diff compares two JSON-encodable values field by field (top level); a
// nil pointer is an empty object (creation).
func diff(oldV, newV any) ([]Change, error) {
	enc := func(v any) ([]byte, error) {
		if v == nil || (reflect.ValueOf(v).Kind() == reflect.Pointer && reflect.ValueOf(v).IsNil()) {
			return nil, nil
		}
		return json.Marshal(v)
	}
	a, err := enc(oldV)
	if err != nil {
		return nil, err
	}
	b, err := enc(newV)
	if err != nil {
		return nil, err
	}
	return diffJSON(a, b)
}

// diffJSON compares two JSON objects (nil = empty) field by field.
func diffJSON(oldJSON, newJSON []byte) ([]Change, error) {
	toMap := func(b []byte) (map[string]any, error) {
		m := map[string]any{}
		if len(b) == 0 {
			return m, nil
		}
		return m, json.Unmarshal(b, &m)
	}
	a, err := toMap(oldJSON)
	if err != nil {
		return nil, err
	}
	b, err := toMap(newJSON)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var out []Change
	for k := range keys {
		if bookkeeping[k] {
			continue
		}
		if !reflect.DeepEqual(a[k], b[k]) {
			out = append(out, Change{Field: k, From: a[k], To: b[k]})
		}
	}
	slices.SortFunc(out, func(x, y Change) int { return strings.Compare(x.Field, y.Field) })
	return out, nil
}

// versionKey sorts a document's versions in order under its prefix.
// The creation time keeps the history of a deleted and re-created id apart.
func versionKey(kind, id string, created time.Time, v uint64) string {
	return fmt.Sprintf("%s:%s@%019d.%012d", kind, id, created.UnixNano(), v)
}

func versionIndexKey(kind, id string) string { return kind + ":" + id }

// versionPut builds the kb_versions record of a write.
func versionPut(kind, id string, created time.Time, ver uint64, at time.Time, by, action, note string, changes []Change, snapshot []byte) (store.Put, error) {
	if changes == nil {
		changes = []Change{}
	}
	v := Version{Kind: kind, ID: id, Version: ver, At: at, By: by, Action: action, Note: note, Changes: changes, Snapshot: snapshot}
	data, err := json.Marshal(v)
	if err != nil {
		return store.Put{}, err
	}
	return store.Put{
		Record: store.Record{Collection: CollVersions, ID: versionKey(kind, id, created, ver), Data: data,
			Index: map[string]string{"doc": versionIndexKey(kind, id)}},
		Force: true, // written once: the key is unique per generation and version
	}, nil
}

// Versions lists every kept version of an entry (KindEntry) or item
// (KindItem), oldest first.
func (s *Service) Versions(ctx context.Context, kind, id string) ([]Version, error) {
	var out []Version
	cursor := ""
	for {
		page, err := s.st.List(ctx, CollVersions, store.ListOptions{
			Filter: map[string]string{"doc": versionIndexKey(kind, id)}, Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, mapStoreErr("kb versions "+id, err)
		}
		for _, rec := range page.Records {
			v, err := decode[Version](rec)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	slices.SortFunc(out, func(a, b Version) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		switch {
		case a.Version < b.Version:
			return -1
		case a.Version > b.Version:
			return 1
		}
		return 0
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("kb versions %s: %w", id, ErrNotFound)
	}
	return out, nil
}

// normText folds width and case and trims, so that "ＡＢＣ？" and "abc?"
// are one title and one analytics query.
func normText(s string) string {
	s = width.Fold.String(strings.TrimSpace(s))
	s = strings.ToLower(s)
	return strings.Join(strings.Fields(s), " ")
}

// titleKey is the kb_titles record id that reserves a title.
func titleKey(title string) string {
	sum := sha256.Sum256([]byte(normText(title)))
	return hex.EncodeToString(sum[:16])
}

type titleRecord struct {
	EntryID string `json:"entry_id"`
	Title   string `json:"title"`
}
