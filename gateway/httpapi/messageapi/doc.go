// Package messageapi is the HTTP module of the website's interaction column
// (政民互动 留言): submit (rate limited per client), the public column of
// published replies, and the editors' review queue. Citizens follow their
// message with /api/v1/tickets/track like any ticket.
package messageapi
