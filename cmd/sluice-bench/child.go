package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	// startupTimeout bounds the wait for /healthz.
	startupTimeout = 60 * time.Second
	// stopGrace is how long the server may take to stop after SIGTERM
	// (final checkpoint included) before it is killed.
	stopGrace = 60 * time.Second
)

// server is the sluice child process. Whoever starts it must call kill on
// every exit path; kill is a no-op once the process has exited.
//
// Goroutines: startServer starts one waiter that calls cmd.Wait, stores
// its error in waitErr and closes done. It ends when the process exits,
// which kill forces.
type server struct {
	cmd                            *exec.Cmd
	pgAddr, kafkaAddr, metricsAddr string
	logPath                        string
	logFile                        *os.File
	done                           chan struct{}
	waitErr                        error // written before done is closed
}

// startServer starts bin with a data directory under dir, free local
// ports and the embedded broker, logging to dir/server.log. With broker
// set (host:port) the server uses that broker instead of its embedded one
// (--brokers), and kafkaAddr is broker. env holds extra KEY=value
// variables for the server (after the inherited ones).
func startServer(bin, dir string, batchInterval time.Duration, broker string, env ...string) (*server, error) {
	addrs, err := freeAddrs(3)
	if err != nil {
		return nil, err
	}
	s := &server{
		pgAddr: addrs[0], kafkaAddr: addrs[1], metricsAddr: addrs[2],
		logPath: filepath.Join(dir, "server.log"),
		done:    make(chan struct{}),
	}
	args := []string{
		"--listen", s.pgAddr,
		"--data-dir", filepath.Join(dir, "data"),
		"--metrics-listen", s.metricsAddr,
		"--batch-interval", batchInterval.String(),
	}
	if broker != "" {
		s.kafkaAddr = broker
		args = append(args, "--brokers", broker)
	} else {
		// --brokers= explicitly: the embedded broker, whatever the
		// environment says.
		args = append(args, "--brokers=", "--kafka-listen", s.kafkaAddr)
	}
	if s.logFile, err = os.Create(s.logPath); err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = append(withoutSluiceEnv(os.Environ()), env...)
	s.cmd.Stdout, s.cmd.Stderr = s.logFile, s.logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{
		// Own process group: a terminal's Ctrl-C reaches only us, and we
		// stop the server in order. Pdeathsig covers our own sudden death.
		Setpgid:   true,
		Pdeathsig: syscall.SIGKILL,
	}
	if err := s.cmd.Start(); err != nil {
		s.logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		s.logFile.Close()
		close(s.done)
	}()
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// exited reports whether the process has ended.
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// waitHealthy polls /healthz until it answers 200, the server exits, or
// ctx or startupTimeout ends.
func (s *server) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	url := "http://" + s.metricsAddr + "/healthz"
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if ok, err := probe(ctx, url); ok {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("server not healthy (last: %v): %w", err, ctx.Err())
		}
		select {
		case <-s.done:
			return fmt.Errorf("server exited during startup: %w", s.exitError())
		case <-ctx.Done():
		case <-tick.C:
		}
	}
}

// probe makes one /healthz request.
func probe(ctx context.Context, url string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("status %s", resp.Status)
	}
	return true, nil
}

// stop sends SIGTERM and waits for a clean exit (status 0). If the server
// does not exit within stopGrace, or ctx ends first, it is killed and
// stop reports that.
func (s *server) stop(ctx context.Context) error {
	if s.exited() {
		return fmt.Errorf("server exited before SIGTERM: %w", s.exitError())
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal server: %w", err)
	}
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-s.done:
		if err := s.exitError(); err != nil {
			return fmt.Errorf("server stop after SIGTERM: %w", err)
		}
		return nil
	case <-t.C:
		s.kill()
		return fmt.Errorf("server did not exit within %s of SIGTERM; killed", stopGrace)
	case <-ctx.Done():
		s.kill()
		return fmt.Errorf("stopping server: %w", ctx.Err())
	}
}

// kill ends the process with SIGKILL unless it has exited, and waits for
// the waiter goroutine.
func (s *server) kill() {
	if !s.exited() {
		_ = s.cmd.Process.Kill() // fails only if it exited meanwhile
	}
	<-s.done
}

// exitError is the process's exit error; nil for status 0. Call it only
// after done is closed.
func (s *server) exitError() error { return s.waitErr }

// printLogTail copies the last n lines of the server log to w.
func (s *server) printLogTail(w io.Writer, n int) {
	f, err := os.Open(s.logPath)
	if err != nil {
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	fmt.Fprintf(w, "--- last %d lines of %s ---\n%s\n---\n", len(lines), s.logPath, strings.Join(lines, "\n"))
}

// freeAddrs returns n distinct free 127.0.0.1 addresses. They are free
// when checked; nothing reserves them until the server binds them.
func freeAddrs(n int) ([]string, error) {
	var lc net.ListenConfig
	var addrs []string
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		// Held open until all are chosen, so the n ports differ.
		ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

// withoutSluiceEnv drops SLUICE_* variables, which would otherwise
// configure the server behind the benchmark's back.
func withoutSluiceEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "SLUICE_") {
			out = append(out, kv)
		}
	}
	return out
}

// withServer runs fn against a fresh server in a new temporary data
// directory named after name. With -external-broker it first starts a
// fresh kfake cluster in this process for the server to use. The server
// is killed, the cluster closed and the directory removed (kept with
// -keep) on every return path; when fn fails, the tail of the server's
// log is printed to progress.
func withServer(ctx context.Context, cfg config, name string, env []string, progress io.Writer, fn func(*server) error) (err error) {
	dir, err := os.MkdirTemp("", "sluice-bench-"+name+"-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer func() {
		if cfg.keep {
			fmt.Fprintln(progress, "kept", dir)
		} else if rerr := os.RemoveAll(dir); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove temp dir: %w", rerr))
		}
	}()
	broker := ""
	if cfg.externalBroker {
		cluster, addr, err := startExternalBroker(progress)
		if err != nil {
			return err
		}
		// Deferred before the server's kill, so it runs after it: the
		// server never sees its broker vanish while it still runs.
		defer cluster.Close()
		broker = addr
	}
	srv, err := startServer(cfg.bin, dir, cfg.batchInterval, broker, env...)
	if err != nil {
		return err
	}
	defer func() {
		srv.kill()
		if err != nil {
			srv.printLogTail(progress, 30)
		}
	}()
	fmt.Fprintf(progress, "server pid %d: pg %s, kafka %s, metrics %s\n", srv.pid(), srv.pgAddr, srv.kafkaAddr, srv.metricsAddr)
	if err := srv.waitHealthy(ctx); err != nil {
		return err
	}
	return fn(srv)
}
