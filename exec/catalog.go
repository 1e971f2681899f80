package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// catalogKindStream is the state catalog kind under which stream
// definitions are stored, one JSON document per stream name.
const catalogKindStream = "stream"

// streamDefVersion is written into every stored StreamDef; a reader that
// meets a newer version refuses it instead of misreading it.
const streamDefVersion = 1

// Values of StreamDef's enumerated options.
const (
	formatJSON        = "json"
	startEarliest     = "earliest"
	startLatest       = "latest"
	decodeErrorSkip   = "skip"
	decodeErrorFail   = "fail"
	metadataSQLType   = "sql_type"
	defaultPartitions = 1
)

// storedStream is the JSON form of a StreamDef. Arrow types are stored by
// the names in catalog_types.go and durations in nanoseconds.
type storedStream struct {
	Version             int            `json:"version"`
	Name                string         `json:"name"`
	Columns             []storedColumn `json:"columns"`
	Topic               string         `json:"topic"`
	Partitions          int32          `json:"partitions"`
	Format              string         `json:"format"`
	WatermarkColumn     string         `json:"watermark_column,omitempty"`
	WatermarkDelay      time.Duration  `json:"watermark_delay_ns,omitempty"`
	Start               string         `json:"start"`
	Brokers             string         `json:"brokers,omitempty"`
	IdleTimeout         time.Duration  `json:"idle_timeout_ns,omitempty"`
	MaxRatePerPartition int64          `json:"max_rate_per_partition,omitempty"`
	OnDecodeError       string         `json:"on_decode_error"`
	SQL                 string         `json:"sql,omitempty"`
}

