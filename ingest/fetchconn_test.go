package ingest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// newKfakeClient is newTestClient of one partition of topic t, with
// extra cluster options.
func newKfakeClient(t testing.TB, extra ...kfake.Opt) (*kfake.Cluster, *Client) {
	t.Helper()
	cluster := newKfakeCluster(t, extra...)
	c := newClientOf(t, cluster)
	t.Cleanup(c.Close)
	return cluster, c
}

// newKfakeCluster starts a one-broker kfake with topic t (one partition),
// closed at test end.
func newKfakeCluster(t testing.TB, extra ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	opts := append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(1, "t")}, extra...)
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	return cluster
}

// newClientOf connects a Client to cluster; the caller closes it.
func newClientOf(t testing.TB, cluster *kfake.Cluster) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := NewClient(ctx, Options{Brokers: cluster.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// idleConns returns the pool's idle conns to node and how many conns are
// open in all.
func idleConns(c *Client, node int32) ([]*fetchConn, int) {
	c.fetch.mu.Lock()
	defer c.fetch.mu.Unlock()
	return append([]*fetchConn(nil), c.fetch.mu.idle[node]...), len(c.fetch.mu.open)
}

// leaderOf0 returns the leader of partition 0 of topic t.
func leaderOf0(t testing.TB, c *Client) int32 {
	t.Helper()
	meta, err := c.cachedMeta(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	return meta.leaders[0]
}

// pinBroker points the cached metadata of topic t at addr for node; the
// metadata must be cached (leaderOf0).
func pinBroker(c *Client, node int32, addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.mu.leaders["t"]
	c.mu.leaders["t"] = &topicMeta{id: m.id, leaders: m.leaders, addrs: map[int32]string{node: addr}}
}

// TestFetchConnVersions runs exact ranges and transactions through the
// fetch connections against brokers capped at several fetch versions:
// v4 (the oldest), v11 (not flexible), v12 (flexible, topic by name), v13
// (topic by ID) and kfake's newest.
func TestFetchConnVersions(t *testing.T) {
	for _, v := range []int16{4, 11, 12, 13, -1} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			var opts []kfake.Opt
			if v >= 0 {
				vs := kversion.Stable()
				vs.SetMaxKeyVersion(kmsg.NewPtrFetchRequest().Key(), v)
				opts = append(opts, kfake.MaxVersions(vs))
			}
			cluster, c := newKfakeClient(t, opts...)
			produceN(t, c, "t", 1, 10)
			if got, err := fetchAll(t, c, "t", Range{0, 3, 6}); err != nil || got != "0:3=p0-3 0:4=p0-4 0:5=p0-5" {
				t.Fatalf("range [3,6): %q, %v", got, err)
			}
			idle, _ := idleConns(c, leaderOf0(t, c))
			want := v
			if v < 0 {
				want = min(kmsg.NewPtrFetchRequest().MaxVersion(), 18) // kfake's max
			}
			if len(idle) != 1 || idle[0].version != want {
				t.Fatalf("idle conns %d, want one at fetch v%d", len(idle), want)
			}
			checkTxnGaps(t, cluster, c, 10)
		})
	}
}

// checkTxnGaps appends an aborted and a committed transaction at offset
// base and checks that Fetch skips the aborted records and markers.
func checkTxnGaps(t *testing.T, cluster *kfake.Cluster, c *Client, base int64) {
	t.Helper()
	produceAbortedThenCommitted(t, cluster)
	got, err := fetchAll(t, c, "t", Range{0, base, base + 6})
	want := fmt.Sprintf("0:%d=xtrue 0:%d=ytrue", base+3, base+4)
	if err != nil || got != want {
		t.Fatalf("transactions: %q, %v; want %q", got, err, want)
	}
}

// TestFetchConnReused checks that consecutive fetches share one pooled
// connection.
func TestFetchConnReused(t *testing.T) {
	_, c := newKfakeClient(t)
	produceN(t, c, "t", 1, 10)
	node := leaderOf0(t, c)
	var first *fetchConn
	for i := range 5 {
		if got, err := fetchAll(t, c, "t", Range{0, int64(i), int64(i + 1)}); err != nil || got != fmt.Sprintf("0:%d=p0-%d", i, i) {
			t.Fatalf("fetch %d: %q, %v", i, got, err)
		}
		idle, open := idleConns(c, node)
		if len(idle) != 1 || open != 1 {
			t.Fatalf("fetch %d: %d idle of %d open conns, want 1 of 1", i, len(idle), open)
		}
		if first == nil {
			first = idle[0]
		} else if idle[0] != first {
			t.Fatalf("fetch %d dialed a new conn", i)
		}
	}
}

