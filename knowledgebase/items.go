package knowledgebase

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hallgate/hallgate/gateway/store"
)

func (s *Service) loadItem(ctx context.Context, id string) (ServiceItem, error) {
	rec, err := s.st.Get(ctx, CollItems, id)
	if err != nil {
		return ServiceItem{}, mapStoreErr("service item "+id, err)
	}
	it, err := decode[ServiceItem](rec)
	if err != nil {
		return ServiceItem{}, err
	}
	it.Version = rec.Version
	return it, nil
}

// GetItem returns a service item; callers who are not staff or its
// department see published items only.
func (s *Service) GetItem(ctx context.Context, actor Actor, id string) (ServiceItem, error) {
	it, err := s.loadItem(ctx, id)
	if err != nil {
		return ServiceItem{}, err
	}
	if !actor.Staff && !actor.Editor && !actor.owns(it.Department) && it.Status != StatusPublished {
		return ServiceItem{}, fmt.Errorf("service item %s: %w", id, ErrNotFound)
	}
	return it, nil
}

// CreateItem stores a new service item (version 1) under the same rules as
// entries: departments create their own, as draft or in_review.
func (s *Service) CreateItem(ctx context.Context, actor Actor, it ServiceItem) (ServiceItem, error) {
	it.normalize()
	if it.Department == "" && !actor.Editor && len(actor.Departments) == 1 {
		it.Department = actor.Departments[0]
	}
	if it.Status == "" {
		it.Status = StatusDraft
	}
	if !actor.Editor {
		if !actor.owns(it.Department) {
			return ServiceItem{}, fmt.Errorf("create item for department %q: %w", it.Department, ErrForbidden)
		}
		if it.Status != StatusDraft && it.Status != StatusInReview {
			return ServiceItem{}, fmt.Errorf("departments create draft or in_review items: %w", ErrForbidden)
		}
	}
	fe := it.validate()
	if err := s.checkDepartment(ctx, &fe, "department", it.Department); err != nil {
		return ServiceItem{}, err
	}
	if err := fe.err(); err != nil {
		return ServiceItem{}, err
	}
	return s.writeItem(ctx, actor.ID, nil, it, ActionCreate, "")
}

// UpdateItem replaces item id's fields if its version is expectVersion.
func (s *Service) UpdateItem(ctx context.Context, actor Actor, id string, expectVersion uint64, it ServiceItem) (ServiceItem, error) {
	if expectVersion == 0 {
		return ServiceItem{}, fmt.Errorf("update item %s: %w", id, ErrVersionRequired)
	}
	old, err := s.loadItem(ctx, id)
	if err != nil {
		return ServiceItem{}, err
	}
	if !actor.canEdit(old.Department) {
		return ServiceItem{}, fmt.Errorf("update item %s: %w", id, ErrForbidden)
	}
	it.ID = id
	it.normalize()
	if it.Department == "" {
		it.Department = old.Department
	}
	if !actor.Editor {
		if !actor.owns(it.Department) {
			return ServiceItem{}, fmt.Errorf("move item %s to department %q: %w", id, it.Department, ErrForbidden)
		}
		if old.Status != StatusDraft && old.Status != StatusInReview {
			return ServiceItem{}, fmt.Errorf("item %s is %s; departments edit draft or in_review items: %w", id, old.Status, ErrTransition)
		}
	}
	if old.Version != expectVersion {
		return ServiceItem{}, fmt.Errorf("update item %s: have version %d, expected %d: %w", id, old.Version, expectVersion, ErrConflict)
	}
	it.Status = old.Status
	fe := it.validate()
	if err := s.checkDepartment(ctx, &fe, "department", it.Department); err != nil {
		return ServiceItem{}, err
	}
	if err := fe.err(); err != nil {
		return ServiceItem{}, err
	}
	return s.writeItem(ctx, actor.ID, &old, it, ActionUpdate, "")
}

