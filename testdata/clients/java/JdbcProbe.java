// JdbcProbe drives pgjdbc (the driver of Metabase, DataGrip, DBeaver and
// Tableau's JDBC path) against a running Sluice and prints what it sees,
// one fact per line, for cmd/sluice/e2e_clients_test.go to compare.
//
// Usage: java -cp /usr/share/java/postgresql.jar:DIR JdbcProbe HOST PORT
//
// Expects the stream `bids` and the materialized view `auction_counts`
// that the Go test creates. Every line is "section|value|value…"; a
// failing step prints "error|section|SQLSTATE|message" and the probe goes
// on with the next step.
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

public class JdbcProbe {
    interface Step {
        void run() throws SQLException;
    }

    static void step(String name, Step s) {
        try {
            s.run();
        } catch (SQLException e) {
            System.out.println("error|" + name + "|" + e.getSQLState() + "|" + e.getMessage().replace('\n', ' '));
        }
    }

    // rows prints every row of a query as "label|v|v…".
    static void rows(Connection conn, String label, String sql, Object... params) {
        step(label, () -> {
            try (PreparedStatement ps = conn.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                boolean hasRows = ps.execute();
                if (!hasRows) {
                    System.out.println(label + "|ok");
                    return;
                }
                try (ResultSet rs = ps.getResultSet()) {
                    int n = rs.getMetaData().getColumnCount();
                    int count = 0;
                    while (rs.next()) {
                        StringBuilder sb = new StringBuilder(label);
                        for (int c = 1; c <= n; c++) {
                            sb.append("|").append(rs.getString(c));
                        }
                        System.out.println(sb);
                        count++;
                    }
                    System.out.println(label + "|rows=" + count);
                }
            }
        });
    }

