package httpjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hallgate/hallgate/connectors"
)

// maxResponse bounds how much of a department's answer is read.
const maxResponse = 1 << 20

// Client is an httpjson connector.
type Client struct {
	name string
	cfg  Config
	tmpl *template.Template
	http *http.Client
	now  func() time.Time
}

var (
	_ connectors.Connector     = (*Client)(nil)
	_ connectors.StatusPoller  = (*Client)(nil)
	_ connectors.HealthChecker = (*Client)(nil)
)

// New validates cfg (after defaults) and builds the connector. httpClient
// may be nil (a client with cfg.Timeout is made).
func New(name string, cfg Config, httpClient *http.Client) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("httpjson %s: %w", name, err)
	}
	c := &Client{name: name, cfg: cfg, http: httpClient, now: time.Now}
	if c.http == nil {
		c.http = connectors.NewHTTPClient(cfg.Timeout)
	}
	if cfg.Template != "" {
		c.tmpl, _ = parseTemplate(cfg.Template) // validated above
	}
	return c, nil
}

// Factory adapts New to the kind registry.
func Factory(name string, decode connectors.Decode) (connectors.Connector, error) {
	var cfg Config
	if err := decode(&cfg); err != nil {
		return nil, fmt.Errorf("httpjson settings: %w", err)
	}
	return New(name, cfg, nil)
}

// Name returns the connector's name.
func (c *Client) Name() string { return c.name }

