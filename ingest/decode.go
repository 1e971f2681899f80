package ingest

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Pseudo-column names: every stream has them, filled from the Kafka record
// rather than its JSON payload.
const (
	ColPartition = "_partition" // Int32
	ColOffset    = "_offset"    // Int64
	ColTimestamp = "_timestamp" // Timestamp µs UTC
	ColKey       = "_key"       // Binary
)

// sqlTypeKey is the field metadata key (sql.SQLTypeKey) whose value "jsonb"
// marks a String column that keeps any JSON value as its text.
const sqlTypeKey = "sql_type"

// kind is a column's decoding rule, resolved once from its Arrow type.
type kind uint8

const (
	kBool kind = iota
	kInt16
	kInt32
	kInt64
	kFloat32
	kFloat64
	kDecimal
	kString
	kJSON
	kBinary
	kTimestamp
	kDate32
	kPartition
	kOffset
	kRecordTime
	kKey
)

// column is one schema field with its builder.
type column struct {
	name  string
	kind  kind
	prec  int32 // decimal precision
	scale int32 // decimal scale
	bld   array.Builder
}

// slot holds one field's parsed value for the row being decoded. Nothing
// reaches the builders until every field of the row has parsed.
type slot struct {
	valid bool  // a non-null value was parsed
	i     int64 // ints, bools, µs timestamps, days
	f     float64
	dec   decimal128.Num
	b     []byte // strings, binary, JSON text (aliases the record or scratch)
}

// Decoder turns JSON records into Arrow record batches of one schema. It
// is specialised to the schema at construction: top-level keys are matched
// to columns through a precomputed map, values are parsed straight into
// per-row slots and appended to typed builders, and unknown keys are
// skipped without allocating. A Decoder is not safe for concurrent use.
// The caller must Release it.
type Decoder struct {
	schema  *arrow.Schema
	rb      *array.RecordBuilder
	cols    []column
	slots   []slot
	byName  map[string]int // exact field name -> column
	byLower map[string]int // lower-cased field name -> column (first wins)
	keyBuf  []byte         // unescaped key
	lowBuf  []byte         // lower-cased key
	order   []keyGuess     // the previous record's keys by ordinal (see key)
	buf     []byte         // unescaped strings and decoded bytes of the row
	n       int
}

// maxKeyOrder bounds how many key ordinals Decoder remembers.
const maxKeyOrder = 64

// keyGuess is the key a record had at one ordinal, with its quotes, and
// its column (-1: none). An empty quoted matches nothing.
type keyGuess struct {
	quoted []byte
	col    int
}

// NewDecoder returns a Decoder for schema. User fields are matched to JSON
// keys by name (case-sensitively first, then case-insensitively); fields
// named _partition (Int32), _offset (Int64), _timestamp (Timestamp µs) and
// _key (Binary) are filled from the record. The caller must Release the
// Decoder.
func NewDecoder(mem memory.Allocator, schema *arrow.Schema) (*Decoder, error) {
	d := &Decoder{
		schema:  schema,
		cols:    make([]column, schema.NumFields()),
		slots:   make([]slot, schema.NumFields()),
		byName:  make(map[string]int),
		byLower: make(map[string]int),
	}
	for i, f := range schema.Fields() {
		c, err := newColumn(f)
		if err != nil {
			return nil, err
		}
		d.cols[i] = c
		if c.kind >= kPartition {
			continue
		}
		if _, dup := d.byName[f.Name]; !dup {
			d.byName[f.Name] = i
		}
		if _, dup := d.byLower[strings.ToLower(f.Name)]; !dup {
			d.byLower[strings.ToLower(f.Name)] = i
		}
	}
	d.rb = array.NewRecordBuilder(mem, schema)
	for i := range d.cols {
		d.cols[i].bld = d.rb.Field(i)
	}
	return d, nil
}

