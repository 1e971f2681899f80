//go:build race

package exec

// boundedTestEvents is the event count of TestWindowStateBounded: scaled
// down under -race, where the operator runs about ten times slower.
const boundedTestEvents = 1_000_000