// fakeMode is what a fakeBroker does with a fetch request.
type fakeMode int

const (
	fakeServe fakeMode = iota // answer with the broker's batches
	fakeHang                  // never answer
	fakeClose                 // close the connection
)

// fakeBroker is a TCP server that answers ApiVersions (v0) with fetch
// versions up to fetchMax and fetches as its mode says. Serving, it
// answers every fetch with the same partition 0 batches, whatever the
// offset, from bytes encoded once per connection: the server side of a
// fetch allocates next to nothing, unlike kfake. Its goroutines end at
// test cleanup.
type fakeBroker struct {
	ln       net.Listener
	fetchMax int16
	// apiMin is the oldest ApiVersions it serves: older requests get
	// UNSUPPORTED_VERSION in the v0 format, as Kafka answers them.
	apiMin  int16
	mode    fakeMode
	batches []byte
	fetches atomic.Int64
	wg      sync.WaitGroup
	mu      struct {
		sync.Mutex
		conns map[net.Conn]struct{}
	}
}

func startFakeBroker(t testing.TB, fetchMax int16, mode fakeMode, batches []byte) *fakeBroker {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeBroker{ln: ln, fetchMax: fetchMax, mode: mode, batches: batches}
	f.mu.conns = make(map[net.Conn]struct{})
	f.wg.Go(f.accept)
	t.Cleanup(f.close)
	return f
}

func (f *fakeBroker) addr() string { return f.ln.Addr().String() }

func (f *fakeBroker) accept() {
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.mu.conns[conn] = struct{}{}
		f.mu.Unlock()
		f.wg.Go(func() { f.serve(conn) })
	}
}

