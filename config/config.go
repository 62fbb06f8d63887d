package config

import (
	"time"
)

// Config is the whole configuration of one gateway process.
type Config struct {
	Server     Server      `yaml:"server"`
	Store      Store       `yaml:"store"`
	Redis      Redis       `yaml:"redis"`
	Meili      Meili       `yaml:"meili"`
	Telemetry  Telemetry   `yaml:"telemetry"`
	Auth       Auth        `yaml:"auth"`
	Security   Security    `yaml:"security"`
	RateLimit  RateLimit   `yaml:"rate_limit"`
	City       City        `yaml:"city"`
	Topics     Topics      `yaml:"topics"`
	Dispatch   Dispatch    `yaml:"dispatch"`
	Tickets    Tickets     `yaml:"tickets"`
	Audit      Audit       `yaml:"audit"`
	Routing    Routing     `yaml:"routing"`
	Connectors []Connector `yaml:"connectors"`
}

// RequestTypes are the request types (诉求类型) a time limit can be set for;
// gateway/ticket's types, which a test keeps in step.
var RequestTypes = []string{"咨询", "求助", "投诉", "举报", "建议", "表扬"}

// Tickets configures deadlines (办理时限) and their scheduler. Zero values
// take the ticket service's defaults (shown); every day count is in working
// days of the calendar.
type Tickets struct {
	// CalendarFile is a YAML file of yearly schedules of public holidays
	// and adjusted working weekends (调休), in the format of the embedded
	// 2026 schedule (gateway/ticket/calendar/calendar_2026.yaml). Its years
	// are added to the embedded one, or replace it. Add next year's when the
	// State Council publishes it (usually in the autumn); until then a
	// year without a schedule counts Monday to Friday, and the gateway
	// warns from 45 days before it starts. Default "" (the embedded
	// schedule only).
	CalendarFile string `yaml:"calendar_file"`
	// TimeLimits per request type (咨询 2, 求助 10, 投诉 15, 举报 15, 建议 10,
	// 表扬 2); types left out keep theirs.
	TimeLimits map[string]int `yaml:"time_limits"`
	// UrgentDays caps the limit of urgent tickets (1).
	UrgentDays int `yaml:"urgent_days"`
	// DispatchDays is the time to dispatch or answer a ticket (按时转出, 1).
	DispatchDays int `yaml:"dispatch_days"`
	// ReturnDays is the window a department has to return a ticket after
	// each dispatch (2).
	ReturnDays int `yaml:"return_days"`
	// MaxExtensionDays caps the sum of approved extensions (10).
	MaxExtensionDays int `yaml:"max_extension_days"`
	// WarningDays: the scheduler warns this long before the due date (1).
	WarningDays int `yaml:"warning_days"`
	// MergeWindow: open tickets at the same address and category filed
	// within it are offered as merge candidates (72h).
	MergeWindow time.Duration `yaml:"merge_window"`
	// SchedulerInterval between deadline scans (1m).
	SchedulerInterval time.Duration `yaml:"scheduler_interval"`
	// CallerRetentionDays: this many days after a ticket is closed, its
	// caller's name and phone are erased and its texts scrubbed of
	// personal data (个人信息保存期限); 0 (the default) keeps them. At
	// least 30 when set: the callback of a bad rating needs the number.
	CallerRetentionDays int `yaml:"caller_retention_days"`
}

// Dispatch tunes the outbox relay that delivers tickets to the departments'
// systems. Zero values take the relay's defaults (shown).
type Dispatch struct {
	// Workers is the number of concurrent deliveries per replica (16).
	Workers int `yaml:"workers"`
	// Lease is how long a claimed delivery stays with a replica; a replica
	// that dies holding it gives it back after the lease (2m).
	Lease time.Duration `yaml:"lease"`
	// MaxAge: a delivery still failing this long after its ticket event is
	// dead-lettered (72h), so an outage of hours never dead-letters.
	MaxAge time.Duration `yaml:"max_age"`
	// RetryBase and RetryMax shape the backoff between attempts (5s, 10m).
	RetryBase time.Duration `yaml:"retry_base"`
	RetryMax  time.Duration `yaml:"retry_max"`
	// BreakerWait is how long a department's deliveries wait, uncounted,
	// while its breaker is open (10s).
	BreakerWait time.Duration `yaml:"breaker_wait"`
}

