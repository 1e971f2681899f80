package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// storeHarness runs the trace-style goldens in testdata/store: each write
// command prints the operations its commit applied, so the goldens document
// the keyspace layout and which writes are synced.
type storeHarness struct {
	dir   string
	s     *Store
	trace []string
}

func TestStoreGolden(t *testing.T) {
	h := &storeHarness{dir: filepath.Join(t.TempDir(), "state")}
	defer func() {
		if h.s != nil {
			_ = h.s.Close()
		}
	}()
	datadriven.RunTest(t, "testdata/store", func(t *testing.T, d *datadriven.TestData) string {
		h.trace = nil
		out, err := h.run(t, d)
		if err != nil {
			out += errLine(err)
		}
		return strings.Join(h.trace, "\n") + nl(len(h.trace) > 0 && out != "") + out
	})
}

func (h *storeHarness) open() error {
	var opts Options
	opts.private.trace = func(line string) { h.trace = append(h.trace, line) }
	s, err := Open(context.Background(), h.dir, opts)
	h.s = s
	return err
}

func (h *storeHarness) run(t *testing.T, d *datadriven.TestData) (string, error) {
	arg := func(key string) string {
		var v string
		d.ScanArgs(t, key, &v)
		return v
	}
	switch d.Cmd {
	case "open":
		return "ok", h.open()
	case "close":
		return "ok", h.s.Close()
	case "reopen":
		if err := h.s.Close(); err != nil {
			return "", err
		}
		return "ok", h.open()
	case "put":
		return "", h.s.PutCatalog(arg("kind"), arg("name"), []byte(d.Input))
	case "delete":
		return "", h.s.DeleteCatalog(arg("kind"), arg("name"))
	case "get":
		v, err := h.s.GetCatalog(arg("kind"), arg("name"))
		return string(v), err
	case "list":
		return h.list(arg("kind"))
	default:
		return h.runWindow(t, d)
	}
}

