package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicedb/sluice/exec"
)

// queryCollector exports the per-query figures of exec.Engine.Queries at
// scrape time, so the engine keeps no Prometheus state of its own and the
// metrics always agree with sluice.queries. A query that has ended drops
// out of the next scrape.
type queryCollector struct {
	queries func() []exec.QueryInfo

	batches, inputRows, outputRows, lateRows, nullTimeRows, decodeErrors *prometheus.Desc
	lagRows, watermark                                                   *prometheus.Desc
}

var _ prometheus.Collector = (*queryCollector)(nil)

// newQueryCollector returns a collector over queries (engine.Queries).
func newQueryCollector(queries func() []exec.QueryInfo) *queryCollector {
	labels := []string{"query_id", "kind"}
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("sluice_query_"+name, help, labels, nil)
	}
	return &queryCollector{
		queries:      queries,
		batches:      desc("batches_total", "Micro-batches the query has run."),
		inputRows:    desc("input_rows_total", "Rows the query has read from its sources."),
		outputRows:   desc("output_rows_total", "Rows the query has emitted."),
		lateRows:     desc("late_rows_total", "Rows dropped from a window that had already closed."),
		nullTimeRows: desc("null_time_rows_total", "Rows a windowed query dropped because their event time is NULL."),
		decodeErrors: desc("decode_errors_total", "Source records that did not decode and were skipped."),
		lagRows:      desc("lag_rows", "Records in the sources not yet consumed by the query."),
		watermark:    desc("watermark_seconds", "Event-time watermark of the query, in seconds since the epoch."),
	}
}

// Describe implements prometheus.Collector.
func (c *queryCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.batches, c.inputRows, c.outputRows, c.lateRows, c.nullTimeRows, c.decodeErrors, c.lagRows, c.watermark,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A query without a watermark yet
// (no event seen) has no watermark sample rather than a zero one.
func (c *queryCollector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range c.queries() {
		lv := []string{q.ID, q.Kind}
		counter := func(d *prometheus.Desc, v int64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), lv...)
		}
		counter(c.batches, q.Batches)
		counter(c.inputRows, q.InputRows)
		counter(c.outputRows, q.OutputRows)
		counter(c.lateRows, q.LateRows)
		counter(c.nullTimeRows, q.NullTimeRows)
		counter(c.decodeErrors, q.DecodeErrors)
		ch <- prometheus.MustNewConstMetric(c.lagRows, prometheus.GaugeValue, float64(q.LagRows), lv...)
		if !q.Watermark.IsZero() {
			wm := float64(q.Watermark.UnixMicro()) / 1e6
			ch <- prometheus.MustNewConstMetric(c.watermark, prometheus.GaugeValue, wm, lv...)
		}
	}
}