// Deliver sends one delivery.
func (c *Client) Deliver(ctx context.Context, d connectors.Delivery) (connectors.Receipt, error) {
	body, err := c.body(d)
	if err != nil {
		return connectors.Receipt{}, connectors.Permanent(0, fmt.Errorf("render body: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, c.cfg.Method, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return connectors.Receipt{}, connectors.Permanent(0, err)
	}
	req.Header.Set("Content-Type", c.cfg.ContentType)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Idempotency-Key", d.IdempotencyKey)
	c.decorate(ctx, req, body, d.TraceParent)

	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return connectors.Receipt{}, fmt.Errorf("httpjson %s: %w", c.name, ctx.Err())
		}
		return connectors.Receipt{}, connectors.Retryable(0, 0, fmt.Errorf("httpjson %s: %w", c.name, err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return connectors.Receipt{}, connectors.Retryable(resp.StatusCode, 0, fmt.Errorf("httpjson %s: read response: %w", c.name, err))
	}
	return c.classify(resp, raw)
}

// decorate adds auth, the configured headers and the trace context.
func (c *Client) decorate(ctx context.Context, req *http.Request, body []byte, traceParent string) {
	for k, v := range c.cfg.Headers {
		req.Header.Set(k, v)
	}
	switch c.cfg.Auth.Type {
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+c.cfg.Auth.Token)
	case AuthBasic:
		req.SetBasicAuth(c.cfg.Auth.Username, c.cfg.Auth.Password)
	case AuthHMAC:
		ts := c.now().Unix()
		req.Header.Set(connectors.HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(connectors.HeaderSignature, connectors.Sign([]byte(c.cfg.Secret), ts, body))
	}
	if trace.SpanContextFromContext(ctx).IsValid() {
		propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	} else if traceParent != "" {
		req.Header.Set("traceparent", traceParent)
	}
}

func (c *Client) body(d connectors.Delivery) ([]byte, error) {
	if c.tmpl == nil {
		return json.Marshal(d)
	}
	var ticket map[string]any
	if len(d.Ticket) > 0 {
		if err := json.Unmarshal(d.Ticket, &ticket); err != nil {
			return nil, fmt.Errorf("ticket document: %w", err)
		}
	}
	var buf bytes.Buffer
	if err := c.tmpl.Execute(&buf, struct {
		Delivery connectors.Delivery
		Ticket   map[string]any
	}{d, ticket}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// classify maps the department's answer: 2xx → receipt, 409 → duplicate,
// 408/429/5xx → retryable with Retry-After, other 4xx → permanent. A 2xx
// whose body is not the JSON it should be is that attempt's (retryable)
// error: the idempotency key makes the retry safe.
func (c *Client) classify(resp *http.Response, raw []byte) (connectors.Receipt, error) {
	st := resp.StatusCode
	switch {
	case st >= 200 && st < 300:
		ref, err := c.reference(raw)
		if err != nil {
			return connectors.Receipt{Status: st}, connectors.Retryable(st, 0, fmt.Errorf("httpjson %s: malformed response: %w", c.name, err))
		}
		return connectors.Receipt{Reference: ref, Status: st}, nil
	case st == http.StatusConflict:
		ref, _ := c.reference(raw) // a duplicate is success even without a parsable body
		return connectors.Receipt{Reference: ref, Status: st, Duplicate: true}, nil
	case st == http.StatusRequestTimeout || st == http.StatusTooManyRequests || st >= 500:
		return connectors.Receipt{}, connectors.Retryable(st, parseRetryAfter(resp.Header.Get("Retry-After"), c.now()), fmt.Errorf("httpjson %s: %s", c.name, snippet(raw)))
	case st >= 400:
		return connectors.Receipt{}, connectors.Permanent(st, fmt.Errorf("httpjson %s: %s", c.name, snippet(raw)))
	default:
		return connectors.Receipt{}, connectors.Retryable(st, 0, fmt.Errorf("httpjson %s: unexpected status", c.name))
	}
}

// reference extracts the configured field; an empty body has none.
func (c *Client) reference(raw []byte) (string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return "", nil
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return "", err
	}
	paths := []string{"reference", "id"}
	if c.cfg.ReferenceField != "" {
		paths = []string{c.cfg.ReferenceField}
	}
	for _, p := range paths {
		if v, ok := lookup(doc, p); ok {
			return v, nil
		}
	}
	return "", nil
}

// lookup follows a dotted path through JSON objects.
func lookup(doc any, path string) (string, bool) {
	cur := doc
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		if cur, ok = m[part]; !ok {
			return "", false
		}
	}
	switch v := cur.(type) {
	case string:
		return v, v != ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

// parseRetryAfter reads delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func snippet(raw []byte) string {
	s := strings.TrimSpace(string(raw))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// Health asks the system's base URL with HEAD; any answer below 500 is up.
func (c *Client) Health(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, c.cfg.URL, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("httpjson %s: health status %d", c.name, resp.StatusCode)
	}
	return nil
}

// ErrNoStatusURL is returned by Poll when the connector has no status_url.
var ErrNoStatusURL = errors.New("httpjson: no status_url configured")

// legacyStatus is one row of a polled status list.
type legacyStatus struct {
	ID         string          `json:"id"`
	TicketID   string          `json:"ticket_id"`
	TicketCode string          `json:"ticket_code"`
	Reference  string          `json:"reference"`
	Status     json.RawMessage `json:"status"` // number or string code
	Note       string          `json:"note"`
	Reason     string          `json:"reason"`
	Text       string          `json:"text"`
	Days       int             `json:"days"`
	At         time.Time       `json:"at"`
}

// Poll fetches statuses changed since the given time and translates them
// through the status map; unknown codes are skipped.
func (c *Client) Poll(ctx context.Context, since time.Time) ([]connectors.Event, error) {
	if c.cfg.StatusURL == "" {
		return nil, ErrNoStatusURL
	}
	u, err := url.Parse(c.cfg.StatusURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("since", since.UTC().Format(time.RFC3339))
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	c.decorate(ctx, req, nil, "")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, connectors.Retryable(0, 0, fmt.Errorf("httpjson %s poll: %w", c.name, err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, connectors.Retryable(resp.StatusCode, 0, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, connectors.Retryable(resp.StatusCode, 0, fmt.Errorf("httpjson %s poll: %s", c.name, snippet(raw)))
	}
	var rows []legacyStatus
	if err := json.Unmarshal(raw, &rows); err != nil {
		var wrapped struct {
			Items []legacyStatus `json:"items"`
		}
		if err2 := json.Unmarshal(raw, &wrapped); err2 != nil {
			return nil, fmt.Errorf("httpjson %s poll: malformed response: %w", c.name, err)
		}
		rows = wrapped.Items
	}
	var out []connectors.Event
	for _, r := range rows {
		code := strings.Trim(string(r.Status), `"`)
		ev, ok := c.cfg.StatusMap.Translate(code, connectors.Event{
			ID: r.ID, TicketID: r.TicketID, TicketCode: r.TicketCode, Reference: r.Reference,
			Note: r.Note, Reason: r.Reason, Text: r.Text, Days: r.Days, At: r.At,
		})
		if ok {
			out = append(out, ev)
		}
	}
	return out, nil
}
