//go:build !race

package exec

// boundedTestEvents is the event count of TestWindowStateBounded.
const boundedTestEvents = 10_000_000