func (h *storeHarness) list(kind string) (string, error) {
	ents, err := h.s.ListCatalog(kind)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range ents {
		fmt.Fprintf(&b, "%q: %s\n", e.Name, e.Value)
	}
	if len(ents) == 0 {
		return "(empty)", nil
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// runWindow handles the window-state, checkpoint and raw-key commands.
func (h *storeHarness) runWindow(t *testing.T, d *datadriven.TestData) (string, error) {
	var query string
	var op uint32
	var upTo int64
	switch d.Cmd {
	case "set-windows":
		// Input: one "end start group value" per line, committed as one batch
		// together with a checkpoint record given by ckpt=.
		d.ScanArgs(t, "query", &query)
		d.ScanArgs(t, "op", &op)
		b := h.s.NewBatch()
		for _, line := range strings.Split(d.Input, "\n") {
			f := strings.Fields(line)
			end, start := mustInt(t, f[0]), mustInt(t, f[1])
			b.Set(AppendWindowKey(nil, query, op, end, start, []byte(f[2])), []byte(f[3]))
		}
		if d.HasArg("ckpt") {
			var ck string
			d.ScanArgs(t, "ckpt", &ck)
			b.SetCheckpoint(query, []byte(ck))
		}
		return "", b.Commit(true)
	case "scan-closed":
		d.ScanArgs(t, "query", &query)
		d.ScanArgs(t, "op", &op)
		d.ScanArgs(t, "upto", &upTo)
		var out []string
		err := h.s.ScanClosedWindows(query, op, upTo, func(e WindowEntry) error {
			out = append(out, fmt.Sprintf("[%d,%d) %s = %s", e.Start, e.End, e.Group, e.Value))
			return nil
		})
		return strings.Join(out, "\n"), err
	case "gc":
		d.ScanArgs(t, "query", &query)
		d.ScanArgs(t, "op", &op)
		d.ScanArgs(t, "upto", &upTo)
		b := h.s.NewBatch()
		b.DeleteClosedWindows(query, op, upTo)
		return "", b.Commit(false)
	case "get-checkpoint":
		d.ScanArgs(t, "query", &query)
		v, err := h.s.Checkpoint(query)
		return string(v), err
	case "set-raw":
		// Writes a raw key (hex) to simulate a malformed record on disk.
		var key string
		d.ScanArgs(t, "key", &key)
		b := h.s.NewBatch()
		b.Set(mustHex(t, key), []byte(d.Input))
		return "", b.Commit(true)
	}
	t.Fatalf("unknown command %q", d.Cmd)
	return "", nil
}

// errLine prints an error with the sentinels it matches.
func errLine(err error) string {
	var tags []string
	for _, s := range []error{ErrNotFound, ErrCorrupt, ErrClosed} {
		if errors.Is(err, s) {
			tags = append(tags, strings.TrimPrefix(s.Error(), "state: "))
		}
	}
	return fmt.Sprintf("error (%s): %v", strings.Join(tags, ","), err)
}

func nl(b bool) string {
	if b {
		return "\n"
	}
	return ""
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDataSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutCatalog("stream", "bids", []byte("def")); err != nil {
		t.Fatal(err)
	}
	wk := AppendWindowKey(nil, "q1", 2, -5_000_000, -15_000_000, []byte("g"))
	b := s.NewBatch()
	b.Set(wk, []byte("state"))
	b.SetCheckpoint("q1", []byte("offsets"))
	// Not synced: Close must still flush the WAL.
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		get  func() ([]byte, error)
		want string
	}{
		{func() ([]byte, error) { return s.GetCatalog("stream", "bids") }, "def"},
		{func() ([]byte, error) { return s.Get(wk) }, "state"},
		{func() ([]byte, error) { return s.Checkpoint("q1") }, "offsets"},
	} {
		got, err := c.get()
		if err != nil || string(got) != c.want {
			t.Fatalf("after reopen got %q, %v; want %q", got, err, c.want)
		}
	}
}

func TestCloseLifecycle(t *testing.T) {
	s, err := Open(context.Background(), "mem", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	b := s.NewBatch()
	b.Set([]byte{prefixWindow}, nil)
	err = s.Close()
	if err == nil || !strings.Contains(err.Error(), "1 batches leaked") {
		t.Fatalf("Close with an open batch = %v, want leak report", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	if err := b.Commit(true); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit after Close = %v, want ErrClosed", err)
	}
	late := s.NewBatch()
	late.Set([]byte("k"), nil)
	if err := late.Commit(false); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit of a batch made after Close = %v, want ErrClosed", err)
	}
	late.Close() // no-op after Commit
	if _, err := s.Get([]byte("k")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close = %v, want ErrClosed", err)
	}
	if _, err := s.ListCatalog("stream"); !errors.Is(err, ErrClosed) {
		t.Fatalf("ListCatalog after Close = %v, want ErrClosed", err)
	}
	if err := s.PutCatalog("stream", "x", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("PutCatalog after Close = %v, want ErrClosed", err)
	}
}

// TestScanClosesIterator checks that an early return from the callback
// still closes the iterator: Pebble's Close reports leaked iterators.
func TestScanClosesIterator(t *testing.T) {
	s, err := Open(context.Background(), "mem", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c"} {
		b := s.NewBatch()
		b.Set([]byte(k), []byte(k))
		if err := b.Commit(false); err != nil {
			t.Fatal(err)
		}
	}
	stop := errors.New("stop")
	var seen []string
	err = s.Scan([]byte("a"), []byte("c"), func(k, v []byte) error {
		seen = append(seen, string(k))
		if bytes.Equal(k, []byte("b")) {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || strings.Join(seen, ",") != "a,b" {
		t.Fatalf("Scan = %v after %v, want stop after a,b", err, seen)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close after early-return Scan = %v", err)
	}
}

func TestOpenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, "mem", Options{InMemory: true}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with cancelled ctx = %v", err)
	}
	if _, err := Open(context.Background(), "mem", Options{InMemory: true, CacheSize: -1}); err == nil {
		t.Fatal("Open with negative cache size succeeded")
	}
}

// TestConcurrentClose races writers and readers against Close: every call
// either succeeds or returns ErrClosed, and none reaches a closed Pebble.
func TestConcurrentClose(t *testing.T) {
	s, err := Open(context.Background(), "mem", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg, started sync.WaitGroup
	errs := make(chan error, 4)
	started.Add(4)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				if i == 1 {
					started.Done() // one full round done; Close may start
				}
				name := fmt.Sprintf("w%d-%d", w, i)
				err := s.PutCatalog("stream", name, []byte(name))
				if err == nil {
					_, err = s.ListCatalog("stream")
				}
				if err != nil {
					if !errors.Is(err, ErrClosed) {
						errs <- err
					}
					if i == 0 {
						started.Done()
					}
					return
				}
			}
		})
	}
	started.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call failed with %v, want nil or ErrClosed", err)
	}
}
