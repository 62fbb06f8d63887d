package knowledgebase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ImportItems reads service items as JSON Lines (the ServiceItem JSON
// shape; id defaults to code) and upserts them (editors only). Items are
// published unless status says otherwise. Like Import, each line is checked
// and written on its own: rejected lines are reported by number and write
// nothing, accepted lines are kept.
func (s *Service) ImportItems(ctx context.Context, actor Actor, r io.Reader) (ImportResult, error) {
	if !actor.Editor {
		return ImportResult{}, fmt.Errorf("import items: %w", ErrForbidden)
	}
	res := ImportResult{Errors: []LineError{}}
	fail := func(n int, err error) { res.Errors = append(res.Errors, LineError{Line: n, Error: err.Error()}) }
	seen := map[string]int{}
	known := departmentRefs{}
	err := s.eachLine(ctx, r, func(n int, raw []byte) error {
		if err := s.importItemLine(ctx, actor, raw, n, seen, known, &res); err != nil {
			if !isLineError(err) && !errors.Is(err, ErrUnknownDepartment) {
				return err
			}
			fail(n, err)
		}
		return nil
	}, fail)
	if err != nil {
		return res, fmt.Errorf("import items: %w", err)
	}
	return res, nil
}

func (s *Service) importItemLine(ctx context.Context, actor Actor, raw []byte, n int, seen map[string]int, known departmentRefs, res *ImportResult) error {
	var it ServiceItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return fmt.Errorf("malformed JSON: %v: %w", err, ErrInvalid)
	}
	it.normalize()
	if it.Status == "" {
		it.Status = StatusPublished
	}
	if prev, dup := seen[it.ID]; dup {
		return fmt.Errorf("duplicate id %q (line %d): %w", it.ID, prev, ErrInvalid)
	}
	fe := it.validate()
	if it.Department != "" {
		code, reason, err := known.resolve(ctx, s.depts, it.Department)
		if err != nil {
			return err
		}
		if reason != "" {
			fe.add("department", reason)
		}
		it.Department = code
	}
	if err := fe.err(); err != nil {
		return err
	}
	seen[it.ID] = n
	old, err := s.loadItem(ctx, it.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		_, err = s.writeItem(ctx, actor.ID, nil, it, ActionImport, "")
	case err != nil:
		return err
	default:
		changes, derr := diff(&old, &it)
		if derr != nil {
			return derr
		}
		if len(changes) == 0 {
			res.Imported++
			res.Unchanged++
			return nil
		}
		_, err = s.writeItem(ctx, actor.ID, &old, it, ActionImport, "")
	}
	if err != nil {
		return err
	}
	res.Imported++
	return nil
}
