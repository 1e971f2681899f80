package nexmark

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedb/sluice/ingest"
)

func digest(cfg Config, n int) [32]byte {
	g := New(cfg)
	h := sha256.New()
	var ev Event
	for range n {
		g.Next(&ev)
		h.Write(ev.JSON)
	}
	return [32]byte(h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	a := digest(Config{Seed: 7}, 5000)
	if b := digest(Config{Seed: 7}, 5000); a != b {
		t.Fatal("same seed gave different streams")
	}
	if c := digest(Config{Seed: 8}, 5000); a == c {
		t.Fatal("different seeds gave the same stream")
	}
}

func field(name string, typ arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: typ, Nullable: true}
}

// schemas are the demo streams' columns; every generated record must
// decode into them with no NULLs.
var schemas = map[Kind]*arrow.Schema{
	Bid: arrow.NewSchema([]arrow.Field{
		field("auction", arrow.PrimitiveTypes.Int64), field("bidder", arrow.PrimitiveTypes.Int64),
		field("price", arrow.PrimitiveTypes.Int64), field("channel", arrow.BinaryTypes.String),
		field("url", arrow.BinaryTypes.String), field("date_time", arrow.FixedWidthTypes.Timestamp_us),
		field("extra", arrow.BinaryTypes.String)}, nil),
	Person: arrow.NewSchema([]arrow.Field{
		field("id", arrow.PrimitiveTypes.Int64), field("name", arrow.BinaryTypes.String),
		field("email_address", arrow.BinaryTypes.String), field("credit_card", arrow.BinaryTypes.String),
		field("city", arrow.BinaryTypes.String), field("state", arrow.BinaryTypes.String),
		field("date_time", arrow.FixedWidthTypes.Timestamp_us), field("extra", arrow.BinaryTypes.String)}, nil),
	Auction: arrow.NewSchema([]arrow.Field{
		field("id", arrow.PrimitiveTypes.Int64), field("item_name", arrow.BinaryTypes.String),
		field("description", arrow.BinaryTypes.String), field("initial_bid", arrow.PrimitiveTypes.Int64),
		field("reserve", arrow.PrimitiveTypes.Int64), field("date_time", arrow.FixedWidthTypes.Timestamp_us),
		field("expires", arrow.FixedWidthTypes.Timestamp_us), field("seller", arrow.PrimitiveTypes.Int64),
		field("category", arrow.PrimitiveTypes.Int64), field("extra", arrow.BinaryTypes.String)}, nil),
}

// TestStreamShape checks the mix, event times, sizes, skew and that every
// record decodes with all columns present.
func TestStreamShape(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	decs := map[Kind]*ingest.Decoder{}
	for k, s := range schemas {
		d, err := ingest.NewDecoder(mem, s)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Release()
		decs[k] = d
	}
	first := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	g := New(Config{Seed: 1, FirstEventTime: first, EventsPerSecond: 1000})
	const n = 50_000
	var ev Event
	count := map[Kind]int{}
	bidBytes := 0
	for i := range n {
		g.Next(&ev)
		count[ev.Kind]++
		if want := first.Add(time.Duration(i) * time.Millisecond); !ev.Time.Equal(want) || ev.Number != int64(i) {
			t.Fatalf("event %d (#%d) at %v, want %v", i, ev.Number, ev.Time, want)
		}
		if ev.Kind == Bid {
			bidBytes += len(ev.JSON)
		}
		if err := decs[ev.Kind].Append(&ingest.Record{Value: ev.JSON}); err != nil {
			t.Fatalf("event %d: %v\n%s", i, err, ev.JSON)
		}
	}
	if count[Person] != n/50 || count[Auction] != 3*n/50 || count[Bid] != 46*n/50 {
		t.Fatalf("mix %v, want 1:3:46", count)
	}
	if avg := bidBytes / count[Bid]; avg < 240 || avg > 280 {
		t.Fatalf("average bid is %d bytes, want about 260", avg)
	}
	for k, d := range decs {
		b := d.NewRecordBatch()
		defer b.Release()
		for i, c := range b.Columns() {
			if c.NullN() != 0 {
				t.Fatalf("%v column %s has %d NULLs", k, b.ColumnName(i), c.NullN())
			}
		}
	}
	checkBids(t, decs)
}

func checkBids(t *testing.T, decs map[Kind]*ingest.Decoder) {
	// Re-generate the bids into a batch to look at the skew.
	g := New(Config{Seed: 1})
	var ev Event
	d := decs[Bid]
	for range 50 * 2000 {
		g.Next(&ev)
		if ev.Kind == Bid {
			if err := d.Append(&ingest.Record{Value: ev.JSON}); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := d.NewRecordBatch()
	defer b.Release()
	auctions := b.Column(0).(*array.Int64)
	prices := b.Column(2).(*array.Int64)
	channels := b.Column(3).(*array.String)
	perAuction := map[int64]int{}
	hotChan, minP, maxP := 0, int64(1<<62), int64(0)
	for i := range auctions.Len() {
		perAuction[auctions.Value(i)]++
		minP, maxP = min(minP, prices.Value(i)), max(maxP, prices.Value(i))
		if !bytes.HasPrefix([]byte(channels.Value(i)), []byte("channel-")) {
			hotChan++
		}
	}
	if frac := float64(hotChan) / float64(auctions.Len()); frac < 0.45 || frac > 0.55 {
		t.Fatalf("hot channel fraction %.2f, want about 0.5", frac)
	}
	if minP < 100 || maxP > 100_000_000 || maxP < 10_000_000 {
		t.Fatalf("prices in [%d, %d], want log-uniform in [100, 1e8]", minP, maxP)
	}
	// Hot auctions take about half the bids but there are far fewer of them.
	top := 0
	for _, c := range perAuction {
		top = max(top, c)
	}
	if top < 20*auctions.Len()/len(perAuction) {
		t.Fatalf("busiest auction has %d of %d bids over %d auctions: no skew", top, auctions.Len(), len(perAuction))
	}
}

func TestRunProducesAtRate(t *testing.T) {
	ctx := context.Background()
	b, err := ingest.StartBroker(ctx, "127.0.0.1:0", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c, err := ingest.NewClient(ctx, ingest.Options{Brokers: b.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, topic := range []string{"persons", "auctions", "bids"} {
		if _, err := c.EnsureTopic(ctx, topic, 2); err != nil {
			t.Fatal(err)
		}
		// Warm the producer (ID, metadata) so its one-time setup, slow
		// under -race, does not count against the rate.
		if err := c.Produce(ctx, topic, []*ingest.Record{{Partition: 0, Value: []byte("{}")}}); err != nil {
			t.Fatal(err)
		}
	}
	const rate = 5000.0
	rctx, cancel := context.WithTimeout(ctx, 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := Run(rctx, c, Topics{}, rate); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	total := int64(-3) // the warm-up records
	for _, topic := range []string{"persons", "auctions", "bids"} {
		ends, err := c.EndOffsets(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ends {
			total += e
		}
	}
	want := rate * elapsed.Seconds()
	if float64(total) < 0.6*want || float64(total) > 1.1*want {
		t.Fatalf("produced %d events in %v, want about %.0f", total, elapsed, want)
	}
	if err := Run(ctx, c, Topics{}, 0); err == nil {
		t.Fatal("rate 0 accepted")
	}
}

func BenchmarkGenerate(b *testing.B) {
	g := New(Config{Seed: 1})
	var ev Event
	bytes := 0
	b.ReportAllocs()
	for b.Loop() {
		g.Next(&ev)
		bytes += len(ev.JSON)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.SetBytes(int64(bytes / max(1, b.N)))
}
