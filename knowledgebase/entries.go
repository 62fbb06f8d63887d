package knowledgebase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/hallgate/hallgate/gateway/store"
)

// GetEntry returns an entry as actor may see it: staff see every entry,
// department principals their own in any state, everyone else only
// published public entries within their validity.
func (s *Service) GetEntry(ctx context.Context, actor Actor, id string) (Entry, error) {
	e, err := s.loadEntry(ctx, id)
	if err != nil {
		return Entry{}, err
	}
	if !s.visibleTo(actor, &e) {
		return Entry{}, fmt.Errorf("kb entry %s: %w", id, ErrNotFound)
	}
	e.Flags = dateFlags(e.EffectiveFrom, e.ExpiresAt, e.ReviewDue, s.now())
	return e, nil
}

func (s *Service) visibleTo(actor Actor, e *Entry) bool {
	if actor.Staff || actor.Editor || actor.owns(e.Department) {
		return true
	}
	return e.Visibility == VisibilityPublic && searchable(e.Status, e.EffectiveFrom, e.ExpiresAt, s.now())
}

func (s *Service) loadEntry(ctx context.Context, id string) (Entry, error) {
	rec, err := s.st.Get(ctx, CollEntries, id)
	if err != nil {
		return Entry{}, mapStoreErr("kb entry "+id, err)
	}
	e, err := decode[Entry](rec)
	if err != nil {
		return Entry{}, err
	}
	e.Version = rec.Version
	return e, nil
}

// CreateEntry validates and stores a new entry as version 1. Departments
// may create entries of their own department only, as draft or in_review;
// an empty id gets a generated one.
func (s *Service) CreateEntry(ctx context.Context, actor Actor, e Entry) (Entry, error) {
	e.normalize()
	if e.Department == "" && !actor.Editor && len(actor.Departments) == 1 {
		e.Department = actor.Departments[0] // a department writes for itself
	}
	if e.Status == "" {
		e.Status = StatusDraft
	}
	if !actor.Editor {
		if !actor.owns(e.Department) {
			return Entry{}, fmt.Errorf("create entry for department %q: %w", e.Department, ErrForbidden)
		}
		if e.Status != StatusDraft && e.Status != StatusInReview {
			return Entry{}, fmt.Errorf("departments create draft or in_review entries, not %s: %w", e.Status, ErrForbidden)
		}
	}
	fe := e.validate()
	if err := s.checkDepartment(ctx, &fe, "department", e.Department); err != nil {
		return Entry{}, err
	}
	if err := fe.err(); err != nil {
		return Entry{}, err
	}
	if e.ID == "" {
		n, err := s.st.Next(ctx, counterEntry)
		if err != nil {
			return Entry{}, fmt.Errorf("kb entry id: %w", err)
		}
		e.ID = fmt.Sprintf("kb-%06d", n)
	}
	out, err := s.writeEntry(ctx, actor.ID, nil, e, ActionCreate, "")
	return out, err
}

// UpdateEntry replaces the editable fields of entry id, if its current
// version is expectVersion (0 = ErrVersionRequired). The status is changed
// only through TransitionEntry. Departments edit their own draft and
// in_review entries; published ones are edited by editors (or withdrawn to
// draft first), so a department cannot change a live answer unreviewed.
func (s *Service) UpdateEntry(ctx context.Context, actor Actor, id string, expectVersion uint64, e Entry) (Entry, error) {
	if expectVersion == 0 {
		return Entry{}, fmt.Errorf("update entry %s: %w", id, ErrVersionRequired)
	}
	old, err := s.loadEntry(ctx, id)
	if err != nil {
		return Entry{}, err
	}
	if !actor.canEdit(old.Department) {
		return Entry{}, fmt.Errorf("update entry %s of department %s: %w", id, old.Department, ErrForbidden)
	}
	e.ID = id
	e.normalize()
	if e.Department == "" {
		e.Department = old.Department // omitted: stays where it is
	}
	if !actor.Editor {
		if !actor.owns(e.Department) {
			return Entry{}, fmt.Errorf("move entry %s to department %q: %w", id, e.Department, ErrForbidden)
		}
		if old.Status != StatusDraft && old.Status != StatusInReview {
			return Entry{}, fmt.Errorf("entry %s is %s; departments edit draft or in_review entries: %w", id, old.Status, ErrTransition)
		}
	}
	if old.Version != expectVersion {
		return Entry{}, fmt.Errorf("update entry %s: have version %d, expected %d: %w", id, old.Version, expectVersion, ErrConflict)
	}
	e.Status = old.Status
	fe := e.validate()
	if err := s.checkDepartment(ctx, &fe, "department", e.Department); err != nil {
		return Entry{}, err
	}
	if err := fe.err(); err != nil {
		return Entry{}, err
	}
	return s.writeEntry(ctx, actor.ID, &old, e, ActionUpdate, "")
}

