package exec

import (
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
)

var _ persistOutput = (*sinkOutput)(nil)

// sinkEnv is a kfake broker with the output topic "out" (2 partitions)
// and the marker topic of sink "s".
type sinkEnv struct {
	mem   *memory.CheckedAllocator
	opts  ingest.Options
	kafka *ingest.Client
	def   SinkDef
	// schema is the output stream's: its names are the JSON keys.
	schema *arrow.Schema
}

func newSinkEnv(t *testing.T) *sinkEnv {
	t.Helper()
	env := &sinkEnv{mem: memory.NewCheckedAllocator(memory.NewGoAllocator())}
	t.Cleanup(func() { env.mem.AssertSize(t, 0) })
	def := SinkDef{Name: "s", QueryID: "sink:s", Topic: "out"}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1),
		kfake.SeedTopics(2, def.Topic), kfake.SeedTopics(1, sinkMarkerTopic(def.Name)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	env.opts = ingest.Options{Brokers: cluster.ListenAddrs()}
	env.kafka, err = ingest.NewClient(testCtx(t), env.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.kafka.Close)
	env.def = def
	env.schema = arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	return env
}

// rows builds a batch of (id, "n<id>") under the query's own column
// names, which the sink renames to the output stream's.
func (env *sinkEnv) rows(ids ...int64) arrow.RecordBatch {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64},
		{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	bld := array.NewRecordBuilder(env.mem, sc)
	defer bld.Release()
	for _, id := range ids {
		bld.Field(0).(*array.Int64Builder).Append(id)
		bld.Field(1).(*array.StringBuilder).Append(fmt.Sprint("n", id))
	}
	return bld.NewRecordBatch()
}

