// Package config is hallgate's typed configuration: documented defaults,
// a YAML file, HALLGATE_* environment overrides, and Validate, which reports
// every problem at once with its key path and does no I/O. EnsureKeys is the
// one step that touches the disk (it creates missing security keys).
//
// Adding a section is adding a field to Config (with a yaml tag and a
// default in Default) and, when it has rules, a validate method called from
// Config.Validate.
package config
