package nexmark

import "time"

// Kind is the stream an event belongs to.
type Kind uint8

// The three Nexmark streams.
const (
	Person Kind = iota
	Auction
	Bid
)

// String returns the stream's demo topic name.
func (k Kind) String() string {
	switch k {
	case Person:
		return "persons"
	case Auction:
		return "auctions"
	case Bid:
		return "bids"
	}
	return "unknown"
}

// Event is one generated event. Next overwrites it: JSON is reused for
// the next event, so copy it to keep it.
type Event struct {
	Kind Kind
	// Number is the event's position in the stream (0-based).
	Number int64
	// JSON is the event as a JSON object with the demo streams' column
	// names; timestamps are "YYYY-MM-DD HH:MM:SS.ffffff" (UTC).
	JSON []byte
	// Time is the event time (date_time).
	Time time.Time
}
