// Package gateway is hallgate's composition root: it opens the configured
// store and telemetry, builds the Fiber app with the whole middleware stack
// and route table in one place (server.go), and runs it with a graceful
// shutdown. Commands and end-to-end tests start a full gateway in-process
// with New and Run.
package gateway
