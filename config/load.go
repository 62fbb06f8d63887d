package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ErrRead is wrapped when the configuration file cannot be read or parsed.
var ErrRead = errors.New("config: read")

// LookupEnv reads one environment variable (os.LookupEnv in production).
type LookupEnv func(name string) (string, bool)

// Load builds the configuration: defaults, then the YAML file at path (when
// path is not empty), then HALLGATE_* variables from env. Unknown YAML keys
// are errors. Load does not validate: call Validate on the result.
func Load(path string, env LookupEnv) (Config, error) {
	cfg := Default()
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("%w: %w", ErrRead, err)
		}
		if err := decodeYAML(raw, &cfg); err != nil {
			return cfg, fmt.Errorf("%w: %s: %w", ErrRead, path, err)
		}
	}
	if env == nil {
		env = os.LookupEnv
	}
	if err := ApplyEnv(&cfg, env); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func decodeYAML(raw []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// EnvVar is one environment override.
type EnvVar struct {
	Name  string
	Key   string // the key path it overrides
	apply func(c *Config, v string) error
}

// envVars is the explicit table of environment overrides. HALLGATE_CONFIG
// is read by the binary itself (it names the file).
var envVars = []EnvVar{
	{"HALLGATE_CONFIG", "(file)", func(*Config, string) error { return nil }},
	{"HALLGATE_ADDR", "server.addr", str(func(c *Config) *string { return &c.Server.Addr })},
	{"HALLGATE_DATA_DIR", "server.data_dir", str(func(c *Config) *string { return &c.Server.DataDir })},
	{"HALLGATE_BODY_LIMIT", "server.body_limit", integer(func(c *Config) *int { return &c.Server.BodyLimit })},
	{"HALLGATE_PROXY_HEADER", "server.proxy_header", str(func(c *Config) *string { return &c.Server.ProxyHeader })},
	{"HALLGATE_TRUSTED_PROXIES", "server.trusted_proxies", list(func(c *Config) *[]string { return &c.Server.TrustedProxies })},
	{"HALLGATE_SHUTDOWN_TIMEOUT", "server.shutdown_timeout", duration(func(c *Config) *time.Duration { return &c.Server.ShutdownTimeout })},
	{"HALLGATE_STORE", "store.backend", str(func(c *Config) *string { return &c.Store.Backend })},
	{"HALLGATE_REDIS_URL", "redis.url", str(func(c *Config) *string { return &c.Redis.URL })},
	{"HALLGATE_REDIS_PREFIX", "redis.prefix", str(func(c *Config) *string { return &c.Redis.Prefix })},
	{"HALLGATE_REDIS_APPENDFSYNC", "redis.appendfsync", str(func(c *Config) *string { return &c.Redis.AppendFsync })},
	{"HALLGATE_REDIS_WAIT_REPLICAS", "redis.wait_replicas", integer(func(c *Config) *int { return &c.Redis.WaitReplicas })},
	{"HALLGATE_MEILI_URL", "meili.url", str(func(c *Config) *string { return &c.Meili.URL })},
	{"HALLGATE_MEILI_KEY", "meili.key", secret(func(c *Config) *Secret { return &c.Meili.Key })},
	{"HALLGATE_OTLP_ENDPOINT", "telemetry.otlp_endpoint", str(func(c *Config) *string { return &c.Telemetry.OTLPEndpoint })},
	{"HALLGATE_LOG_LEVEL", "telemetry.log_level", str(func(c *Config) *string { return &c.Telemetry.LogLevel })},
	{"HALLGATE_BOOTSTRAP_ADMIN_TOKEN", "auth.bootstrap_admin_token", secret(func(c *Config) *Secret { return &c.Auth.BootstrapAdminToken })},
	{"HALLGATE_CITY_AREA_CODE", "city.area_code", str(func(c *Config) *string { return &c.City.AreaCode })},
	{"HALLGATE_CALLER_RETENTION_DAYS", "tickets.caller_retention_days", integer(func(c *Config) *int { return &c.Tickets.CallerRetentionDays })},
	{"HALLGATE_AUDIT_RETENTION_DAYS", "audit.retention_days", integer(func(c *Config) *int { return &c.Audit.RetentionDays })},
	{"HALLGATE_ROUTING_STARTER_EXAMPLES", "routing.starter_examples", boolean(func(c *Config) *bool { return &c.Routing.StarterExamples })},
	{"HALLGATE_TOPICS_WEBHOOK_URL", "topics.webhook_url", str(func(c *Config) *string { return &c.Topics.WebhookURL })},
	{"HALLGATE_TOPICS_WEBHOOK_SECRET", "topics.webhook_secret", secret(func(c *Config) *Secret { return &c.Topics.WebhookSecret })},
	{"HALLGATE_DISPATCH_LEASE", "dispatch.lease", duration(func(c *Config) *time.Duration { return &c.Dispatch.Lease })},
	{"HALLGATE_CALENDAR_FILE", "tickets.calendar_file", str(func(c *Config) *string { return &c.Tickets.CalendarFile })},
	{"HALLGATE_DISPATCH_MAX_AGE", "dispatch.max_age", duration(func(c *Config) *time.Duration { return &c.Dispatch.MaxAge })},
	{"HALLGATE_PII_KEY", "security.pii_key", secret(func(c *Config) *Secret { return &c.Security.PIIKey })},
	{"HALLGATE_HASH_KEY", "security.hash_key", secret(func(c *Config) *Secret { return &c.Security.HashKey })},
}

// EnvVars lists every environment override the binary reads.
func EnvVars() []EnvVar { return append([]EnvVar(nil), envVars...) }

// EnvNames lists the names of every HALLGATE_* variable the binary reads.
func EnvNames() []string {
	out := make([]string, len(envVars))
	for i, v := range envVars {
		out[i] = v.Name
	}
	return out
}

// ApplyEnv applies every set HALLGATE_* override to cfg. Values that cannot be
// parsed are reported together, each with its variable and key path.
func ApplyEnv(cfg *Config, env LookupEnv) error {
	var ps Problems
	for _, v := range envVars {
		raw, ok := env(v.Name)
		if !ok {
			continue
		}
		if err := v.apply(cfg, strings.TrimSpace(raw)); err != nil {
			ps = append(ps, Problem{Path: v.Key, Message: fmt.Sprintf("from %s: %v", v.Name, err)})
		}
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

func str(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

// list splits a comma-separated value.
func list(field func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []string
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
		*field(c) = out
		return nil
	}
}

func secret(field func(*Config) *Secret) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = Secret(v); return nil }
}

func boolean(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("not a boolean (true or false): %q", v)
		}
		*field(c) = b
		return nil
	}
}

func integer(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("not an integer: %q", v)
		}
		*field(c) = n
		return nil
	}
}

func duration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("not a duration: %q", v)
		}
		*field(c) = d
		return nil
	}
}
