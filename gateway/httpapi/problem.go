package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"syscall"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// Problem is an RFC 9457 problem+json body; it is also an error, so use cases
// and handlers can return it and the one error handler encodes it.
type Problem struct {
	Type     string         `json:"type,omitempty"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Extra    map[string]any `json:"-"` // merged into the body (e.g. "fields", "allowed")
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// MarshalJSON merges Extra into the top-level object.
func (p *Problem) MarshalJSON() ([]byte, error) {
	m := map[string]any{"title": p.Title, "status": p.Status}
	if p.Type != "" {
		m["type"] = p.Type
	}
	if p.Detail != "" {
		m["detail"] = p.Detail
	}
	if p.Instance != "" {
		m["instance"] = p.Instance
	}
	for k, v := range p.Extra {
		m[k] = v
	}
	return json.Marshal(m)
}

// Errorf builds a Problem with the given status and detail.
func Errorf(status int, format string, args ...any) *Problem {
	return &Problem{Status: status, Title: statusTitle(status), Detail: fmt.Sprintf(format, args...)}
}

// With adds an extension member to the problem and returns it.
func (p *Problem) With(key string, value any) *Problem {
	if p.Extra == nil {
		p.Extra = map[string]any{}
	}
	p.Extra[key] = value
	return p
}

func statusTitle(status int) string {
	if t := utils.StatusMessage(status); t != "" {
		return t
	}
	return "Error"
}

// AsProblem converts err into a Problem: Problems pass through, *fiber.Error
// keeps its code, mapped sentinel errors use the registered status, and
// everything else is a 500 that does not leak internals.
func AsProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return &Problem{Status: fe.Code, Title: statusTitle(fe.Code), Detail: fe.Message}
	}
	for _, m := range mappings {
		if errors.Is(err, m.target) {
			return &Problem{Status: m.status, Title: statusTitle(m.status), Detail: err.Error()}
		}
	}
	// A full disk is the operators' to fix and the client's to retry:
	// nothing was written (the store's transaction failed whole).
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return (&Problem{Status: fiber.StatusServiceUnavailable, Title: statusTitle(fiber.StatusServiceUnavailable),
			Detail: "存储空间不足，本次请求未写入，请稍后重试 (storage full: nothing was written)"}).With("retry_after", StorageFullRetrySeconds)
	}
	return &Problem{Status: fiber.StatusInternalServerError, Title: statusTitle(fiber.StatusInternalServerError), Detail: "internal error"}
}

// StorageFullRetrySeconds is the Retry-After of a request refused on a full
// disk.
const StorageFullRetrySeconds = 30

type mapping struct {
	target error
	status int
}

var mappings []mapping

// MapError registers the HTTP status for a package's sentinel error. Call it
// at wiring time (not from init), before serving.
func MapError(target error, status int) { mappings = append(mappings, mapping{target, status}) }
