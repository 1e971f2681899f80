package exec

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sluicedb/sluice/ingest"
	"github.com/sluicedb/sluice/state"
)

// testEnv is an engine over an in-process kfake broker and an in-memory
// state store, allocating from a checked allocator that must be back to
// zero when the test ends.
type testEnv struct {
	mem     *memory.CheckedAllocator
	cluster *kfake.Cluster
	kafka   *ingest.Client
	store   *state.Store
	eng     *Engine
}

// newTestEnv builds a testEnv; opts' Store, Kafka and Allocator are filled
// in. Everything is closed at test end, the engine first.
func newTestEnv(t *testing.T, opts Options) *testEnv {
	t.Helper()
	env := &testEnv{mem: memory.NewCheckedAllocator(memory.NewGoAllocator())}
	t.Cleanup(func() { env.mem.AssertSize(t, 0) })
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	env.cluster = cluster
	ctx := testCtx(t)
	env.kafka, err = ingest.NewClient(ctx, ingest.Options{Brokers: cluster.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.kafka.Close)
	if opts.Store == nil {
		env.store, err = state.Open(ctx, "mem", state.Options{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = env.store.Close() })
		opts.Store = env.store
	}
	opts.Kafka, opts.Allocator = env.kafka, env.mem
	env.eng, err = NewEngine(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.eng.Close() })
	return env
}

// testCtx returns a ctx that ends with the test or after 20s.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var tsType = &arrow.TimestampType{Unit: arrow.Microsecond}

// eventsDef is a stream "events"(id BIGINT, name TEXT, ts TIMESTAMP) with
// a watermark on ts.
func eventsDef(partitions int32) StreamDef {
	return StreamDef{
		Name: "events",
		Schema: arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
			{Name: "ts", Type: tsType, Nullable: true},
		}, nil),
		Partitions:      partitions,
		WatermarkColumn: "ts",
	}
}

func (env *testEnv) createEvents(t *testing.T, partitions int32, edit func(*StreamDef)) StreamDef {
	t.Helper()
	def := eventsDef(partitions)
	if edit != nil {
		edit(&def)
	}
	if err := env.eng.CreateStream(testCtx(t), def, false); err != nil {
		t.Fatal(err)
	}
	got, _ := env.eng.Stream(def.Name)
	return got
}

