package kbapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/knowledgebase"
)

// RegisterErrors maps the knowledge-base and department sentinels for
// httpapi.AsProblem, for callers outside this module that return them. Call
// it once at wiring time. The module's own handlers map errors themselves.
func RegisterErrors() {
	httpapi.MapError(knowledgebase.ErrBadQuery, http.StatusBadRequest)
	httpapi.MapError(knowledgebase.ErrNotFound, http.StatusNotFound)
	httpapi.MapError(knowledgebase.ErrUnknownDepartment, http.StatusUnprocessableEntity)
	httpapi.MapError(knowledgebase.ErrInvalid, http.StatusUnprocessableEntity)
	httpapi.MapError(knowledgebase.ErrForbidden, http.StatusForbidden)
	httpapi.MapError(knowledgebase.ErrConflict, http.StatusConflict)
	httpapi.MapError(knowledgebase.ErrDuplicateTitle, http.StatusConflict)
	httpapi.MapError(knowledgebase.ErrTransition, http.StatusConflict)
	httpapi.MapError(knowledgebase.ErrVersionRequired, http.StatusPreconditionRequired)
	httpapi.MapError(department.ErrUnknownDepartment, http.StatusUnprocessableEntity)
	httpapi.MapError(department.ErrInvalid, http.StatusUnprocessableEntity)
}

// problem converts a service error into a problem+json error; anything it
// does not know passes through to the server's error handler (500).
func problem(err error) error {
	var kv *knowledgebase.ValidationError
	if errors.As(err, &kv) {
		status := http.StatusUnprocessableEntity
		return httpapi.Errorf(status, "%s", err.Error()).With("fields", kv.Fields)
	}
	var dv *department.ValidationError
	if errors.As(err, &dv) {
		return httpapi.Errorf(http.StatusUnprocessableEntity, "%s", err.Error()).With("fields", dv.Fields)
	}
	for _, m := range []struct {
		target error
		status int
	}{
		{knowledgebase.ErrBadQuery, http.StatusBadRequest},
		{knowledgebase.ErrNotFound, http.StatusNotFound},
		{knowledgebase.ErrUnknownDepartment, http.StatusUnprocessableEntity},
		{knowledgebase.ErrInvalid, http.StatusUnprocessableEntity},
		{knowledgebase.ErrForbidden, http.StatusForbidden},
		{knowledgebase.ErrConflict, http.StatusConflict},
		{knowledgebase.ErrDuplicateTitle, http.StatusConflict},
		{knowledgebase.ErrTransition, http.StatusConflict},
		{knowledgebase.ErrVersionRequired, http.StatusPreconditionRequired},
		{department.ErrInvalid, http.StatusUnprocessableEntity},
	} {
		if errors.Is(err, m.target) {
			return httpapi.Errorf(m.status, "%s", err.Error())
		}
	}
	return err
}

// decodeJSON decodes the request body strictly (unknown fields are a 400:
// a misspelt field must not be silently dropped).
func decodeJSON(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(body) == 0 {
		return httpapi.Errorf(http.StatusBadRequest, "empty body: a JSON object is required")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return httpapi.Errorf(http.StatusBadRequest, "malformed JSON: %v", err)
	}
	if dec.More() {
		return httpapi.Errorf(http.StatusBadRequest, "malformed JSON: trailing data after the object")
	}
	return nil
}

// expectedVersion reads the optimistic version from If-Match ("3", W/"3")
// or the version in the body or query; 0 when absent.
func expectedVersion(c *fiber.Ctx, body uint64) (uint64, error) {
	if h := strings.TrimSpace(c.Get(fiber.HeaderIfMatch)); h != "" {
		h = strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
		v, err := strconv.ParseUint(h, 10, 64)
		if err != nil {
			return 0, httpapi.Errorf(http.StatusBadRequest, "If-Match must be a version number")
		}
		return v, nil
	}
	if body != 0 {
		return body, nil
	}
	if q := c.Query("version"); q != "" {
		v, err := strconv.ParseUint(q, 10, 64)
		if err != nil {
			return 0, httpapi.Errorf(http.StatusBadRequest, "version must be a number")
		}
		return v, nil
	}
	return 0, nil
}

func setETag(c *fiber.Ctx, version uint64) {
	c.Set(fiber.HeaderETag, `"`+strconv.FormatUint(version, 10)+`"`)
}

// param copies a path parameter: Fiber reuses its buffer after the handler.
func param(c *fiber.Ctx, name string) string { return strings.Clone(c.Params(name)) }

func queryInt(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, httpapi.Errorf(http.StatusBadRequest, "%s must be an integer %d–%d", name, lo, hi)
	}
	return v, nil
}
