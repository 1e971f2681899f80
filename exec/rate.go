package exec

import (
	"math"
	"time"
)

// The gains and floor of the rate controller: Spark Streaming's
// PIDRateEstimator defaults (spark.streaming.backpressure.pid.*). With a
// proportional gain of 1 the new rate is the measured processing rate,
// less a share of the backlog that built up (the integral term); the
// derivative term is off because batch-to-batch noise would make it swing.
const (
	rateProportional = 1.0
	rateIntegral     = 0.2
	rateDerivative   = 0.0
	// minRate (records/s, whole query) keeps a struggling query reading:
	// a rate of zero would never measure a processing rate again.
	minRate = 100.0
)

// rateController is the backpressure of a persistent query: after each
// batch it estimates how many records per second the query can process
// and the source caps the next batch to that, so a query that falls behind
// reads smaller batches instead of an ever larger backlog at once.
//
// It is Spark Streaming's PIDRateEstimator. Per batch, with
// processingRate = records / processing:
//
//	error           = latestRate − processingRate
//	historicalError = schedulingDelay × processingRate / batchInterval
//	newRate         = max(latestRate − P·error − I·historicalError − D·dError/dt, minRate)
//
// historicalError is the rate at which the records that made the batch
// start late would have to be drained within one interval. The first
// measured batch only sets latestRate to its processing rate; estimates
// start with the second. Batches without records or processing time, and
// updates whose time does not move forward, are ignored (they say nothing
// about the processing rate). A small batch measures a low processing
// rate (fixed per-batch costs dominate), so the limit of an idle query is
// low; with P = 1 a backlog raises it to each batch's measured rate, which
// grows as batches grow, within a few batches.
//
// Policy for Sluice (applied by the source when it plans a batch): the
// estimate is for the whole query; each partition gets rate / partitions
// (perPartition), which rateBatchCap turns into a per-batch cap of
// ceil(perPartition × interval) records, at least 1. The stream's
// max_rate_per_partition and Options.MaxRecordsPerPartition stay upper
// bounds: the cap is the smaller of theirs (batchCap) and the estimate's.
//
// A rateController is used by the driver goroutine only.
type rateController struct {
	interval time.Duration
	// rate is the current limit (records/s, whole query); 0 = none.
	rate float64
	// measured: latestRate and latestError hold a measurement.
	measured    bool
	latestTime  time.Time
	latestRate  float64
	latestError float64
}

// newRateController returns a controller for batches every batchInterval
// whose limit is initial (records/s, 0 = none) until the first estimate.
// A batchInterval <= 0 (manual trigger) disables the integral term: there
// is no interval to drain a backlog in.
func newRateController(batchInterval time.Duration, initial float64) *rateController {
	if !isFiniteRate(initial) || initial < 0 {
		initial = 0
	}
	return &rateController{interval: batchInterval, rate: initial}
}

// update takes the figures of the batch that ended at now: records read,
// its processing time and how late it started. It returns the limit for
// the next batch (records/s for the whole query, 0 = none) and whether a
// new estimate changed it.
func (r *rateController) update(now time.Time, records int64, processing, schedulingDelay time.Duration) (rate float64, changed bool) {
	if records <= 0 || processing <= 0 || (r.measured && !now.After(r.latestTime)) {
		return r.rate, false
	}
	processingRate := float64(records) / processing.Seconds()
	if !r.measured {
		r.measured = true
		r.latestTime, r.latestRate, r.latestError = now, processingRate, 0
		return r.rate, false
	}
	err := r.latestRate - processingRate
	var historical float64
	if r.interval > 0 {
		historical = max(schedulingDelay, 0).Seconds() * processingRate / r.interval.Seconds()
	}
	dErr := (err - r.latestError) / now.Sub(r.latestTime).Seconds()
	next := r.latestRate - rateProportional*err - rateIntegral*historical - rateDerivative*dErr
	next = max(next, minRate)
	if !isFiniteRate(next) || !isFiniteRate(err) {
		// Cannot happen with finite inputs; never hand the source a NaN.
		return r.rate, false
	}
	r.latestTime, r.latestRate, r.latestError = now, next, err
	changed = next != r.rate
	r.rate = next
	return next, changed
}

// perPartition returns the current limit of each of partitions partitions
// (records/s), 0 when there is no limit.
func (r *rateController) perPartition(partitions int) float64 {
	if r == nil || r.rate == 0 || partitions <= 0 {
		return 0
	}
	return r.rate / float64(partitions)
}

// rateBatchCap combines base, the per-partition cap of one batch from the
// user's limits (batchCap; 0 = none), with the controller's perPartition
// rate (records/s, 0 = none) over interval: the smaller of the two, where
// the rate's cap is ceil(rate × interval) and at least 1 so that a query
// always makes progress. 0 means no cap.
func rateBatchCap(base int64, perPartition float64, interval time.Duration) int64 {
	if perPartition <= 0 || !isFiniteRate(perPartition) || interval <= 0 {
		return base
	}
	c := math.Ceil(perPartition * interval.Seconds())
	if c >= math.MaxInt64 {
		return base
	}
	r := max(int64(c), 1)
	if base == 0 || r < base {
		return r
	}
	return base
}

func isFiniteRate(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
