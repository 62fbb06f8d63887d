// Package kbapi is the HTTP module for departments, the knowledge base
// (entries, import/export, search, feedback, analytics, synonyms) and the
// service-item catalogue with its guide view. Handlers are thin: they turn
// the principal into a knowledgebase.Actor, decode, call the service and
// map its sentinel errors to problem+json.
package kbapi
