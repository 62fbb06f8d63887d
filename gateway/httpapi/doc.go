// Package httpapi holds what every HTTP handler shares: the route table
// entry, problem+json errors and the one error-to-status mapper.
package httpapi