func (f *fakeBroker) close() {
	f.ln.Close()
	f.mu.Lock()
	for conn := range f.mu.conns {
		conn.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// serve answers one connection's requests until it closes.
func (f *fakeBroker) serve(conn net.Conn) {
	defer conn.Close()
	var size [4]byte
	var req, out []byte
	encoded := map[int16][]byte{} // fetch response bodies by version
	for {
		if _, err := io.ReadFull(conn, size[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(size[:])
		if uint32(cap(req)) < n {
			req = make([]byte, n)
		}
		req = req[:n]
		if _, err := io.ReadFull(conn, req); err != nil {
			return
		}
		r := kbin.Reader{Src: req}
		key, version, corr := r.Int16(), r.Int16(), r.Int32()
		var body []byte
		switch key {
		case 18:
			body = f.apiVersions(version)
		case 1:
			f.fetches.Add(1)
			switch f.mode {
			case fakeHang:
				continue
			case fakeClose:
				return
			}
			if encoded[version] == nil {
				encoded[version] = f.fetchResponse(version)
			}
			body = encoded[version]
		default:
			return
		}
		out = binary.BigEndian.AppendUint32(out[:0], uint32(4+len(body)))
		out = binary.BigEndian.AppendUint32(out, uint32(corr))
		out = append(out, body...)
		if _, err := conn.Write(out); err != nil {
			return
		}
	}
}

func (f *fakeBroker) apiVersions(version int16) []byte {
	resp := kmsg.NewPtrApiVersionsResponse()
	keys := []struct{ key, min, max int16 }{{18, f.apiMin, 3}, {1, 0, f.fetchMax}}
	if version < f.apiMin {
		resp.ErrorCode = kerr.UnsupportedVersion.Code
		keys = keys[:1]
	} else {
		resp.Version = version
	}
	for _, k := range keys {
		ak := kmsg.NewApiVersionsResponseApiKey()
		ak.ApiKey, ak.MinVersion, ak.MaxVersion = k.key, k.min, k.max
		resp.ApiKeys = append(resp.ApiKeys, ak)
	}
	return resp.AppendTo(nil)
}

// fetchResponse is a response body (with a flexible header's empty tags)
// holding f's batches as partition 0 of topic t.
func (f *fakeBroker) fetchResponse(version int16) []byte {
	resp := kmsg.NewPtrFetchResponse()
	resp.Version = version
	rt := kmsg.NewFetchResponseTopic()
	rt.Topic = "t"
	rp := kmsg.NewFetchResponseTopicPartition()
	rp.HighWatermark, rp.LastStableOffset = math.MaxInt32, math.MaxInt32
	rp.RecordBatches = f.batches
	rt.Partitions = append(rt.Partitions, rp)
	resp.Topics = append(resp.Topics, rt)
	var b []byte
	if resp.IsFlexible() {
		b = append(b, 0)
	}
	return resp.AppendTo(b)
}

// TestFetchConnAllocs checks that a pooled fetch allocates a small amount,
// the same for a ~1 MiB response as for a small one: no buffer per
// response. The fake broker serves the responses, so only the client's
// allocations are counted (kfake copies every response).
func TestFetchConnAllocs(t *testing.T) {
	_, c := newKfakeClient(t)
	node := leaderOf0(t, c)
	ctx := context.Background()
	measure := func(records int) (allocs float64, bytes uint64) {
		rp := benchResponse(records, 100, math.MaxInt)
		f := startFakeBroker(t, 16, fakeServe, rp.RecordBatches)
		pinBroker(c, node, f.addr())
		n := 0
		fetch := func() {
			n = 0
			err := c.Fetch(ctx, "t", []Range{{0, 0, int64(records)}}, func(*Record) error { n++; return nil })
			if err != nil || n != records {
				t.Fatalf("fetched %d of %d records: %v", n, records, err)
			}
		}
		fetch() // dial and size the buffer
		const runs = 20
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			fetch()
		}
		runtime.ReadMemStats(&after)
		return testing.AllocsPerRun(runs, fetch), (after.TotalAlloc - before.TotalAlloc) / runs
	}
	smallAllocs, smallBytes := measure(10)
	bigAllocs, bigBytes := measure(4000)
	t.Logf("10 records: %.0f allocs, %d B; 4000 records (~1 MiB): %.0f allocs, %d B",
		smallAllocs, smallBytes, bigAllocs, bigBytes)
	if bigAllocs > 30 || bigAllocs > smallAllocs+2 {
		t.Errorf("%.0f allocations per 1 MiB fetch (%.0f for 10 records), want <= 30 and no more than small", bigAllocs, smallAllocs)
	}
	if bigBytes > 16<<10 {
		t.Errorf("%d bytes allocated per 1 MiB fetch, want < 16 KiB", bigBytes)
	}
}

// TestFetchConnPoolBounds runs 16 fetches at once, all holding their
// conns together, and checks that only maxIdle conns stay, without
// buffers over keepBuffer; and that maxBusy bounds concurrent fetches.
func TestFetchConnPoolBounds(t *testing.T) {
	_, c := newKfakeClient(t)
	produceN(t, c, "t", 1, 100)
	node := leaderOf0(t, c)
	c.fetch.maxIdle, c.fetch.keepBuffer = 4, 1<<10
	const workers = 16
	var inside sync.WaitGroup
	inside.Add(workers)
	runFetches(t, c, workers, func(*Record) {
		// Every worker holds its conn until all are inside fn.
		inside.Done()
		inside.Wait()
	})
	idle, open := idleConns(c, node)
	if len(idle) != 4 || open != 4 {
		t.Fatalf("%d idle conns of %d open, want 4 of 4", len(idle), open)
	}
	for _, fc := range idle {
		if fc.rbuf != nil {
			t.Fatalf("idle conn kept a %d-byte buffer over the 1 KiB bound", cap(fc.rbuf))
		}
	}
	if n := len(c.fetch.mu.busy[node]); n != 0 {
		t.Fatalf("%d fetches still hold a turn", n)
	}

	c.fetch.maxBusy = 2
	c.fetch.mu.busy = map[int32]chan struct{}{} // sized by the new bound
	var now, most atomic.Int64
	runFetches(t, c, workers, func(*Record) {
		n := now.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(time.Millisecond)
		now.Add(-1)
	})
	if m := most.Load(); m > 2 {
		t.Fatalf("%d fetches held conns at once, want at most maxBusy 2", m)
	}
}

// runFetches runs workers concurrent fetches of [0, 100), calling first
// on each one's first record.
func runFetches(t *testing.T, c *Client, workers int, first func(*Record)) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			n := 0
			errs <- c.Fetch(context.Background(), "t", []Range{{0, 0, 100}}, func(r *Record) error {
				if n++; n == 1 {
					first(r)
				}
				return nil
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// connTracker is a listener that remembers its connections, so a test can
// close them as a broker closes idle connections.
type connTracker struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *connTracker) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, conn)
		l.mu.Unlock()
	}
	return conn, err
}

func (l *connTracker) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, conn := range l.conns {
		conn.Close()
	}
	l.conns = nil
}

