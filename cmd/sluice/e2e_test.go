package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/twmb/franz-go/pkg/kgo"
)

// sluiceBin is the binary under test, built once by TestMain.
var sluiceBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sluiceBin = filepath.Join(dir, "sluice")
	if out, err := exec.Command("go", "build", "-o", sluiceBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build sluice: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// sluiceProc is a running sluice binary with its own ports and data dir.
type sluiceProc struct {
	cmd     *exec.Cmd
	pgAddr  string
	kafka   string
	metrics string
	dataDir string
	stderr  *strings.Builder
	exited  chan struct{}
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startSluice starts the binary and waits until /healthz answers.
func startSluice(t testing.TB, dataDir string, extra ...string) *sluiceProc {
	t.Helper()
	p := &sluiceProc{pgAddr: freePort(t), kafka: freePort(t), metrics: freePort(t),
		dataDir: dataDir, stderr: &strings.Builder{}, exited: make(chan struct{})}
	args := append([]string{"--listen", p.pgAddr, "--kafka-listen", p.kafka, "--metrics-listen", p.metrics,
		"--data-dir", dataDir, "--batch-interval", "100ms"}, extra...)
	p.cmd = exec.Command(sluiceBin, args...)
	p.cmd.Stderr = &lockedWriter{b: p.stderr}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + p.metrics + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("sluice exited at start:\n%s", p.log())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("sluice not healthy after 30s:\n%s", p.log())
	return nil
}

// stop sends SIGTERM and waits for a graceful exit.
func (p *sluiceProc) stop(t testing.TB) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("sluice exited %d after SIGTERM:\n%s", code, p.log())
		}
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Errorf("sluice did not stop within 20s of SIGTERM:\n%s", p.log())
	}
}

func (p *sluiceProc) connect(t testing.TB, ctx context.Context) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig("postgres://sluice@" + p.pgAddr + "/sluice?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, CancelRequestDelay: 0, DeadlineDelay: 5 * time.Second}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, p.log())
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func (p *sluiceProc) produce(t testing.TB, ctx context.Context, topic string, values ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.kafka), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, len(values))
	for i, v := range values {
		recs[i] = &kgo.Record{Value: []byte(v)}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func (p *sluiceProc) psqlCmd(ctx context.Context, args ...string) *exec.Cmd {
	host, port, _ := net.SplitHostPort(p.pgAddr)
	cmd := exec.CommandContext(ctx, "psql", append([]string{"-X", "-h", host, "-p", port, "-U", "sluice", "-d", "sluice"}, args...)...)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PAGER=")
	return cmd
}

func mustExec(t testing.TB, ctx context.Context, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// readLinesUntil reads lines from r until one equals want, returning all read.
func readLinesUntil(t *testing.T, lines <-chan string, want string, timeout time.Duration) []string {
	t.Helper()
	var got []string
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("psql output ended before %q; got:\n%s", want, strings.Join(got, "\n"))
			}
			got = append(got, l)
			if l == want {
				return got
			}
		case <-deadline:
			t.Fatalf("no %q from psql within %s; got:\n%s", want, timeout, strings.Join(got, "\n"))
		}
	}
}

func lineChan(r io.Reader) <-chan string {
	ch := make(chan string, 1024)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// lockedWriter lets the process's stderr be read while it is written.
type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (p *sluiceProc) log() string {
	w := p.cmd.Stderr.(*lockedWriter)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
