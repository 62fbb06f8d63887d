package soap

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/template"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hallgate/hallgate/connectors"
)

const maxResponse = 1 << 20

// Envelope namespaces.
const (
	NS11 = "http://schemas.xmlsoap.org/soap/envelope/"
	NS12 = "http://www.w3.org/2003/05/soap-envelope"
)

// Client is a soap connector.
type Client struct {
	name string
	cfg  Config
	tmpl *template.Template
	http *http.Client
}

var _ connectors.Connector = (*Client)(nil)

// New validates cfg (after defaults) and builds the connector.
func New(name string, cfg Config, httpClient *http.Client) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("soap %s: %w", name, err)
	}
	tmpl, _ := parseTemplate(cfg.BodyTemplate)
	if httpClient == nil {
		httpClient = connectors.NewHTTPClient(cfg.Timeout)
	}
	return &Client{name: name, cfg: cfg, tmpl: tmpl, http: httpClient}, nil
}

// Factory adapts New to the kind registry.
func Factory(name string, decode connectors.Decode) (connectors.Connector, error) {
	var cfg Config
	if err := decode(&cfg); err != nil {
		return nil, fmt.Errorf("soap settings: %w", err)
	}
	return New(name, cfg, nil)
}

// Name returns the connector's name.
func (c *Client) Name() string { return c.name }