// produce writes one record per value to partition p of topic.
// start starts spec on the engine, failing the test if it cannot; the
// query is closed when the test ends.
func (env *testEnv) start(t *testing.T, ctx context.Context, spec *QuerySpec) *Query {
	t.Helper()
	q, err := env.eng.StartQuery(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func (env *testEnv) produce(t *testing.T, topic string, p int32, values ...string) {
	t.Helper()
	recs := make([]*ingest.Record, len(values))
	for i, v := range values {
		recs[i] = &ingest.Record{Partition: p, Value: []byte(v)}
	}
	if err := env.kafka.Produce(testCtx(t), topic, recs); err != nil {
		t.Fatal(err)
	}
}

// event renders one JSON record of the events stream; second is the event
// time in seconds after 2024-01-01.
func event(id int, name string, second int) string {
	ts := time.Date(2024, 1, 1, 0, 0, second, 0, time.UTC).Format("2006-01-02 15:04:05")
	return fmt.Sprintf(`{"id": %d, "name": %q, "ts": %q}`, id, name, ts)
}

// passSpec reads every column of def with no operators.
func passSpec(def StreamDef) *QuerySpec {
	return &QuerySpec{
		Source: SourceSpec{Stream: def.Name, Columns: def.Schema.Fields(), EventTimeCol: def.Schema.FieldIndices("ts")[0]},
	}
}

// rowStrings renders every row of b as "v1|v2|…".
func rowStrings(b arrow.RecordBatch) []string {
	var rows []string
	for r := range int(b.NumRows()) {
		vals := make([]string, b.NumCols())
		for c := range vals {
			vals[c] = b.Column(c).ValueStr(r)
		}
		rows = append(rows, strings.Join(vals, "|"))
	}
	return rows
}

// drain takes every batch already queued for Next and returns their rows
// (in order) and the number of batches.
func drain(t *testing.T, q *Query) (rows []string, batches int) {
	t.Helper()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for {
		b, err := q.Next(done)
		if err != nil {
			return rows, batches
		}
		rows = append(rows, rowStrings(b)...)
		batches++
		b.Release()
	}
}

func TestCatalogPersistsAcrossRestart(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	store, err := state.Open(ctx, dir, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := newTestEnv(t, Options{Store: store})
	dec, _ := arrow.NewDecimalType(arrow.DECIMAL128, 10, 2)
	def := StreamDef{
		Name: "all_types",
		Schema: arrow.NewSchema([]arrow.Field{
			{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
			{Name: "i2", Type: arrow.PrimitiveTypes.Int16},
			{Name: "i4", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			{Name: "i8", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			{Name: "f4", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
			{Name: "f8", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			{Name: "n", Type: dec, Nullable: true},
			{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true,
				Metadata: arrow.NewMetadata([]string{"sql_type"}, []string{"character varying"})},
			{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
			{Name: "ts", Type: tsType, Nullable: true},
			{Name: "tstz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
			{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		}, nil),
		Topic: "t_all", Partitions: 3, Format: "json", WatermarkColumn: "ts", WatermarkDelay: 4 * time.Second,
		Start: "latest", IdleTimeout: 30 * time.Second, MaxRatePerPartition: 100,
		OnDecodeError: "fail", SQL: "CREATE STREAM all_types (...)",
	}
	if err := env.eng.CreateStream(ctx, def, false); err != nil {
		t.Fatal(err)
	}
	env.createEvents(t, 1, nil)
	if err := env.eng.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	store2, err := state.Open(ctx, dir, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store2.Close()
	eng2, err := NewEngine(ctx, Options{Store: store2, Kafka: env.kafka, Allocator: env.mem})
	if err != nil {
		t.Fatal(err)
	}
	defer eng2.Close()
	names := []string{}
	for _, d := range eng2.Streams() {
		names = append(names, d.Name)
	}
	if want := []string{"all_types", "events"}; !slices.Equal(names, want) {
		t.Fatalf("streams after restart %v, want %v", names, want)
	}
	got, ok := eng2.Stream("all_types")
	if !ok {
		t.Fatal("all_types lost")
	}
	if !got.Schema.Equal(def.Schema) {
		t.Fatalf("schema after restart\n%s\nwant\n%s", got.Schema, def.Schema)
	}
	if md := got.Schema.Field(7).Metadata; md.FindKey("sql_type") < 0 || md.Values()[md.FindKey("sql_type")] != "character varying" {
		t.Fatalf("sql_type metadata lost: %v", md)
	}
	got.Schema, def.Schema = nil, nil
	if got != def {
		t.Fatalf("definition after restart\n%+v\nwant\n%+v", got, def)
	}
}

func TestCreateDropStream(t *testing.T) {
	ctx := testCtx(t)
	env := newTestEnv(t, Options{})
	def := env.createEvents(t, 2, nil)
	if def.Topic != "events" || def.Format != "json" || def.Start != "earliest" || def.OnDecodeError != "skip" {
		t.Fatalf("defaults not filled: %+v", def)
	}
	if n, err := env.kafka.Partitions(ctx, "events"); err != nil || n != 2 {
		t.Fatalf("topic partitions %d, %v; want 2", n, err)
	}
	if err := env.eng.CreateStream(ctx, eventsDef(2), false); !errors.Is(err, ErrStreamExists) {
		t.Fatalf("second CreateStream: %v, want ErrStreamExists", err)
	}
	if err := env.eng.CreateStream(ctx, eventsDef(2), true); err != nil {
		t.Fatalf("CreateStream IF NOT EXISTS: %v", err)
	}
	if err := env.eng.DropStream(ctx, "events", false); err != nil {
		t.Fatal(err)
	}
	if _, ok := env.eng.Stream("events"); ok {
		t.Fatal("stream still there after drop")
	}
	if err := env.eng.DropStream(ctx, "events", false); !errors.Is(err, ErrUnknownStream) {
		t.Fatalf("DropStream of missing: %v, want ErrUnknownStream", err)
	}
	if err := env.eng.DropStream(ctx, "events", true); err != nil {
		t.Fatalf("DropStream IF EXISTS: %v", err)
	}
	entries, err := env.store.ListCatalog(catalogKindStream)
	if err != nil || len(entries) != 0 {
		t.Fatalf("catalog after drop: %v, %v", entries, err)
	}
}

func TestCreateStreamValidation(t *testing.T) {
	env := newTestEnv(t, Options{})
	for _, tc := range []struct {
		name string
		edit func(*StreamDef)
		want string
	}{
		{"no name", func(d *StreamDef) { d.Name = "" }, "empty name"},
		{"dup column", func(d *StreamDef) {
			d.Schema = arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "A", Type: arrow.PrimitiveTypes.Int64}}, nil)
			d.WatermarkColumn = ""
		}, "more than once"},
		{"bad type", func(d *StreamDef) {
			d.Schema = arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Uint8}}, nil)
			d.WatermarkColumn = ""
		}, "not supported"},
		{"pseudo column", func(d *StreamDef) {
			d.Schema = arrow.NewSchema([]arrow.Field{{Name: "_offset", Type: arrow.PrimitiveTypes.Int64}}, nil)
			d.WatermarkColumn = ""
		}, "reserved"},
		{"watermark not time", func(d *StreamDef) { d.WatermarkColumn = "id" }, "want a timestamp"},
		{"watermark missing", func(d *StreamDef) { d.WatermarkColumn = "nope" }, "not a column"},
		{"bad start", func(d *StreamDef) { d.Start = "middle" }, "start must be"},
		{"bad on_decode_error", func(d *StreamDef) { d.OnDecodeError = "ignore" }, "on_decode_error"},
		{"bad format", func(d *StreamDef) { d.Format = "avro" }, "not supported"},
	} {
		def := eventsDef(1)
		tc.edit(&def)
		err := env.eng.CreateStream(testCtx(t), def, false)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if len(env.eng.Streams()) != 0 {
		t.Fatalf("invalid definitions were stored: %v", env.eng.Streams())
	}
}

func TestInsertRoundTrip(t *testing.T) {
	ctx := testCtx(t)
	env := newTestEnv(t, Options{ManualTrigger: true})
	def := env.createEvents(t, 3, nil)
	// Insert takes the stream's column names, not the batch's.
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "c", Type: tsType, Nullable: true},
	}, nil)
	bld := array.NewRecordBuilder(env.mem, schema)
	defer bld.Release()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for i := range 6 {
		bld.Field(0).(*array.Int64Builder).Append(int64(i))
		bld.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("n%d", i))
		bld.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(base + int64(i)*1e6))
	}
	bld.Field(0).(*array.Int64Builder).AppendNull()
	bld.Field(1).(*array.StringBuilder).AppendNull()
	bld.Field(2).(*array.TimestampBuilder).AppendNull()
	rows := bld.NewRecordBatch()
	defer rows.Release()
	n, err := env.eng.Insert(ctx, "events", rows)
	if err != nil || n != 7 {
		t.Fatalf("Insert: %d, %v", n, err)
	}
	ends, err := env.kafka.EndOffsets(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	if ends[0]+ends[1]+ends[2] != 7 || ends[0] == 7 {
		t.Fatalf("end offsets %v: want 7 records spread over the partitions", ends)
	}
	q := env.start(t, ctx, passSpec(def))
	if err := q.ProcessAllAvailable(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := drain(t, q)
	slices.Sort(got)
	want := []string{"(null)|(null)|(null)"}
	for i := range 6 {
		want = append(want, fmt.Sprintf("%d|n%d|2024-01-01T00:00:0%d", i, i, i))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("rows read back\n%v\nwant\n%v", got, want)
	}
	if _, err := env.eng.Insert(ctx, "nope", rows); !errors.Is(err, ErrUnknownStream) {
		t.Fatalf("Insert into missing stream: %v", err)
	}
}
