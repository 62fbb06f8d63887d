package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ErrInvalid is wrapped by the error Validate returns.
var ErrInvalid = errors.New("config: invalid")

// Problem is one configuration problem at a key path such as "server.addr"
// or "connectors[2].httpjson.url".
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// Problems is every problem Validate found; it is an error wrapping ErrInvalid.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d configuration problem(s):\n  %s", len(ps), strings.Join(lines, "\n  "))
}

func (ps Problems) Unwrap() error { return ErrInvalid }

// problems collects Problems during validation.
type problems struct{ list Problems }

func (p *problems) add(path, format string, args ...any) {
	p.list = append(p.list, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Validate checks the whole configuration and returns every problem at once
// (as Problems), or nil. It does no I/O.
func (c Config) Validate() error {
	var p problems
	c.Server.validate(&p)
	c.validateStore(&p)
	c.Meili.validate(&p)
	c.Telemetry.validate(&p)
	c.Auth.validate(&p)
	c.Security.validate(&p)
	c.RateLimit.Public.validate(&p, "rate_limit.public")
	c.RateLimit.Authenticated.validate(&p, "rate_limit.authenticated")
	c.RateLimit.Messages.validate(&p, "rate_limit.messages")
	c.RateLimit.SignIn.validate(&p, "rate_limit.sign_in")
	for _, d := range []struct {
		path string
		v    time.Duration
	}{{"dispatch.lease", c.Dispatch.Lease}, {"dispatch.max_age", c.Dispatch.MaxAge}, {"dispatch.retry_base", c.Dispatch.RetryBase},
		{"dispatch.retry_max", c.Dispatch.RetryMax}, {"dispatch.breaker_wait", c.Dispatch.BreakerWait}} {
		if d.v < 0 {
			p.add(d.path, "must not be negative")
		}
	}
	if d := c.Tickets.CallerRetentionDays; d != 0 && d < 30 {
		p.add("tickets.caller_retention_days", "0 (keep) or at least 30: a bad rating's callback needs the caller's number, not %d", d)
	}
	if c.Audit.RetentionDays < 180 {
		p.add("audit.retention_days", "must be at least 180: the Cybersecurity Law asks that logs be kept six months, not %d days", c.Audit.RetentionDays)
	}
	if c.Dispatch.Workers < 0 {
		p.add("dispatch.workers", "must not be negative")
	}
	if c.Topics.WebhookURL != "" {
		checkHTTPURL(&p, "topics.webhook_url", c.Topics.WebhookURL)
		if len(c.Topics.WebhookSecret) < 16 {
			p.add("topics.webhook_secret", "at least 16 characters are required with topics.webhook_url")
		}
	}
	if ac := c.City.AreaCode; ac != "" && (len(ac) < 3 || len(ac) > 4 || ac[0] != '0' || strings.Trim(ac, "0123456789") != "") {
		p.add("city.area_code", "must be a telephone area code with its leading 0, e.g. 027 or 0710, not %q", ac)
	}
	c.Tickets.validate(&p)
	validateConnectors(&p, c.Connectors)
	if len(p.list) == 0 {
		return nil
	}
	return p.list
}

func (s Server) validate(p *problems) {
	if s.Addr == "" {
		p.add("server.addr", "must not be empty")
	} else if _, port, err := net.SplitHostPort(s.Addr); err != nil {
		p.add("server.addr", "must be host:port, e.g. \":8080\" (%v)", err)
	} else if port == "" {
		p.add("server.addr", "port missing")
	}
	if strings.TrimSpace(s.DataDir) == "" {
		p.add("server.data_dir", "must not be empty")
	}
	if s.BodyLimit < 1024 {
		p.add("server.body_limit", "must be at least 1024 bytes, got %d", s.BodyLimit)
	}
	if s.ProxyHeader != "" && len(s.TrustedProxies) == 0 {
		p.add("server.trusted_proxies", "required when server.proxy_header is set (otherwise any client could forge its address)")
	}
	for i, tp := range s.TrustedProxies {
		if net.ParseIP(tp) == nil {
			if _, _, err := net.ParseCIDR(tp); err != nil {
				p.add(fmt.Sprintf("server.trusted_proxies[%d]", i), "must be an IP address or CIDR, got %q", tp)
			}
		}
	}
	for _, d := range []struct {
		path string
		v    int64
	}{
		{"server.read_timeout", int64(s.ReadTimeout)},
		{"server.write_timeout", int64(s.WriteTimeout)},
		{"server.idle_timeout", int64(s.IdleTimeout)},
		{"server.shutdown_timeout", int64(s.ShutdownTimeout)},
	} {
		if d.v <= 0 {
			p.add(d.path, "must be a positive duration such as \"15s\"")
		}
	}
}

func (c Config) validateStore(p *problems) {
	switch c.Store.Backend {
	case "", BackendBolt:
	case BackendRedis:
		if c.Redis.URL == "" {
			p.add("redis.url", "required when store.backend is redis")
		}
	default:
		p.add("store.backend", "must be %q or %q, got %q", BackendBolt, BackendRedis, c.Store.Backend)
	}
	if c.Redis.URL != "" {
		u, err := url.Parse(c.Redis.URL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			p.add("redis.url", "must be redis://host:port/db or rediss://…")
		}
	}
	if strings.ContainsAny(c.Redis.Prefix, "\x00 ") {
		p.add("redis.prefix", "must not contain spaces or NUL")
	}
	switch c.Redis.AppendFsync {
	case "", "always", "everysec", "no":
	default:
		p.add("redis.appendfsync", "must be always, everysec, no or empty, got %q", c.Redis.AppendFsync)
	}
	if c.Redis.WaitReplicas < 0 {
		p.add("redis.wait_replicas", "must not be negative")
	}
	if c.Redis.WaitReplicas > 0 && c.Redis.WaitTimeout <= 0 {
		p.add("redis.wait_timeout", "must be positive when wait_replicas > 0")
	}
}

func (m Meili) validate(p *problems) {
	if m.URL != "" {
		checkHTTPURL(p, "meili.url", m.URL)
		if m.Index == "" {
			p.add("meili.index", "must not be empty when meili.url is set")
		}
	}
}

func (t Telemetry) validate(p *problems) {
	if t.OTLPEndpoint != "" {
		checkHTTPURL(p, "telemetry.otlp_endpoint", t.OTLPEndpoint)
	}
	if t.ServiceName == "" {
		p.add("telemetry.service_name", "must not be empty")
	}
	if t.SampleRatio < 0 || t.SampleRatio > 1 {
		p.add("telemetry.sample_ratio", "must be between 0 and 1, got %v", t.SampleRatio)
	}
	switch strings.ToLower(t.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		p.add("telemetry.log_level", "must be debug, info, warn or error, got %q", t.LogLevel)
	}
}

func (a Auth) validate(p *problems) {
	if t := a.BootstrapAdminToken; t != "" && len(t) < 16 {
		p.add("auth.bootstrap_admin_token", "must be at least 16 characters")
	}
}

func (s Security) validate(p *problems) {
	if s.PIIKey != "" {
		if b, err := base64.StdEncoding.DecodeString(s.PIIKey.Reveal()); err != nil || len(b) != 32 {
			p.add("security.pii_key", "must be 32 bytes in standard base64")
		}
	}
	if s.HashKey != "" {
		if b, err := base64.StdEncoding.DecodeString(s.HashKey.Reveal()); err != nil || len(b) < 32 {
			p.add("security.hash_key", "must be at least 32 bytes in standard base64")
		}
	}
}

func (b Bucket) validate(p *problems, path string) {
	if b.PerSecond < 0 {
		p.add(path+".per_second", "must not be negative")
	}
	if b.PerSecond > 0 && b.Burst < 1 {
		p.add(path+".burst", "must be at least 1 when per_second > 0")
	}
}

var connectorName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func checkHTTPURL(p *problems, path, raw string) {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add(path, "must be an absolute http(s) URL, got %q", raw)
	}
}

// maxTicketDays bounds every day count of the tickets section: a year of
// working days is far beyond any statutory limit, and a larger value is a
// typo (a count of hours, a date).
const maxTicketDays = 250

func (t Tickets) validate(p *problems) {
	for _, typ := range slices.Sorted(maps.Keys(t.TimeLimits)) {
		n := t.TimeLimits[typ]
		if !slices.Contains(RequestTypes, typ) {
			p.add("tickets.time_limits."+typ, "unknown request type; one of %s", strings.Join(RequestTypes, ", "))
		} else if n < 1 || n > maxTicketDays {
			p.add("tickets.time_limits."+typ, "must be 1 to %d working days, got %d", maxTicketDays, n)
		}
	}
	for _, d := range []struct {
		path string
		v    int
	}{{"tickets.urgent_days", t.UrgentDays}, {"tickets.dispatch_days", t.DispatchDays}, {"tickets.return_days", t.ReturnDays},
		{"tickets.max_extension_days", t.MaxExtensionDays}, {"tickets.warning_days", t.WarningDays}} {
		if d.v < 0 || d.v > maxTicketDays {
			p.add(d.path, "must be 0 (the default) to %d working days, got %d", maxTicketDays, d.v)
		}
	}
	if t.MergeWindow < 0 {
		p.add("tickets.merge_window", "must not be negative")
	}
	if t.SchedulerInterval < 0 || (t.SchedulerInterval > 0 && t.SchedulerInterval < time.Second) {
		p.add("tickets.scheduler_interval", "must be at least 1s (or 0 for the default 1m)")
	}
}