func (env *sinkEnv) open(t *testing.T) (*sinkOutput, uint64) {
	t.Helper()
	s := newSinkOutput(env.kafka, env.opts, env.def, env.schema, nil)
	m, err := s.recover(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return s, m
}

func (env *sinkEnv) emit(t *testing.T, s *sinkOutput, b uint64, suppressed bool, ids ...int64) {
	t.Helper()
	rows := env.rows(ids...)
	defer rows.Release()
	if err := s.emit(testCtx(t), b, rows, suppressed); err != nil {
		t.Fatal(err)
	}
}

// committed returns the read_committed contents of topic: the values
// sorted (partitioning spreads them), and the end offsets.
func (env *sinkEnv) committed(t *testing.T, topic string) (string, []int64) {
	t.Helper()
	ctx := testCtx(t)
	ends, err := env.kafka.EndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for p, end := range ends {
		r := []ingest.Range{{Partition: int32(p), End: end}}
		err := env.kafka.Fetch(ctx, topic, r, func(rec *ingest.Record) error {
			got = append(got, string(rec.Value))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(got)
	return strings.Join(got, " "), ends
}

func TestSinkOutputCommit(t *testing.T) {
	env := newSinkEnv(t)
	ctx := testCtx(t)
	s, m := env.open(t)
	defer s.close()
	if m != 0 {
		t.Fatalf("fresh sink: marker %d, want 0", m)
	}
	env.emit(t, s, 1, false, 1, 2, 3)
	if err := s.emit(ctx, 1, nil, false); err != nil { // no rows
		t.Fatal(err)
	}
	env.emit(t, s, 2, true, 9) // suppressed: dropped
	if got, _ := env.committed(t, "out"); got != "" {
		t.Fatalf("before commit: %q visible", got)
	}
	if err := s.prepareCheckpoint(ctx, 2, nil); err != nil {
		t.Fatal(err)
	}
	s.committed()
	want := `{"id":1,"name":"n1"} {"id":2,"name":"n2"} {"id":3,"name":"n3"}`
	if got, _ := env.committed(t, "out"); got != want {
		t.Fatalf("after commit:\n got %s\nwant %s", got, want)
	}
	if got, _ := env.committed(t, sinkMarkerTopic("s")); got != `{"query":"sink:s","batch":2}` {
		t.Fatalf("marker: %s", got)
	}
	if s.pendingRows() != 0 {
		t.Fatalf("pendingRows = %d", s.pendingRows())
	}
	// A checkpoint with no rows still moves the marker.
	if err := s.prepareCheckpoint(ctx, 3, nil); err != nil {
		t.Fatal(err)
	}
	s2, m := env.open(t)
	defer s2.close()
	if m != 3 {
		t.Fatalf("marker after empty checkpoint: %d, want 3", m)
	}
}

// TestSinkOutputCrash abandons a sink mid-transaction (kill -9: no commit,
// no close). Its successor's recover must hide the uncommitted rows and
// report the last committed batch; replaying writes them exactly once.
func TestSinkOutputCrash(t *testing.T) {
	env := newSinkEnv(t)
	ctx := testCtx(t)
	s, _ := env.open(t)
	env.emit(t, s, 1, false, 1, 2)
	if err := s.prepareCheckpoint(ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	env.emit(t, s, 2, false, 3, 4)
	env.emit(t, s, 3, false, 5)
	// s is abandoned here; it is closed only at the end (fenced by then).
	defer s.close()

	s2, m := env.open(t)
	defer s2.close()
	if m != 1 {
		t.Fatalf("recovered marker %d, want 1", m)
	}
	got, ends := env.committed(t, "out")
	if want := `{"id":1,"name":"n1"} {"id":2,"name":"n2"}`; got != want {
		t.Fatalf("after recover:\n got %s\nwant %s", got, want)
	}
	// The aborted transaction no longer holds the last stable offset: all
	// 5 rows are below it (held back, it would be at most 2 rows + 2
	// commit markers).
	if ends[0]+ends[1] < 5 {
		t.Fatalf("end offsets %v: last stable offset held back", ends)
	}
	// Replay batches 2 and 3 (2 was not committed: not suppressed).
	env.emit(t, s2, 2, false, 3, 4)
	env.emit(t, s2, 3, false, 5)
	if err := s2.prepareCheckpoint(ctx, 3, nil); err != nil {
		t.Fatal(err)
	}
	want := `{"id":1,"name":"n1"} {"id":2,"name":"n2"} {"id":3,"name":"n3"} {"id":4,"name":"n4"} {"id":5,"name":"n5"}`
	if got, _ := env.committed(t, "out"); got != want {
		t.Fatalf("after replay:\n got %s\nwant %s", got, want)
	}
	// The fenced sink can no longer commit.
	if err := s.prepareCheckpoint(ctx, 9, nil); err == nil {
		t.Fatal("fenced sink committed")
	}
	if _, m := env.open(t); m != 3 {
		t.Fatalf("marker %d, want 3", m)
	}
}

// TestSinkOutputPartitioning: a row's partition depends only on its
// contents, so a replay writes it where the first run did.
func TestSinkOutputPartitioning(t *testing.T) {
	env := newSinkEnv(t)
	ctx := testCtx(t)
	where := func() map[string]int32 {
		s, _ := env.open(t)
		defer s.close()
		rows := env.rows(1, 2, 3, 4, 5, 6, 7, 8)
		defer rows.Release()
		named, err := s.named(rows)
		if err != nil {
			t.Fatal(err)
		}
		defer named.Release()
		out := map[string]int32{}
		for _, r := range s.encode(named, 0, int(named.NumRows())) {
			out[string(r.Value)] = r.Partition
		}
		if err := s.prepareCheckpoint(ctx, 1, nil); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := where(), where()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("partitions differ between runs:\n%v\n%v", a, b)
	}
	seen := map[int32]bool{}
	for _, p := range a {
		seen[p] = true
	}
	if len(seen) != 2 {
		t.Fatalf("8 rows all in partitions %v", seen)
	}
}

func TestSinkOutputErrors(t *testing.T) {
	env := newSinkEnv(t)
	ctx := testCtx(t)
	s := newSinkOutput(env.kafka, env.opts, env.def, env.schema, nil)
	defer s.close()
	rows := env.rows(1)
	defer rows.Release()
	if err := s.emit(ctx, 1, rows, false); err == nil {
		t.Fatal("emit before recover: want error")
	}
	if err := s.prepareCheckpoint(ctx, 1, nil); err == nil {
		t.Fatal("checkpoint before recover: want error")
	}
	if _, err := s.recover(ctx); err != nil {
		t.Fatal(err)
	}
	wide := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	s.schema = wide
	if err := s.emit(ctx, 1, rows, false); err == nil {
		t.Fatal("schema mismatch: want error")
	}
	missing := newSinkOutput(env.kafka, env.opts, SinkDef{Name: "s", QueryID: "sink:s", Topic: "nope"}, nil, nil)
	defer missing.close()
	if _, err := missing.recover(ctx); err == nil {
		t.Fatal("missing output topic: want error")
	}
	// A marker of another query (a stale marker topic) is refused.
	other := newSinkOutput(env.kafka, env.opts, SinkDef{Name: "s", QueryID: "sink:t", Topic: "out"}, env.schema, nil)
	defer other.close()
	if err := s.prepareCheckpoint(ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := other.recover(ctx); err == nil {
		t.Fatal("marker of another query: want error")
	}
	// A sink re-created under the same name ignores the marker its
	// predecessor left (batch 1, no creation time).
	again := newSinkOutput(env.kafka, env.opts, SinkDef{Name: "s", QueryID: "sink:s", Topic: "out", Created: time.UnixMicro(42)}, env.schema, nil)
	defer again.close()
	if m, err := again.recover(ctx); err != nil || m != 0 {
		t.Fatalf("re-created sink: marker %d, %v; want 0", m, err)
	}
	if err := again.prepareCheckpoint(ctx, 5, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := env.committed(t, sinkMarkerTopic("s")); !strings.Contains(got, `{"query":"sink:s","batch":5,"created_us":42}`) {
		t.Fatalf("markers: %s", got)
	}
	if m, err := again.recover(ctx); err != nil || m != 5 {
		t.Fatalf("re-created sink after checkpoint: marker %d, %v; want 5", m, err)
	}
}
