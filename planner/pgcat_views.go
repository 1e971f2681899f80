package planner

import (
	"sort"
	"strings"
)

// Roles, the catalogs Sluice leaves empty, pg_catalog's system views and
// information_schema.

func defineRoles(pc int64) {
	defineTable(0, pc, "pg_roles", "v", `rolname:name rolsuper:bool rolinherit:bool rolcreaterole:bool
		rolcreatedb:bool rolcanlogin:bool rolreplication:bool rolconnlimit:int4 rolpassword:text
		rolvaliduntil:timestamptz rolbypassrls:bool rolconfig:_text oid:oid`,
		func(*pgSnapshot) [][]any {
			return [][]any{{catalogOwner, true, true, true, true, true, true, int64(-1), "********", nil, true, nil, int64(roleSluice)}}
		})
	defineTable(0, pc, "pg_user", "v", `usename:name usesysid:oid usecreatedb:bool usesuper:bool
		userepl:bool usebypassrls:bool passwd:text valuntil:timestamptz useconfig:_text`,
		func(*pgSnapshot) [][]any {
			return [][]any{{catalogOwner, int64(roleSluice), true, true, true, true, "********", nil, nil}}
		})
	defineTable(1261, pc, "pg_auth_members", "r", "roleid:oid member:oid grantor:oid admin_option:bool", nil)
}

