package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/ingest"
	"github.com/sluicedb/sluice/ingest/nexmark"
	"github.com/sluicedb/sluice/planner"
	"github.com/sluicedb/sluice/sql"
)

// demoStreams declares the Nexmark streams the demo generator feeds. They go
// through the SQL front end like a user's statements, so --demo shows
// exactly what a user would type. IF NOT EXISTS makes a restart on the same
// data dir a no-op.
const demoStreams = `
CREATE STREAM IF NOT EXISTS persons (
    id            BIGINT,
    name          VARCHAR,
    email_address VARCHAR,
    credit_card   VARCHAR,
    city          VARCHAR,
    state         VARCHAR,
    date_time     TIMESTAMP,
    extra         VARCHAR,
    WATERMARK FOR date_time AS date_time - INTERVAL '4 seconds'
) WITH (topic = 'persons', format = 'json', partitions = 2);

CREATE STREAM IF NOT EXISTS auctions (
    id          BIGINT,
    item_name   VARCHAR,
    description VARCHAR,
    initial_bid BIGINT,
    reserve     BIGINT,
    date_time   TIMESTAMP,
    expires     TIMESTAMP,
    seller      BIGINT,
    category    BIGINT,
    extra       VARCHAR,
    WATERMARK FOR date_time AS date_time - INTERVAL '4 seconds'
) WITH (topic = 'auctions', format = 'json', partitions = 2);

CREATE STREAM IF NOT EXISTS bids (
    auction   BIGINT,
    bidder    BIGINT,
    price     BIGINT,
    channel   VARCHAR,
    url       VARCHAR,
    date_time TIMESTAMP,
    extra     VARCHAR,
    WATERMARK FOR date_time AS date_time - INTERVAL '4 seconds'
) WITH (topic = 'bids', format = 'json', partitions = 2);
`

// declareDemoStreams runs demoStreams through the parser and planner.
func declareDemoStreams(ctx context.Context, engine *exec.Engine) error {
	stmts, err := sql.NewParser().Parse(demoStreams)
	if err != nil {
		return err
	}
	p := planner.New(engine)
	for _, stmt := range stmts {
		prep, err := p.Prepare(stmt, nil)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", stmt.Text(), err)
		}
		res, err := p.Execute(ctx, prep, nil)
		if err != nil {
			return fmt.Errorf("execute %q: %w", stmt.Text(), err)
		}
		releaseResult(res)
	}
	return nil
}

// releaseResult frees whatever a DDL result holds (normally nothing).
func releaseResult(res *planner.Result) {
	for _, rec := range res.Rows {
		rec.Release()
	}
	if res.Stream != nil {
		_ = res.Stream.Close()
	}
}

// runDemoGenerator produces the live Nexmark event stream until ctx ends.
// A generator failure is logged but does not stop the server: the demo
// data is a convenience, and the sessions already open keep working.
func runDemoGenerator(ctx context.Context, client *ingest.Client, rate float64, logger *slog.Logger) error {
	logger.Info("demo generator started", "rate", rate, "topics", "persons,auctions,bids")
	topics := nexmark.Topics{Persons: "persons", Auctions: "auctions", Bids: "bids"}
	if err := nexmark.Run(ctx, client, topics, rate); err != nil {
		logger.Error("demo generator stopped", "err", err)
	}
	<-ctx.Done()
	return nil
}
