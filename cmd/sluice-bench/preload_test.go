package main

import (
	"encoding/json"
	"testing"
	"time"
)

func TestWindowEnd(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct{ t, want string }{
		{"2024-01-01T00:00:00Z", "2024-01-01T00:00:10Z"},
		{"2024-01-01T00:00:00.108696Z", "2024-01-01T00:00:10Z"},
		{"2024-01-01T00:00:09.999999Z", "2024-01-01T00:00:10Z"},
		{"2024-01-01T00:00:10Z", "2024-01-01T00:00:20Z"}, // half-open windows
		{"1969-12-31T23:59:55Z", "1970-01-01T00:00:00Z"}, // floor before 1970
	} {
		if got := windowEnd(at(tc.t), windowSize); !got.Equal(at(tc.want)) {
			t.Errorf("windowEnd(%s) = %s, want %s", tc.t, got.Format(time.RFC3339Nano), tc.want)
		}
	}
}

func TestSentinelBid(t *testing.T) {
	want := time.Date(2024, 1, 1, 1, 0, 0, 108696000, time.UTC)
	b, err := sentinelBid(want)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		DateTime string `json:"date_time"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	got, err := time.Parse(pgTimestamp, v.DateTime)
	if err != nil || !got.Equal(want) {
		t.Fatalf("sentinel date_time %q (%v), want %s", v.DateTime, err, want)
	}
}
