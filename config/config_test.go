package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hallgate/hallgate/connectors/httpjson"
	"github.com/hallgate/hallgate/connectors/kinds"
)

func noEnv(string) (string, bool) { return "", false }

func envMap(m map[string]string) LookupEnv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if got := Default().StoreBackend(); got != BackendBolt {
		t.Fatalf("default backend %q, want bolt", got)
	}
}

func TestExampleIsAccepted(t *testing.T) {
	cfg, err := Load("example.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("example.yaml rejected: %v", err)
	}
	if len(cfg.Connectors) != 4 {
		t.Fatalf("example has %d connectors, want 4", len(cfg.Connectors))
	}
	if cfg.Tickets.TimeLimits["投诉"] != 15 || len(cfg.Tickets.TimeLimits) != len(RequestTypes) || cfg.Tickets.MergeWindow != 72*time.Hour {
		t.Fatalf("tickets section not decoded: %+v", cfg.Tickets)
	}
	if cfg.Connectors[1].SOAP == nil || cfg.Connectors[1].SOAP.Action != "urn:SubmitTicket" {
		t.Fatalf("soap settings not decoded: %+v", cfg.Connectors[1])
	}
	// Decode hands the kind's typed settings to its factory.
	var hj httpjson.Config
	if err := cfg.Connectors[0].Decode(&hj); err != nil || hj.URL != "https://scjg.example.gov.cn/api/tickets" ||
		hj.Auth.Type != "hmac" || hj.Timeout != 30*time.Second {
		t.Fatalf("decode: %+v %v", hj, err)
	}
	if err := (Connector{Name: "x", Kind: KindSOAP}).Decode(&hj); !errors.Is(err, ErrNoSettings) {
		t.Fatalf("missing block: %v", err)
	}
}

func TestGoodFixture(t *testing.T) {
	cfg, err := Load("testdata/good.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != "127.0.0.1:9090" || cfg.Server.ShutdownTimeout != 5*time.Second {
		t.Fatalf("server not decoded: %+v", cfg.Server)
	}
	// Untouched keys keep their defaults.
	if cfg.Server.ReadTimeout != Default().Server.ReadTimeout {
		t.Fatalf("read_timeout lost its default: %v", cfg.Server.ReadTimeout)
	}
	if cfg.StoreBackend() != BackendRedis {
		t.Fatalf("redis.url set, backend %q", cfg.StoreBackend())
	}
}

func TestBadFixtureListsEveryProblem(t *testing.T) {
	cfg, err := Load("testdata/bad.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.Validate()
	var ps Problems
	if !errors.As(err, &ps) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("want Problems wrapping ErrInvalid, got %v", err)
	}
	paths := map[string]bool{}
	for _, p := range ps {
		paths[p.Path] = true
	}
	want := []string{
		"server.addr", "server.data_dir", "server.body_limit", "server.trusted_proxies[1]", "server.read_timeout",
		"store.backend", "redis.url", "redis.appendfsync",
		"telemetry.otlp_endpoint", "telemetry.sample_ratio", "telemetry.log_level",
		"auth.bootstrap_admin_token", "security.pii_key", "rate_limit.public.burst",
		"connectors[0].name", "connectors[0].kind", "connectors[0].department",
		"connectors[1].callback_secret", "connectors[1].httpjson", "connectors[2].name",
		"connectors[2].soap.url", "connectors[2].soap.version", "connectors[2].soap.action", "connectors[2].email",
		"connectors[3].httpjson.secret", "connectors[3].resilience.retry.max_attempts",
		"tickets.time_limits.咨询", "tickets.time_limits.投拆", "tickets.return_days", "tickets.scheduler_interval",
	}
	for _, w := range want {
		if !paths[w] {
			t.Errorf("missing problem at %s; got:\n%v", w, err)
		}
	}
	if len(ps) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(ps), len(want), err)
	}
	// Deterministic order: validating twice gives the same text.
	if again := cfg.Validate(); again.Error() != err.Error() {
		t.Errorf("problem order not stable")
	}
}

func TestUnknownKeyAndMalformedYAML(t *testing.T) {
	for _, f := range []string{"testdata/unknown_key.yaml", "testdata/malformed.yaml", "testdata/missing.yaml"} {
		if _, err := Load(f, noEnv); !errors.Is(err, ErrRead) {
			t.Errorf("%s: want ErrRead, got %v", f, err)
		}
	}
}

