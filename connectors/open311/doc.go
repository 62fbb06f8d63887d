// Package open311 is the connector kind that forwards tickets to another
// GeoReport v2 endpoint (e.g. a district platform): POST requests.json with
// the service code and a description built from the ticket, the returned
// service_request_id kept as the reference, and GET requests.json polled for
// status changes (open → progress, closed → replied).
package open311