func defineEmptyCatalogs(pc int64) {
	for _, t := range []struct {
		oid        int64
		name, spec string
	}{
		{2610, "pg_index", `indexrelid:oid indrelid:oid indnatts:int2 indnkeyatts:int2 indisunique:bool
			indnullsnotdistinct:bool indisprimary:bool indisexclusion:bool indimmediate:bool
			indisclustered:bool indisvalid:bool indcheckxmin:bool indisready:bool indislive:bool
			indisreplident:bool indkey:int2vector indcollation:_oid indclass:_oid indoption:_int2
			indexprs:pg_node_tree indpred:pg_node_tree`},
		{2604, "pg_attrdef", "oid:oid adrelid:oid adnum:int2 adbin:pg_node_tree"},
		{2609, "pg_description", "objoid:oid classoid:oid objsubid:int4 description:text"},
		{2611, "pg_inherits", "inhrelid:oid inhparent:oid inhseqno:int4 inhdetachpending:bool"},
		{2606, "pg_constraint", `oid:oid conname:name connamespace:oid contype:char condeferrable:bool
			condeferred:bool convalidated:bool conrelid:oid contypid:oid conindid:oid conparentid:oid
			confrelid:oid confupdtype:char confdeltype:char confmatchtype:char conislocal:bool
			coninhcount:int4 connoinherit:bool conkey:_int2 confkey:_int2 conpfeqop:_oid conppeqop:_oid
			conffeqop:_oid confdelsetcols:_int2 conexclop:_oid conbin:pg_node_tree`},
		{3256, "pg_policy", `oid:oid polname:name polrelid:oid polcmd:char polpermissive:bool
			polroles:_oid polqual:pg_node_tree polwithcheck:pg_node_tree`},
		{3381, "pg_statistic_ext", `oid:oid stxrelid:oid stxname:name stxnamespace:oid stxowner:oid
			stxstattarget:int4 stxkeys:int2vector stxkind:_char stxexprs:pg_node_tree`},
		{6104, "pg_publication", `oid:oid pubname:name pubowner:oid puballtables:bool pubinsert:bool
			pubupdate:bool pubdelete:bool pubtruncate:bool pubviaroot:bool`},
		{6106, "pg_publication_rel", "oid:oid prpubid:oid prrelid:oid prqual:pg_node_tree prattrs:int2vector"},
		{6237, "pg_publication_namespace", "oid:oid pnpubid:oid pnnspid:oid"},
		{1255, "pg_proc", `oid:oid proname:name pronamespace:oid proowner:oid prolang:oid procost:float4
			prorows:float4 provariadic:oid prosupport:regproc prokind:char prosecdef:bool
			proleakproof:bool proisstrict:bool proretset:bool provolatile:char proparallel:char
			pronargs:int2 pronargdefaults:int2 prorettype:oid proargtypes:_oid proallargtypes:_oid
			proargmodes:_char proargnames:_text proargdefaults:pg_node_tree protrftypes:_oid
			prosrc:text probin:text prosqlbody:pg_node_tree proconfig:_text proacl:_aclitem`},
		{3541, "pg_range", `rngtypid:oid rngsubtype:oid rngmultitypid:oid rngcollation:oid
			rngsubopc:oid rngcanonical:regproc rngsubdiff:regproc`},
		{3501, "pg_enum", "oid:oid enumtypid:oid enumsortorder:float4 enumlabel:name"},
		{3079, "pg_extension", `oid:oid extname:name extowner:oid extnamespace:oid extrelocatable:bool
			extversion:text extconfig:_oid extcondition:_text`},
		{2620, "pg_trigger", `oid:oid tgrelid:oid tgparentid:oid tgname:name tgfoid:oid tgtype:int2
			tgenabled:char tgisinternal:bool tgconstrrelid:oid tgconstrindid:oid tgconstraint:oid
			tgdeferrable:bool tginitdeferred:bool tgnargs:int2`},
		{2618, "pg_rewrite", "oid:oid rulename:name ev_class:oid ev_type:char ev_enabled:char is_instead:bool"},
		{2600, "pg_aggregate", "aggfnoid:regproc aggkind:char aggnumdirectargs:int2"},
		{2608, "pg_depend", `classid:oid objid:oid objsubid:int4 refclassid:oid refobjid:oid
			refobjsubid:int4 deptype:char`},
		{2605, "pg_cast", "oid:oid castsource:oid casttarget:oid castfunc:oid castcontext:char castmethod:char"},
		{2617, "pg_operator", "oid:oid oprname:name oprnamespace:oid oprowner:oid oprkind:char oprleft:oid oprright:oid oprresult:oid"},
		{3466, "pg_event_trigger", "oid:oid evtname:name evtevent:name evtowner:oid evtfoid:oid evtenabled:char"},
		{1417, "pg_foreign_server", "oid:oid srvname:name srvowner:oid srvfdw:oid srvtype:text srvversion:text"},
		{3118, "pg_foreign_table", "ftrelid:oid ftserver:oid ftoptions:_text"},
		{3602, "pg_ts_config", "oid:oid cfgname:name cfgnamespace:oid cfgowner:oid cfgparser:oid"},
		{1136, "pg_pltemplate", "tmplname:name"},
		{2224, "pg_sequence", `seqrelid:oid seqtypid:oid seqstart:int8 seqincrement:int8 seqmax:int8
			seqmin:int8 seqcache:int8 seqcycle:bool`},
	} {
		defineTable(t.oid, pc, t.name, "r", t.spec, nil)
	}
}

// defineSystemViews adds pg_tables, pg_views and pg_matviews, which some
// clients read instead of pg_class.
func defineSystemViews(pc int64) {
	defineTable(0, pc, "pg_tables", "v", `schemaname:name tablename:name tableowner:name tablespace:name
		hasindexes:bool hasrules:bool hastriggers:bool rowsecurity:bool`, func(s *pgSnapshot) [][]any {
		var rows [][]any
		for _, r := range s.relsOfKind("r") {
			rows = append(rows, []any{nspName(r.nsp), r.name, catalogOwner, nil, false, false, false, false})
		}
		return rows
	})
	defineTable(0, pc, "pg_views", "v", "schemaname:name viewname:name viewowner:name definition:text",
		func(s *pgSnapshot) [][]any {
			var rows [][]any
			for _, r := range s.relsOfKind("v") {
				rows = append(rows, []any{nspName(r.nsp), r.name, catalogOwner, nil})
			}
			return rows
		})
	defineTable(0, pc, "pg_matviews", "v", `schemaname:name matviewname:name matviewowner:name
		tablespace:name hasindexes:bool ispopulated:bool definition:text`, func(s *pgSnapshot) [][]any {
		var rows [][]any
		for _, r := range s.relsOfKind("m") {
			rows = append(rows, []any{nspName(r.nsp), r.name, catalogOwner, nil, false, true, viewDefinition(r)})
		}
		return rows
	})
}

