package planner

import (
	"fmt"
	"strings"
)

// pgVirtualTable is one relation of pg_catalog or information_schema. Its
// columns are PostgreSQL 15's, so the statements clients send find every
// column they name; rows are computed from a snapshot per query. Tables
// for features Sluice does not have (indexes, constraints, policies,
// publications, …) have no rows, which is what PostgreSQL answers for a
// database that does not use them.
type pgVirtualTable struct {
	oid  int64 // PostgreSQL's OID for the catalog, 0 to derive one
	name string
	nsp  int64
	kind string
	cols []pgVirtualCol
	rows func(s *pgSnapshot) [][]any // nil: always empty
}

type pgVirtualCol struct {
	name string
	typ  int64
}

func (vt *pgVirtualTable) attrs() []pgAttr {
	out := make([]pgAttr, len(vt.cols))
	for i, c := range vt.cols {
		out[i] = pgAttr{name: c.name, typ: c.typ, typmod: -1}
	}
	return out
}

// pgVirtualTables is keyed by "schema.name".
var pgVirtualTables = map[string]*pgVirtualTable{}

// defineTable registers a virtual table; spec lists "column:type" pairs with
// pg_type names.
func defineTable(oid int64, nsp int64, name, kind, spec string, rows func(*pgSnapshot) [][]any) {
	vt := &pgVirtualTable{oid: oid, name: name, nsp: nsp, kind: kind, rows: rows}
	for _, f := range strings.Fields(spec) {
		col, typ, _ := strings.Cut(f, ":")
		t, ok := pgTypes.byName[typ]
		if !ok {
			panic(fmt.Sprintf("planner: catalog column %s.%s has unknown type %s", name, col, typ))
		}
		vt.cols = append(vt.cols, pgVirtualCol{name: col, typ: t.oid})
	}
	pgVirtualTables[nspName(nsp)+"."+name] = vt
}

func init() {
	pc := int64(nspPGCatalog)
	defineTable(2615, pc, "pg_namespace", "r", "oid:oid nspname:name nspowner:oid nspacl:_aclitem", namespaceRows)
	defineTable(1259, pc, "pg_class", "r", `oid:oid relname:name relnamespace:oid reltype:oid reloftype:oid
		relowner:oid relam:oid relfilenode:oid reltablespace:oid relpages:int4 reltuples:float4
		relallvisible:int4 reltoastrelid:oid relhasindex:bool relisshared:bool relpersistence:char
		relkind:char relnatts:int2 relchecks:int2 relhasrules:bool relhastriggers:bool relhassubclass:bool
		relrowsecurity:bool relforcerowsecurity:bool relispopulated:bool relreplident:char
		relispartition:bool relrewrite:oid relfrozenxid:text relminmxid:text relacl:_aclitem
		reloptions:_text relpartbound:pg_node_tree`, classRows)
	defineTable(1249, pc, "pg_attribute", "r", `attrelid:oid attname:name atttypid:oid attstattarget:int4
		attlen:int2 attnum:int2 attndims:int4 attcacheoff:int4 atttypmod:int4 attbyval:bool attalign:char
		attstorage:char attcompression:char attnotnull:bool atthasdef:bool atthasmissing:bool
		attidentity:char attgenerated:char attisdropped:bool attislocal:bool attinhcount:int4
		attcollation:oid attacl:_aclitem attoptions:_text attfdwoptions:_text attmissingval:text`, attributeRows)
	defineTable(1247, pc, "pg_type", "r", `oid:oid typname:name typnamespace:oid typowner:oid typlen:int2
		typbyval:bool typtype:char typcategory:char typispreferred:bool typisdefined:bool typdelim:char
		typrelid:oid typsubscript:regproc typelem:oid typarray:oid typinput:regproc typoutput:regproc
		typreceive:regproc typsend:regproc typmodin:regproc typmodout:regproc typanalyze:regproc
		typalign:char typstorage:char typnotnull:bool typbasetype:oid typtypmod:int4 typndims:int4
		typcollation:oid typdefaultbin:pg_node_tree typdefault:text typacl:_aclitem`, typeRows)
	defineTable(1262, pc, "pg_database", "r", `oid:oid datname:name datdba:oid encoding:int4
		datlocprovider:char datistemplate:bool datallowconn:bool datconnlimit:int4 datfrozenxid:text
		datminmxid:text dattablespace:oid datcollate:text datctype:text daticulocale:text
		datcollversion:text datacl:_aclitem`, databaseRows)
	defineTable(2601, pc, "pg_am", "r", "oid:oid amname:name amhandler:regproc amtype:char", amRows)
	defineTable(3456, pc, "pg_collation", "r", `oid:oid collname:name collnamespace:oid collowner:oid
		collprovider:char collisdeterministic:bool collencoding:int4 collcollate:text collctype:text
		colliculocale:text collversion:text`, collationRows)
	defineTable(1213, pc, "pg_tablespace", "r", "oid:oid spcname:name spcowner:oid spcacl:_aclitem spcoptions:_text",
		tablespaceRows)
	defineRoles(pc)
	defineEmptyCatalogs(pc)
	defineSystemViews(pc)
	defineStatViews(pc)
	defineInformationSchema()
}

