package nexmark

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/sluicedb/sluice/ingest"
)

// Topics names the topics Run produces to; empty names default to
// "persons", "auctions" and "bids".
type Topics struct {
	Persons, Auctions, Bids string
}

func (t *Topics) ensureDefaults() {
	if t.Persons == "" {
		t.Persons = Person.String()
	}
	if t.Auctions == "" {
		t.Auctions = Auction.String()
	}
	if t.Bids == "" {
		t.Bids = Bid.String()
	}
}

// runTick is how often Run produces the events that became due: each tick
// is one synchronous Produce per topic.
const runTick = 50 * time.Millisecond

// Run is the live demo producer: it generates rate events per second of
// wall-clock time with event time = wall clock (seeded from the start
// time) and produces them to topics, which must exist. It returns nil when
// ctx is done, or the first produce error.
func Run(ctx context.Context, client *ingest.Client, topics Topics, rate float64) error {
	if rate <= 0 {
		return fmt.Errorf("nexmark: rate %v must be positive", rate)
	}
	topics.ensureDefaults()
	start := time.Now()
	g := New(Config{Seed: uint64(start.UnixNano()), FirstEventTime: start, EventsPerSecond: rate})
	t := time.NewTicker(runTick)
	defer t.Stop()
	var ev Event
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			batch := newBatch()
			for g.peekTime().Before(now) {
				g.Next(&ev)
				batch.add(&ev)
			}
			if err := batch.produce(ctx, client, topics); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
}

// peekTime is the event time of the next event.
func (g *Generator) peekTime() time.Time {
	return time.UnixMicro(g.firstUS + int64(math.Round(float64(g.n)*g.usPer)))
}

// batch collects one tick's records per stream, copying the reused JSON
// into one arena.
type batch struct {
	arena []byte
	recs  [3][]*ingest.Record
}

func newBatch() *batch { return &batch{} }

func (b *batch) add(ev *Event) {
	at := len(b.arena)
	b.arena = append(b.arena, ev.JSON...)
	b.recs[ev.Kind] = append(b.recs[ev.Kind], &ingest.Record{
		Partition: -1,
		Timestamp: ev.Time,
		// Full slice expression: later appends must not write into it.
		Value: b.arena[at:len(b.arena):len(b.arena)],
	})
}

func (b *batch) produce(ctx context.Context, c *ingest.Client, t Topics) error {
	for k, topic := range [3]string{t.Persons, t.Auctions, t.Bids} {
		if err := c.Produce(ctx, topic, b.recs[k]); err != nil {
			return fmt.Errorf("nexmark: %w", err)
		}
	}
	return nil
}
