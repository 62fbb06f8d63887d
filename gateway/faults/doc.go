// Package faults holds scripted fault tests that run the real hallgate
// binary: department outages and slowness, SIGKILL of the gateway during
// intake and dispatch, a Redis restart, a full disk under the embedded store,
// a replica dying with claimed work, the personal-data log scan and the
// three-replica scale run. Everything lives in _test files; the package has
// no production code.
//
// Short variants run in `go test ./gateway/faults/`; HALLGATE_FAULTS=long
// adds the variants that wait out the relay's two-minute delivery lease.
// Redis cases need HALLGATE_TEST_REDIS_SERVER_BIN (path of redis-server):
// each test starts its own server on a free port. HALLGATE_SCALE_SECONDS
// sets the length of each load phase of the three-replica run.
package faults
