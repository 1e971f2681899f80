package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicedb/sluice/exec"
)

// gatherLines registers cs and returns every sample as
// "name{label=value,...} TYPE value", sorted.
func gatherLines(t *testing.T, cs ...prometheus.Collector) []string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(cs...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, lp.GetName()+"="+lp.GetValue())
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			got = append(got, fmt.Sprintf("%s{%s} %s %g", mf.GetName(), strings.Join(labels, ","), mf.GetType(), v))
		}
	}
	sort.Strings(got)
	return got
}

func checkLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("metrics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestQueryCollector(t *testing.T) {
	infos := []exec.QueryInfo{
		{
			ID: "view:v", Kind: "view", Batches: 3, InputRows: 100, OutputRows: 7, LateRows: 2, NullTimeRows: 5,
			DecodeErrors: 1, LagRows: 40, Watermark: time.Unix(1700000000, 500_000_000),
			StateBytes: 4096, LastProcessing: 250 * time.Millisecond, LastSchedulingDelay: 1500 * time.Millisecond,
			Checkpoints: 2, LastCheckpoint: time.Unix(1700000100, 250_000_000), RateLimit: 125.5, Restarts: 4,
		},
		{ID: "q2", Kind: "push"}, // no watermark, checkpoint or rate limit yet
	}
	got := gatherLines(t, newQueryCollector(func() []exec.QueryInfo { return infos }))
	checkLines(t, got, []string{
		"sluice_query_batches_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_batches_total{kind=view,query_id=view:v} COUNTER 3",
		"sluice_query_checkpoints_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_checkpoints_total{kind=view,query_id=view:v} COUNTER 2",
		"sluice_query_decode_errors_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_decode_errors_total{kind=view,query_id=view:v} COUNTER 1",
		"sluice_query_input_rows_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_input_rows_total{kind=view,query_id=view:v} COUNTER 100",
		"sluice_query_lag_rows{kind=push,query_id=q2} GAUGE 0",
		"sluice_query_lag_rows{kind=view,query_id=view:v} GAUGE 40",
		"sluice_query_last_batch_processing_seconds{kind=push,query_id=q2} GAUGE 0",
		"sluice_query_last_batch_processing_seconds{kind=view,query_id=view:v} GAUGE 0.25",
		"sluice_query_last_batch_scheduling_delay_seconds{kind=push,query_id=q2} GAUGE 0",
		"sluice_query_last_batch_scheduling_delay_seconds{kind=view,query_id=view:v} GAUGE 1.5",
		"sluice_query_last_checkpoint_timestamp_seconds{kind=view,query_id=view:v} GAUGE 1.70000010025e+09",
		"sluice_query_late_rows_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_late_rows_total{kind=view,query_id=view:v} COUNTER 2",
		"sluice_query_null_time_rows_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_null_time_rows_total{kind=view,query_id=view:v} COUNTER 5",
		"sluice_query_output_rows_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_output_rows_total{kind=view,query_id=view:v} COUNTER 7",
		"sluice_query_rate_limit_records_per_second{kind=view,query_id=view:v} GAUGE 125.5",
		"sluice_query_restarts_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_restarts_total{kind=view,query_id=view:v} COUNTER 4",
		"sluice_query_state_bytes{kind=push,query_id=q2} GAUGE 0",
		"sluice_query_state_bytes{kind=view,query_id=view:v} GAUGE 4096",
		"sluice_query_watermark_seconds{kind=view,query_id=view:v} GAUGE 1.7000000005e+09",
	})
}

func TestPartitionCollector(t *testing.T) {
	parts := []exec.PartitionInfo{
		{QueryID: "view:v", Stream: "events", Partition: 0, NextOffset: 10, EndOffset: 15, Lag: 5},
		{QueryID: "view:v", Stream: "events", Partition: 1, NextOffset: 7, EndOffset: 7, Lag: 0},
		{QueryID: "sink:s", Stream: "events", Partition: 0, NextOffset: 3, EndOffset: 15, Lag: 12},
	}
	var gotDeadline bool
	got := gatherLines(t, newPartitionCollector(func(ctx context.Context) ([]exec.PartitionInfo, error) {
		_, gotDeadline = ctx.Deadline()
		return parts, nil
	}))
	if !gotDeadline {
		t.Error("partitions called without a deadline")
	}
	checkLines(t, got, []string{
		"sluice_partition_lag_rows{partition=0,query_id=sink:s,stream=events} GAUGE 12",
		"sluice_partition_lag_rows{partition=0,query_id=view:v,stream=events} GAUGE 5",
		"sluice_partition_lag_rows{partition=1,query_id=view:v,stream=events} GAUGE 0",
		"sluice_partition_lag_up{} GAUGE 1",
	})
}

// TestPartitionCollectorError: brokers that do not answer leave the lag
// out and set the up gauge to 0, without failing the scrape.
func TestPartitionCollectorError(t *testing.T) {
	got := gatherLines(t, newPartitionCollector(func(context.Context) ([]exec.PartitionInfo, error) {
		return nil, errors.New("kafka unreachable")
	}))
	checkLines(t, got, []string{"sluice_partition_lag_up{} GAUGE 0"})
}
