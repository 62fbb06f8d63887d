package deploy

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hallgate/hallgate/config"
)

var envName = regexp.MustCompile(`\bHALLGATE_[A-Z0-9_]+\b`)

// deployFiles lists every file under deploy/ except Go sources.
func deployFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".go") {
			return err
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// yamlDocs parses every document of a YAML file.
func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s does not parse: %v", path, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

func TestYAMLParses(t *testing.T) {
	n := 0
	for _, f := range deployFiles(t) {
		if strings.HasSuffix(f, ".yaml") || strings.HasSuffix(f, ".yml") {
			if len(yamlDocs(t, f)) == 0 {
				t.Errorf("%s is empty", f)
			}
			n++
		}
	}
	if n < 6 {
		t.Fatalf("only %d YAML files found", n)
	}
}

// TestEnvNamesAreReadByTheBinary checks every HALLGATE_* name mentioned in
// any deployment file (YAML, Dockerfile, unit, env examples) against the
// binary's list, so a typo or a renamed variable fails here, not in production.
func TestEnvNamesAreReadByTheBinary(t *testing.T) {
	known := config.EnvNames()
	used := 0
	for _, f := range deployFiles(t) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range envName.FindAllString(string(raw), -1) {
			used++
			if !slices.Contains(known, name) {
				t.Errorf("%s uses %s, which hallgate does not read (known: %v)", f, name, known)
			}
		}
	}
	if used < 10 {
		t.Fatalf("only %d HALLGATE_* uses found; the scan is broken", used)
	}
}

func dig(m any, keys ...string) any {
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

func TestKubernetesManifests(t *testing.T) {
	kinds := map[string]map[string]any{}
	for _, f := range []string{"k8s/deployment.yaml", "k8s/service.yaml", "k8s/configmap.yaml", "k8s/secret.example.yaml"} {
		for _, d := range yamlDocs(t, f) {
			kinds[d["kind"].(string)] = d
		}
	}
	dep := kinds["Deployment"]
	if r, _ := dig(dep, "spec", "replicas").(int); r < 2 {
		t.Errorf("deployment runs %d replicas, want several", r)
	}
	containers := dig(dep, "spec", "template", "spec", "containers").([]any)
	c := containers[0].(map[string]any)
	if p := dig(c, "livenessProbe", "httpGet", "path"); p != "/healthz" {
		t.Errorf("liveness probe on %v", p)
	}
	if p := dig(c, "readinessProbe", "httpGet", "path"); p != "/readyz" {
		t.Errorf("readiness probe on %v", p)
	}
	// Every secret reference points at a key the example Secret defines.
	secretKeys := dig(kinds["Secret"], "stringData").(map[string]any)
	refs := 0
	for _, e := range c["env"].([]any) {
		ref, ok := dig(e, "valueFrom", "secretKeyRef").(map[string]any)
		if !ok {
			continue
		}
		refs++
		if _, ok := secretKeys[ref["key"].(string)]; !ok || ref["name"] != dig(kinds["Secret"], "metadata", "name") {
			t.Errorf("secret reference %v does not match the Secret", ref)
		}
	}
	if refs == 0 {
		t.Error("no secret references")
	}
	// The config file the ConfigMap mounts is one the binary accepts.
	data := dig(kinds["ConfigMap"], "data").(map[string]any)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(data["config.yaml"].(string)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) { v, ok := data[k].(string); return v, ok }
	cfg, err := config.Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("ConfigMap configuration rejected: %v", err)
	}
	if cfg.StoreBackend() != config.BackendRedis {
		t.Error("several replicas need the shared Redis store")
	}
}

func TestComposeStack(t *testing.T) {
	docs := yamlDocs(t, "docker-compose.yml")
	services, _ := dig(docs[0], "services").(map[string]any)
	for _, s := range []string{"hallgate", "redis", "meilisearch", "otel-collector", "jaeger", "prometheus"} {
		if services[s] == nil {
			t.Errorf("compose lacks %s", s)
		}
	}
	cmd, _ := dig(services, "redis", "command").([]any)
	joined := strings.TrimSpace(strings.Join(func() []string {
		var out []string
		for _, c := range cmd {
			out = append(out, c.(string))
		}
		return out
	}(), " "))
	if !strings.Contains(joined, "--appendonly yes") {
		t.Errorf("redis runs without AOF: %q", joined)
	}
	// Files the compose stack mounts exist beside it.
	for _, f := range []string{"otel-collector.yaml", "prometheus.yml", "Dockerfile"} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}

func TestSystemdUnit(t *testing.T) {
	raw, err := os.ReadFile("systemd/hallgate.service")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, want := range []string{"[Unit]", "[Service]", "[Install]", "ExecStart=/usr/local/bin/hallgate serve", "KillSignal=SIGTERM"} {
		if !strings.Contains(s, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
}

func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	if n := strings.Count(s, "\nFROM "); n < 2 {
		t.Errorf("%d build stages, want a multi-stage build", n)
	}
	for _, want := range []string{"./cmd/hallgate", "CGO_ENABLED=0", "USER nonroot", "ENTRYPOINT", "STOPSIGNAL SIGTERM"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The Go version of the builder matches go.mod's minor version.
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(mod))
	if m == nil || !strings.Contains(s, "golang:"+m[1]) {
		t.Errorf("builder image does not use Go %v", m)
	}
}
