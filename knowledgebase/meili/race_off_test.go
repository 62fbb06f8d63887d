//go:build !race

package meili

const raceEnabled = false
