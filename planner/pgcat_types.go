package planner

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/sql"
)

// pgTypeInfo is one row of the virtual pg_type: a built-in PostgreSQL type
// with its real OID (pg_type.dat), so clients that map OIDs to their own
// types (JDBC, Npgsql, asyncpg) recognise every column.
type pgTypeInfo struct {
	oid      int64
	name     string // typname
	format   string // format_type's spelling
	length   int64  // typlen
	category string // typcategory
	array    int64  // the OID of its array type; 0 for arrays and pseudo-types
	elem     int64  // for an array type, its element type
	kind     string // typtype: b base, p pseudo
}

// Type OIDs the catalog tables use for their own columns.
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt2Vector  = 22
	oidInt4        = 23
	oidRegproc     = 24
	oidText        = 25
	oidOID         = 26
	oidNodeTree    = 194
	oidFloat4      = 700
	oidFloat8      = 701
	oidAclArray    = 1034
	oidTextArray   = 1009
	oidOIDArray    = 1028
	oidCharArray   = 1002
	oidInt2Array   = 1005
	oidVarchar     = 1043
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidNumeric     = 1700
	oidRegclass    = 2205
	oidRegtype     = 2206
	oidJSONB       = 3802
)

// pgBaseTypes are the scalar types; their array types are derived.
var pgBaseTypes = []pgTypeInfo{
	{16, "bool", "boolean", 1, "B", 1000, 0, "b"},
	{17, "bytea", "bytea", -1, "U", 1001, 0, "b"},
	{18, "char", `"char"`, 1, "Z", 1002, 0, "b"},
	{19, "name", "name", 64, "S", 1003, 0, "b"},
	{20, "int8", "bigint", 8, "N", 1016, 0, "b"},
	{21, "int2", "smallint", 2, "N", 1005, 0, "b"},
	{22, "int2vector", "int2vector", -1, "A", 1006, 0, "b"},
	{23, "int4", "integer", 4, "N", 1007, 0, "b"},
	{24, "regproc", "regproc", 4, "N", 1008, 0, "b"},
	{25, "text", "text", -1, "S", 1009, 0, "b"},
	{26, "oid", "oid", 4, "N", 1028, 0, "b"},
	{114, "json", "json", -1, "U", 199, 0, "b"},
	{194, "pg_node_tree", "pg_node_tree", -1, "Z", 0, 0, "b"},
	{700, "float4", "real", 4, "N", 1021, 0, "b"},
	{701, "float8", "double precision", 8, "N", 1022, 0, "b"},
	{705, "unknown", "unknown", -2, "X", 0, 0, "p"},
	{1033, "aclitem", "aclitem", 16, "U", 1034, 0, "b"},
	{1042, "bpchar", "character", -1, "S", 1014, 0, "b"},
	{1043, "varchar", "character varying", -1, "S", 1015, 0, "b"},
	{1082, "date", "date", 4, "D", 1182, 0, "b"},
	{1083, "time", "time without time zone", 8, "D", 1183, 0, "b"},
	{1114, "timestamp", "timestamp without time zone", 8, "D", 1115, 0, "b"},
	{1184, "timestamptz", "timestamp with time zone", 8, "D", 1185, 0, "b"},
	{1186, "interval", "interval", 16, "T", 1187, 0, "b"},
	{1700, "numeric", "numeric", -1, "N", 1231, 0, "b"},
	{2205, "regclass", "regclass", 4, "N", 2210, 0, "b"},
	{2206, "regtype", "regtype", 4, "N", 2211, 0, "b"},
	{2249, "record", "record", -1, "P", 2287, 0, "p"},
	{2278, "void", "void", 4, "P", 0, 0, "p"},
	{2950, "uuid", "uuid", 16, "U", 2951, 0, "b"},
	{3802, "jsonb", "jsonb", -1, "U", 3807, 0, "b"},
	{4089, "regnamespace", "regnamespace", 4, "N", 4090, 0, "b"},
}

// pgTypeIndex holds every type row (base types, then their arrays) and indexes.
type pgTypeIndex struct {
	all    []pgTypeInfo
	byOID  map[int64]*pgTypeInfo
	byName map[string]*pgTypeInfo // typname and format_type spelling
}

// pgTypes is built as a package variable, before any init function, so
// the catalog tables' init can resolve their column types.
var pgTypes = buildPGTypes()

func buildPGTypes() *pgTypeIndex {
	pgTypes := &pgTypeIndex{byOID: map[int64]*pgTypeInfo{}, byName: map[string]*pgTypeInfo{}}
	all := append([]pgTypeInfo(nil), pgBaseTypes...)
	for _, t := range pgBaseTypes {
		if t.array != 0 {
			all = append(all, pgTypeInfo{oid: t.array, name: "_" + t.name, format: t.format + "[]",
				length: -1, category: "A", elem: t.oid, kind: "b"})
		}
	}
	pgTypes.all = all
	for i := range all {
		t := &pgTypes.all[i]
		pgTypes.byOID[t.oid] = t
		pgTypes.byName[t.name] = t
		pgTypes.byName[t.format] = t
	}
	for alias, name := range map[string]string{"int": "int4", "integer[]": "_int4", "int2[]": "_int2",
		"int4[]": "_int4", "int8[]": "_int8", "text[]": "_text", "oid[]": "_oid", "name[]": "_name",
		`"char"[]`: "_char", "char[]": "_char", "regclass[]": "_regclass"} {
		pgTypes.byName[alias] = pgTypes.byName[name]
	}
	return pgTypes
}

// formatType is format_type(oid, typmod).
func formatType(oid, typmod int64) string {
	t, ok := pgTypes.byOID[oid]
	if !ok {
		return "???"
	}
	if typmod < 0 {
		return t.format
	}
	switch oid {
	case oidVarchar, 1042:
		return t.format + "(" + strconv.FormatInt(typmod-4, 10) + ")"
	case oidNumeric:
		m := typmod - 4
		return "numeric(" + strconv.FormatInt(m>>16, 10) + "," + strconv.FormatInt(m&0xffff, 10) + ")"
	}
	return t.format
}

// columnType is the PostgreSQL type OID and typmod of an engine column: the
// declared SQL type kept in the field metadata, else the Arrow type's name.
func columnType(f arrow.Field) (oid, typmod int64) {
	name := typeName(f)
	if i := strings.IndexByte(name, '('); i >= 0 {
		name = name[:i]
	}
	t, ok := pgTypes.byName[name]
	if !ok {
		t, ok = pgTypes.byName[sql.PGTypeName(f.Type)]
	}
	if !ok {
		return oidText, -1
	}
	if d, isDec := f.Type.(*arrow.Decimal128Type); isDec && t.oid == oidNumeric && !(d.Precision == 38 && d.Scale == 9) {
		return t.oid, int64(d.Precision)<<16 | int64(d.Scale) + 4
	}
	return t.oid, -1
}

// arrowOfType is the Arrow type a result column of the given PostgreSQL
// type is sent as. oid travels as int8: Arrow has no unsigned 32-bit
// PostgreSQL mapping, and int8 holds every OID.
func arrowOfType(oid int64) arrow.DataType {
	switch oid {
	case oidBool:
		return typeBool
	case oidInt2:
		return arrow.PrimitiveTypes.Int16
	case oidInt4:
		return typeInt4
	case oidInt8, oidOID:
		return typeInt8
	case oidFloat4:
		return arrow.PrimitiveTypes.Float32
	case oidFloat8, oidNumeric:
		return typeFloat8
	case oidTimestamptz:
		return typeTimestampTZ
	}
	return typeText
}
