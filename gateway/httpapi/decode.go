package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// DecodeJSON decodes the request body into v strictly: the body must be one
// JSON value of the right shape, with no unknown fields and nothing after it.
// Any failure is a 400 Problem whose detail says exactly what is wrong and
// where (field name or byte offset); a declared non-JSON Content-Type is 415.
// The decoded values are copies, safe to keep after the handler returns.
func DecodeJSON(c *fiber.Ctx, v any) error {
	if ct := string(c.Request().Header.ContentType()); ct != "" && !isJSONType(ct) {
		return Errorf(fiber.StatusUnsupportedMediaType, "请求体必须是 JSON (Content-Type: application/json), got %q", ct)
	}
	return DecodeJSONBytes(c.Body(), v)
}

// DecodeJSONBytes is DecodeJSON on raw bytes (for bodies read elsewhere).
func DecodeJSONBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Errorf(fiber.StatusBadRequest, "请求体为空 (request body is empty; a JSON object is required)")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(fiber.StatusBadRequest, "JSON 格式错误: %s", describeJSONError(err, body))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(fiber.StatusBadRequest, "JSON 格式错误: unexpected data after the JSON value at offset %d", dec.InputOffset())
	}
	return nil
}

func isJSONType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// describeJSONError turns encoding/json errors into precise, client-facing reasons.
func describeJSONError(err error, body []byte) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(body, syn.Offset)
		return fmt.Sprintf("syntax error at line %d, column %d: %s", line, col, syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return fmt.Sprintf("field %q must be %s, got %s", field, typ.Type.String(), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "body ends before the JSON value is complete"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return err.Error()
}

func position(body []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset-1 && i < int64(len(body)); i++ {
		if body[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// Identifier returns s when it is a short identifier (letters, digits,
// '_' and '-', at most 40 bytes), such as an event type a client sent, and
// "?" otherwise: what may go into logs and the audit trail from input.
func Identifier(s string) string {
	if s == "" || len(s) > 40 {
		return "?"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return "?"
		}
	}
	return s
}

// ParseDay reads a query parameter's day or instant: RFC 3339, or a
// YYYY-MM-DD day starting at midnight in loc (the city's zone).
func ParseDay(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation(time.DateOnly, s, loc)
}
