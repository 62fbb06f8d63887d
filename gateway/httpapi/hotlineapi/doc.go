// Package hotlineapi is the HTTP module for the legacy hotline registry,
// CTI call events with the screen pop, and the missed-call call-back list.
package hotlineapi
