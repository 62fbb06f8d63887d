package connectors

import "fmt"

// Decode fills a kind's typed settings struct (e.g. a yaml.Node's Decode or
// a json.Unmarshal closure), so the registry stays typed without knowing
// where configuration comes from.
type Decode func(into any) error

// Factory builds a connector of one kind from its settings: it allocates the
// kind's typed Config, decodes into it, validates it and constructs.
type Factory func(name string, decode Decode) (Connector, error)

// Kinds is the registry of connector kinds, built explicitly at wiring time
// (see connectors/kinds.Default), never by init().
type Kinds map[string]Factory

// New builds the named connector of the given kind.
func (k Kinds) New(kind, name string, decode Decode) (Connector, error) {
	f, ok := k[kind]
	if !ok {
		return nil, fmt.Errorf("connector %s: unknown kind %q", name, kind)
	}
	c, err := f(name, decode)
	if err != nil {
		return nil, fmt.Errorf("connector %s (%s): %w", name, kind, err)
	}
	return c, nil
}
