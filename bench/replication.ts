/**
 * Replication: records/s from a source node to a replica on loopback, two
 * in-process apps talking real HTTP through their egress gateways: each
 * batch ledgered on the source, covered by a freshly signed checkpoint with
 * inclusion and consistency proofs, signed, pushed, verified by the replica
 * (source signature, M-of-N approvals, chain, records hash, ledger entry,
 * inclusion, checkpoint signature, consistency), written with the replica's
 * own ledger entry in one transaction, answered with a signed receipt that
 * the source verifies and records. Beside it, in the same run, a plain copy
 * of the same rows into the same table of the replica's database: on
 * PostgreSQL `COPY (SELECT ...) TO STDOUT` piped into `COPY ... FROM STDIN`
 * (what pg_dump | psql does for one table); on PGlite, which has no
 * separate server to dump from, one SELECT of the rows and one COPY FROM of
 * them. Medians of KOTWAL_BENCH_ROUNDS (3). Prints figures; asserts nothing.
 *
 *   npm run bench -- replication
 *   BENCH_ROWS=200000 KOTWAL_REPLICATION_BATCH=2000 npm run bench -- replication
 *   KOTWAL_BENCH_ENGINES=postgres npm run bench -- replication
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { loadConfig } from '../packages/server/src/core/config/index.ts';
import type { Queryable } from '../packages/server/src/core/db/index.ts';
import { buildApp, type KotwalApp } from '../packages/server/src/app.ts';
import { TEST_DATASET, officialKey, seedItems, testDatasetModule } from '../packages/server/src/core/sovereignty/test-support.ts';
import { createTestDatabase, type TestDatabase } from '../packages/server/test/db.ts';
import { adminSession, authHeaders } from '../packages/server/test/auth-helpers.ts';
import type { TestApp } from '../packages/server/test/app.ts';
import { engines, fmt, median, table } from './_util.ts';

const ROWS = Number(process.env['BENCH_ROWS'] ?? 50_000);
const ROUNDS = Number(process.env['KOTWAL_BENCH_ROUNDS'] ?? 3);
const BATCH = process.env['KOTWAL_REPLICATION_BATCH'] ?? '1000';
const only = process.env['KOTWAL_BENCH_ENGINES'];

interface BenchNode {
  app: KotwalApp;
  tdb: TestDatabase;
  dataDir: string;
  url: string;
  printed: string[];
  close(): Promise<void>;
}

async function startNode(name: string, env: Record<string, string>): Promise<BenchNode> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `kotwal-bench-repl-${name}-`));
  const tdb = await createTestDatabase();
  const config = loadConfig({
    KOTWAL_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    KOTWAL_RATE_LIMIT: '10000000',
    KOTWAL_LOGIN_RATE_LIMIT: '100000',
    OSMAND_PORT: '0',
    MQTT_PORT: '0',
    KOTWAL_NODE_NAME: name,
    KOTWAL_JURISDICTION: 'PK-PB',
    KOTWAL_REPLICATION_BATCH: BATCH,
    ...env,
  });
  const printed: string[] = [];
  const app = await buildApp({ config, db: tdb.db, modules: [testDatasetModule()], serveConsole: false, print: (l) => printed.push(l) });
  const url = await app.http.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    tdb,
    dataDir,
    url,
    printed,
    async close() {
      await app.close();
      await tdb.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The harness's sign-in helpers take a TestApp; they use app, adminPassword. */
function asTestApp(n: BenchNode): TestApp {
  const otp = n.printed.map((l) => /one-time password: (\S+)/.exec(l)?.[1]).find(Boolean) ?? '';
  return { ...n.app, app: n.app.http, config: n.app.ctx.config, dataDir: n.dataDir, adminPassword: otp, printed: n.printed };
}

const copyText = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

/** The plain copy: every row of the source's table into the replica's, no checks. */
async function plainCopy(source: BenchNode, replica: BenchNode): Promise<void> {
  if (source.tdb.url && replica.tdb.url) {
    const from = new pg.Client({ connectionString: source.tdb.url });
    const to = new pg.Client({ connectionString: replica.tdb.url });
    await from.connect();
    await to.connect();
    try {
      await pipeline(
        from.query(copyTo('COPY (SELECT key, data FROM sovtest_items ORDER BY key) TO STDOUT')),
        to.query(copyFrom('COPY sovtest_items (key, data) FROM STDIN')),
      );
    } finally {
      await from.end();
      await to.end();
    }
    return;
  }
  const rows = await source.app.ctx.db.query<{ key: string; data: string }>('SELECT key, data::text AS data FROM sovtest_items ORDER BY key');
  const lines: string[] = [];
  for (const r of rows.rows) lines.push(`${copyText(r.key)}\t${copyText(r.data)}`);
  await replica.app.ctx.db.copyFrom('sovtest_items (key, data)', `${lines.join('\n')}\n`);
}