// Topics configures hot-topic alerts (舆情监测): each newly flagged topic is
// POSTed once to the webhook, HMAC-signed with the secret.
type Topics struct {
	// WebhookURL receives the alerts; empty keeps them queued for the
	// supervisor view only.
	WebhookURL string `yaml:"webhook_url"`
	// WebhookSecret signs the alert bodies (X-Hallgate-Signature).
	WebhookSecret Secret `yaml:"webhook_secret"`
}

// Routing configures the dispatch suggester (gateway/routing).
type Routing struct {
	// StarterExamples lets the suggester learn, beside the city's own
	// history, from the shipped starter examples: citizens' requests
	// labelled with the kind of department that commonly handles them,
	// given to the city's department of that kind. Default true; a city
	// whose practice differs widely turns them off, and its own history
	// outweighs them as it grows either way.
	StarterExamples bool `yaml:"starter_examples"`
}

// Audit configures the audit trail (操作日志, gateway/audit).
type Audit struct {
	// RetentionDays is how long entries are kept. Default 180, the least
	// allowed: the Cybersecurity Law (网络安全法, art. 21) asks that network
	// logs be kept at least six months.
	RetentionDays int `yaml:"retention_days"`
}

// City describes the jurisdiction this gateway serves.
type City struct {
	// Name is shown on the pages, e.g. 江川市. Default "" (the pages then
	// say 12345 政务服务便民热线 without a city).
	Name string `yaml:"name"`
	// AreaCode is the telephone area code (with the leading 0) assumed for
	// landline callers whose number arrives without one. Default "" (none assumed).
	AreaCode string `yaml:"area_code"`
	// Jurisdiction is the Open311 jurisdiction_id; requests naming another
	// get 404. Default "" (any).
	Jurisdiction string `yaml:"jurisdiction"`
}

