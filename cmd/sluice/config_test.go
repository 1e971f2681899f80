package main

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestConfigDefaults(t *testing.T) {
	c, err := parseConfig(nil, envOf(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		listen: "127.0.0.1:5433", dataDir: "./data", kafkaListen: "127.0.0.1:9092",
		demoRate: 2000, batchInterval: time.Second, checkpointInterval: 10 * time.Second, stateMemoryMB: 512,
		logLevel: slog.LevelInfo, auth: "trust",
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", c, want)
	}
}

func TestConfigEnvWhenFlagAbsent(t *testing.T) {
	env := envOf(
		"SLUICE_LISTEN", ":6000",
		"SLUICE_DATA_DIR", "/var/lib/sluice",
		"SLUICE_BROKERS", "k1:9092, k2:9092",
		"SLUICE_DEMO", "true",
		"SLUICE_BATCH_INTERVAL", "250ms",
		"SLUICE_CHECKPOINT_INTERVAL", "1m",
		"SLUICE_STATE_MEMORY_MB", "0",
		"SLUICE_METRICS_LISTEN", ":9100",
		"SLUICE_LOG_LEVEL", "DEBUG",
		"SLUICE_DEMO_RATE", "50",
		"SLUICE_AUTH", "scram",
		"SLUICE_USERS", "users.txt",
	)
	c, err := parseConfig(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		listen: ":6000", dataDir: "/var/lib/sluice", brokers: []string{"k1:9092", "k2:9092"},
		kafkaListen: "127.0.0.1:9092", demo: true, demoRate: 50,
		batchInterval: 250 * time.Millisecond, checkpointInterval: time.Minute,
		metricsListen: ":9100", logLevel: slog.LevelDebug, auth: "scram", users: "users.txt",
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("from env:\n got %+v\nwant %+v", c, want)
	}
}

func TestConfigFlagWins(t *testing.T) {
	env := envOf("SLUICE_LISTEN", ":6000", "SLUICE_BATCH_INTERVAL", "not-a-duration", "SLUICE_DEMO", "true")
	c, err := parseConfig([]string{"--listen", ":7000", "--batch-interval=2s", "--demo=false"}, env, io.Discard)
	if err != nil {
		t.Fatalf("a bad env value for a flag given on the command line must be ignored: %v", err)
	}
	if c.listen != ":7000" || c.batchInterval != 2*time.Second || c.demo {
		t.Fatalf("flags did not win over env: %+v", c)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  func(string) string
		want string
	}{
		{nil, envOf("SLUICE_BATCH_INTERVAL", "soon"), "SLUICE_BATCH_INTERVAL"},
		{nil, envOf("SLUICE_DEMO", "maybe"), "SLUICE_DEMO"},
		{[]string{"--checkpoint-interval", "10"}, envOf(), "invalid value"},
		{[]string{"--state-memory-mb", "-1"}, envOf(), "must not be negative"},
		{[]string{"--batch-interval", "0s"}, envOf(), "must be positive"},
		{[]string{"--log-level", "loud"}, envOf(), "invalid log level"},
		{nil, envOf("SLUICE_AUTH", "md5"), "--auth"},
		{[]string{"--tls-cert", "c.pem"}, envOf(), "together"},
		{[]string{"extra"}, envOf(), "unexpected arguments"},
	} {
		_, err := parseConfig(tc.args, tc.env, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseConfig(%q) = %v, want error containing %q", tc.args, err, tc.want)
		}
	}
	if _, err := parseConfig([]string{"-help"}, envOf(), io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-help = %v, want flag.ErrHelp", err)
	}
}

func TestEnvName(t *testing.T) {
	if got := envName("checkpoint-interval"); got != "SLUICE_CHECKPOINT_INTERVAL" {
		t.Fatalf("envName = %q", got)
	}
}