async function count(db: Queryable): Promise<number> {
  return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sovtest_items')).rows[0].n;
}

for (const engine of engines()) {
  if (only && !engine.name.toLowerCase().startsWith(only.toLowerCase())) continue;
  if (engine.url) process.env['KOTWAL_TEST_DATABASE_URL'] = engine.url;
  else delete process.env['KOTWAL_TEST_DATABASE_URL'];

  const source = await startNode('punjab-1', {});
  const replica = await startNode('punjab-dr', { KOTWAL_REPLICA_OF: source.url });
  try {
    const st = asTestApp(source);
    const admin = await adminSession(st);
    const inject = async <T>(method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
      const r = await source.app.http.inject({ method, url, headers: authHeaders(admin), ...(payload ? { payload } : {}) });
      if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.json<T>();
    };
    await seedItems(source.app.ctx.db, ROWS);
    await inject('POST', '/api/v1/transfers/peers', {
      name: 'punjab-dr',
      address: replica.url,
      publicKey: replica.app.ctx.node.publicKey,
      jurisdiction: 'PK-PB',
    });
    const keys = [officialKey(), officialKey(), officialKey()];
    for (const [i, k] of keys.entries())
      await inject('POST', '/api/v1/transfers/approvers', { dataset: TEST_DATASET, publicKey: k.publicKey, name: `Official ${i}` });
    await inject('PUT', '/api/v1/transfers/policy', { dataset: TEST_DATASET, threshold: 2 });

    const replicated: number[] = [];
    const copied: number[] = [];
    let batches = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await replica.app.ctx.db.query('TRUNCATE sovtest_items');
      const t = await inject<{ id: string; manifestHash: string }>('POST', '/api/v1/transfers', {
        dataset: TEST_DATASET,
        destinationNode: 'punjab-dr',
        destinationJurisdiction: 'PK-PB',
        purpose: 'replication bench',
        legalBasis: 'bench',
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      for (const k of keys.slice(0, 2)) {
        const r = await source.app.http.inject({
          method: 'POST',
          url: `/api/v1/transfers/${t.id}/approvals`,
          payload: { publicKey: k.publicKey, signature: k.sign(t.manifestHash) },
        });
        if (r.statusCode !== 201) throw new Error(`approval: ${r.statusCode} ${r.body}`);
      }
      const t0 = performance.now();
      await inject('POST', `/api/v1/transfers/${t.id}/execute`);
      await source.app.sovereignty.sender.settled(t.id);
      const secs = (performance.now() - t0) / 1000;
      const done = await inject<{ status: string; error: string | null; progress: { recordsAcknowledged: number; batchesAcknowledged: number } }>(
        'GET',
        `/api/v1/transfers/${t.id}`,
      );
      if (done.status !== 'completed') throw new Error(`transfer ${t.id} ended ${done.status}: ${done.error}`);
      const n = await count(replica.app.ctx.db);
      if (n !== ROWS || done.progress.recordsAcknowledged !== ROWS)
        throw new Error(`replica holds ${n} rows, acknowledged ${done.progress.recordsAcknowledged}, expected ${ROWS}`);
      batches = done.progress.batchesAcknowledged;
      replicated.push(ROWS / secs);

      await replica.app.ctx.db.query('TRUNCATE sovtest_items');
      const c0 = performance.now();
      await plainCopy(source, replica);
      const csecs = (performance.now() - c0) / 1000;
      const m = await count(replica.app.ctx.db);
      if (m !== ROWS) throw new Error(`plain copy left ${m} rows, expected ${ROWS}`);
      copied.push(ROWS / csecs);
    }
    const r = median(replicated);
    const c = median(copied);
    console.log(`\nReplication on ${engine.name} (${fmt(ROWS)} records, batches of ${BATCH} (${batches} a run), ${ROUNDS} rounds, medians)`);
    console.log(
      table([
        ['path', 'records/s', 'runs (records/s)'],
        ['signed replication (source -> replica over HTTP, verified)', fmt(r), replicated.map((x) => fmt(x)).join(' / ')],
        [engine.url ? 'plain copy: COPY TO STDOUT | COPY FROM STDIN' : 'plain copy: SELECT rows, COPY FROM', fmt(c), copied.map((x) => fmt(x)).join(' / ')],
      ]),
    );
    console.log(`ratio replication/plain copy: ${fmt(r / c, 3)}`);
  } finally {
    await replica.close();
    await source.close();
  }
}
