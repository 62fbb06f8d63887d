//go:build race

package meili

// raceEnabled lets the relevance evaluation, a quality measurement with
// thousands of loopback requests, stay out of the slow -race runs.
const raceEnabled = true
