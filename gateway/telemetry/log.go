package telemetry

import (
	"context"
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// LogHandler is a slog JSON handler that adds trace_id and span_id of the
// span in the record's context, so a log line can be found from a trace and
// back.
type LogHandler struct{ slog.Handler }

var _ slog.Handler = LogHandler{}

// NewLogHandler writes JSON lines at or above level to w.
func NewLogHandler(w io.Writer, level slog.Level) LogHandler {
	return LogHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})}
}

// Handle adds the trace ids, then delegates.
func (h LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper.
func (h LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return LogHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper.
func (h LogHandler) WithGroup(name string) slog.Handler { return LogHandler{h.Handler.WithGroup(name)} }
