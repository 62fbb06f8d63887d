// Package open311 speaks Open311 GeoReport v2 (JSON and XML) over the ticket
// service, so that existing city apps and tools file 12345 tickets unchanged:
// discovery, service list and definitions, POST/GET requests, tokens and the
// servicerequestupdates feed, with errors as the standard's
// [{code, description}].
//
// Privacy: only requests filed through Open311 are listed or shown; tickets
// from the hotline and other channels never appear in the public feed, and
// no personal data of the requester is ever returned.
package open311
