// Package nexmark generates a deterministic Nexmark-style event stream
// (persons, auctions and bids) as JSON records, for the demo and for the
// benchmark suite.
//
// Events are numbered from 0. Of every 50 consecutive events one is a
// person, three are auctions and 46 are bids (2% / 6% / 92%), interleaved
// by event number as in the reference generator. Event n happens at
// FirstEventTime + n × (1e6 / EventsPerSecond) µs, so a fixed rate, not
// only a count, fixes the span of event time. Bids skew towards hot
// auctions and hot bidders, auctions towards hot sellers, and half the
// bids come from one of four hot channels. Everything is derived from
// Config.Seed: the same Config yields the same bytes.
//
// Goroutines: Generator starts none. Run produces from the caller's
// goroutine and returns when its ctx is done or a produce fails.
package nexmark
