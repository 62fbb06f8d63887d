// Package connectorapi serves the connector resources: connector health and
// administration (/api/v1/connectors), dead letters and redrive
// (/api/v1/deadletters), a ticket's delivery states and attempts
// (/api/v1/tickets/{id}/deliveries) and the departments' signed callbacks
// (POST /api/v1/connectors/{name}/callbacks, public at the auth layer and
// authenticated by HMAC signature: headers X-Hallgate-Timestamp (Unix
// seconds) and X-Hallgate-Signature ("sha256=" + hex HMAC-SHA256 over
// timestamp + "." + body), 5-minute tolerance, duplicate events by id
// answered 200 {"duplicate": true} without changing anything).
package connectorapi