// newColumn resolves f's decoding rule.
func newColumn(f arrow.Field) (column, error) {
	c := column{name: f.Name}
	switch f.Name {
	case ColPartition, ColOffset, ColTimestamp, ColKey:
		return pseudoColumn(f)
	}
	switch t := f.Type.(type) {
	case *arrow.BooleanType:
		c.kind = kBool
	case *arrow.Int16Type:
		c.kind = kInt16
	case *arrow.Int32Type:
		c.kind = kInt32
	case *arrow.Int64Type:
		c.kind = kInt64
	case *arrow.Float32Type:
		c.kind = kFloat32
	case *arrow.Float64Type:
		c.kind = kFloat64
	case *arrow.Decimal128Type:
		c.kind, c.prec, c.scale = kDecimal, t.Precision, t.Scale
	case *arrow.StringType:
		c.kind = kString
		if v, ok := f.Metadata.GetValue(sqlTypeKey); ok && strings.EqualFold(v, "jsonb") {
			c.kind = kJSON
		}
	case *arrow.BinaryType:
		c.kind = kBinary
	case *arrow.TimestampType:
		if t.Unit != arrow.Microsecond {
			return c, fmt.Errorf("ingest: field %q: timestamp unit %s, want us", f.Name, t.Unit)
		}
		c.kind = kTimestamp
	case *arrow.Date32Type:
		c.kind = kDate32
	default:
		return c, fmt.Errorf("ingest: field %q: unsupported type %s", f.Name, f.Type)
	}
	return c, nil
}

func pseudoColumn(f arrow.Field) (column, error) {
	c := column{name: f.Name}
	var want arrow.Type
	switch f.Name {
	case ColPartition:
		c.kind, want = kPartition, arrow.INT32
	case ColOffset:
		c.kind, want = kOffset, arrow.INT64
	case ColTimestamp:
		c.kind, want = kRecordTime, arrow.TIMESTAMP
	case ColKey:
		c.kind, want = kKey, arrow.BINARY
	}
	if f.Type.ID() != want {
		return c, fmt.Errorf("ingest: pseudo-column %q has type %s, want %s", f.Name, f.Type, want)
	}
	if ts, ok := f.Type.(*arrow.TimestampType); ok && ts.Unit != arrow.Microsecond {
		return c, fmt.Errorf("ingest: pseudo-column %q: timestamp unit %s, want us", f.Name, ts.Unit)
	}
	return c, nil
}

// Schema returns the schema of the batches the Decoder builds.
func (d *Decoder) Schema() *arrow.Schema { return d.schema }

// Len returns the number of rows appended since the last NewRecordBatch.
func (d *Decoder) Len() int { return d.n }

// Append decodes r's value (and pseudo-columns) as one row. On error
// nothing is appended and the error wraps ErrDecode, naming the field and
// the reason.
func (d *Decoder) Append(r *Record) error {
	for i := range d.slots {
		d.slots[i].valid = false
	}
	d.buf = d.buf[:0]
	if err := d.parseObject(r.Value); err != nil {
		return err
	}
	d.fillPseudo(r)
	d.commit()
	d.n++
	return nil
}

// fillPseudo sets the pseudo-column slots from the record's metadata.
func (d *Decoder) fillPseudo(r *Record) {
	for i := range d.cols {
		s := &d.slots[i]
		switch d.cols[i].kind {
		case kPartition:
			s.valid, s.i = true, int64(r.Partition)
		case kOffset:
			s.valid, s.i = true, r.Offset
		case kRecordTime:
			s.valid, s.i = !r.Timestamp.IsZero(), r.Timestamp.UnixMicro()
		case kKey:
			s.valid, s.b = r.Key != nil, r.Key
		}
	}
}

// NewRecordBatch returns the rows appended so far as a batch and resets the
// builders. The caller must Release the batch.
func (d *Decoder) NewRecordBatch() arrow.RecordBatch {
	rows := d.n
	d.n = 0
	b := d.rb.NewRecordBatch()
	d.presize(rows, b)
	return b
}

// presizeMaxRows caps what presize reserves, so an idle stream after a
// burst keeps at most this many rows' worth of builder memory.
const presizeMaxRows = 1 << 16

// presize reserves in the fresh builders room for a batch like last (of
// rows rows), up to presizeMaxRows: the next micro-batch of a steady
// stream then appends without regrowing, and copying, every buffer
// log2(rows) times, which was most of the decoder's allocation (and GC
// work) per batch.
func (d *Decoder) presize(rows int, last arrow.RecordBatch) {
	n := min(rows, presizeMaxRows)
	if n == 0 {
		return
	}
	for i, f := range d.rb.Fields() {
		f.Reserve(n)
		bb, ok := f.(interface{ ReserveData(int) })
		if !ok {
			continue
		}
		if vb, ok := last.Column(i).(interface{ ValueBytes() []byte }); ok {
			bb.ReserveData(len(vb.ValueBytes()) / rows * n)
		}
	}
}

// Release frees the builders. Batches already returned stay valid.
func (d *Decoder) Release() { d.rb.Release() }
