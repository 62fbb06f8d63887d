// Package soap is the connector kind for departments whose legacy system is a
// SOAP 1.1 or 1.2 WebService: it wraps the delivery in an envelope (a
// configurable body template), sets SOAPAction (1.1) or the action parameter
// (1.2), and maps faults: Client/Sender → permanent, Server/Receiver →
// retryable. Malformed XML from the department is that attempt's error.
package soap
