//go:build race

package ingest

// raceEnabled reports a -race build, where sync.Pool drops items at random:
// the codecs' own pools then allocate, so allocation bounds are not checked.
const raceEnabled = true
