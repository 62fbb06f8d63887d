// Package bench is `hallgate bench`: an open-loop workload generator that
// drives a live gateway on loopback at a fixed rate for a fixed time, reports
// throughput and latency per scenario beside ceilings measured in the same
// run (the server's /healthz, the store's raw commit rate, the index's raw
// query time, a bare client to a department simulator), and checks at the
// end that every ticket it filed exists and every delivery arrived.
//
// Latency is measured from each request's scheduled time, not from when it
// was sent, so a server that falls behind shows its queueing instead of
// slowing the generator down (coordinated omission).
package bench