// Envelope renders the request envelope for d.
func (c *Client) Envelope(d connectors.Delivery) ([]byte, error) {
	var ticket any
	if len(d.Ticket) > 0 {
		if err := json.Unmarshal(d.Ticket, &ticket); err != nil {
			return nil, fmt.Errorf("ticket document: %w", err)
		}
	}
	ns := NS11
	if c.cfg.Version == V12 {
		ns = NS12
	}
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="` + ns + `"><soap:Body>`)
	if err := c.tmpl.Execute(&buf, struct {
		Delivery  connectors.Delivery
		Ticket    any
		Namespace string
	}{d, ticket, c.cfg.Namespace}); err != nil {
		return nil, err
	}
	buf.WriteString(`</soap:Body></soap:Envelope>`)
	return buf.Bytes(), nil
}

// Deliver posts the envelope and maps the answer.
func (c *Client) Deliver(ctx context.Context, d connectors.Delivery) (connectors.Receipt, error) {
	body, err := c.Envelope(d)
	if err != nil {
		return connectors.Receipt{}, connectors.Permanent(0, fmt.Errorf("soap %s: render: %w", c.name, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return connectors.Receipt{}, connectors.Permanent(0, err)
	}
	if c.cfg.Version == V12 {
		req.Header.Set("Content-Type", `application/soap+xml; charset=utf-8; action="`+c.cfg.Action+`"`)
	} else {
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		req.Header.Set("SOAPAction", strconv.Quote(c.cfg.Action))
	}
	req.Header.Set("Idempotency-Key", d.IdempotencyKey)
	if c.cfg.Username != "" {
		req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	}
	if trace.SpanContextFromContext(ctx).IsValid() {
		propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	} else if d.TraceParent != "" {
		req.Header.Set("traceparent", d.TraceParent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return connectors.Receipt{}, fmt.Errorf("soap %s: %w", c.name, ctx.Err())
		}
		return connectors.Receipt{}, connectors.Retryable(0, 0, fmt.Errorf("soap %s: %w", c.name, err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return connectors.Receipt{}, connectors.Retryable(resp.StatusCode, 0, fmt.Errorf("soap %s: read: %w", c.name, err))
	}
	return c.classify(resp, raw)
}

// classify reads the envelope: a fault decides by its code; otherwise the
// HTTP status decides as for REST, and a 2xx must carry a well-formed envelope.
func (c *Client) classify(resp *http.Response, raw []byte) (connectors.Receipt, error) {
	st := resp.StatusCode
	ans, perr := ParseResponse(raw, c.cfg.ReferenceElement)
	if perr == nil && ans.Fault != nil {
		f := ans.Fault
		err := fmt.Errorf("soap %s: fault %s: %s", c.name, f.Code, f.Reason)
		switch f.Class() {
		case FaultClient:
			return connectors.Receipt{}, connectors.Permanent(st, err)
		default:
			return connectors.Receipt{}, connectors.Retryable(st, retryAfter(resp), err)
		}
	}
	switch {
	case st >= 200 && st < 300:
		if perr != nil {
			return connectors.Receipt{Status: st}, connectors.Retryable(st, 0, fmt.Errorf("soap %s: malformed response: %w", c.name, perr))
		}
		return connectors.Receipt{Reference: ans.Reference, Status: st, Duplicate: ans.Duplicate}, nil
	case st == http.StatusConflict:
		return connectors.Receipt{Reference: ans.Reference, Status: st, Duplicate: true}, nil
	case st == http.StatusRequestTimeout || st == http.StatusTooManyRequests || st >= 500:
		return connectors.Receipt{}, connectors.Retryable(st, retryAfter(resp), fmt.Errorf("soap %s: status %d", c.name, st))
	case st >= 400:
		return connectors.Receipt{}, connectors.Permanent(st, fmt.Errorf("soap %s: status %d", c.name, st))
	}
	return connectors.Receipt{}, connectors.Retryable(st, 0, fmt.Errorf("soap %s: unexpected status %d", c.name, st))
}

func retryAfter(resp *http.Response) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// Fault classes.
const (
	FaultClient = "client" // soap:Client (1.1) / soap:Sender (1.2): the request is wrong
	FaultServer = "server" // soap:Server / soap:Receiver and anything else
)

// Fault is a SOAP fault of either version.
type Fault struct {
	Code   string // local part of faultcode / Code/Value, e.g. "Client", "Sender"
	Reason string
}

// Class maps the fault code to permanent (client) or retryable (server).
func (f *Fault) Class() string {
	code := f.Code
	if i := strings.LastIndexByte(code, ':'); i >= 0 {
		code = code[i+1:]
	}
	// Subcodes like "Client.Validation" are still the client's fault.
	code, _, _ = strings.Cut(code, ".")
	switch code {
	case "Client", "Sender":
		return FaultClient
	}
	return FaultServer
}

// Response is what a department answered.
type Response struct {
	Reference string
	Duplicate bool
	Fault     *Fault
}

// ErrMalformed is returned for answers that are not a SOAP envelope.
var ErrMalformed = errors.New("soap: malformed envelope")

// ParseResponse walks the envelope with a streaming decoder (no schema),
// finding a Fault of either version or the reference and duplicate elements
// in the Body.
func ParseResponse(raw []byte, refElement string) (Response, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	dec.Strict = true
	var (
		out                 Response
		path                []string
		sawEnvelope, inBody bool
		inFault             bool
		text                strings.Builder
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Response{}, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			text.Reset()
			switch {
			case len(path) == 1:
				if t.Name.Local != "Envelope" || (t.Name.Space != NS11 && t.Name.Space != NS12) {
					return Response{}, fmt.Errorf("%w: root is %s", ErrMalformed, t.Name.Local)
				}
				sawEnvelope = true
			case len(path) == 2 && t.Name.Local == "Body":
				inBody = true
			case inBody && t.Name.Local == "Fault":
				inFault = true
				out.Fault = &Fault{}
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			name := t.Name.Local
			val := strings.TrimSpace(text.String())
			switch {
			case inFault && name == "faultcode": // 1.1
				out.Fault.Code = val
			case inFault && name == "faultstring": // 1.1
				out.Fault.Reason = val
			case inFault && name == "Value" && len(path) >= 2 && path[len(path)-2] == "Code" && out.Fault.Code == "": // 1.2 top-level code
				out.Fault.Code = val
			case inFault && name == "Text": // 1.2 Reason/Text
				out.Fault.Reason = val
			case inFault && name == "Fault":
				inFault = false
			case inBody && !inFault && name == refElement && out.Reference == "":
				out.Reference = val
			case inBody && !inFault && name == "Duplicate":
				out.Duplicate = val == "true" || val == "1"
			case name == "Body":
				inBody = false
			}
			path = path[:len(path)-1]
			text.Reset()
		}
	}
	if !sawEnvelope {
		return Response{}, fmt.Errorf("%w: no envelope", ErrMalformed)
	}
	return out, nil
}

func xmlEscape(s string) (string, error) {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return "", err
	}
	return b.String(), nil
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
