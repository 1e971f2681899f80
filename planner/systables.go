package planner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// systemTable is one of the sluice.* relations: the StreamingListener's
// figures as SQL (SPEC §2 "Observing it"). Its rows are read from the
// engine when a pull query runs, never cached.
type systemTable struct {
	schema *arrow.Schema
	rows   func(ctx context.Context, eng *exec.Engine) ([][]any, error)
}

var (
	typeText        = arrow.BinaryTypes.String
	typeInt4        = arrow.PrimitiveTypes.Int32
	typeInt8        = arrow.PrimitiveTypes.Int64
	typeFloat8      = arrow.PrimitiveTypes.Float64
	typeBool        = arrow.FixedWidthTypes.Boolean
	typeTimestamp   = &arrow.TimestampType{Unit: arrow.Microsecond}
	typeTimestampTZ = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

// systemSchema builds a schema from name/type pairs; every column is
// nullable and carries its SQL type name like a stream column.
func systemSchema(cols ...any) *arrow.Schema {
	fields := make([]arrow.Field, 0, len(cols)/2)
	for i := 0; i+1 < len(cols); i += 2 {
		t := cols[i+1].(arrow.DataType)
		fields = append(fields, arrow.Field{Name: cols[i].(string), Type: t, Nullable: true,
			Metadata: arrow.NewMetadata([]string{sql.SQLTypeKey}, []string{sql.PGTypeName(t)})})
	}
	return arrow.NewSchema(fields, nil)
}

// systemTables are resolved by their schema-qualified names.
var systemTables = map[string]systemTable{
	"sluice.queries": {schema: systemSchema(
		"id", typeText, "kind", typeText, "sql", typeText, "state", typeText,
		"started_at", typeTimestampTZ, "batches", typeInt8, "input_rows", typeInt8,
		"output_rows", typeInt8, "late_rows", typeInt8, "decode_errors", typeInt8,
		"last_error", typeText, "watermark", typeTimestamp, "lag_rows", typeInt8,
		"checkpoints", typeInt8, "last_checkpoint", typeTimestampTZ, "rate_limit", typeFloat8,
		"null_time_rows", typeInt8, "state_bytes", typeInt8, "restarts", typeInt8),
		rows: queriesRows},
	"sluice.batches": {schema: systemSchema(
		"query_id", typeText, "batch_id", typeInt8, "offsets", typeText,
		"input_rows", typeInt8, "output_rows", typeInt8, "late_rows", typeInt8,
		"scheduling_delay_ms", typeFloat8, "processing_ms", typeFloat8,
		"state_bytes", typeInt8, "checkpointed", typeBool),
		rows: batchesRows},
	"sluice.partitions": {schema: systemSchema(
		"query_id", typeText, "stream", typeText, "partition", typeInt4,
		"next_offset", typeInt8, "end_offset", typeInt8, "lag", typeInt8),
		rows: partitionsRows},
}

func queriesRows(_ context.Context, eng *exec.Engine) ([][]any, error) {
	var rows [][]any
	for _, q := range eng.Queries() {
		var rate any
		if q.RateLimit > 0 {
			rate = q.RateLimit
		}
		rows = append(rows, []any{q.ID, q.Kind, q.SQL, q.State, timeOrNull(q.StartedAt),
			q.Batches, q.InputRows, q.OutputRows, q.LateRows, q.DecodeErrors,
			textOrNull(q.LastError), timeOrNull(q.Watermark), q.LagRows,
			q.Checkpoints, timeOrNull(q.LastCheckpoint), rate, q.NullTimeRows, q.StateBytes, q.Restarts})
	}
	return rows, nil
}

func batchesRows(_ context.Context, eng *exec.Engine) ([][]any, error) {
	var rows [][]any
	for _, b := range eng.Batches() {
		ranges := make([]string, len(b.Ranges))
		for i, r := range b.Ranges {
			ranges[i] = fmt.Sprintf("%d:[%d,%d)", r.Partition, r.Start, r.End)
		}
		rows = append(rows, []any{b.QueryID, b.BatchID, strings.Join(ranges, " "),
			b.InputRows, b.OutputRows, b.LateRows, millis(b.SchedulingDelay), millis(b.Processing),
			b.StateBytes, b.Checkpointed})
	}
	return rows, nil
}

func partitionsRows(ctx context.Context, eng *exec.Engine) ([][]any, error) {
	parts, err := eng.Partitions(ctx)
	if err != nil {
		return nil, fmt.Errorf("sluice.partitions: %w", err)
	}
	rows := make([][]any, 0, len(parts))
	for _, p := range parts {
		rows = append(rows, []any{p.QueryID, p.Stream, int64(p.Partition), p.NextOffset, p.EndOffset, p.Lag})
	}
	return rows, nil
}

// timeOrNull is t in µs since the epoch, NULL for the zero time ("none yet").
func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func textOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
