// Package deploy holds hallgate's deployment files — the Dockerfile, the
// compose stack with its collector and Prometheus configs, Kubernetes
// manifests and a systemd unit — and a test that keeps them honest: every
// YAML file parses, and every HALLGATE_* variable they set is one the binary
// reads.
package deploy
