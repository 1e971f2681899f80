package exec

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Catalog kinds of persistent queries, next to catalogKindStream.
const (
	catalogKindView = "view"
	catalogKindSink = "sink"
	// persistDefVersion is written into every stored ViewDef and SinkDef.
	persistDefVersion = 1
)

// Kinds of queries (QueryInfo.Kind, QuerySpec.Kind).
const (
	kindPush = "push"
	kindView = "view"
	kindSink = "sink"
)

// ViewDef is a materialized view: a persistent query whose output rows the
// engine keeps (ScanView). The engine persists it in the catalog.
type ViewDef struct {
	Name string
	// SQL is the CREATE MATERIALIZED VIEW statement; Resume re-plans it.
	SQL string
	// QueryID is "view:<name>", the id of its persistent query.
	QueryID string
	// Schema is the view's columns (the query's output schema).
	Schema  *arrow.Schema
	Created time.Time
}

// SinkDef is a sink: a persistent query writing its rows to a stream's
// Kafka topic with exactly-once transactions. Its output stream is also a
// StreamDef in the catalog, of the same name.
type SinkDef struct {
	Name string
	// SQL is the CREATE STREAM … AS SELECT statement; Resume re-plans it.
	SQL string
	// QueryID is "sink:<name>", the id of its persistent query.
	QueryID string
	Topic   string
	Created time.Time
}

// viewQueryID and sinkQueryID are the stable ids of persistent queries:
// their state in Pebble is keyed by them.
func viewQueryID(name string) string { return kindView + ":" + name }
func sinkQueryID(name string) string { return kindSink + ":" + name }

type storedView struct {
	Version int            `json:"version"`
	Name    string         `json:"name"`
	SQL     string         `json:"sql"`
	QueryID string         `json:"query_id"`
	Columns []storedColumn `json:"columns"`
	Created time.Time      `json:"created"`
}

type storedSink struct {
	Version int       `json:"version"`
	Name    string    `json:"name"`
	SQL     string    `json:"sql"`
	QueryID string    `json:"query_id"`
	Topic   string    `json:"topic"`
	Created time.Time `json:"created"`
}

func encodeViewDef(def ViewDef) ([]byte, error) {
	cols, err := encodeColumns(def.Schema)
	if err != nil {
		return nil, err
	}
	return json.Marshal(storedView{Version: persistDefVersion, Name: def.Name, SQL: def.SQL,
		QueryID: def.QueryID, Columns: cols, Created: def.Created})
}

func decodeViewDef(b []byte) (ViewDef, error) {
	var s storedView
	if err := json.Unmarshal(b, &s); err != nil {
		return ViewDef{}, fmt.Errorf("decode view definition: %w", err)
	}
	if s.Version != persistDefVersion {
		return ViewDef{}, fmt.Errorf("view %q: unsupported catalog version %d", s.Name, s.Version)
	}
	schema, err := decodeColumns(s.Columns)
	if err != nil {
		return ViewDef{}, fmt.Errorf("view %q: %w", s.Name, err)
	}
	return ViewDef{Name: s.Name, SQL: s.SQL, QueryID: s.QueryID, Schema: schema, Created: s.Created}, nil
}

func encodeSinkDef(def SinkDef) ([]byte, error) {
	return json.Marshal(storedSink{Version: persistDefVersion, Name: def.Name, SQL: def.SQL,
		QueryID: def.QueryID, Topic: def.Topic, Created: def.Created})
}

func decodeSinkDef(b []byte) (SinkDef, error) {
	var s storedSink
	if err := json.Unmarshal(b, &s); err != nil {
		return SinkDef{}, fmt.Errorf("decode sink definition: %w", err)
	}
	if s.Version != persistDefVersion {
		return SinkDef{}, fmt.Errorf("sink %q: unsupported catalog version %d", s.Name, s.Version)
	}
	return SinkDef{Name: s.Name, SQL: s.SQL, QueryID: s.QueryID, Topic: s.Topic, Created: s.Created}, nil
}