// TestFetchConnStaleRetry closes the broker side of a pooled conn: the
// next fetch redials once, inside the pool, without a Fetch-level retry
// (which would reload the topic's metadata).
func TestFetchConnStaleRetry(t *testing.T) {
	var tracker *connTracker
	_, c := newKfakeClient(t, kfake.ListenFn(func(network, addr string) (net.Listener, error) {
		ln, err := net.Listen(network, addr)
		tracker = &connTracker{Listener: ln}
		return tracker, err
	}))
	produceN(t, c, "t", 1, 10)
	node := leaderOf0(t, c)
	if _, err := fetchAll(t, c, "t", Range{0, 0, 1}); err != nil {
		t.Fatal(err)
	}
	before, _ := idleConns(c, node)
	meta, _ := c.cachedMeta(context.Background(), "t")
	tracker.closeAll()
	time.Sleep(10 * time.Millisecond) // let the FIN arrive
	got, err := fetchAll(t, c, "t", Range{0, 1, 3})
	if err != nil || got != "0:1=p0-1 0:2=p0-2" {
		t.Fatalf("fetch on a closed pooled conn: %q, %v", got, err)
	}
	after, open := idleConns(c, node)
	if len(after) != 1 || open != 1 || after[0] == before[0] {
		t.Fatalf("after the redial: %d idle of %d open, same conn %v", len(after), open, after[0] == before[0])
	}
	if again, _ := c.cachedMeta(context.Background(), "t"); again != meta {
		t.Fatal("the stale conn cost a Fetch-level retry")
	}
}

