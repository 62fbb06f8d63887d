// Package auth defines principals and roles, API tokens kept as hashes,
// staff sessions, HMAC signatures and rate limits.
package auth