func namespaceRows(*pgSnapshot) [][]any {
	var rows [][]any
	for _, n := range pgNamespaces {
		rows = append(rows, []any{n.oid, n.name, int64(roleSluice), nil})
	}
	return rows
}

func classRows(s *pgSnapshot) [][]any {
	rows := make([][]any, 0, len(s.rels))
	for _, r := range s.rels {
		am := any(int64(2)) // heap; views have none
		if r.kind == "v" {
			am = int64(0)
		}
		rows = append(rows, []any{r.oid, r.name, r.nsp, int64(0), int64(0), int64(roleSluice), am,
			int64(0), int64(0), int64(0), float64(-1), int64(0), int64(0), false, false, "p",
			r.kind, int64(len(r.cols)), int64(0), false, false, false, false, false, true, "d",
			false, int64(0), "0", "1", nil, nil, nil})
	}
	return rows
}

func attributeRows(s *pgSnapshot) [][]any {
	var rows [][]any
	for _, r := range s.rels {
		for i, a := range r.hidden {
			rows = append(rows, attributeRow(r.oid, a, -int64(i+1)))
		}
		for i, a := range r.cols {
			rows = append(rows, attributeRow(r.oid, a, int64(i+1)))
		}
	}
	return rows
}

func attributeRow(rel int64, a pgAttr, num int64) []any {
	t := pgTypes.byOID[a.typ]
	coll := int64(0)
	if t != nil && t.category == "S" {
		coll = defaultCollOID
	}
	length := int64(-1)
	if t != nil {
		length = t.length
	}
	align, storage := "i", "p"
	if length == 8 {
		align = "d"
	}
	if length < 0 {
		storage = "x" // variable-length values are TOAST-able: psql prints "extended"
	}
	return []any{rel, a.name, a.typ, int64(-1), length, num, int64(0), int64(-1), a.typmod,
		length > 0 && length <= 8, align, storage, "", false, false, false, "", "", false, true, int64(0),
		coll, nil, nil, nil, nil}
}

func typeRows(*pgSnapshot) [][]any {
	rows := make([][]any, 0, len(pgTypes.all))
	for _, t := range pgTypes.all {
		coll, recv := int64(0), t.name+"recv"
		if t.category == "S" {
			coll = defaultCollOID
		}
		in, out, send := t.name+"in", t.name+"out", t.name+"send"
		if t.elem != 0 {
			// pgjdbc tells arrays by typinput = 'array_in'::regproc.
			in, out, recv, send = "array_in", "array_out", "array_recv", "array_send"
		}
		rows = append(rows, []any{t.oid, t.name, int64(nspPGCatalog), int64(roleSluice), t.length,
			t.length > 0 && t.length <= 8, t.kind, t.category, false, true, ",", int64(0), "-", t.elem,
			t.array, in, out, recv, send, "-", "-", "-", "i", "p",
			false, int64(0), int64(-1), int64(0), coll, nil, nil, nil})
	}
	return rows
}

func databaseRows(*pgSnapshot) [][]any {
	return [][]any{{int64(databaseOID), catalogDB, int64(roleSluice), int64(6), "c", false, true,
		int64(-1), "0", "1", int64(1663), "C", "C", nil, nil, nil}}
}

func amRows(*pgSnapshot) [][]any {
	return [][]any{{int64(2), "heap", "heap_tableam_handler", "t"}, {int64(403), "btree", "bthandler", "i"}}
}

func collationRows(*pgSnapshot) [][]any {
	return [][]any{
		{int64(defaultCollOID), "default", int64(nspPGCatalog), int64(roleSluice), "d", true, int64(-1), nil, nil, nil, nil},
		{int64(950), "C", int64(nspPGCatalog), int64(roleSluice), "c", true, int64(-1), "C", "C", nil, nil},
		{int64(951), "POSIX", int64(nspPGCatalog), int64(roleSluice), "c", true, int64(-1), "POSIX", "POSIX", nil, nil},
	}
}

func tablespaceRows(*pgSnapshot) [][]any {
	return [][]any{{int64(1663), "pg_default", int64(roleSluice), nil, nil},
		{int64(1664), "pg_global", int64(roleSluice), nil, nil}}
}
