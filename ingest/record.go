package ingest

import "time"

// Range is the half-open offset range [Start, End) of one partition.
type Range struct {
	Partition int32
	Start     int64
	End       int64
}

// Record is one Kafka record. Records handed to a Fetch callback are only
// valid during the call: Key and Value alias the fetch response and the
// Record itself is reused.
type Record struct {
	Partition int32
	Offset    int64
	Timestamp time.Time
	Key       []byte
	Value     []byte
}