// TestFetchConnHangCancel checks that cancelling ctx ends a fetch from a
// broker that never answers, and that the conn is not pooled.
func TestFetchConnHangCancel(t *testing.T) {
	_, c := newKfakeClient(t)
	node := leaderOf0(t, c)
	f := startFakeBroker(t, 16, fakeHang, nil)
	pinBroker(c, node, f.addr())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := c.Fetch(ctx, "t", []Range{{0, 0, 1}}, func(*Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch from a hanging broker: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	if f.fetches.Load() == 0 {
		t.Fatal("the fetch never reached the hanging broker")
	}
	if idle, open := idleConns(c, node); len(idle) != 0 || open != 0 {
		t.Fatalf("%d idle of %d open conns after the cancel, want none", len(idle), open)
	}
}

// TestFetchConnBrokerFailures sends the first fetch to a broker that
// hangs (past the round trip bound, ctx or not) or closes the connection:
// Fetch retries with fresh broker addresses and reads from kfake.
func TestFetchConnBrokerFailures(t *testing.T) {
	for _, mode := range []fakeMode{fakeHang, fakeClose} {
		t.Run(map[fakeMode]string{fakeHang: "hang", fakeClose: "close"}[mode], func(t *testing.T) {
			_, c := newKfakeClient(t)
			produceN(t, c, "t", 1, 3)
			node := leaderOf0(t, c)
			f := startFakeBroker(t, 16, mode, nil)
			pinBroker(c, node, f.addr())
			c.fetch.timeout = 200 * time.Millisecond
			start := time.Now()
			got, err := fetchAll(t, c, "t", Range{0, 0, 3})
			if err != nil || got != "0:0=p0-0 0:1=p0-1 0:2=p0-2" {
				t.Fatalf("got %q, %v", got, err)
			}
			if f.fetches.Load() != 1 {
				t.Fatalf("the failing broker saw %d fetches, want 1", f.fetches.Load())
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

// TestFetchConnApiVersionsFallback checks that a broker which no longer
// serves ApiVersions v0 is asked again at the version it names.
func TestFetchConnApiVersionsFallback(t *testing.T) {
	_, c := newKfakeClient(t)
	node := leaderOf0(t, c)
	rp := benchResponse(10, 10, math.MaxInt)
	f := startFakeBroker(t, 16, fakeServe, rp.RecordBatches)
	f.apiMin = 3
	pinBroker(c, node, f.addr())
	n := 0
	err := c.Fetch(context.Background(), "t", []Range{{0, 0, 10}}, func(*Record) error { n++; return nil })
	if err != nil || n != 10 {
		t.Fatalf("fetched %d of 10 records: %v", n, err)
	}
	idle, _ := idleConns(c, node)
	if len(idle) != 1 || idle[0].version != 16 {
		t.Fatalf("idle conns %v, want one at fetch v16", idle)
	}
}

// TestFetchConnBrokerTooOld checks that a broker without fetch v4 fails
// Fetch at once, without retries.
func TestFetchConnBrokerTooOld(t *testing.T) {
	_, c := newKfakeClient(t)
	node := leaderOf0(t, c)
	f := startFakeBroker(t, 3, fakeServe, nil)
	pinBroker(c, node, f.addr())
	start := time.Now()
	_, err := fetchAll(t, c, "t", Range{0, 0, 1})
	if !errors.Is(err, errFetchUnsupported) || !strings.Contains(err.Error(), "v0 to v3") {
		t.Fatalf("Fetch from a v3 broker: %v", err)
	}
	if d := time.Since(start); d > fetchMaxRetries*fetchRetryDelay/2 {
		t.Fatalf("took %v: retried", d)
	}
}

// goroutinesAndFDs counts the process's goroutines and open files (-1
// where /proc is missing).
func goroutinesAndFDs() (int, int) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return runtime.NumGoroutine(), -1
	}
	return runtime.NumGoroutine(), len(fds)
}

// TestFetchConnCloseNoLeaks closes a client with pooled conns: every
// goroutine and file it caused, ours and kfake's serving our conns, ends,
// and Fetch then fails at once.
func TestFetchConnCloseNoLeaks(t *testing.T) {
	cluster := newKfakeCluster(t)
	g0, fd0 := goroutinesAndFDs()
	c := newClientOf(t, cluster)
	produceN(t, c, "t", 1, 100)
	const workers = 8
	var inside sync.WaitGroup
	inside.Add(workers)
	runFetches(t, c, workers, func(*Record) { inside.Done(); inside.Wait() })
	if idle, _ := idleConns(c, leaderOf0(t, c)); len(idle) < 2 {
		t.Fatalf("%d idle conns, want several", len(idle))
	}
	c.Close()

	var g, fd int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if g, fd = goroutinesAndFDs(); g <= g0 && fd <= fd0 {
			break
		}
	}
	if g > g0 || fd > fd0 {
		buf := make([]byte, 1<<20)
		t.Fatalf("after Close: %d goroutines (was %d), %d files (was %d)\n%s",
			g, g0, fd, fd0, buf[:runtime.Stack(buf, true)])
	}
	start := time.Now()
	if _, err := fetchAll(t, c, "t", Range{0, 0, 1}); !errors.Is(err, errFetchClosed) {
		t.Fatalf("Fetch after Close: %v, want errFetchClosed", err)
	}
	if d := time.Since(start); d > fetchMaxRetries*fetchRetryDelay/2 {
		t.Fatalf("Fetch after Close took %v: retried", d)
	}
}

// BenchmarkFetch1MiB fetches a range of 4000 records of ~260 bytes (about
// 1 MiB) from kfake through kgo (the path before fetchconn.go) and through
// the fetch connections. B/op includes kfake's copy of each response; the
// broker=static case serves a fixed response from a fakeBroker, so its
// B/op is the client's alone.
func BenchmarkFetch1MiB(b *testing.B) {
	const records = 4000
	rp := benchResponse(records, 100, math.MaxInt)
	for _, bc := range []struct {
		name   string
		viaKgo bool
		static bool
	}{{"broker=kfake/path=kgo", true, false}, {"broker=kfake/path=sluice", false, false}, {"broker=static/path=sluice", false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			cluster, c := newKfakeClient(b)
			c.fetchViaKgo = bc.viaKgo
			if bc.static {
				f := startFakeBroker(b, 16, fakeServe, rp.RecordBatches)
				pinBroker(c, leaderOf0(b, c), f.addr())
			} else {
				produceBench(b, cluster, rp, records)
			}
			b.SetBytes(int64(len(rp.RecordBatches)))
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				n := 0
				err := c.Fetch(ctx, "t", []Range{{0, 0, records}}, func(*Record) error { n++; return nil })
				if err != nil || n != records {
					b.Fatalf("fetched %d of %d records: %v", n, records, err)
				}
			}
		})
	}
}

// produceBench produces the values of rp's records to partition 0 of t,
// uncompressed as sluice-bench preloads them: Client.Produce would use
// kgo's default snappy, and decompressing allocates per batch.
func produceBench(b *testing.B, cluster *kfake.Cluster, rp *kmsg.FetchResponseTopicPartition, records int) {
	b.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.DefaultProduceTopic("t"),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerLinger(0))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, 0, records)
	p := pendingRange{end: math.MaxInt64}
	var rec Record
	_, err = walkBatches("t", &p, rp, &rec, func(r *Record) error {
		recs = append(recs, &kgo.Record{Value: append([]byte(nil), r.Value...)})
		return nil
	})
	if err != nil || len(recs) != records {
		b.Fatalf("%d records: %v", len(recs), err)
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
}