// defineStatViews adds pg_settings, from the settings catalog queries see
// (pgSettings), and pg_stat_user_tables, empty: Sluice keeps no per-table
// statistics, and a client that LEFT JOINs it gets NULL counts.
func defineStatViews(pc int64) {
	defineTable(0, pc, "pg_settings", "v", `name:text setting:text unit:text category:text
		short_desc:text extra_desc:text context:text vartype:text source:text min_val:text max_val:text
		enumvals:_text boot_val:text reset_val:text sourcefile:text sourceline:int4 pending_restart:bool`,
		func(*pgSnapshot) [][]any {
			names := make([]string, 0, len(pgSettings))
			for n := range pgSettings {
				names = append(names, n)
			}
			sort.Strings(names)
			rows := make([][]any, len(names))
			for i, n := range names {
				v := pgSettings[n]
				rows[i] = []any{n, v, nil, "Sluice", nil, nil, "user", "string", "default", nil, nil,
					nil, v, v, nil, nil, false}
			}
			return rows
		})
	defineTable(0, pc, "pg_stat_user_tables", "v", `relid:oid schemaname:name relname:name seq_scan:int8
		seq_tup_read:int8 idx_scan:int8 idx_tup_fetch:int8 n_tup_ins:int8 n_tup_upd:int8 n_tup_del:int8
		n_tup_hot_upd:int8 n_live_tup:int8 n_dead_tup:int8 n_mod_since_analyze:int8
		n_ins_since_vacuum:int8 last_vacuum:timestamptz last_autovacuum:timestamptz
		last_analyze:timestamptz last_autoanalyze:timestamptz vacuum_count:int8 autovacuum_count:int8
		analyze_count:int8 autoanalyze_count:int8`, nil)
}

