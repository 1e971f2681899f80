package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// startProfile fetches a CPU profile of the server from its
// /debug/pprof/profile endpoint while the query runs, writing it to path.
// The returned wait blocks until the profile is written (the fetch lasts
// seconds) and reports its error; the fetch goroutine is owned by it.
func startProfile(ctx context.Context, metricsAddr string, seconds int, path string) (wait func() error) {
	errc := make(chan error, 1)
	go func() { errc <- fetchProfile(ctx, metricsAddr, seconds, path) }()
	return func() error { return <-errc }
}

func fetchProfile(ctx context.Context, metricsAddr string, seconds int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds+30)*time.Second)
	defer cancel()
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", metricsAddr, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("cpu profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("cpu profile: %w", err)
	}
	return f.Close()
}
