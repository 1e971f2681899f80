package main

import (
	"context"
	"strconv"
	"time"

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
	lagRows, watermark, stateBytes, processing, schedulingDelay          *prometheus.Desc
	checkpoints, lastCheckpoint, rateLimit, restarts                     *prometheus.Desc
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
		stateBytes:   desc("state_bytes", "Approximate size of the query's operator state after its last batch."),
		processing:   desc("last_batch_processing_seconds", "How long the query's last batch took."),
		schedulingDelay: desc("last_batch_scheduling_delay_seconds",
			"How late the query's last batch started relative to its trigger."),
		checkpoints: desc("checkpoints_total", "Checkpoints the persistent query has committed since it started."),
		lastCheckpoint: desc("last_checkpoint_timestamp_seconds",
			"When the persistent query's latest checkpoint committed, in seconds since the epoch."),
		rateLimit: desc("rate_limit_records_per_second",
			"Records per second per partition the backpressure allowed the last batch to read."),
		restarts: desc("restarts_total",
			"Times the persistent query was restarted from its checkpoint after a transient failure."),
	}
}

// Describe implements prometheus.Collector.
func (c *queryCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.batches, c.inputRows, c.outputRows, c.lateRows, c.nullTimeRows, c.decodeErrors, c.lagRows, c.watermark,
		c.stateBytes, c.processing, c.schedulingDelay, c.checkpoints, c.lastCheckpoint, c.rateLimit, c.restarts,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A figure that does not exist
// yet has no sample rather than a zero one: the watermark before any
// event, the checkpoint time before the first checkpoint, and the rate
// limit of a query that has none.
func (c *queryCollector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range c.queries() {
		lv := []string{q.ID, q.Kind}
		counter := func(d *prometheus.Desc, v int64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), lv...)
		}
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, lv...)
		}
		counter(c.batches, q.Batches)
		counter(c.inputRows, q.InputRows)
		counter(c.outputRows, q.OutputRows)
		counter(c.lateRows, q.LateRows)
		counter(c.nullTimeRows, q.NullTimeRows)
		counter(c.decodeErrors, q.DecodeErrors)
		counter(c.checkpoints, q.Checkpoints)
		counter(c.restarts, q.Restarts)
		gauge(c.lagRows, float64(q.LagRows))
		gauge(c.stateBytes, float64(q.StateBytes))
		gauge(c.processing, q.LastProcessing.Seconds())
		gauge(c.schedulingDelay, q.LastSchedulingDelay.Seconds())
		if !q.Watermark.IsZero() {
			gauge(c.watermark, unixSeconds(q.Watermark))
		}
		if !q.LastCheckpoint.IsZero() {
			gauge(c.lastCheckpoint, unixSeconds(q.LastCheckpoint))
		}
		if q.RateLimit > 0 {
			gauge(c.rateLimit, q.RateLimit)
		}
	}
}

// unixSeconds is t in seconds since the epoch, to the microsecond.
func unixSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

// partitionScrapeTimeout bounds the offset lookups of one scrape, so a
// broker that does not answer delays the scrape instead of hanging it.
const partitionScrapeTimeout = 5 * time.Second

// partitionCollector exports each partition's lag per query at scrape
// time from partitions (engine.Partitions), which asks the brokers for
// the end offsets.
type partitionCollector struct {
	partitions func(context.Context) ([]exec.PartitionInfo, error)

	lag, up *prometheus.Desc
}

var _ prometheus.Collector = (*partitionCollector)(nil)

// newPartitionCollector returns a collector over partitions.
func newPartitionCollector(partitions func(context.Context) ([]exec.PartitionInfo, error)) *partitionCollector {
	return &partitionCollector{
		partitions: partitions,
		lag: prometheus.NewDesc("sluice_partition_lag_rows",
			"Records of the partition not yet consumed by the query: end offset minus next offset.",
			[]string{"query_id", "stream", "partition"}, nil),
		up: prometheus.NewDesc("sluice_partition_lag_up",
			"1 when the scrape read the partitions' offsets, 0 when that failed (then there are no lag samples).",
			nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *partitionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.up
}

// Collect implements prometheus.Collector. A failed offset lookup does not
// fail the whole scrape (the other metrics matter most when Kafka is in
// trouble); sluice_partition_lag_up says so instead.
func (c *partitionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), partitionScrapeTimeout)
	defer cancel()
	ps, err := c.partitions(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for _, p := range ps {
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(p.Lag),
			p.QueryID, p.Stream, strconv.Itoa(int(p.Partition)))
	}
}
