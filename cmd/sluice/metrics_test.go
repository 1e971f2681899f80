package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicedb/sluice/exec"
)

func TestQueryCollector(t *testing.T) {
	infos := []exec.QueryInfo{
		{
			ID: "q1", Kind: "view", Batches: 3, InputRows: 100, OutputRows: 7, LateRows: 2, NullTimeRows: 5,
			DecodeErrors: 1, LagRows: 40, Watermark: time.Unix(1700000000, 500_000_000),
		},
		{ID: "q2", Kind: "push"}, // no watermark yet
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(newQueryCollector(func() []exec.QueryInfo { return infos }))
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
	want := []string{
		"sluice_query_batches_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_batches_total{kind=view,query_id=q1} COUNTER 3",
		"sluice_query_decode_errors_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_decode_errors_total{kind=view,query_id=q1} COUNTER 1",
		"sluice_query_input_rows_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_input_rows_total{kind=view,query_id=q1} COUNTER 100",
		"sluice_query_lag_rows{kind=push,query_id=q2} GAUGE 0",
		"sluice_query_lag_rows{kind=view,query_id=q1} GAUGE 40",
		"sluice_query_late_rows_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_late_rows_total{kind=view,query_id=q1} COUNTER 2",
		"sluice_query_null_time_rows_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_null_time_rows_total{kind=view,query_id=q1} COUNTER 5",
		"sluice_query_output_rows_total{kind=push,query_id=q2} COUNTER 0",
		"sluice_query_output_rows_total{kind=view,query_id=q1} COUNTER 7",
		"sluice_query_watermark_seconds{kind=view,query_id=q1} GAUGE 1.7000000005e+09",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("metrics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
