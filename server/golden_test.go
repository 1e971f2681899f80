package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/datadriven"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/ingest"
	"github.com/sluicedb/sluice/planner"
	"github.com/sluicedb/sluice/sql"
	"github.com/sluicedb/sluice/state"
)

// goldenConfig is one of the configurations every golden file runs under;
// all must print the same output (STYLE §3 invariance configs).
type goldenConfig struct {
	batch      int64 // records per partition per micro-batch; 0 = unbounded
	partitions int   // partitions of streams that do not say
}

func (c goldenConfig) String() string {
	b := "default"
	if c.batch > 0 {
		b = strconv.FormatInt(c.batch, 10)
	}
	return fmt.Sprintf("batch=%s,partitions=%d", b, c.partitions)
}

var goldenConfigs = []goldenConfig{
	{0, 1}, {1, 1}, {7, 1}, {0, 3}, {1, 3}, {7, 3},
}

// TestGoldenSQL runs the end-to-end streaming goldens in testdata/sql
// (repository root) under every configuration.
func TestGoldenSQL(t *testing.T) {
	files, err := filepath.Glob("../testdata/sql/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	configs := goldenConfigs
	if f := flag.Lookup("rewrite"); f != nil && f.Value.String() == "true" {
		configs = configs[:1] // rewrite from one configuration; the rest must then agree
	}
	for _, path := range files {
		for _, cfg := range configs {
			t.Run(filepath.Base(path)+"/"+cfg.String(), func(t *testing.T) {
				h := newGoldenHarness(t, cfg)
				defer h.close()
				datadriven.RunTest(t, path, h.run)
			})
		}
	}
}

type goldenHarness struct {
	t       *testing.T
	cfg     goldenConfig
	ctx     context.Context
	cancel  context.CancelFunc
	mem     *memory.CheckedAllocator
	cluster *kfake.Cluster
	client  *ingest.Client
	store   *state.Store
	eng     *exec.Engine
	clock   *goldenClock
	plan    *planner.Planner
	parser  *sql.Parser
	drained context.Context // already cancelled: Next returns only what is queued
	queries map[string]*goldenQuery
	order   []string
}

// goldenQuery is a started continuous query and what it emitted since the
// last `emitted`.
type goldenQuery struct {
	q      *exec.Query
	schema *arrow.Schema
	rows   [][]string
	ended  bool
	err    error
}

func newGoldenHarness(t *testing.T, cfg goldenConfig) *goldenHarness {
	h := &goldenHarness{t: t, cfg: cfg, queries: map[string]*goldenQuery{}, clock: newGoldenClock(goldenClockStart)}
	h.ctx, h.cancel = context.WithTimeout(context.Background(), 2*time.Minute)
	drained, cancelDrained := context.WithCancel(context.Background())
	cancelDrained()
	h.drained = drained
	h.mem = memory.NewCheckedAllocator(memory.NewGoAllocator())
	var err error
	h.cluster, err = kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	kafkaOpts := ingest.Options{Brokers: h.cluster.ListenAddrs()}
	h.client, err = ingest.NewClient(h.ctx, kafkaOpts)
	if err != nil {
		t.Fatal(err)
	}
	h.store, err = state.Open(h.ctx, "", state.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	h.eng, err = exec.NewEngine(h.ctx, exec.Options{
		Allocator: h.mem, Store: h.store, Kafka: h.client, KafkaOptions: kafkaOpts,
		ManualTrigger: true, MaxRecordsPerPartition: cfg.batch, Clock: h.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.plan = planner.New(h.eng)
	h.parser = sql.NewParser()
	return h
}

func (h *goldenHarness) close() {
	for _, name := range h.order {
		if err := h.queries[name].q.Close(); err != nil && !errors.Is(err, context.Canceled) {
			h.t.Errorf("close %s: %v", name, err)
		}
	}
	if err := h.eng.Close(); err != nil {
		h.t.Errorf("close engine: %v", err)
	}
	h.client.Close()
	h.cluster.Close()
	if err := h.store.Close(); err != nil {
		h.t.Errorf("close store: %v", err)
	}
	h.cancel()
	h.mem.AssertSize(h.t, 0)
}

func (h *goldenHarness) run(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "exec":
		return h.exec(d.Input, d.HasArg("ordered"))
	case "start":
		return h.start(argString(t, d, "name"), d.Input)
	case "feed":
		return h.feed(t, d)
	case "run":
		return h.runBatches()
	case "watermark":
		q := h.query(t, d)
		ts, err := time.Parse(time.RFC3339Nano, argString(t, d, "to"))
		if err != nil {
			t.Fatal(err)
		}
		q.q.AdvanceWatermark(ts)
		return "ok\n"
	case "emitted":
		return h.emitted(h.query(t, d), d.HasArg("ordered"))
	case "stats":
		return statsLine(h.query(t, d).q.Info())
	case "clock":
		return h.moveClock(t, d)
	}
	t.Fatalf("unknown command %q", d.Cmd)
	return ""
}

// moveClock serves `clock advance=<Go duration>` and `clock set=<RFC 3339>`
// and prints the clock's new time. The clock never goes backwards.
func (h *goldenHarness) moveClock(t *testing.T, d *datadriven.TestData) string {
	switch {
	case d.HasArg("advance"):
		dur, err := time.ParseDuration(argString(t, d, "advance"))
		if err != nil || dur < 0 {
			t.Fatalf("clock advance: want a non-negative Go duration: %q", argString(t, d, "advance"))
		}
		h.clock.set(h.clock.Now().Add(dur))
	case d.HasArg("set"):
		at, err := time.Parse(time.RFC3339Nano, argString(t, d, "set"))
		if err != nil {
			t.Fatal(err)
		}
		if at.Before(h.clock.Now()) {
			t.Fatalf("clock set=%s would move the clock back from %s", at.Format(time.RFC3339Nano), h.clock.Now().Format(time.RFC3339Nano))
		}
		h.clock.set(at)
	default:
		t.Fatalf("clock needs advance=<duration> or set=<RFC 3339>")
	}
	return h.clock.Now().UTC().Format("2006-01-02T15:04:05.000Z") + "\n"
}

func argString(t *testing.T, d *datadriven.TestData, key string) string {
	var s string
	d.ScanArgs(t, key, &s)
	return s
}

func (h *goldenHarness) query(t *testing.T, d *datadriven.TestData) *goldenQuery {
	name := argString(t, d, "query")
	q, ok := h.queries[name]
	if !ok {
		t.Fatalf("no query %q", name)
	}
	return q
}

// exec runs statements, printing each one's rows, tag or error.
func (h *goldenHarness) exec(text string, ordered bool) string {
	stmts, err := h.parser.Parse(text)
	if err != nil {
		return errorLine(err)
	}
	var out strings.Builder
	for _, st := range stmts {
		res, err := h.prepareExecute(st)
		if err != nil {
			out.WriteString(errorLine(err))
			break
		}
		switch {
		case res.Schema != nil:
			out.WriteString(renderRows(res.Schema, batchRows(res.Rows), ordered))
			for _, b := range res.Rows {
				b.Release()
			}
		case strings.HasPrefix(res.Tag, "INSERT"):
			out.WriteString(res.Tag + "\n")
		default:
			out.WriteString("ok\n")
		}
	}
	return out.String()
}

func (h *goldenHarness) prepareExecute(st sql.Statement) (*planner.Result, error) {
	if cs, ok := st.(*sql.CreateStream); ok {
		if _, given := cs.With["partitions"]; !given {
			cs.With["partitions"] = strconv.Itoa(h.cfg.partitions)
		}
	}
	prep, err := h.plan.Prepare(st, nil)
	if err != nil {
		return nil, err
	}
	return h.plan.Execute(h.ctx, prep, nil)
}

// start begins a continuous query and prints its result schema.
func (h *goldenHarness) start(name, text string) string {
	stmts, err := h.parser.Parse(text)
	if err != nil {
		return errorLine(err)
	}
	if len(stmts) != 1 {
		h.t.Fatalf("start takes one statement, got %d", len(stmts))
	}
	res, err := h.prepareExecute(stmts[0])
	if err != nil {
		return errorLine(err)
	}
	q, ok := res.Stream.(*exec.Query)
	if !ok {
		h.t.Fatalf("start: %q is not a continuous query", text)
	}
	if old, ok := h.queries[name]; ok {
		_ = old.q.Close()
	} else {
		h.order = append(h.order, name)
	}
	h.queries[name] = &goldenQuery{q: q, schema: q.Schema()}
	cols := make([]string, q.Schema().NumFields())
	for i, f := range q.Schema().Fields() {
		cols[i] = f.Name + ":" + shortType(f)
	}
	return strings.Join(cols, " ") + "\n"
}

// feed produces one record per input line (raw bytes, usually JSON).
func (h *goldenHarness) feed(t *testing.T, d *datadriven.TestData) string {
	def, ok := h.eng.Stream(argString(t, d, "source"))
	if !ok {
		t.Fatalf("no stream %q", argString(t, d, "source"))
	}
	fixed := -1
	if d.HasArg("partition") {
		d.ScanArgs(t, "partition", &fixed)
	}
	lines := strings.Split(strings.TrimRight(d.Input, "\n"), "\n")
	recs := make([]*ingest.Record, len(lines))
	for i, line := range lines {
		p := int32(i % int(def.Partitions))
		if fixed >= 0 {
			p = int32(fixed % int(def.Partitions))
		}
		recs[i] = &ingest.Record{Partition: p, Value: []byte(line)}
	}
	if err := h.client.Produce(h.ctx, def.Topic, recs); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("ok %d\n", len(recs))
}

// runBatches processes everything fed so far through every live query —
// the engine's persistent queries (views, sinks) first — and collects what
// the started queries emitted.
func (h *goldenHarness) runBatches() string {
	var out strings.Builder
	if err := h.eng.ProcessAllAvailable(h.ctx); err != nil {
		out.WriteString(errorLine(err))
	}
	for _, name := range h.order {
		gq := h.queries[name]
		if gq.ended || gq.err != nil {
			continue
		}
		if err := gq.q.ProcessAllAvailable(h.ctx); err != nil && !errors.Is(err, io.EOF) {
			gq.err = err
			out.WriteString(errorLine(err))
			continue
		}
		h.drain(gq)
	}
	return out.String()
}

// drain takes every batch the query has ready without blocking for more.
func (h *goldenHarness) drain(gq *goldenQuery) {
	for {
		b, err := gq.q.Next(h.drained) // queued batches come out even on a done ctx
		if errors.Is(err, context.Canceled) {
			return
		}
		if errors.Is(err, io.EOF) {
			gq.ended = true
			return
		}
		if err != nil {
			gq.err = err
			return
		}
		gq.rows = append(gq.rows, batchRows([]arrow.RecordBatch{b})...)
		b.Release()
	}
}

func (h *goldenHarness) emitted(gq *goldenQuery, ordered bool) string {
	out := renderRows(gq.schema, gq.rows, ordered)
	gq.rows = nil
	if gq.ended {
		out += "ended\n"
	}
	if gq.err != nil {
		out += errorLine(gq.err)
	}
	return out
}

func statsLine(info exec.QueryInfo) string {
	var parts []string
	for _, kv := range []struct {
		k string
		v int64
	}{{"input_rows", info.InputRows}, {"output_rows", info.OutputRows}, {"late_rows", info.LateRows},
		{"null_time_rows", info.NullTimeRows},
		{"decode_errors", info.DecodeErrors}} {
		if kv.v != 0 && kv.k != "output_rows" {
			parts = append(parts, fmt.Sprintf("%s=%d", kv.k, kv.v))
		}
	}
	return strings.Join(parts, " ") + "\n"
}

// errorLine prints an error as the client would see it: SQLSTATE and message.
func errorLine(err error) string {
	pe := pgError(slog.New(slog.DiscardHandler), err)
	line := fmt.Sprintf("error (%s): %s", pe.Code, pe.Message)
	if pe.Position > 0 {
		line += fmt.Sprintf(" (position %d)", pe.Position)
	}
	if pe.Detail != "" {
		line += "\nDETAIL: " + pe.Detail
	}
	return line + "\n"
}

func shortType(f arrow.Field) string {
	name := sql.PGTypeName(f.Type)
	if i := f.Metadata.FindKey("sql_type"); i >= 0 {
		name = f.Metadata.Values()[i]
	}
	switch name {
	case "timestamp without time zone":
		return "timestamp"
	case "timestamp with time zone":
		return "timestamptz"
	}
	return name
}

func batchRows(bs []arrow.RecordBatch) [][]string {
	var rows [][]string
	for _, b := range bs {
		for r := 0; r < int(b.NumRows()); r++ {
			row := make([]string, b.NumCols())
			for c := range row {
				row[c] = goldenValue(b.Column(c), r)
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// renderRows prints a header and tab-aligned rows, sorted unless ordered.
func renderRows(schema *arrow.Schema, rows [][]string, ordered bool) string {
	header := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		header[i] = f.Name
	}
	if !ordered {
		sort.Slice(rows, func(i, j int) bool { return strings.Join(rows[i], "\x00") < strings.Join(rows[j], "\x00") })
	}
	all := append([][]string{header}, rows...)
	widths := make([]int, len(header))
	for _, r := range all {
		for i, v := range r {
			widths[i] = max(widths[i], len(v))
		}
	}
	var b strings.Builder
	for _, r := range all {
		for i, v := range r {
			if i == len(r)-1 {
				b.WriteString(v)
				break
			}
			b.WriteString(v + strings.Repeat(" ", widths[i]-len(v)+2))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// goldenClockStart is the time on the golden clock when a file starts.
var goldenClockStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// goldenClock is the engine's exec.Clock in the golden harness: time moves
// only on the `clock` command, so idle_timeout is deterministic. Batches run
// on ManualTrigger and never use its tickers; a ticker still fires, like
// time.Ticker, when the clock passes one of its ticks (a tick the receiver
// is not ready for is dropped). The driver goroutines read it concurrently.
type goldenClock struct {
	// mu guards the time, the live tickers and each ticker's next tick.
	mu struct {
		sync.Mutex
		now     time.Time
		tickers map[*goldenTicker]struct{}
	}
}

var _ exec.Clock = (*goldenClock)(nil)

func newGoldenClock(start time.Time) *goldenClock {
	c := &goldenClock{}
	c.mu.now = start
	c.mu.tickers = map[*goldenTicker]struct{}{}
	return c
}

func (c *goldenClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.now
}

// NewTicker returns a ticker whose first tick is d after the current time.
func (c *goldenClock) NewTicker(d time.Duration) exec.Ticker {
	if d <= 0 {
		panic("goldenClock: non-positive ticker period")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	tk := &goldenTicker{clock: c, ch: make(chan time.Time, 1), period: d, next: c.mu.now.Add(d)}
	c.mu.tickers[tk] = struct{}{}
	return tk
}

// set moves the clock to at and fires the tickers whose next tick has come.
func (c *goldenClock) set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.now = at
	for tk := range c.mu.tickers {
		if at.Before(tk.next) {
			continue
		}
		select {
		case tk.ch <- at:
		default: // the receiver is behind: drop the tick, as time.Ticker does
		}
		missed := at.Sub(tk.next)/tk.period + 1
		tk.next = tk.next.Add(missed * tk.period)
	}
}

// goldenTicker is a ticker of a goldenClock; next is guarded by clock.mu.
type goldenTicker struct {
	clock  *goldenClock
	ch     chan time.Time
	period time.Duration
	next   time.Time
}

var _ exec.Ticker = (*goldenTicker)(nil)

func (tk *goldenTicker) C() <-chan time.Time { return tk.ch }

func (tk *goldenTicker) Stop() {
	tk.clock.mu.Lock()
	defer tk.clock.mu.Unlock()
	delete(tk.clock.mu.tickers, tk)
}

// TestGoldenClockTicker checks that the harness clock's tickers behave like
// time.Ticker: a tick when the clock passes each period, ticks the
// receiver missed dropped, none after Stop.
func TestGoldenClockTicker(t *testing.T) {
	c := newGoldenClock(goldenClockStart)
	tk := c.NewTicker(10 * time.Second)
	ticked := func() (time.Time, bool) {
		select {
		case at := <-tk.C():
			return at, true
		default:
			return time.Time{}, false
		}
	}
	c.set(goldenClockStart.Add(9 * time.Second))
	if at, ok := ticked(); ok {
		t.Fatalf("tick at %s before the first period", at)
	}
	c.set(goldenClockStart.Add(10 * time.Second))
	if at, ok := ticked(); !ok || !at.Equal(goldenClockStart.Add(10*time.Second)) {
		t.Fatalf("want a tick at +10s, got %s %v", at, ok)
	}
	c.set(goldenClockStart.Add(35 * time.Second)) // passes +20s and +30s: one tick
	if _, ok := ticked(); !ok {
		t.Fatal("want a tick after +30s")
	}
	if _, ok := ticked(); ok {
		t.Fatal("missed ticks must be dropped")
	}
	c.set(goldenClockStart.Add(39 * time.Second))
	if _, ok := ticked(); ok {
		t.Fatal("the next tick is due at +40s")
	}
	tk.Stop()
	c.set(goldenClockStart.Add(time.Minute))
	if _, ok := ticked(); ok {
		t.Fatal("tick after Stop")
	}
}
