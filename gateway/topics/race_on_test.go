//go:build race

package topics

// raceEnabled trims the multi-seed evaluation under the race detector,
// which slows the map-heavy engine about fivefold.
const raceEnabled = true