func TestEnvOverridesFile(t *testing.T) {
	cfg, err := Load("testdata/good.yaml", envMap(map[string]string{
		"HALLGATE_ADDR":                  ":9999",
		"HALLGATE_DATA_DIR":              "/tmp/x",
		"HALLGATE_REDIS_URL":             "redis://10.0.0.1:6379/0",
		"HALLGATE_BOOTSTRAP_ADMIN_TOKEN": "abcdefghijklmnopq",
		"HALLGATE_BODY_LIMIT":            "4096",
		"HALLGATE_SHUTDOWN_TIMEOUT":      "3s",
		"HALLGATE_TRUSTED_PROXIES":       "10.0.0.1, 10.1.0.0/16",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != ":9999" || cfg.Server.DataDir != "/tmp/x" || cfg.Redis.URL != "redis://10.0.0.1:6379/0" ||
		cfg.Auth.BootstrapAdminToken.Reveal() != "abcdefghijklmnopq" || cfg.Server.BodyLimit != 4096 ||
		cfg.Server.ShutdownTimeout != 3*time.Second || len(cfg.Server.TrustedProxies) != 2 {
		t.Fatalf("env not applied: %+v", cfg)
	}
}

func TestEnvParseErrorsReportedTogether(t *testing.T) {
	_, err := Load("", envMap(map[string]string{"HALLGATE_BODY_LIMIT": "big", "HALLGATE_SHUTDOWN_TIMEOUT": "soon"}))
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
	if !strings.Contains(err.Error(), "server.body_limit: from HALLGATE_BODY_LIMIT") {
		t.Fatalf("problem lacks path and variable: %v", err)
	}
}

func TestEnvNamesCoverTable(t *testing.T) {
	names := EnvNames()
	seen := map[string]bool{}
	for _, n := range names {
		if !strings.HasPrefix(n, "HALLGATE_") || seen[n] {
			t.Errorf("bad or duplicate env name %q", n)
		}
		seen[n] = true
	}
	for _, must := range []string{"HALLGATE_ADDR", "HALLGATE_DATA_DIR", "HALLGATE_CONFIG", "HALLGATE_REDIS_URL",
		"HALLGATE_MEILI_URL", "HALLGATE_MEILI_KEY", "HALLGATE_OTLP_ENDPOINT", "HALLGATE_BOOTSTRAP_ADMIN_TOKEN"} {
		if !seen[must] {
			t.Errorf("issue 2 requires %s", must)
		}
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	cfg := Default()
	cfg.Auth.BootstrapAdminToken = "super-secret-token-value"
	cfg.Meili.Key = "meili-secret-value"
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("cfg", "auth", cfg.Auth, "key", cfg.Meili.Key)
	for _, s := range []string{string(out), fmt.Sprintf("%v %+v", cfg, cfg), logged.String()} {
		if strings.Contains(s, "super-secret") || strings.Contains(s, "meili-secret") {
			t.Fatalf("secret leaked: %s", s)
		}
	}
}

func TestEnsureKeysCreatesOnceAndKeeps(t *testing.T) {
	dir := t.TempDir()
	cfg := Default()
	cfg.Server.DataDir = dir
	if err := EnsureKeys(&cfg); err != nil {
		t.Fatal(err)
	}
	for _, k := range []Secret{cfg.Security.PIIKey, cfg.Security.HashKey} {
		b, err := DecodeKey(k)
		if err != nil || len(b) != 32 {
			t.Fatalf("bad generated key: %v len %d", err, len(b))
		}
	}
	if cfg.Security.PIIKey == cfg.Security.HashKey {
		t.Fatal("keys must differ")
	}
	st, err := os.Stat(filepath.Join(dir, "keys", "pii.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st, err)
	}
	again := Default()
	again.Server.DataDir = dir
	if err := EnsureKeys(&again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Security, cfg.Security) {
		t.Fatal("second start generated different keys")
	}
	// A configured key wins and is not written.
	given := Default()
	given.Server.DataDir = t.TempDir()
	given.Security.PIIKey = Secret(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	if err := EnsureKeys(&given); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(given.Server.DataDir, "keys", "pii.key")); !os.IsNotExist(err) {
		t.Fatal("configured key was written to disk")
	}
}

func TestProxyHeaderNeedsTrustedProxies(t *testing.T) {
	cfg := Default()
	cfg.Server.ProxyHeader = "X-Forwarded-For"
	var ps Problems
	if err := cfg.Validate(); !errors.As(err, &ps) || len(ps) != 1 || ps[0].Path != "server.trusted_proxies" {
		t.Fatalf("want one problem at server.trusted_proxies, got %v", err)
	}
	cfg.Server.TrustedProxies = []string{"10.0.0.0/8", "127.0.0.1"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func FuzzDecodeYAML(f *testing.F) {
	raw, _ := os.ReadFile("example.yaml")
	f.Add(raw)
	f.Add([]byte("server: {addr: ':1'}\nconnectors: [{name: a, kind: soap, soap: {}}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg := Default()
		if decodeYAML(b, &cfg) == nil {
			_ = cfg.Validate() // must not panic on anything that decodes
		}
	})
}

// TestExampleConnectorsBuild hands every example connector to the kind
// registry, exactly as the wiring does.
func TestExampleConnectorsBuild(t *testing.T) {
	cfg, err := Load("example.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	reg := kinds.Default()
	for _, c := range cfg.Connectors {
		conn, err := reg.New(c.Kind, c.Name, c.Decode)
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		if conn.Name() != c.Name {
			t.Errorf("built %q for %q", conn.Name(), c.Name)
		}
	}
}
