// Package partner keeps the registry of partners — county media centres and
// portals that embed the service entrance — with their keys, allowed
// origins, rate limits, feature flags and exact usage counts.
//
// A partner's key is an auth token with the single role auth.RolePartner:
// the auth package already stores only its SHA-256 hash, revokes it and
// resolves it as a bearer token, so a key works both as
// "Authorization: Bearer <key>" (through the gateway's authentication
// middleware) and as "X-Partner-Key: <key>" (resolved here). The partner's
// id is the token's id.
//
// Usage is one store record per call indexed by partner, day and endpoint;
// Count over those indexes is exact under concurrency and across replicas
// because every call writes its own record (no read-modify-write).
package partner