    // metabase replays what Metabase (on pgjdbc) sends when it connects,
    // syncs the schema of `public` and runs a question, with the texts of
    // ../shared/pgclients/captured.sql on this probe's tables (the
    // privileges query selects three of its columns, in order, to compare).
    static void metabase(Connection conn) {
        rows(conn, "mb-isolation", "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED");
        rows(conn, "mb-timezone", "show timezone");
        rows(conn, "mb-privileges", "with table_privileges as ( select NULL as role, t.schemaname as schema, t.objectname as table, pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"', 'update') as update, pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"', 'select') as select, pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"', 'insert') as insert, pg_catalog.has_table_privilege( current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"', 'delete') as delete from ( select schemaname, tablename as objectname from pg_catalog.pg_tables union select schemaname, viewname as objectname from pg_catalog.pg_views union select schemaname, matviewname as objectname from pg_catalog.pg_matviews ) t where t.schemaname !~ '^pg_' and t.schemaname <> 'information_schema' and pg_catalog.has_schema_privilege(current_user, t.schemaname, 'usage') ) select t.schema, t.table, t.select from table_privileges t order by 1, 2");
        rows(conn, "mb-tables", "SELECT n.nspname AS schema, c.relname AS name, CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS type, d.description AS description FROM pg_catalog.pg_class AS c INNER JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid LEFT JOIN pg_catalog.pg_description AS d ON (c.oid = d.objoid) AND (d.objsubid = 0) AND (d.classoid = 'pg_class'::regclass) LEFT JOIN pg_stat_user_tables AS stat ON (n.nspname = stat.schemaname) AND (c.relname = stat.relname) WHERE (c.relnamespace = n.oid) AND (n.nspname !~ '^pg_') AND (n.nspname <> 'information_schema') AND c.relkind in ('r', 'p', 'v', 'f', 'm') AND (n.nspname IN ('public')) ORDER BY type ASC, schema ASC, name ASC");
        rows(conn, "mb-fields", "SELECT \"c\".\"column_name\" AS \"name\", CASE WHEN \"c\".\"udt_schema\" IN ('public', 'pg_catalog') THEN FORMAT('%s', \"c\".\"udt_name\") ELSE FORMAT('\"%s\".\"%s\"', \"c\".\"udt_schema\", \"c\".\"udt_name\") END AS \"database-type\", \"c\".\"ordinal_position\" - 1 AS \"database-position\", \"c\".\"table_schema\" AS \"table-schema\", \"c\".\"table_name\" AS \"table-name\", \"pk\".\"column_name\" IS NOT NULL AS \"pk?\", COL_DESCRIPTION(CAST(CAST(FORMAT('%I.%I', CAST(\"c\".\"table_schema\" AS TEXT), CAST(\"c\".\"table_name\" AS TEXT)) AS REGCLASS) AS OID), \"c\".\"ordinal_position\") AS \"field-comment\", ((\"column_default\" IS NULL) OR (LOWER(\"column_default\") = 'null')) AND (\"is_nullable\" = 'NO') AND NOT (((\"column_default\" IS NOT NULL) AND (\"column_default\" LIKE '%nextval(%')) OR (\"is_identity\" <> 'NO')) AS \"database-required\", ((\"column_default\" IS NOT NULL) AND (\"column_default\" LIKE '%nextval(%')) OR (\"is_identity\" <> 'NO') AS \"database-is-auto-increment\" FROM \"information_schema\".\"columns\" AS \"c\" LEFT JOIN (SELECT \"tc\".\"table_schema\", \"tc\".\"table_name\", \"kc\".\"column_name\" FROM \"information_schema\".\"table_constraints\" AS \"tc\" INNER JOIN \"information_schema\".\"key_column_usage\" AS \"kc\" ON (\"tc\".\"constraint_name\" = \"kc\".\"constraint_name\") AND (\"tc\".\"table_schema\" = \"kc\".\"table_schema\") AND (\"tc\".\"table_name\" = \"kc\".\"table_name\") WHERE \"tc\".\"constraint_type\" = 'PRIMARY KEY') AS \"pk\" ON (\"c\".\"table_schema\" = \"pk\".\"table_schema\") AND (\"c\".\"table_name\" = \"pk\".\"table_name\") AND (\"c\".\"column_name\" = \"pk\".\"column_name\") WHERE c.table_schema !~ '^information_schema|catalog_history|pg_' AND (\"c\".\"table_schema\" IN ('public')) AND (\"c\".\"table_name\" IN ('bids', 'auction_counts')) UNION ALL SELECT \"pa\".\"attname\" AS \"name\", CASE WHEN \"ptn\".\"nspname\" IN ('public', 'pg_catalog') THEN FORMAT('%s', \"pt\".\"typname\") ELSE FORMAT('\"%s\".\"%s\"', \"ptn\".\"nspname\", \"pt\".\"typname\") END AS \"database-type\", \"pa\".\"attnum\" - 1 AS \"database-position\", \"pn\".\"nspname\" AS \"table-schema\", \"pc\".\"relname\" AS \"table-name\", FALSE AS \"pk?\", NULL AS \"field-comment\", FALSE AS \"database-required\", FALSE AS \"database-is-auto-increment\" FROM \"pg_catalog\".\"pg_class\" AS \"pc\" INNER JOIN \"pg_catalog\".\"pg_namespace\" AS \"pn\" ON \"pn\".\"oid\" = \"pc\".\"relnamespace\" INNER JOIN \"pg_catalog\".\"pg_attribute\" AS \"pa\" ON \"pa\".\"attrelid\" = \"pc\".\"oid\" INNER JOIN \"pg_catalog\".\"pg_type\" AS \"pt\" ON \"pt\".\"oid\" = \"pa\".\"atttypid\" INNER JOIN \"pg_catalog\".\"pg_namespace\" AS \"ptn\" ON \"ptn\".\"oid\" = \"pt\".\"typnamespace\" WHERE (\"pc\".\"relkind\" = 'm') AND (\"pa\".\"attnum\" >= 1) AND (\"pn\".\"nspname\" IN ('public')) AND (\"pc\".\"relname\" IN ('bids', 'auction_counts')) ORDER BY \"table-schema\" ASC, \"table-name\" ASC, \"database-position\" ASC");
        rows(conn, "mb-fks", "SELECT \"fk_ns\".\"nspname\" AS \"fk-table-schema\", \"fk_table\".\"relname\" AS \"fk-table-name\", \"fk_column\".\"attname\" AS \"fk-column-name\", \"pk_ns\".\"nspname\" AS \"pk-table-schema\", \"pk_table\".\"relname\" AS \"pk-table-name\", \"pk_column\".\"attname\" AS \"pk-column-name\" FROM \"pg_constraint\" AS \"c\" INNER JOIN \"pg_class\" AS \"fk_table\" ON \"c\".\"conrelid\" = \"fk_table\".\"oid\" INNER JOIN \"pg_namespace\" AS \"fk_ns\" ON \"c\".\"connamespace\" = \"fk_ns\".\"oid\" INNER JOIN \"pg_attribute\" AS \"fk_column\" ON \"c\".\"conrelid\" = \"fk_column\".\"attrelid\" INNER JOIN \"pg_class\" AS \"pk_table\" ON \"c\".\"confrelid\" = \"pk_table\".\"oid\" INNER JOIN \"pg_namespace\" AS \"pk_ns\" ON \"pk_table\".\"relnamespace\" = \"pk_ns\".\"oid\" INNER JOIN \"pg_attribute\" AS \"pk_column\" ON \"c\".\"confrelid\" = \"pk_column\".\"attrelid\" WHERE fk_ns.nspname !~ '^information_schema|catalog_history|pg_' AND (\"c\".\"contype\" = 'f'::char) AND (\"fk_column\".\"attnum\" = ANY(c.conkey)) AND (\"pk_column\".\"attnum\" = ANY(c.confkey)) AND (\"fk_table\".\"relname\" IN ('bids', 'auction_counts')) AND (\"fk_ns\".\"nspname\" IN ('public')) ORDER BY \"fk-table-schema\" ASC, \"fk-table-name\" ASC");
        rows(conn, "mb-indexes", "SELECT \"tmp\".\"table-schema\", \"tmp\".\"table-name\", TRIM(BOTH '\"' FROM PG_CATALOG.PG_GET_INDEXDEF(\"tmp\".\"ci_oid\", \"tmp\".\"pos\", FALSE)) AS \"field-name\" FROM (SELECT \"n\".\"nspname\" AS \"table-schema\", \"ct\".\"relname\" AS \"table-name\", \"ci\".\"oid\" AS \"ci_oid\", (INFORMATION_SCHEMA._PG_EXPANDARRAY(\"i\".\"indkey\")).\"n\" AS \"pos\" FROM \"pg_catalog\".\"pg_class\" AS \"ct\" INNER JOIN \"pg_catalog\".\"pg_namespace\" AS \"n\" ON \"ct\".\"relnamespace\" = \"n\".\"oid\" INNER JOIN \"pg_catalog\".\"pg_index\" AS \"i\" ON \"ct\".\"oid\" = \"i\".\"indrelid\" INNER JOIN \"pg_catalog\".\"pg_class\" AS \"ci\" ON \"ci\".\"oid\" = \"i\".\"indexrelid\" WHERE (PG_CATALOG.PG_GET_EXPR(\"i\".\"indpred\", \"i\".\"indrelid\") IS NULL) AND n.nspname !~ '^information_schema|catalog_history|pg_' AND (\"n\".\"nspname\" IN ('public')) AND (\"ct\".\"relname\" IN ('bids', 'auction_counts'))) AS \"tmp\" WHERE \"tmp\".\"pos\" = 1");
        rows(conn, "mb-enums", "SELECT nspname, typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid IN (SELECT DISTINCT enumtypid FROM pg_enum e)");
        rows(conn, "mb-timezone-set", "SET SESSION TIMEZONE TO 'UTC'");
        rows(conn, "mb-question", "SELECT \"public\".\"auction_counts\".\"window_start\" AS \"window_start\", \"public\".\"auction_counts\".\"auction\" AS \"auction\", \"public\".\"auction_counts\".\"bids\" AS \"bids\" FROM \"public\".\"auction_counts\" WHERE \"public\".\"auction_counts\".\"auction\" = ? LIMIT 2000", 3L);
    }


    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/sluice";
        Properties props = new Properties();
        props.setProperty("user", "sluice");
        props.setProperty("sslmode", "disable");
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "30");
        try (Connection conn = DriverManager.getConnection(url, props)) {
            DatabaseMetaData md = conn.getMetaData();
            System.out.println("product|" + md.getDatabaseProductName() + "|" + md.getDatabaseMajorVersion());

            step("getSchemas", () -> {
                try (ResultSet rs = md.getSchemas()) {
                    while (rs.next()) {
                        System.out.println("schema|" + rs.getString("TABLE_SCHEM"));
                    }
                }
            });
            step("getTables", () -> {
                try (ResultSet rs = md.getTables(null, "public", "%", null)) {
                    while (rs.next()) {
                        System.out.println("table|" + rs.getString("TABLE_SCHEM") + "|" + rs.getString("TABLE_NAME")
                                + "|" + rs.getString("TABLE_TYPE"));
                    }
                }
            });
            for (String rel : new String[] {"bids", "auction_counts"}) {
                step("getColumns", () -> {
                    try (ResultSet rs = md.getColumns(null, "public", rel, "%")) {
                        while (rs.next()) {
                            System.out.println("column|" + rs.getString("TABLE_NAME") + "|" + rs.getInt("ORDINAL_POSITION")
                                    + "|" + rs.getString("COLUMN_NAME") + "|" + rs.getInt("DATA_TYPE")
                                    + "|" + rs.getString("TYPE_NAME") + "|" + rs.getString("IS_NULLABLE"));
                        }
                    }
                });
            }
            step("getPrimaryKeys", () -> {
                int n = 0;
                try (ResultSet rs = md.getPrimaryKeys(null, "public", "bids")) {
                    while (rs.next()) {
                        n++;
                    }
                }
                System.out.println("primarykeys|bids|" + n);
            });
            step("getIndexInfo", () -> {
                int n = 0;
                try (ResultSet rs = md.getIndexInfo(null, "public", "auction_counts", false, true)) {
                    while (rs.next()) {
                        n++;
                    }
                }
                System.out.println("indexinfo|auction_counts|" + n);
            });

            // A PreparedStatement with parameters, run past pgjdbc's
            // prepareThreshold (5) so the driver switches to a named server
            // statement and then to Bind/Execute without Describe.
            step("prepared", () -> {
                try (PreparedStatement ps = conn.prepareStatement(
                        "SELECT window_start, auction, bids, top FROM auction_counts WHERE auction = ? AND bids >= ? ORDER BY window_start")) {
                    for (int i = 1; i <= 7; i++) {
                        ps.setLong(1, 1 + (i % 2));
                        ps.setInt(2, 1);
                        StringBuilder sb = new StringBuilder("prepared|" + i);
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                sb.append("|").append(rs.getString(1)).append(",").append(rs.getLong(2))
                                        .append(",").append(rs.getLong(3)).append(",").append(rs.getLong(4));
                            }
                        }
                        System.out.println(sb);
                    }
                }
            });

            // setFetchSize on a continuous query: with autocommit off pgjdbc
            // reads through a portal, fetchSize rows per Execute; the query
            // never ends, so the probe reads 5 rows and closes it.
            step("fetchsize", () -> {
                conn.setAutoCommit(false);
                try (Statement st = conn.createStatement()) {
                    st.setFetchSize(2);
                    try (ResultSet rs = st.executeQuery("SELECT auction, price, channel FROM bids")) {
                        for (int i = 0; i < 5 && rs.next(); i++) {
                            System.out.println("fetch|" + rs.getLong(1) + "|" + rs.getLong(2) + "|" + rs.getString(3));
                        }
                    }
                }
                conn.commit();
                conn.setAutoCommit(true);
                try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM auction_counts")) {
                    rs.next();
                    System.out.println("after-fetch|" + rs.getLong(1));
                }
            });

            // A query timeout on a continuous query: pgjdbc sends a
            // CancelRequest after 1 s and the server answers 57014.
            step("timeout", () -> {
                try (Statement st = conn.createStatement()) {
                    st.setQueryTimeout(1);
                    try (ResultSet rs = st.executeQuery("SELECT auction FROM bids")) {
                        System.out.println("timeout|no error");
                    }
                } catch (SQLException e) {
                    System.out.println("timeout|" + e.getSQLState());
                }
            });

            metabase(conn);
        }
        System.out.println("done");
    }
}
