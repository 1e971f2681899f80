package planner

import (
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

func textFields(names ...string) []arrow.Field {
	f := make([]arrow.Field, len(names))
	for i, n := range names {
		f[i] = arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	return f
}

var (
	showStreamsSchema = arrow.NewSchema([]arrow.Field{
		{Name: "name", Type: arrow.BinaryTypes.String},
		{Name: "topic", Type: arrow.BinaryTypes.String},
		{Name: "partitions", Type: arrow.PrimitiveTypes.Int32},
		{Name: "format", Type: arrow.BinaryTypes.String},
		{Name: "watermark", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	showViewsSchema   = arrow.NewSchema(textFields("name", "sql", "query_id", "state"), nil)
	showQueriesSchema = arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "kind", Type: arrow.BinaryTypes.String},
		{Name: "state", Type: arrow.BinaryTypes.String},
		{Name: "started_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "batches", Type: arrow.PrimitiveTypes.Int64},
		{Name: "input_rows", Type: arrow.PrimitiveTypes.Int64},
		{Name: "output_rows", Type: arrow.PrimitiveTypes.Int64},
		{Name: "late_rows", Type: arrow.PrimitiveTypes.Int64},
		{Name: "null_time_rows", Type: arrow.PrimitiveTypes.Int64},
		{Name: "decode_errors", Type: arrow.PrimitiveTypes.Int64},
		{Name: "lag_rows", Type: arrow.PrimitiveTypes.Int64},
		{Name: "last_error", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "sql", Type: arrow.BinaryTypes.String},
	}, nil)
	describeSchema = arrow.NewSchema(textFields("column_name", "data_type", "extra"), nil)
)

func (p *Planner) prepareShow(prep *Prepared, s *sql.Show) error {
	prep.Tag = "SHOW"
	switch s.Kind {
	case sql.ShowStreams:
		prep.Schema = showStreamsSchema
	case sql.ShowViews:
		prep.Schema = showViewsSchema
	case sql.ShowQueries:
		prep.Schema = showQueriesSchema
	default:
		return sql.Errorf(sql.CodeFeatureNotSupported, "SHOW %s is answered by the session", s.Name)
	}
	return nil
}

func (p *Planner) executeShow(prep *Prepared, s *sql.Show) (*Result, error) {
	var rows [][]any
	switch s.Kind {
	case sql.ShowStreams:
		for _, d := range p.eng.Streams() {
			rows = append(rows, []any{d.Name, d.Topic, int64(d.Partitions), d.Format, watermarkText(d)})
		}
	case sql.ShowQueries:
		for _, q := range p.eng.Queries() {
			rows = append(rows, queryRow(q))
		}
	case sql.ShowViews:
		rows = p.viewRows()
	}
	return p.finite("SHOW", prep.Schema, rows)
}

func queryRow(q exec.QueryInfo) []any {
	var lastErr any
	if q.LastError != "" {
		lastErr = q.LastError
	}
	return []any{q.ID, q.Kind, q.State, q.StartedAt.UnixMicro(), q.Batches, q.InputRows,
		q.OutputRows, q.LateRows, q.NullTimeRows, q.DecodeErrors, q.LagRows, lastErr, q.SQL}
}

func watermarkText(d exec.StreamDef) any {
	if d.WatermarkColumn == "" {
		return nil
	}
	return d.WatermarkColumn + " - INTERVAL '" + intervalText(d.WatermarkDelay) + "'"
}

// intervalText renders a delay as an INTERVAL literal's text in seconds,
// which reads back as the same delay.
func intervalText(d time.Duration) string {
	if d == time.Second {
		return "1 second"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " seconds"
}

// typeName is the SQL type of a stream column: the declared spelling kept
// in the field's "sql_type" metadata, else the Arrow type's PostgreSQL name.
func typeName(f arrow.Field) string {
	if i := f.Metadata.FindKey("sql_type"); i >= 0 {
		return f.Metadata.Values()[i]
	}
	return sql.PGTypeName(f.Type)
}

// viewRows lists the materialized views with their query's state.
func (p *Planner) viewRows() [][]any {
	states := map[string]string{}
	for _, q := range p.eng.Queries() {
		states[q.ID] = q.State
	}
	var rows [][]any
	for _, v := range p.eng.Views() {
		rows = append(rows, []any{v.Name, v.SQL, v.QueryID, textOrNull(states[v.QueryID])})
	}
	return rows
}

func (p *Planner) executeDescribe(s *sql.Describe) (*Result, error) {
	def, ok := p.eng.Stream(s.Name)
	if !ok {
		return p.describeRelation(s.Name)
	}
	var rows [][]any
	for _, f := range def.Schema.Fields() {
		var extra any
		if f.Name == def.WatermarkColumn {
			extra = "WATERMARK " + watermarkText(def).(string)
		}
		rows = append(rows, []any{f.Name, typeName(f), extra})
	}
	rows = append(rows, pseudoColumnRows...)
	return p.finite("DESCRIBE", describeSchema, rows)
}

var pseudoColumnRows = [][]any{
	{"_partition", "integer", "pseudo-column: Kafka partition"},
	{"_offset", "bigint", "pseudo-column: Kafka offset"},
	{"_timestamp", "timestamp with time zone", "pseudo-column: Kafka record time"},
	{"_key", "bytea", "pseudo-column: Kafka record key"},
}

// finite wraps rows in a one-batch Result.
func (p *Planner) finite(tag string, schema *arrow.Schema, rows [][]any) (*Result, error) {
	b, err := exec.BuildBatch(p.mem, schema, rows)
	if err != nil {
		return nil, err
	}
	return &Result{Tag: tag, Schema: schema, Rows: []arrow.RecordBatch{b}}, nil
}

// describeRelation lists the columns of a materialized view or system
// table, which have no pseudo-columns.
func (p *Planner) describeRelation(name string) (*Result, error) {
	rel, ok := p.catalog().Relation(name)
	if !ok {
		return nil, sql.Errorf(sql.CodeUndefinedTable, "relation %q does not exist", name)
	}
	var rows [][]any
	for _, f := range rel.Schema.Fields() {
		rows = append(rows, []any{f.Name, typeName(f), nil})
	}
	return p.finite("DESCRIBE", describeSchema, rows)
}
