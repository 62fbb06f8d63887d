package open311

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hallgate/hallgate/connectors"
)

// Config is the typed settings of an open311 connector.
type Config struct {
	URL            string        `json:"url" yaml:"url"` // base URL, before /requests.json
	APIKey         string        `json:"api_key" yaml:"api_key"`
	JurisdictionID string        `json:"jurisdiction_id,omitempty" yaml:"jurisdiction_id,omitempty"`
	ServiceCode    string        `json:"service_code" yaml:"service_code"`
	Timeout        time.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"` // default 30 s
}

// ErrInvalidConfig is wrapped by Validate.
var ErrInvalidConfig = errors.New("open311: invalid config")

// Validate reports every problem at once. No I/O.
func (c Config) Validate() error {
	var p []string
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p = append(p, "url must be an absolute http(s) URL")
	}
	if c.ServiceCode == "" {
		p = append(p, "service_code is required")
	}
	if c.Timeout < 0 {
		p = append(p, "timeout must be ≥ 0")
	}
	if len(p) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(p, "; "))
	}
	return nil
}

// Client is an open311 connector.
type Client struct {
	name string
	cfg  Config
	http *http.Client
}

var (
	_ connectors.Connector    = (*Client)(nil)
	_ connectors.StatusPoller = (*Client)(nil)
)

// New validates cfg and builds the connector.
func New(name string, cfg Config, hc *http.Client) (*Client, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open311 %s: %w", name, err)
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	if hc == nil {
		hc = connectors.NewHTTPClient(cfg.Timeout)
	}
	return &Client{name: name, cfg: cfg, http: hc}, nil
}

// Factory adapts New to the kind registry.
func Factory(name string, decode connectors.Decode) (connectors.Connector, error) {
	var cfg Config
	if err := decode(&cfg); err != nil {
		return nil, fmt.Errorf("open311 settings: %w", err)
	}
	return New(name, cfg, nil)
}

// Name returns the connector's name.
func (c *Client) Name() string { return c.name }

// ticketDoc are the fields of the canonical ticket a GeoReport request carries.
type ticketDoc struct {
	Title   string   `json:"title"`
	Content string   `json:"content"`
	Address string   `json:"address"`
	Lat     *float64 `json:"lat"`
	Long    *float64 `json:"long"`
}

// Deliver posts a service request.
func (c *Client) Deliver(ctx context.Context, d connectors.Delivery) (connectors.Receipt, error) {
	var doc ticketDoc
	_ = json.Unmarshal(d.Ticket, &doc)
	form := url.Values{}
	form.Set("service_code", c.cfg.ServiceCode)
	if c.cfg.APIKey != "" {
		form.Set("api_key", c.cfg.APIKey)
	}
	if c.cfg.JurisdictionID != "" {
		form.Set("jurisdiction_id", c.cfg.JurisdictionID)
	}
	desc := strings.TrimSpace(doc.Title + "\n" + doc.Content)
	if desc == "" {
		desc = "12345 工单 " + d.TicketCode
	}
	form.Set("description", fmt.Sprintf("[12345 %s] %s", d.TicketCode, desc))
	if doc.Address != "" {
		form.Set("address_string", doc.Address)
	}
	if doc.Lat != nil && doc.Long != nil {
		form.Set("lat", strconv.FormatFloat(*doc.Lat, 'f', -1, 64))
		form.Set("long", strconv.FormatFloat(*doc.Long, 'f', -1, 64))
	}
	form.Set("attribute[hallgate_ticket]", d.TicketCode)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL+"/requests.json", strings.NewReader(form.Encode()))
	if err != nil {
		return connectors.Receipt{}, connectors.Permanent(0, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Idempotency-Key", d.IdempotencyKey)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return connectors.Receipt{}, fmt.Errorf("open311 %s: %w", c.name, ctx.Err())
		}
		return connectors.Receipt{}, connectors.Retryable(0, 0, fmt.Errorf("open311 %s: %w", c.name, err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return connectors.Receipt{}, connectors.Retryable(resp.StatusCode, 0, err)
	}
	st := resp.StatusCode
	switch {
	case st >= 200 && st < 300:
		var out []struct {
			ID    string `json:"service_request_id"`
			Token string `json:"token"`
		}
		if err := json.Unmarshal(raw, &out); err != nil || len(out) == 0 {
			return connectors.Receipt{Status: st}, connectors.Retryable(st, 0, fmt.Errorf("open311 %s: malformed response: %v", c.name, err))
		}
		ref := out[0].ID
		if ref == "" && out[0].Token != "" {
			ref = "token:" + out[0].Token
		}
		return connectors.Receipt{Reference: ref, Status: st}, nil
	case st == http.StatusConflict:
		return connectors.Receipt{Status: st, Duplicate: true}, nil
	case st == http.StatusRequestTimeout || st == http.StatusTooManyRequests || st >= 500:
		ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return connectors.Receipt{}, connectors.Retryable(st, time.Duration(max(ra, 0))*time.Second, fmt.Errorf("open311 %s: %s", c.name, errorText(raw)))
	default:
		return connectors.Receipt{}, connectors.Permanent(st, fmt.Errorf("open311 %s: %s", c.name, errorText(raw)))
	}
}

// errorText reads GeoReport's [{"code":..,"description":..}] errors.
func errorText(raw []byte) string {
	var errs []struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	}
	if json.Unmarshal(raw, &errs) == nil && len(errs) > 0 {
		return errs[0].Description
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// Poll lists requests of the service code updated since the given time:
// open with notes → progress, closed → replied.
func (c *Client) Poll(ctx context.Context, since time.Time) ([]connectors.Event, error) {
	q := url.Values{}
	q.Set("service_code", c.cfg.ServiceCode)
	q.Set("start_date", since.UTC().Format(time.RFC3339))
	if c.cfg.JurisdictionID != "" {
		q.Set("jurisdiction_id", c.cfg.JurisdictionID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.URL+"/requests.json?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, connectors.Retryable(0, 0, fmt.Errorf("open311 %s poll: %w", c.name, err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, connectors.Retryable(resp.StatusCode, 0, fmt.Errorf("open311 %s poll: status %d %v", c.name, resp.StatusCode, err))
	}
	var rows []struct {
		ID          string    `json:"service_request_id"`
		Status      string    `json:"status"`
		StatusNotes string    `json:"status_notes"`
		Updated     time.Time `json:"updated_datetime"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("open311 %s poll: malformed response: %w", c.name, err)
	}
	var out []connectors.Event
	for _, r := range rows {
		if r.ID == "" {
			continue
		}
		ev := connectors.Event{ID: r.ID + ":" + r.Status + ":" + r.Updated.UTC().Format(time.RFC3339), Reference: r.ID, At: r.Updated}
		switch r.Status {
		case "closed":
			ev.Type, ev.Text = connectors.EventReplied, firstNonEmpty(r.StatusNotes, "已办结")
		case "open":
			if r.StatusNotes == "" {
				continue
			}
			ev.Type, ev.Note = connectors.EventProgress, r.StatusNotes
		default:
			continue
		}
		out = append(out, ev)
	}
	return out, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
