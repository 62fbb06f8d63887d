// Package web serves hallgate's pages: the citizen portal (/), staff sign-in
// (/login), the agent console (/agent) and the supervisor/admin pages
// (/admin). Templates, CSS and JavaScript are embedded in the binary; nothing
// is loaded from another origin.
//
// Staff sign in with a username and password (bcrypt, collection "users");
// a session (collection "sessions") is kept in an HttpOnly, SameSite=Lax
// cookie with idle expiry and a per-session CSRF token. The pages call the
// JSON APIs through the session bridge /ui/api/v1/* (see bridge.go), which
// checks the session and, for every state-changing request, the
// X-CSRF-Token header, then re-routes the request to /api/v1/* carrying the
// session's server-side bearer token. SessionAuthenticate is the same check
// as an authentication middleware for a gateway that wants the pages to call
// /api/v1 directly.
package web
