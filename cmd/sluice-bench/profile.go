package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// profiles names the files the server's profiles go to; an empty name
// takes no profile of that kind.
type profiles struct {
	cpu   string // -cpuprofile-server
	alloc string // -allocprofile-server
}

func (p profiles) any() bool { return p.cpu != "" || p.alloc != "" }

// startProfiles fetches a CPU profile (/debug/pprof/profile) and an
// allocation profile (/debug/pprof/allocs, the delta over the same
// seconds) of the server while the query runs. The returned wait blocks
// until both are written (each fetch lasts seconds) and reports their
// errors; the fetch goroutines are owned by it.
func startProfiles(ctx context.Context, metricsAddr string, seconds int, p profiles) (wait func() error) {
	errc := make(chan error, 2)
	n := 0
	for _, k := range []struct{ endpoint, path string }{{"profile", p.cpu}, {"allocs", p.alloc}} {
		if k.path == "" {
			continue
		}
		n++
		go func() { errc <- fetchProfile(ctx, metricsAddr, k.endpoint, seconds, k.path) }()
	}
	return func() error {
		var errs []error
		for range n {
			errs = append(errs, <-errc)
		}
		return errors.Join(errs...)
	}
}

func fetchProfile(ctx context.Context, metricsAddr, endpoint string, seconds int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds+30)*time.Second)
	defer cancel()
	url := fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", metricsAddr, endpoint, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s profile: %w", endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s profile: %s", endpoint, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("%s profile: %w", endpoint, err)
	}
	return f.Close()
}