// Server configures the HTTP listener.
type Server struct {
	// Addr is the listen address. Default ":8080".
	Addr string `yaml:"addr"`
	// DataDir holds the embedded store, the embedded index and generated
	// keys. Default "./data".
	DataDir string `yaml:"data_dir"`
	// BodyLimit is the largest accepted request body in bytes; larger ones
	// get 413. Default 8 MiB, so JSON Lines imports of a few thousand
	// entries or tickets fit; raise it for bulk migrations.
	BodyLimit int `yaml:"body_limit"`
	// ReadTimeout, WriteTimeout and IdleTimeout bound one connection.
	// Defaults 15s, 30s, 60s.
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	IdleTimeout  time.Duration `yaml:"idle_timeout"`
	// ProxyHeader names the header carrying the client address when the
	// gateway runs behind a load balancer (e.g. "X-Forwarded-For"); it is
	// believed only from TrustedProxies (IPs or CIDRs), so a client cannot
	// spoof its address to dodge the per-address rate limit. Default none.
	ProxyHeader    string   `yaml:"proxy_header"`
	TrustedProxies []string `yaml:"trusted_proxies"`
	// ShutdownTimeout bounds draining in-flight requests and stopping
	// background workers on SIGTERM. Default 20s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// Store backends.
const (
	BackendBolt  = "bolt"
	BackendRedis = "redis"
)

// Store selects the system of record.
type Store struct {
	// Backend is "bolt" (embedded, default) or "redis". Empty means redis
	// when redis.url is set, bolt otherwise.
	Backend string `yaml:"backend"`
}

// Redis configures the Redis store and what "durable" means on it.
type Redis struct {
	// URL, e.g. redis://127.0.0.1:6379/0. Setting it switches the store
	// to Redis unless store.backend says otherwise.
	URL string `yaml:"url"`
	// AppendFsync is the AOF policy the gateway expects of the server:
	// "always" (every acknowledged write is on disk), "everysec" (up to one
	// second of writes may be lost on a power cut) or "" (do not check).
	// The gateway checks it at start (CONFIG GET) and logs a warning when
	// the server promises less. Default "always".
	AppendFsync string `yaml:"appendfsync"`
	// Prefix starts every key the gateway writes, so several deployments
	// (or test runs) can share one Redis. Default "hallgate:".
	Prefix string `yaml:"prefix"`
	// WaitReplicas, when > 0, makes every commit wait (WAIT) until that many
	// replicas acknowledged it, for at most WaitTimeout (default 1s).
	WaitReplicas int           `yaml:"wait_replicas"`
	WaitTimeout  time.Duration `yaml:"wait_timeout"`
}

// Meili configures the Meilisearch index; empty URL means the embedded index.
type Meili struct {
	URL string `yaml:"url"`
	Key Secret `yaml:"key"`
	// Index is the index uid. Default "hallgate".
	Index string `yaml:"index"`
}

// Telemetry configures traces, metrics and logs.
type Telemetry struct {
	// OTLPEndpoint is an OTLP/HTTP endpoint (e.g. http://collector:4318);
	// empty means spans are created (trace ids appear in logs) but not exported.
	OTLPEndpoint string `yaml:"otlp_endpoint"`
	// ServiceName is the OTel service.name. Default "hallgate".
	ServiceName string `yaml:"service_name"`
	// SampleRatio is the share of new traces sampled (0..1). Default 1.
	SampleRatio float64 `yaml:"sample_ratio"`
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string `yaml:"log_level"`
}

// Auth configures authentication.
type Auth struct {
	// BootstrapAdminToken is an admin bearer token accepted from start-up,
	// for automation; at least 16 characters. Empty disables it.
	BootstrapAdminToken Secret `yaml:"bootstrap_admin_token"`
}

// Security holds the keys protecting citizens' personal data.
type Security struct {
	// PIIKey encrypts phone numbers and names at rest (base64, 32 bytes).
	// Generated into <data_dir>/keys/pii.key on first start when empty.
	PIIKey Secret `yaml:"pii_key"`
	// HashKey keys the lookup hash of phone numbers (base64, ≥ 32 bytes).
	// Generated into <data_dir>/keys/hash.key on first start when empty.
	HashKey Secret `yaml:"hash_key"`
}

// RateLimit configures per-client token buckets.
type RateLimit struct {
	// Public limits anonymous requests per client address.
	// Default 10 per second, burst 40.
	Public Bucket `yaml:"public"`
	// Authenticated limits requests per token. Default 50 per second, burst 200.
	Authenticated Bucket `yaml:"authenticated"`
	// Messages limits citizens' website messages per client (政民互动).
	// Default 1 every 20 seconds, burst 3.
	Messages Bucket `yaml:"messages"`
	// SignIn limits sign-in attempts per client address, whatever the
	// username: the per-account lock stops guessing one password, this
	// stops trying one password on many accounts. Default 1 every 6
	// seconds, burst 10.
	SignIn Bucket `yaml:"sign_in"`
}

// Bucket is a token bucket: PerSecond refill rate, Burst capacity.
// PerSecond 0 disables the limit.
type Bucket struct {
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"`
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Server: Server{
			Addr:            ":8080",
			DataDir:         "./data",
			BodyLimit:       8 << 20,
			ReadTimeout:     15 * time.Second,
			WriteTimeout:    30 * time.Second,
			IdleTimeout:     60 * time.Second,
			ShutdownTimeout: 20 * time.Second,
		},
		Redis:     Redis{Prefix: "hallgate:", AppendFsync: "always", WaitTimeout: time.Second},
		Meili:     Meili{Index: "hallgate"},
		Audit:     Audit{RetentionDays: 180},
		Routing:   Routing{StarterExamples: true},
		Telemetry: Telemetry{ServiceName: "hallgate", SampleRatio: 1, LogLevel: "info"},
		RateLimit: RateLimit{
			Public:        Bucket{PerSecond: 10, Burst: 40},
			Authenticated: Bucket{PerSecond: 50, Burst: 200},
			Messages:      Bucket{PerSecond: 0.05, Burst: 3},
			SignIn:        Bucket{PerSecond: 1.0 / 6, Burst: 10},
		},
	}
}

// StoreBackend resolves the effective store backend.
func (c Config) StoreBackend() string {
	if c.Store.Backend != "" {
		return c.Store.Backend
	}
	if c.Redis.URL != "" {
		return BackendRedis
	}
	return BackendBolt
}

// Secret is a string that never prints: fmt, slog and YAML output show it
// redacted, so a config dump or a log line cannot leak it.
type Secret string

const redacted = "[redacted]"

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// Reveal returns the secret value; call it only where the value is used.
func (s Secret) Reveal() string { return string(s) }

// MarshalYAML redacts the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalText redacts the value (JSON and slog use it).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
