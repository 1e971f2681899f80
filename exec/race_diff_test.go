//go:build race

package exec

// diffRaceEnabled reports a -race build; the differential tests run fewer cases.
const diffRaceEnabled = true
