//go:build race

package routing

// raceEnabled: under the race detector the evaluation runs its fast variant;
// the full ten-split evaluation exercises no other code path.
const raceEnabled = true