// TransitionItem moves item id to state to, under the entries' rules.
func (s *Service) TransitionItem(ctx context.Context, actor Actor, id, to string, expectVersion uint64, note string) (ServiceItem, error) {
	old, err := s.loadItem(ctx, id)
	if err != nil {
		return ServiceItem{}, err
	}
	if expectVersion != 0 && old.Version != expectVersion {
		return ServiceItem{}, fmt.Errorf("transition item %s: %w", id, ErrConflict)
	}
	if err := checkTransition(actor, old.Department, old.Status, to); err != nil {
		return ServiceItem{}, fmt.Errorf("transition item %s: %w", id, err)
	}
	it := old
	it.Status = to
	return s.writeItem(ctx, actor.ID, &old, it, ActionTransition, note)
}

// DeleteItem removes item id (editors only); its versions are kept.
func (s *Service) DeleteItem(ctx context.Context, actor Actor, id string, expectVersion uint64) error {
	if !actor.Editor {
		return fmt.Errorf("delete item %s: %w", id, ErrForbidden)
	}
	old, err := s.loadItem(ctx, id)
	if err != nil {
		return err
	}
	if expectVersion != 0 && old.Version != expectVersion {
		return fmt.Errorf("delete item %s: %w", id, ErrConflict)
	}
	vp, err := versionPut(KindItem, id, old.CreatedAt, old.Version+1, s.now().UTC(), actor.ID, ActionDelete, "", nil, nil)
	if err != nil {
		return err
	}
	tx := store.Tx{Puts: []store.Put{vp}, Deletes: []store.Delete{{Collection: CollItems, ID: id, ExpectVersion: old.Version}}}
	if _, err := s.st.Commit(ctx, tx); err != nil {
		return mapStoreErr("delete item "+id, err)
	}
	s.unproject(ctx, itemDocID(id))
	return nil
}

func (s *Service) writeItem(ctx context.Context, by string, old *ServiceItem, it ServiceItem, action, note string) (ServiceItem, error) {
	now := s.now().UTC()
	var expect uint64
	if old != nil {
		expect = old.Version
		it.CreatedAt, it.CreatedBy = old.CreatedAt, old.CreatedBy
	} else {
		it.CreatedAt, it.CreatedBy = now, by
	}
	it.Version = expect + 1
	it.UpdatedAt, it.UpdatedBy = now, by
	data, err := json.Marshal(it)
	if err != nil {
		return ServiceItem{}, fmt.Errorf("encode item %s: %w", it.ID, err)
	}
	var oldV any
	if old != nil {
		oldV = old
	}
	changes, err := diff(oldV, it)
	if err != nil {
		return ServiceItem{}, err
	}
	vp, err := versionPut(KindItem, it.ID, it.CreatedAt, it.Version, now, by, action, note, changes, data)
	if err != nil {
		return ServiceItem{}, err
	}
	tx := store.Tx{Puts: []store.Put{{
		Record:        store.Record{Collection: CollItems, ID: it.ID, Data: data, Index: map[string]string{"status": it.Status, "department": it.Department}},
		ExpectVersion: expect,
	}, vp}}
	if _, err := s.st.Commit(ctx, tx); err != nil {
		return ServiceItem{}, mapStoreErr("write item "+it.ID, err)
	}
	s.project(ctx, it.Document(s.now()))
	return it, nil
}

// ItemFilter selects items for ListItems.
type ItemFilter struct {
	Status     string
	Department string
	Limit      int
	Cursor     string
}

// ItemPage is one page of items.
type ItemPage struct {
	Items      []ServiceItem `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// ListItems pages through service items in id order; callers who are not
// staff see published items only.
func (s *Service) ListItems(ctx context.Context, actor Actor, f ItemFilter) (ItemPage, error) {
	filter := listFilter(&f.Limit, "status", f.Status, "department", f.Department)
	if actor.public() {
		filter["status"] = StatusPublished
	}
	page, err := s.st.List(ctx, CollItems, store.ListOptions{Filter: filter, Limit: f.Limit, Cursor: f.Cursor})
	if err != nil {
		return ItemPage{}, mapStoreErr("list items", err)
	}
	out := ItemPage{Items: []ServiceItem{}, NextCursor: page.NextCursor}
	for _, rec := range page.Records {
		it, err := decode[ServiceItem](rec)
		if err != nil {
			return ItemPage{}, err
		}
		it.Version = rec.Version
		if !actor.Staff && !actor.Editor && !actor.owns(it.Department) && it.Status != StatusPublished {
			continue
		}
		out.Items = append(out.Items, it)
	}
	return out, nil
}
