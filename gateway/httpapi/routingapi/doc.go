// Package routingapi exposes the routing suggester and the dispatch
// catalogue over REST: POST /api/v1/routing/suggest, CRUD on
// /api/v1/routing/rules, and bulk history import of labelled tickets.
package routingapi
