// probe.js drives node-postgres and pg-cursor against a running Sluice and
// prints what they see, one fact per line, for
// cmd/sluice/e2e_clients_test.go to compare.
//
// Usage: NODE_PATH=…/node_modules node probe.js HOST PORT
//
// Expects the stream `bids` and the materialized view `auction_counts` that
// the Go test creates. Every line is "section|value|value…"; a failing step
// prints "error|section|SQLSTATE|message" and the probe goes on.
'use strict';
const { Client } = require('pg');
const Cursor = require('pg-cursor');

// Print timestamps as PostgreSQL sends them, not as JS Dates in local time.
const types = require('pg').types;
types.setTypeParser(1114, (s) => s);
types.setTypeParser(20, (s) => s);

function line(...parts) {
  console.log(parts.join('|'));
}

async function step(name, fn) {
  try {
    await fn();
  } catch (e) {
    line('error', name, e.code || '', String(e.message).replace(/\s+/g, ' '));
  }
}

async function main() {
  const [host, port] = process.argv.slice(2);
  const client = new Client({ host, port: Number(port), user: 'sluice', database: 'sluice',
    connectionTimeoutMillis: 10000 });
  await client.connect();

  await step('query', async () => {
    const r = await client.query('SELECT window_start, auction, bids, top FROM auction_counts ORDER BY window_start, auction LIMIT 3');
    line('fields', ...r.fields.map((f) => `${f.name}:${f.dataTypeID}`));
    for (const row of r.rows) line('row', row.window_start, row.auction, row.bids, row.top);
  });

  await step('params', async () => {
    const r = await client.query('SELECT auction, bids, top FROM auction_counts WHERE auction = $1 AND top >= $2 ORDER BY window_start',
      [1, 155]);
    for (const row of r.rows) line('param', row.auction, row.bids, row.top);
  });

  await step('named', async () => {
    for (const a of [3, 2]) {
      const r = await client.query({ name: 'by_auction', text: 'SELECT count(*) AS n FROM auction_counts WHERE auction = $1', values: [a] });
      line('named', a, r.rows[0].n);
    }
  });

  await step('cursor', async () => {
    // A continuous query never ends: read 10 rows through a cursor in
    // chunks of 4, then close it.
    const cursor = client.query(new Cursor('SELECT auction, price, channel FROM bids'));
    let got = 0;
    while (got < 10) {
      const rows = await cursor.read(Math.min(4, 10 - got));
      if (rows.length === 0) break;
      for (const row of rows) line('cursor', row.auction, row.price, row.channel);
      got += rows.length;
    }
    await cursor.close();
    line('cursor-closed', got);
  });

  await step('after-cursor', async () => {
    const r = await client.query('SELECT count(*) AS n FROM auction_counts');
    line('after-cursor', r.rows[0].n);
  });

  await client.end();
  line('done');
}

main().catch((e) => {
  line('fatal', e.code || '', String(e.message).replace(/\s+/g, ' '));
  process.exit(1);
});
