package nexmark

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Proportions and skew of the reference generator (nexmark.md).
const (
	personProportion  = 1
	auctionProportion = 3
	bidProportion     = 46
	totalProportion   = personProportion + auctionProportion + bidProportion

	hotAuctionRatio  = 2
	hotBiddersRatio  = 4
	hotSellersRatio  = 4
	auctionsInFlight = 100
	activePeople     = 1000
	numChannels      = 10000
	firstID          = 1000

	// Target JSON sizes reached by padding extra (bytes).
	bidSize     = 260
	personSize  = 300
	auctionSize = 600
)

// Config configures a Generator. The zero value is valid.
type Config struct {
	// Seed makes the stream reproducible. Default 0.
	Seed uint64
	// FirstEventTime is the event time of event 0. Default 2024-01-01 UTC.
	FirstEventTime time.Time
	// EventsPerSecond is the rate in event time. Default 10 M (the
	// published Nexmark runs).
	EventsPerSecond float64
}

var defaultFirstEventTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Generator produces the event stream. It is not safe for concurrent use.
type Generator struct {
	rng     *rand.Rand
	firstUS int64
	usPer   float64 // event-time µs between consecutive events
	n       int64
	buf     []byte
	pool    []byte // random lower-case letters: padding, names, URLs
	hotURL  [len(hotChannels)][]byte
}

var hotChannels = [...]string{"Google", "Facebook", "Baidu", "Apple"}

// New returns a generator positioned at event 0.
func New(cfg Config) *Generator {
	if cfg.FirstEventTime.IsZero() {
		cfg.FirstEventTime = defaultFirstEventTime
	}
	if cfg.EventsPerSecond <= 0 {
		cfg.EventsPerSecond = 10_000_000
	}
	g := &Generator{
		rng:     rand.New(rand.NewPCG(cfg.Seed, 0x6e65786d61726b)),
		firstUS: cfg.FirstEventTime.UnixMicro(),
		usPer:   1e6 / cfg.EventsPerSecond,
		buf:     make([]byte, 0, 1024),
		pool:    make([]byte, 1<<16),
	}
	for i := range g.pool {
		g.pool[i] = 'a' + byte(g.rng.IntN(26))
	}
	for i := range g.hotURL {
		g.hotURL[i] = g.appendURL(nil, -1)
	}
	return g
}

// Next writes the next event into dst, reusing dst.JSON's storage.
func (g *Generator) Next(dst *Event) {
	n := g.n
	g.n++
	us := g.firstUS + int64(math.Round(float64(n)*g.usPer))
	epoch, off := n/totalProportion, n%totalProportion
	b := dst.JSON[:0]
	switch {
	case off < personProportion:
		dst.Kind = Person
		b = g.person(b, firstID+epoch, us)
	case off < personProportion+auctionProportion:
		dst.Kind = Auction
		b = g.auction(b, firstID+epoch*auctionProportion+off-personProportion, epoch, us)
	default:
		dst.Kind = Bid
		b = g.bid(b, epoch, us)
	}
	dst.JSON, dst.Number, dst.Time = b, n, time.UnixMicro(us).UTC()
}

// letters returns n pseudo-random letters from the pool.
func (g *Generator) letters(n int) []byte {
	at := g.rng.IntN(len(g.pool) - n)
	return g.pool[at : at+n]
}

// price is round(10^(U·6) · 100): cents from 1 to 100 M, log-uniform.
func (g *Generator) price() int64 {
	return int64(math.Round(math.Pow(10, g.rng.Float64()*6) * 100))
}

// lastPerson and lastAuction are the newest IDs as of epoch.
func lastPerson(epoch int64) int64  { return firstID + epoch }
func lastAuction(epoch int64) int64 { return firstID + epoch*auctionProportion + auctionProportion - 1 }

// pick returns a hot ID (a multiple of ratio below last) with probability
// (ratio-1)/ratio, else one of the window most recent IDs.
func (g *Generator) pick(last int64, ratio, window int) int64 {
	if g.rng.IntN(ratio) > 0 {
		return max(firstID, last/int64(ratio)*int64(ratio))
	}
	return max(firstID, last-int64(g.rng.IntN(window)))
}

// pickAuction chooses the bid's auction: hot half the time.
func (g *Generator) pickAuction(epoch int64) int64 {
	last := lastAuction(epoch)
	if g.rng.IntN(hotAuctionRatio) == 0 {
		return max(firstID, last/hotAuctionRatio*hotAuctionRatio)
	}
	return max(firstID, last-int64(g.rng.IntN(auctionsInFlight)))
}

func appendTime(b []byte, us int64) []byte {
	b = append(b, '"')
	b = time.UnixMicro(us).UTC().AppendFormat(b, "2006-01-02 15:04:05.000000")
	return append(b, '"')
}

func appendField(b []byte, name string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

func appendInt(b []byte, name string, v int64) []byte {
	return strconv.AppendInt(appendField(b, name), v, 10)
}

func appendStr(b []byte, name string, v []byte) []byte {
	b = append(appendField(b, name), '"')
	b = append(b, v...)
	return append(b, '"')
}

// appendExtra pads the object to about size bytes and closes it.
func (g *Generator) appendExtra(b []byte, size int) []byte {
	const overhead = len(`,"extra":""}`)
	pad := max(0, size-len(b)-overhead)
	return append(appendStr(b, "extra", g.letters(pad)), '}')
}
