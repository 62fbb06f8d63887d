package httpapi

import (
	"errors"
	"log/slog"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/trace"
)

// ContentTypeProblem is the media type of every error body.
const ContentTypeProblem = "application/problem+json"

// RequestIDLocal is the fiber.Ctx Locals key holding the request id.
const RequestIDLocal = "hallgate.request_id"

// NewErrorHandler returns the gateway's one error handler: every error a
// handler or middleware returns, and every error Fiber raises itself (404,
// 405, 413 body too large, malformed requests), becomes problem+json. Errors
// that are not Problems, fiber errors or mapped sentinels are logged with
// their cause and answered as a 500 that leaks nothing.
func NewErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		p := AsProblem(err)
		// Copy: a handler may return a shared *Problem value.
		out := *p
		if out.Title == "" {
			out.Title = statusTitle(out.Status)
		}
		if out.Status < 400 || out.Status > 599 {
			out.Status = fiber.StatusInternalServerError
			out.Title = statusTitle(out.Status)
		}
		out.Instance = c.Path()
		if id, ok := c.Locals(RequestIDLocal).(string); ok && id != "" {
			out = *out.clone().With("request_id", id)
		}
		// The trace id lets support find the whole request in the tracing
		// backend from what a caller pastes.
		if sc := trace.SpanContextFromContext(c.UserContext()); sc.IsValid() {
			out = *out.clone().With("trace_id", sc.TraceID().String())
		}
		if out.Status >= 500 && log != nil {
			var perr *Problem
			var ferr *fiber.Error
			if !errors.As(err, &perr) && !errors.As(err, &ferr) {
				log.ErrorContext(c.UserContext(), "request failed", "route", routeTemplate(c), "method", c.Method(), "error", err.Error())
			}
		}
		if out.Status == fiber.StatusUnauthorized {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="hallgate"`)
		}
		if secs, ok := out.Extra["retry_after"].(int); ok && out.Status == fiber.StatusServiceUnavailable {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		}
		body, merr := out.MarshalJSON()
		if merr != nil {
			body = []byte(`{"title":"Internal Server Error","status":500}`)
			out.Status = fiber.StatusInternalServerError
		}
		c.Set(fiber.HeaderContentType, ContentTypeProblem)
		return c.Status(out.Status).Send(body)
	}
}

// clone copies the problem including its extension map.
func (p *Problem) clone() *Problem {
	cp := *p
	if p.Extra != nil {
		cp.Extra = make(map[string]any, len(p.Extra)+1)
		for k, v := range p.Extra {
			cp.Extra[k] = v
		}
	}
	return &cp
}

// routeTemplate is the matched route's path template ("/api/v1/tickets/:id"),
// never the concrete path, so logs stay free of identifiers.
func routeTemplate(c *fiber.Ctx) string {
	if r := c.Route(); r != nil {
		return r.Path
	}
	return ""
}
