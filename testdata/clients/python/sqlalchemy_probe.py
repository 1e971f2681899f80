"""Drive psycopg2 and SQLAlchemy 1.4 reflection (what Superset does) against
a running Sluice and print what they see, one fact per line, for
cmd/sluice/e2e_clients_test.go to compare.

Usage: /usr/bin/python3 sqlalchemy_probe.py HOST PORT

Expects the stream `bids` and the materialized view `auction_counts` that
the Go test creates. Every line is "section|value|value..."; a failing step
prints "error|section|message" and the probe goes on with the next step.
"""
import sys
import traceback

import psycopg2
import sqlalchemy
from sqlalchemy import create_engine, inspect, text


def step(name, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - report every failure as a line
        msg = " ".join(str(e).split())
        print("error|%s|%s: %s" % (name, type(e).__name__, msg))
        traceback.print_exc(file=sys.stderr)


def main():
    host, port = sys.argv[1], sys.argv[2]
    print("sqlalchemy|%s" % ".".join(sqlalchemy.__version__.split(".")[:2]))

    def raw():
        conn = psycopg2.connect(host=host, port=port, user="sluice", dbname="sluice",
                                sslmode="disable", connect_timeout=10)
        try:
            cur = conn.cursor()
            cur.execute("SELECT auction, bids, top FROM auction_counts WHERE auction = %s AND bids >= %s "
                        "ORDER BY window_start", (2, 2))
            for row in cur.fetchall():
                print("psycopg2|%s" % "|".join(str(v) for v in row))
            conn.rollback()
        finally:
            conn.close()

    step("psycopg2", raw)

    engine = create_engine("postgresql+psycopg2://sluice@%s:%s/sluice" % (host, port),
                           connect_args={"sslmode": "disable", "connect_timeout": 10})
    insp = None

    def connect():
        nonlocal insp
        insp = inspect(engine)
        print("server_version|%d" % engine.dialect.server_version_info[0])
        print("default_schema|%s" % insp.default_schema_name)

    step("connect", connect)
    if insp is None:
        return

    step("get_schema_names", lambda: print("schemas|%s" % ",".join(sorted(insp.get_schema_names()))))
    step("get_table_names", lambda: print("tables|%s" % ",".join(sorted(insp.get_table_names()))))
    step("get_view_names", lambda: print("views|%s" % ",".join(sorted(insp.get_view_names()))))

    def columns(rel):
        def run():
            for c in insp.get_columns(rel):
                print("column|%s|%s|%s|%s" % (rel, c["name"], c["type"], c["nullable"]))
        return run

    step("get_columns", columns("bids"))
    step("get_columns", columns("auction_counts"))
    step("get_pk_constraint", lambda: print("pk|bids|%s" % ",".join(
        insp.get_pk_constraint("bids")["constrained_columns"])))

    def query():
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT window_start, auction, bids FROM auction_counts "
                     "WHERE auction = :a AND window_start >= :since ORDER BY window_start"),
                {"a": 1, "since": "2024-01-01 00:00:10"}).fetchall()
            for r in rows:
                print("query|%s|%s|%s" % (r[0].isoformat(" "), r[1], r[2]))

    step("query", query)
    print("done")


if __name__ == "__main__":
    main()