func (s *pgSnapshot) relsOfKind(kind string) []*pgRel {
	var out []*pgRel
	for _, r := range s.rels {
		if r.kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func defineInformationSchema() {
	is := int64(nspInfoSchema)
	defineTable(0, is, "schemata", "v", `catalog_name:name schema_name:name schema_owner:name
		default_character_set_catalog:name default_character_set_schema:name
		default_character_set_name:name sql_path:text`, func(*pgSnapshot) [][]any {
		var rows [][]any
		for _, n := range pgNamespaces {
			rows = append(rows, []any{catalogDB, n.name, catalogOwner, nil, nil, nil, nil})
		}
		return rows
	})
	defineTable(0, is, "tables", "v", `table_catalog:name table_schema:name table_name:name
		table_type:text self_referencing_column_name:name reference_generation:text
		user_defined_type_catalog:name user_defined_type_schema:name user_defined_type_name:name
		is_insertable_into:text is_typed:text commit_action:text`, infoTablesRows)
	for _, t := range []struct{ name, spec string }{
		{"table_constraints", `constraint_catalog:name constraint_schema:name constraint_name:name
			table_catalog:name table_schema:name table_name:name constraint_type:text is_deferrable:text
			initially_deferred:text enforced:text nulls_distinct:text`},
		{"key_column_usage", `constraint_catalog:name constraint_schema:name constraint_name:name
			table_catalog:name table_schema:name table_name:name column_name:name ordinal_position:int4
			position_in_unique_constraint:int4`},
		{"referential_constraints", `constraint_catalog:name constraint_schema:name constraint_name:name
			unique_constraint_catalog:name unique_constraint_schema:name unique_constraint_name:name
			match_option:text update_rule:text delete_rule:text`},
		{"views", `table_catalog:name table_schema:name table_name:name view_definition:text
			check_option:text is_updatable:text is_insertable_into:text`},
		{"routines", `specific_catalog:name specific_schema:name specific_name:name routine_catalog:name
			routine_schema:name routine_name:name routine_type:text data_type:text`},
	} {
		// Sluice has no constraints, plain views or routines.
		defineTable(0, is, t.name, "v", t.spec, nil)
	}
	defineTable(0, is, "columns", "v", `table_catalog:name table_schema:name table_name:name
		column_name:name ordinal_position:int4 column_default:text is_nullable:text data_type:text
		character_maximum_length:int4 character_octet_length:int4 numeric_precision:int4
		numeric_precision_radix:int4 numeric_scale:int4 datetime_precision:int4 udt_catalog:name
		udt_schema:name udt_name:name is_identity:text is_generated:text is_updatable:text`, infoColumnsRows)
}

// infoTablesRows lists what information_schema.tables shows: PostgreSQL
// lists materialized views there only through pg_class, so they are left
// out, as are the catalogs' own relations' internals (they are listed like
// PostgreSQL's: pg_catalog tables as BASE TABLE, views as VIEW).
func infoTablesRows(s *pgSnapshot) [][]any {
	var rows [][]any
	for _, r := range s.rels {
		typ := "BASE TABLE"
		switch r.kind {
		case "v":
			typ = "VIEW"
		case "m":
			continue
		}
		rows = append(rows, []any{catalogDB, nspName(r.nsp), r.name, typ, nil, nil, nil, nil, nil, "NO", "NO", nil})
	}
	return rows
}

func infoColumnsRows(s *pgSnapshot) [][]any {
	var rows [][]any
	for _, r := range s.rels {
		if r.kind == "m" {
			continue
		}
		for i, a := range r.cols {
			rows = append(rows, infoColumnRow(r, i, a))
		}
	}
	return rows
}

func infoColumnRow(r *pgRel, i int, a pgAttr) []any {
	t := pgTypes.byOID[a.typ]
	dataType, udt := "text", "text"
	if t != nil {
		dataType, udt = t.format, t.name
		if t.elem != 0 {
			dataType = "ARRAY"
		}
	}
	var prec, radix, scale, dtPrec any
	switch a.typ {
	case oidInt2:
		prec, radix, scale = int64(16), int64(2), int64(0)
	case oidInt4:
		prec, radix, scale = int64(32), int64(2), int64(0)
	case oidInt8:
		prec, radix, scale = int64(64), int64(2), int64(0)
	case oidFloat4:
		prec, radix = int64(24), int64(2)
	case oidFloat8:
		prec, radix = int64(53), int64(2)
	case oidNumeric:
		radix = int64(10)
		if a.typmod >= 4 {
			prec, scale = (a.typmod-4)>>16, (a.typmod-4)&0xffff
		}
	case oidTimestamp, oidTimestamptz, 1082:
		dtPrec = int64(6)
		if a.typ == 1082 {
			dtPrec = int64(0)
		}
	}
	return []any{catalogDB, nspName(r.nsp), r.name, a.name, int64(i + 1), nil, "YES", dataType,
		nil, nil, prec, radix, scale, dtPrec, catalogDB, "pg_catalog", udt, "NO", "NEVER", "NO"}
}

// viewDefinition is a materialized view's query, as pg_get_viewdef gives it:
// the text after AS in its CREATE statement.
func viewDefinition(r *pgRel) any {
	if r.sql == "" {
		return nil
	}
	if loc := viewAs.FindStringIndex(r.sql); loc != nil {
		return " " + strings.TrimSpace(r.sql[loc[1]:]) + ";"
	}
	return r.sql
}
