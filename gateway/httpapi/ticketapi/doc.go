// Package ticketapi is the HTTP module of tickets: intake with
// Idempotency-Key, import of historical tickets, listing, lookup by id or
// code, transitions through /events, the citizen's tracking view and
// statistics. Handlers decode, call gateway/ticket and encode; one function
// maps the ticket package's errors to problem+json.
package ticketapi
