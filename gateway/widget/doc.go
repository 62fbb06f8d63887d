// Package widget serves the embeddable 政务服务 widget: one script tag and
// one element on a partner's page show search, service guides, the message
// form and tracking, rendered in a shadow root and talking to the partner
// API (/partner/v1) with the partner's key.
//
// The script and its stylesheet are embedded (embed.FS) and assembled once
// at start-up into a content-hashed file, /widget/v1/widget.<hash>.js,
// served as immutable for a year with its Subresource Integrity hash
// published by /widget/v1/embed. /widget/v1/widget.js is a short-lived
// loader that points at the current hashed file with its integrity, so
// partners who embed the loader pick up new versions within minutes.
package widget
