package planner

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// maxPartitions bounds `partitions` so a typo cannot ask the broker for a
// million partitions.
const maxPartitions = 1024

// executeCreateStream creates a stream, or a sink and its output stream.
// A view of the same name counts as an existing relation.
func (p *Planner) executeCreateStream(ctx context.Context, prep *Prepared, s *sql.CreateStream) (*Result, error) {
	if prep.persist != nil {
		return p.executeCreateSink(ctx, s, prep.persist)
	}
	res := &Result{Tag: "CREATE STREAM"}
	if _, ok := p.eng.View(s.Name); ok {
		if s.IfNotExists {
			return res, nil
		}
		return nil, sql.Errorf(sql.CodeDuplicateObject, "relation %q already exists", s.Name)
	}
	if err := p.eng.CreateStream(ctx, *prep.stream, s.IfNotExists); err != nil {
		return nil, fmt.Errorf("create stream %s: %w", s.Name, err)
	}
	return res, nil
}

// pseudoColumns are resolvable on every stream and cannot be declared.
var pseudoColumns = map[string]bool{"_partition": true, "_offset": true, "_timestamp": true, "_key": true}

// prepareCreateStream validates CREATE STREAM and builds its StreamDef.
func (p *Planner) prepareCreateStream(prep *Prepared, s *sql.CreateStream) error {
	prep.Tag = "CREATE STREAM"
	if s.As != nil {
		var err error
		prep.persist, err = p.planSink(s)
		return err
	}
	if len(s.Columns) == 0 {
		return sql.Errorf(sql.CodeSyntax, "a stream needs at least one column")
	}
	fields, err := streamFields(s.Columns)
	if err != nil {
		return err
	}
	def := &exec.StreamDef{
		Name:          s.Name,
		Schema:        arrow.NewSchema(fields, nil),
		Topic:         s.Name,
		Partitions:    1,
		Format:        "json",
		Start:         "earliest",
		OnDecodeError: "skip",
		SQL:           s.Text(),
	}
	if err := applyWatermark(def, s.Watermark); err != nil {
		return err
	}
	if err := applyStreamOptions(def, s.With); err != nil {
		return err
	}
	prep.stream = def
	return nil
}

func streamFields(cols []sql.ColumnDef) ([]arrow.Field, error) {
	seen := make(map[string]bool, len(cols))
	fields := make([]arrow.Field, 0, len(cols))
	for _, c := range cols {
		if seen[c.Name] {
			return nil, sql.Errorf(sql.CodeDuplicateColumn, "column %q specified more than once", c.Name)
		}
		if pseudoColumns[c.Name] {
			return nil, sql.Errorf(sql.CodeDuplicateColumn, "column name %q conflicts with a system column name", c.Name)
		}
		seen[c.Name] = true
		fields = append(fields, sql.ColumnField(c))
	}
	return fields, nil
}

func applyWatermark(def *exec.StreamDef, wm *sql.Watermark) error {
	if wm == nil {
		return nil
	}
	idx := def.Schema.FieldIndices(wm.Column)
	if len(idx) == 0 {
		return sql.Errorf(sql.CodeUndefinedColumn, "column %q named in WATERMARK FOR does not exist", wm.Column)
	}
	if def.Schema.Field(idx[0]).Type.ID() != arrow.TIMESTAMP {
		return sql.Errorf(sql.CodeDatatypeMismatch, "WATERMARK FOR column %q must be a timestamp", wm.Column)
	}
	if wm.Delay < 0 {
		return sql.Errorf(sql.CodeInvalidParameter, "watermark delay must not be negative")
	}
	def.WatermarkColumn, def.WatermarkDelay = wm.Column, wm.Delay
	return nil
}

// applyStreamOptions checks the WITH options of SPEC §2 and fills def.
func applyStreamOptions(def *exec.StreamDef, with map[string]string) error {
	keys := make([]string, 0, len(with))
	for k := range with {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the first bad option deterministically
	for _, k := range keys {
		v := with[k]
		var err error
		switch k {
		case "topic":
			if v == "" {
				err = badOption(k, v, "a topic name")
			}
			def.Topic = v
		case "format":
			def.Format = strings.ToLower(v)
			if def.Format != "json" {
				return sql.Errorf(sql.CodeFeatureNotSupported, "format %q is not supported yet (only 'json')", v)
			}
		case "partitions":
			var n int64
			n, err = strconv.ParseInt(v, 10, 32)
			if err != nil || n < 1 || n > maxPartitions {
				err = badOption(k, v, "an integer from 1 to 1024")
			}
			def.Partitions = int32(n)
		case "start":
			def.Start = strings.ToLower(v)
			if def.Start != "earliest" && def.Start != "latest" {
				err = badOption(k, v, "'earliest' or 'latest'")
			}
		case "idle_timeout":
			def.IdleTimeout, err = parseDuration(v)
			if err != nil || def.IdleTimeout <= 0 {
				err = badOption(k, v, "a positive duration such as '30s'")
			}
		case "max_rate_per_partition":
			def.MaxRatePerPartition, err = strconv.ParseInt(v, 10, 64)
			if err != nil || def.MaxRatePerPartition < 1 {
				err = badOption(k, v, "a positive integer")
			}
		case "on_decode_error":
			def.OnDecodeError = strings.ToLower(v)
			if def.OnDecodeError != "skip" && def.OnDecodeError != "fail" {
				err = badOption(k, v, "'skip' or 'fail'")
			}
		case "brokers":
			return sql.Errorf(sql.CodeFeatureNotSupported, "per-stream brokers are not supported yet; start the server with --brokers")
		default:
			return sql.Errorf(sql.CodeInvalidParameter, "unrecognized stream option %q", k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func badOption(k, v, want string) error {
	return &sql.Error{Code: sql.CodeInvalidParameter,
		Message: "invalid value for stream option \"" + k + "\": \"" + v + "\"",
		Hint:    "expected " + want + "."}
}

// parseDuration accepts Go durations ("30s", "1m30s") and PostgreSQL-style
// "30 seconds" / "2 minutes".
func parseDuration(v string) (time.Duration, error) {
	if d, err := time.ParseDuration(strings.ReplaceAll(v, " ", "")); err == nil {
		return d, nil
	}
	f := strings.Fields(strings.ToLower(v))
	if len(f) != 2 {
		return 0, strconv.ErrSyntax
	}
	n, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, err
	}
	unit := map[string]time.Duration{"millisecond": time.Millisecond, "second": time.Second,
		"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	u, ok := unit[strings.TrimSuffix(f[1], "s")]
	if !ok {
		return 0, strconv.ErrSyntax
	}
	return time.Duration(n * float64(u)), nil
}