type storedColumn struct {
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Nullable bool              `json:"nullable"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// encodeStreamDef returns the catalog value of def.
func encodeStreamDef(def StreamDef) ([]byte, error) {
	s := storedStream{
		Version: streamDefVersion, Name: def.Name, Topic: def.Topic,
		Partitions: def.Partitions, Format: def.Format,
		WatermarkColumn: def.WatermarkColumn, WatermarkDelay: def.WatermarkDelay,
		Start: def.Start, Brokers: def.Brokers, IdleTimeout: def.IdleTimeout,
		MaxRatePerPartition: def.MaxRatePerPartition, OnDecodeError: def.OnDecodeError,
		SQL: def.SQL,
	}
	cols, err := encodeColumns(def.Schema)
	if err != nil {
		return nil, err
	}
	s.Columns = cols
	return json.Marshal(s)
}

// encodeColumns returns the stored form of schema's fields.
func encodeColumns(schema *arrow.Schema) ([]storedColumn, error) {
	var cols []storedColumn
	for _, f := range schema.Fields() {
		name, err := typeName(f.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		c := storedColumn{Name: f.Name, Type: name, Nullable: f.Nullable}
		if f.Metadata.Len() > 0 {
			c.Metadata = make(map[string]string, f.Metadata.Len())
			for i, k := range f.Metadata.Keys() {
				c.Metadata[k] = f.Metadata.Values()[i]
			}
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// decodeColumns is the inverse of encodeColumns.
func decodeColumns(cols []storedColumn) (*arrow.Schema, error) {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		t, err := typeFromName(c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		fields[i] = arrow.Field{Name: c.Name, Type: t, Nullable: c.Nullable}
		if len(c.Metadata) > 0 {
			fields[i].Metadata = arrow.MetadataFrom(c.Metadata)
		}
	}
	return arrow.NewSchema(fields, nil), nil
}

// decodeStreamDef is the inverse of encodeStreamDef.
func decodeStreamDef(b []byte) (StreamDef, error) {
	var s storedStream
	if err := json.Unmarshal(b, &s); err != nil {
		return StreamDef{}, fmt.Errorf("decode stream definition: %w", err)
	}
	if s.Version != streamDefVersion {
		return StreamDef{}, fmt.Errorf("stream %q: unsupported catalog version %d", s.Name, s.Version)
	}
	schema, err := decodeColumns(s.Columns)
	if err != nil {
		return StreamDef{}, fmt.Errorf("stream %q: %w", s.Name, err)
	}
	return StreamDef{
		Name: s.Name, Schema: schema, Topic: s.Topic,
		Partitions: s.Partitions, Format: s.Format,
		WatermarkColumn: s.WatermarkColumn, WatermarkDelay: s.WatermarkDelay,
		Start: s.Start, Brokers: s.Brokers, IdleTimeout: s.IdleTimeout,
		MaxRatePerPartition: s.MaxRatePerPartition, OnDecodeError: s.OnDecodeError,
		SQL: s.SQL,
	}, nil
}

// normalizeStreamDef fills the defaults of def's optional fields (topic =
// name, 1 partition, json, earliest, skip) and validates it.
func normalizeStreamDef(def StreamDef) (StreamDef, error) {
	if def.Topic == "" {
		def.Topic = def.Name
	}
	if def.Partitions == 0 {
		def.Partitions = defaultPartitions
	}
	if def.Format == "" {
		def.Format = formatJSON
	}
	if def.Start == "" {
		def.Start = startEarliest
	}
	if def.OnDecodeError == "" {
		def.OnDecodeError = decodeErrorSkip
	}
	if err := validateStreamDef(def); err != nil {
		return StreamDef{}, fmt.Errorf("exec: stream %q: %w", def.Name, err)
	}
	return def, nil
}

// validateStreamDef checks a normalized definition.
func validateStreamDef(def StreamDef) error {
	switch {
	case def.Name == "":
		return errors.New("empty name")
	case def.Partitions < 0:
		return fmt.Errorf("partitions must be positive, got %d", def.Partitions)
	case def.Format != formatJSON:
		return fmt.Errorf("format %q is not supported (only %q)", def.Format, formatJSON)
	case def.Start != startEarliest && def.Start != startLatest:
		return fmt.Errorf("start must be %q or %q, got %q", startEarliest, startLatest, def.Start)
	case def.OnDecodeError != decodeErrorSkip && def.OnDecodeError != decodeErrorFail:
		return fmt.Errorf("on_decode_error must be %q or %q, got %q", decodeErrorSkip, decodeErrorFail, def.OnDecodeError)
	case def.WatermarkDelay < 0 || def.IdleTimeout < 0 || def.MaxRatePerPartition < 0:
		return errors.New("watermark delay, idle_timeout and max_rate_per_partition must not be negative")
	}
	return validateStreamSchema(def)
}

// validateStreamSchema checks the columns: at least one, unique names
// (case-insensitively, as SQL resolves them), supported types, no
// pseudo-column names, and a timestamp or date watermark column.
func validateStreamSchema(def StreamDef) error {
	if def.Schema == nil || def.Schema.NumFields() == 0 {
		return errors.New("no columns")
	}
	seen := make(map[string]bool, def.Schema.NumFields())
	for _, f := range def.Schema.Fields() {
		low := strings.ToLower(f.Name)
		if seen[low] {
			return fmt.Errorf("column %q specified more than once", f.Name)
		}
		seen[low] = true
		if isPseudoColumn(low) {
			return fmt.Errorf("column name %q is reserved for a pseudo-column", f.Name)
		}
		if _, err := typeName(f.Type); err != nil {
			return fmt.Errorf("column %q: %w", f.Name, err)
		}
	}
	if def.WatermarkColumn == "" {
		return nil
	}
	idx := def.Schema.FieldIndices(def.WatermarkColumn)
	if len(idx) != 1 {
		return fmt.Errorf("watermark column %q is not a column", def.WatermarkColumn)
	}
	if t := def.Schema.Field(idx[0]).Type; !isEventTimeType(t) {
		return fmt.Errorf("watermark column %q has type %s, want a timestamp or date", def.WatermarkColumn, t)
	}
	return nil
}

// isPseudoColumn reports whether name is one of the per-record columns
// every stream has.
func isPseudoColumn(name string) bool {
	switch name {
	case "_partition", "_offset", "_timestamp", "_key":
		return true
	}
	return false
}