// transitions lists, per (from, to), whether departments may take it too;
// every listed transition is open to editors.
var transitions = map[[2]string]bool{
	{StatusDraft, StatusInReview}:     true, // propose
	{StatusInReview, StatusDraft}:     true, // withdraw / send back
	{StatusInReview, StatusPublished}: false,
	{StatusDraft, StatusPublished}:    false,
	{StatusPublished, StatusDraft}:    false, // take offline for rework
	{StatusPublished, StatusArchived}: false,
	{StatusDraft, StatusArchived}:     false,
	{StatusInReview, StatusArchived}:  false,
	{StatusArchived, StatusDraft}:     false, // restore
}

// AllowedTransitions lists the states actor may move a document of dept in
// state from to.
func AllowedTransitions(actor Actor, dept, from string) []string {
	var out []string
	for _, to := range []string{StatusDraft, StatusInReview, StatusPublished, StatusArchived} {
		deptOK, ok := transitions[[2]string{from, to}]
		if ok && (actor.Editor || (deptOK && actor.owns(dept))) {
			out = append(out, to)
		}
	}
	return out
}

func checkTransition(actor Actor, dept, from, to string) error {
	if !validStatus(to) {
		return &ValidationError{Fields: []FieldError{{"to", "one of draft, in_review, published, archived"}}}
	}
	if !actor.canEdit(dept) {
		return fmt.Errorf("department %s: %w", dept, ErrForbidden)
	}
	if slices.Contains(AllowedTransitions(actor, dept, from), to) {
		return nil
	}
	if _, exists := transitions[[2]string{from, to}]; exists {
		return fmt.Errorf("%s → %s is for editors: %w", from, to, ErrForbidden)
	}
	return fmt.Errorf("%s → %s: %w", from, to, ErrTransition)
}

// TransitionEntry moves entry id to state to. expectVersion 0 skips the
// version check (the transition table already guards the state).
func (s *Service) TransitionEntry(ctx context.Context, actor Actor, id, to string, expectVersion uint64, note string) (Entry, error) {
	old, err := s.loadEntry(ctx, id)
	if err != nil {
		return Entry{}, err
	}
	if expectVersion != 0 && old.Version != expectVersion {
		return Entry{}, fmt.Errorf("transition entry %s: have version %d, expected %d: %w", id, old.Version, expectVersion, ErrConflict)
	}
	if err := checkTransition(actor, old.Department, old.Status, to); err != nil {
		return Entry{}, fmt.Errorf("transition entry %s: %w", id, err)
	}
	e := old
	e.Status = to
	return s.writeEntry(ctx, actor.ID, &old, e, ActionTransition, note)
}

// DeleteEntry removes entry id (editors only). Its versions are kept, with
// a final "delete" version.
func (s *Service) DeleteEntry(ctx context.Context, actor Actor, id string, expectVersion uint64) error {
	if !actor.Editor {
		return fmt.Errorf("delete entry %s: %w", id, ErrForbidden)
	}
	old, err := s.loadEntry(ctx, id)
	if err != nil {
		return err
	}
	if expectVersion != 0 && old.Version != expectVersion {
		return fmt.Errorf("delete entry %s: %w", id, ErrConflict)
	}
	now := s.now().UTC()
	vp, err := versionPut(KindEntry, id, old.CreatedAt, old.Version+1, now, actor.ID, ActionDelete, "", nil, nil)
	if err != nil {
		return err
	}
	tx := store.Tx{
		Puts: []store.Put{vp},
		Deletes: []store.Delete{
			{Collection: CollEntries, ID: id, ExpectVersion: old.Version},
			{Collection: CollTitles, ID: titleKey(old.Title)},
		},
	}
	if _, err := s.st.Commit(ctx, tx); err != nil {
		return mapStoreErr("delete entry "+id, err)
	}
	s.unproject(ctx, id)
	return nil
}

// writeEntry commits one entry change with its title reservation and its
// version record, then projects it into the index.
func (s *Service) writeEntry(ctx context.Context, by string, old *Entry, e Entry, action, note string) (Entry, error) {
	tx, e, err := s.entryTx(ctx, by, old, e, action, note)
	if err != nil {
		return Entry{}, err
	}
	if _, err := s.st.Commit(ctx, tx); err != nil {
		return Entry{}, mapStoreErr("write entry "+e.ID, err)
	}
	s.project(ctx, e.Document(s.now()))
	e.Flags = dateFlags(e.EffectiveFrom, e.ExpiresAt, e.ReviewDue, s.now())
	return e, nil
}

