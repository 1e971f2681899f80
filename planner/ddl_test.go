package planner

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"30s": 30 * time.Second, "1m30s": 90 * time.Second, "30 seconds": 30 * time.Second,
		"2 minutes": 2 * time.Minute, "1 second": time.Second, "500 milliseconds": 500 * time.Millisecond,
	} {
		got, err := parseDuration(in)
		if err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "3 fortnights", "x seconds"} {
		if _, err := parseDuration(bad); err == nil {
			t.Errorf("parseDuration(%q) accepted", bad)
		}
	}
}

func TestApplyStreamOptions(t *testing.T) {
	def := &exec.StreamDef{}
	err := applyStreamOptions(def, map[string]string{
		"topic": "t1", "format": "JSON", "partitions": "3", "start": "Latest",
		"idle_timeout": "30 seconds", "max_rate_per_partition": "100", "on_decode_error": "fail",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := exec.StreamDef{Topic: "t1", Format: "json", Partitions: 3, Start: "latest",
		IdleTimeout: 30 * time.Second, MaxRatePerPartition: 100, OnDecodeError: "fail"}
	if *def != want {
		t.Fatalf("got %+v\nwant %+v", *def, want)
	}
	for opts, code := range map[string]string{
		"partitions=0": sql.CodeInvalidParameter, "partitions=2000": sql.CodeInvalidParameter,
		"start=middle": sql.CodeInvalidParameter, "colour=blue": sql.CodeInvalidParameter,
		"format=avro": sql.CodeFeatureNotSupported, "brokers=h:9092": sql.CodeFeatureNotSupported,
		"idle_timeout=-1s": sql.CodeInvalidParameter, "on_decode_error=ignore": sql.CodeInvalidParameter,
	} {
		k, v, _ := strings.Cut(opts, "=")
		err := applyStreamOptions(&exec.StreamDef{}, map[string]string{k: v})
		var se *sql.Error
		if !errors.As(err, &se) || se.Code != code {
			t.Errorf("%s: got %v, want SQLSTATE %s", opts, err, code)
		}
	}
}

func TestLimitOf(t *testing.T) {
	q := &sql.Query{Limit: -1, LimitParam: &sql.Param{Index: 0, T: arrow.PrimitiveTypes.Int64}}
	for _, tc := range []struct {
		param any
		want  int64
		code  string
	}{{int64(5), 5, ""}, {nil, -1, ""}, {int64(-1), 0, sql.CodeInvalidRowCount}, {"x", 0, sql.CodeDatatypeMismatch}} {
		got, err := limitOf(q, []any{tc.param})
		var se *sql.Error
		switch {
		case tc.code == "" && (err != nil || got != tc.want):
			t.Errorf("limitOf(%v) = %d, %v; want %d", tc.param, got, err, tc.want)
		case tc.code != "" && (!errors.As(err, &se) || se.Code != tc.code):
			t.Errorf("limitOf(%v): got %v, want SQLSTATE %s", tc.param, err, tc.code)
		}
	}
	if _, err := limitOf(q, nil); err == nil {
		t.Error("missing parameter accepted")
	}
}

func TestIntervalText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second: "1 second", 4 * time.Second: "4 seconds", 0: "0 seconds",
		1500 * time.Millisecond: "1.5 seconds", 90 * time.Second: "90 seconds", time.Microsecond: "0.000001 seconds",
	} {
		if got := intervalText(d); got != want {
			t.Errorf("intervalText(%v) = %q, want %q", d, got, want)
		}
	}
}
