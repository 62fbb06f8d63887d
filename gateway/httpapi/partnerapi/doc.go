// Package partnerapi serves the partner registry to admins
// (/api/v1/partners) and the versioned public partner API (/partner/v1/...)
// that partners' sites and the embeddable widget call.
//
// The public routes admit the anonymous citizen and the partner role in the
// route table; every handler is wrapped in this package's guard, which
// resolves the partner from "X-Partner-Key" (or from the principal the
// gateway's auth middleware set from "Authorization: Bearer <key>"),
// enforces the partner's origins (CORS), counts the call, checks the
// feature flag, applies the per-client and per-key rate limits, and then
// runs the handler of the gateway module that owns the capability (kbapi,
// messageapi, ticketapi) with the partner's principal — so partners get
// exactly the public behaviour of those modules, messages on channel
// "partner".
package partnerapi
