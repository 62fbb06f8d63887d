package hotline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// Consolidation modes of a legacy number (DOMAIN.md).
const (
	ModeMerged    = "merged"    // the number forwards to 12345 agents
	ModeParallel  = "parallel"  // the department keeps its seats and files into hallgate
	ModeSubcentre = "subcentre" // tickets of its domain go to the sub-centre's connector
)

const collHotlines = "hotlines"

// ErrInvalid wraps validation failures of hotline records.
var ErrInvalid = errors.New("hotline: invalid")

// Hotline is one legacy departmental number federated into 12345.
type Hotline struct {
	Number       string    `json:"number"`
	Name         string    `json:"name,omitempty"` // e.g. 人社服务热线
	Department   string    `json:"department"`
	Mode         string    `json:"mode"`
	Connector    string    `json:"connector,omitempty"`     // sub-centre mode: where its tickets go
	ServiceHours string    `json:"service_hours,omitempty"` // e.g. "7x24" or "工作日 8:30-17:30"
	Version      uint64    `json:"version"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// TransferTarget is an emergency number that 12345 transfers to at once.
type TransferTarget struct {
	Number string `json:"number"`
	Name   string `json:"name"`
}

// TransferTargets are the emergency services that stay outside 12345.
var TransferTargets = []TransferTarget{
	{"110", "公安报警"}, {"119", "消防救援"}, {"120", "医疗急救"}, {"122", "交通事故报警"},
}

// IsTransferTarget reports whether number is one of the emergency numbers.
func IsTransferTarget(number string) bool {
	return slices.ContainsFunc(TransferTargets, func(t TransferTarget) bool { return t.Number == number })
}

// Validate reports every problem of h at once.
func (h Hotline) Validate(departmentExists func(string) bool) error {
	var problems []string
	if h.Number == "" || strings.Trim(h.Number, "0123456789") != "" || len(h.Number) > 16 {
		problems = append(problems, "number: 必须是数字号码")
	}
	if IsTransferTarget(h.Number) {
		problems = append(problems, "number: 110/119/120/122 是紧急转接号码，不能登记为并入热线")
	}
	if h.Department == "" {
		problems = append(problems, "department: 必填")
	} else if departmentExists != nil && !departmentExists(h.Department) {
		problems = append(problems, "department: 未知部门 "+h.Department)
	}
	switch h.Mode {
	case ModeMerged, ModeParallel:
	case ModeSubcentre:
		if h.Connector == "" {
			problems = append(problems, "connector: 分中心模式必须指定连接器")
		}
	default:
		problems = append(problems, "mode: 必须是 merged、parallel 或 subcentre")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

// Registry keeps the legacy numbers in the store.
type Registry struct {
	st  store.Store
	now func() time.Time
}

// NewRegistry returns a registry over st.
func NewRegistry(st store.Store) *Registry { return &Registry{st: st, now: time.Now} }

// Put creates or replaces a hotline. A positive h.Version must match the
// stored one (optimistic concurrency); zero creates or overwrites.
func (r *Registry) Put(ctx context.Context, h Hotline, departmentExists func(string) bool) (Hotline, error) {
	if err := h.Validate(departmentExists); err != nil {
		return Hotline{}, err
	}
	h.UpdatedAt = r.now().UTC()
	expect := h.Version
	data, err := json.Marshal(h)
	if err != nil {
		return Hotline{}, err
	}
	recs, err := r.st.Commit(ctx, store.Tx{Puts: []store.Put{{
		Record:        store.Record{Collection: collHotlines, ID: h.Number, Data: data, Index: map[string]string{"department": h.Department, "mode": h.Mode}},
		ExpectVersion: expect,
		Force:         expect == 0,
	}}})
	if err != nil {
		return Hotline{}, fmt.Errorf("put hotline %s: %w", h.Number, err)
	}
	h.Version = recs[0].Version
	return h, nil
}

// Get returns the hotline of number, store.ErrNotFound when unknown.
func (r *Registry) Get(ctx context.Context, number string) (Hotline, error) {
	rec, err := r.st.Get(ctx, collHotlines, number)
	if err != nil {
		return Hotline{}, err
	}
	return decodeHotline(rec)
}

// Delete removes a hotline.
func (r *Registry) Delete(ctx context.Context, number string) error {
	if _, err := r.st.Get(ctx, collHotlines, number); err != nil {
		return err
	}
	_, err := r.st.Commit(ctx, store.Tx{Deletes: []store.Delete{{Collection: collHotlines, ID: number}}})
	return err
}

// List returns every hotline in number order.
func (r *Registry) List(ctx context.Context) ([]Hotline, error) {
	var out []Hotline
	cursor := ""
	for {
		page, err := r.st.List(ctx, collHotlines, store.ListOptions{Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			h, err := decodeHotline(rec)
			if err != nil {
				return nil, err
			}
			out = append(out, h)
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

// SeedDepartment registers a department's legacy numbers that are not yet in
// the registry (department import and configuration call it); existing
// entries, possibly edited by an admin, are left alone.
func (r *Registry) SeedDepartment(ctx context.Context, department, mode string, numbers []string) error {
	for _, n := range numbers {
		if _, err := r.Get(ctx, n); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		h := Hotline{Number: n, Department: department, Mode: mode}
		if mode == ModeSubcentre {
			h.Connector = department // by convention the department's own connector
		}
		if _, err := r.Put(ctx, h, nil); err != nil {
			return err
		}
	}
	return nil
}

func decodeHotline(rec store.Record) (Hotline, error) {
	var h Hotline
	if err := json.Unmarshal(rec.Data, &h); err != nil {
		return Hotline{}, fmt.Errorf("decode hotline %s: %w", rec.ID, err)
	}
	h.Version = rec.Version
	return h, nil
}