// entryTx builds the transaction of one entry change. It checks the title
// reservation first for a precise error; the Tx's own version checks keep a
// concurrent writer from slipping in between.
func (s *Service) entryTx(ctx context.Context, by string, old *Entry, e Entry, action, note string) (store.Tx, Entry, error) {
	now := s.now().UTC()
	var expect uint64
	if old != nil {
		expect = old.Version
		e.CreatedAt, e.CreatedBy = old.CreatedAt, old.CreatedBy
	} else {
		e.CreatedAt, e.CreatedBy = now, by
	}
	e.Version = expect + 1
	e.UpdatedAt, e.UpdatedBy = now, by
	e.Flags = nil

	var tx store.Tx
	newKey := titleKey(e.Title)
	if old == nil || titleKey(old.Title) != newKey {
		rec, err := s.st.Get(ctx, CollTitles, newKey)
		switch {
		case err == nil:
			if tr, derr := decode[titleRecord](rec); derr == nil && tr.EntryID != e.ID {
				return tx, e, fmt.Errorf("title already used by entry %s: %w", tr.EntryID, ErrDuplicateTitle)
			}
			// A leftover reservation of this very entry: take it over.
			data, _ := json.Marshal(titleRecord{EntryID: e.ID, Title: e.Title})
			tx.Puts = append(tx.Puts, store.Put{Record: store.Record{Collection: CollTitles, ID: newKey, Data: data}, ExpectVersion: rec.Version})
		case errors.Is(err, store.ErrNotFound):
			data, _ := json.Marshal(titleRecord{EntryID: e.ID, Title: e.Title})
			tx.Puts = append(tx.Puts, store.Put{Record: store.Record{Collection: CollTitles, ID: newKey, Data: data}})
		default:
			return tx, e, mapStoreErr("title check", err)
		}
		if old != nil {
			tx.Deletes = append(tx.Deletes, store.Delete{Collection: CollTitles, ID: titleKey(old.Title)})
		}
	}
	data, err := json.Marshal(e)
	if err != nil {
		return tx, e, fmt.Errorf("encode entry %s: %w", e.ID, err)
	}
	var oldJSON []byte
	if old != nil {
		if oldJSON, err = json.Marshal(old); err != nil {
			return tx, e, fmt.Errorf("encode entry %s: %w", e.ID, err)
		}
	}
	changes, err := diffJSON(oldJSON, data)
	if err != nil {
		return tx, e, fmt.Errorf("diff entry %s: %w", e.ID, err)
	}
	vp, err := versionPut(KindEntry, e.ID, e.CreatedAt, e.Version, now, by, action, note, changes, data)
	if err != nil {
		return tx, e, err
	}
	tx.Puts = append(tx.Puts, store.Put{
		Record:        store.Record{Collection: CollEntries, ID: e.ID, Data: data, Index: entryIndex(&e)},
		ExpectVersion: expect,
	}, vp)
	return tx, e, nil
}

// entryIndex is an entry's store index. A dated entry (an effective date or
// an expiry) is also indexed as such, so the minutely sweep reads the dated
// entries only, never the whole knowledge base.
func entryIndex(e *Entry) map[string]string {
	ix := map[string]string{"status": e.Status, "department": e.Department, "visibility": e.Visibility}
	if e.dated() {
		ix[indexDated] = "1"
	}
	return ix
}

// dated says whether the entry joins or leaves search on a date.
func (e *Entry) dated() bool { return !e.EffectiveFrom.IsZero() || !e.ExpiresAt.IsZero() }

// EntryFilter selects entries for ListEntries.
type EntryFilter struct {
	Status     string
	Department string
	Visibility string
	Flag       string // FlagExpired, FlagReviewDue, FlagNotYetEffective
	Limit      int    // default 50, max 500
	Cursor     string
}

// EntryPage is one page of entries.
type EntryPage struct {
	Entries    []Entry `json:"entries"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// ListEntries pages through entries in id order. Callers who are not staff
// see published public entries only.
func (s *Service) ListEntries(ctx context.Context, actor Actor, f EntryFilter) (EntryPage, error) {
	filter := listFilter(&f.Limit, "status", f.Status, "department", f.Department, "visibility", f.Visibility)
	if actor.public() {
		filter["status"], filter["visibility"] = StatusPublished, VisibilityPublic
	}
	out := EntryPage{Entries: []Entry{}}
	cursor := f.Cursor
	now := s.now()
	// Post-filters (flags, visibility) may drop records; keep paging until
	// the page is full or the collection ends.
	for {
		page, err := s.st.List(ctx, CollEntries, store.ListOptions{Filter: filter, Limit: f.Limit, Cursor: cursor})
		if err != nil {
			return EntryPage{}, mapStoreErr("list entries", err)
		}
		for _, rec := range page.Records {
			e, err := decode[Entry](rec)
			if err != nil {
				return EntryPage{}, err
			}
			e.Version = rec.Version
			if !s.visibleTo(actor, &e) {
				continue
			}
			e.Flags = dateFlags(e.EffectiveFrom, e.ExpiresAt, e.ReviewDue, now)
			if f.Flag != "" && !slices.Contains(e.Flags, f.Flag) {
				continue
			}
			out.Entries = append(out.Entries, e)
		}
		cursor = page.NextCursor
		if cursor == "" || len(out.Entries) >= f.Limit {
			break
		}
	}
	out.NextCursor = cursor
	return out, nil
}
