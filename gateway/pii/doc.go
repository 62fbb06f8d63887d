// Package pii protects citizens' personal data at rest: caller names and
// phone numbers are sealed with AES-GCM, looked up through a keyed hash
// (HMAC-SHA256) and masked for roles that do not need them.
package pii
