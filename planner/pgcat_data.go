package planner

import (
	"hash/fnv"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
)

// Fixed OIDs of the objects every Sluice catalog has. They are PostgreSQL's
// own where PostgreSQL has the object (pg_catalog is 11, public 2200, the
// bootstrap superuser 10), so clients that hard-code them keep working.
const (
	nspPGCatalog   = 11
	nspPGToast     = 99
	nspPublic      = 2200
	nspInfoSchema  = 13000
	nspSluice      = 13100
	roleSluice     = 10
	databaseOID    = 16384
	userOIDBase    = 16385
	catalogOwner   = "sluice"
	catalogDB      = "sluice"
	defaultCollOID = 100
)

// pgNamespaces are the schemas, in OID order.
var pgNamespaces = []struct {
	oid  int64
	name string
}{{nspPGCatalog, "pg_catalog"}, {nspPGToast, "pg_toast"}, {nspPublic, "public"},
	{nspInfoSchema, "information_schema"}, {nspSluice, "sluice"}}

// pgRel is one relation as the catalogs show it.
type pgRel struct {
	oid    int64
	name   string
	nsp    int64
	kind   string // relkind: r table, v view, m materialized view
	cols   []pgAttr
	hidden []pgAttr // system columns (negative attnum): a stream's Kafka pseudo-columns
	sql    string   // a view's defining query, for pg_get_viewdef
}

// pgAttr is one column of a relation.
type pgAttr struct {
	name   string
	typ    int64
	typmod int64
}

// pgSnapshot is the catalog as of one catalog query: the engine's streams
// and views, the sluice.* system tables and the virtual catalogs
// themselves. It is built per query and never cached, so DDL is visible to
// the next query at once.
type pgSnapshot struct {
	rels  []*pgRel
	byOID map[int64]*pgRel
}

func newPGSnapshot(eng *exec.Engine) *pgSnapshot {
	s := &pgSnapshot{byOID: map[int64]*pgRel{}}
	used := map[int64]bool{}
	add := func(r *pgRel) {
		if r.oid == 0 {
			r.oid = stableOID(nspName(r.nsp)+"."+r.name, used)
		}
		used[r.oid] = true
		s.rels = append(s.rels, r)
		s.byOID[r.oid] = r
	}
	for _, name := range sortedKeys(pgVirtualTables) {
		vt := pgVirtualTables[name]
		add(&pgRel{oid: vt.oid, name: vt.name, nsp: vt.nsp, kind: vt.kind, cols: vt.attrs()})
	}
	for _, name := range sortedKeys(systemTables) {
		add(&pgRel{name: strings.TrimPrefix(name, "sluice."), nsp: nspSluice, kind: "v",
			cols: schemaAttrs(systemTables[name].schema)})
	}
	streams := eng.Streams()
	sort.Slice(streams, func(i, j int) bool { return streams[i].Name < streams[j].Name })
	for _, d := range streams {
		add(&pgRel{name: d.Name, nsp: nspPublic, kind: "r", cols: schemaAttrs(d.Schema), hidden: pseudoAttrs})
	}
	views := eng.Views()
	sort.Slice(views, func(i, j int) bool { return views[i].Name < views[j].Name })
	for _, v := range views {
		add(&pgRel{name: v.Name, nsp: nspPublic, kind: "m", cols: schemaAttrs(v.Schema), sql: v.SQL})
	}
	return s
}

// pseudoAttrs are a stream's Kafka pseudo-columns, shown like PostgreSQL's
// system columns (negative attnum), which \d and information_schema hide.
var pseudoAttrs = []pgAttr{
	{"_partition", oidInt4, -1}, {"_offset", oidInt8, -1},
	{"_timestamp", oidTimestamptz, -1}, {"_key", oidBytea, -1},
}

func schemaAttrs(s *arrow.Schema) []pgAttr {
	out := make([]pgAttr, 0, s.NumFields())
	for _, f := range s.Fields() {
		oid, typmod := columnType(f)
		out = append(out, pgAttr{name: f.Name, typ: oid, typmod: typmod})
	}
	return out
}

// stableOID derives a relation's OID from its qualified name, so the same
// stream keeps its OID across restarts and sessions; collisions probe on.
func stableOID(name string, used map[int64]bool) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	oid := userOIDBase + int64(h.Sum32()%(1<<30))
	for used[oid] {
		oid++
	}
	return oid
}

func nspName(oid int64) string {
	for _, n := range pgNamespaces {
		if n.oid == oid {
			return n.name
		}
	}
	return ""
}

func nspOID(name string) (int64, bool) {
	for _, n := range pgNamespaces {
		if n.name == name {
			return n.oid, true
		}
	}
	return 0, false
}

// searchPath is the schemas an unqualified name is looked up in, in order.
var searchPath = []int64{nspPGCatalog, nspPublic}

func onSearchPath(nsp int64) bool {
	for _, n := range searchPath {
		if n == nsp {
			return true
		}
	}
	return false
}

// lookupRel resolves a possibly qualified relation name through the search
// path, as a regclass cast does.
func (s *pgSnapshot) lookupRel(name string) *pgRel {
	schema, rel, qualified := strings.Cut(name, ".")
	if !qualified {
		rel = schema
	}
	for _, nsp := range searchPath {
		for _, r := range s.rels {
			if r.name != rel {
				continue
			}
			if qualified && nspName(r.nsp) == schema || !qualified && r.nsp == nsp {
				return r
			}
		}
	}
	return nil
}

// qualifiedName is the relation's name as regclass prints it: bare when
// visible through the search path.
func (r *pgRel) qualifiedName() string {
	if onSearchPath(r.nsp) {
		return quoteIdentPG(r.name)
	}
	return quoteIdentPG(nspName(r.nsp)) + "." + quoteIdentPG(r.name)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
