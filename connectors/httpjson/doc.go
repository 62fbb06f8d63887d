// Package httpjson is the connector kind for departments whose legacy system
// takes REST/JSON: it POSTs the canonical Delivery (or a configured
// text/template body) with bearer, basic or HMAC auth, Idempotency-Key and
// traceparent headers, and classifies the answer into a Receipt or a
// permanent/retryable error. Systems that cannot call back are polled.
package httpjson
