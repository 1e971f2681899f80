package main

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// Field 2 holds a name with spaces and a ')', which must not shift the
	// fields after it; utime is 250 ticks and stime 75.
	line := "4242 (sl) uice x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0 99 1000 50\n"
	got, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := cpuTimes{user: 2500 * time.Millisecond, sys: 750 * time.Millisecond}
	if got != want {
		t.Fatalf("parseStat = %+v, want %+v", got, want)
	}
	if _, err := parseStat([]byte("4242 (short) S 1 2")); err == nil {
		t.Fatal("parseStat of a truncated line: want an error")
	}
}

func TestParseStatusBytes(t *testing.T) {
	status := "Name:\tsluice\nVmPeak:\t 2000 kB\nVmHWM:\t  1536 kB\nVmRSS:\t  1024 kB\n"
	for _, tc := range []struct {
		key  string
		want int64
		err  bool
	}{
		{key: "VmHWM", want: 1536 << 10},
		{key: "VmRSS", want: 1024 << 10},
		{key: "VmSwap", err: true},
		{key: "Name", err: true}, // not in kB
	} {
		got, err := parseStatusBytes(bufio.NewScanner(strings.NewReader(status)), tc.key)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%s: got %d, %v; want %d, error %v", tc.key, got, err, tc.want, tc.err)
		}
	}
}
