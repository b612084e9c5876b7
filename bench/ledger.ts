/**
 * Ledger: appends/s awaited one at a time and group-committed (many
 * concurrent appends), full verification speed (entries/s) beside raw
 * SHA-256 throughput on inputs of the same size, measured in the same run;
 * medians of several runs. PGlite (on disk, as `npm start` runs it) and
 * PostgreSQL when KOTWAL_BENCH_DATABASE_URL or KOTWAL_TEST_DATABASE_URL is
 * set. Prints figures; asserts nothing.
 *
 *   node --import tsx bench/ledger.ts
 *   KOTWAL_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/ledger.ts
 *
 * Knobs: KOTWAL_BENCH_VERIFY_ENTRIES (default 200000), KOTWAL_BENCH_ROUNDS (3).
 */
import { createHash, hash as nodeHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { entryBytes } from '@kotwal/contracts';
import { loadConfig } from '../packages/server/src/core/config/index.ts';
import type { LedgerAppend } from '../packages/server/src/core/context.ts';
import { openDatabase, type Database } from '../packages/server/src/core/db/index.ts';
import { migrate } from '../packages/server/src/core/db/migrate.ts';
import { Ledger, exportBundle, ledgerMigrations, verifyBundle, verifyDatabase } from '../packages/server/src/core/ledger/index.ts';
import { fmt, median, table } from './_util.ts';

const ROUNDS = Number(process.env['KOTWAL_BENCH_ROUNDS'] ?? 3);
const VERIFY_ENTRIES = Number(process.env['KOTWAL_BENCH_VERIFY_ENTRIES'] ?? 200_000);
const CONCURRENCY = 256;
const logger = pino({ level: 'silent' });
const pgUrl = process.env['KOTWAL_BENCH_DATABASE_URL'] || process.env['KOTWAL_TEST_DATABASE_URL'] || null;

/** A typical read-audit entry (what a registry read writes). */
function entry(i: number): LedgerAppend {
  return {
    actorType: 'user',
    actorId: '6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5',
    action: 'registries.person.read',
    resource: `registries:person/${(i * 7919) % 1_000_003}`,
    outcome: 'allowed',
    purpose: 'investigation',
    caseRef: `FIR-2026-${i % 10_000}`,
    requestId: `req-${i.toString(36)}-bench`,
    details: i % 2 === 0 ? { query: { name: 'Ramesh' }, results: 3 } : null,
  };
}

interface Engine {
  name: string;
  open(): Promise<{ db: Database; dispose: () => Promise<void> }>;
}

function pgliteEngine(): Engine {
  return {
    name: 'PGlite (on disk)',
    async open() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-bench-pglite-'));
      const db = await openDatabase({ pgliteDir: path.join(dir, 'pglite') });
      return {
        db,
        async dispose() {
          await db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

function postgresEngine(url: string): Engine {
  return {
    name: 'PostgreSQL',
    async open() {
      const name = `kotwal_bench_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const u = new URL(url);
      u.pathname = `/${name}`;
      const db = await openDatabase({ url: u.toString(), poolSize: 10 });
      return {
        db,
        async dispose() {
          await db.close();
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.end();
        },
      };
    },
  };
}

async function withLedger<T>(engine: Engine, fn: (l: Ledger, db: Database, dataDir: string) => Promise<T>): Promise<T> {
  const { db, dispose } = await engine.open();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-bench-data-'));
  try {
    await migrate(db, [ledgerMigrations]);
    const config = loadConfig({ KOTWAL_DATA_DIR: dataDir });
    const ledger = await Ledger.open({ db, config, logger });
    try {
      return await fn(ledger, db, dataDir);
    } finally {
      await ledger.close();
    }
  } finally {
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Appends awaited one at a time. */
async function single(ledger: Ledger, n: number, offset: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await ledger.append(entry(offset + i));
  return (n * 1000) / (performance.now() - t0);
}

/** `workers` concurrent callers, each awaiting its append before the next (like concurrent requests). */
async function grouped(ledger: Ledger, n: number, workers: number, offset: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        await ledger.append(entry(offset + i));
      }
    }),
  );
  return (n * 1000) / (performance.now() - t0);
}

/** Raw SHA-256 hashes/s over inputs of an entry's size, one hash per input: createHash, and the one-shot crypto.hash verify uses. */
function rawSha256(inputs: Uint8Array[], oneShot: boolean, seconds = 1): number {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    if (oneShot) for (const b of inputs) nodeHash('sha256', b, 'buffer');
    else for (const b of inputs) createHash('sha256').update(b).digest();
    n += inputs.length;
  }
  return (n * 1000) / (performance.now() - t0);
}

const results: (string | number)[][] = [['engine', 'measure', 'median', 'unit', 'runs']];
const row = (engine: string, what: string, runs: number[], unit: string): void => {
  results.push([engine, what, fmt(median(runs)), unit, runs.map((r) => fmt(r)).join(' / ')]);
  console.log(`  ${what}: ${fmt(median(runs))} ${unit} (runs: ${runs.map((r) => fmt(r)).join(', ')})`);
};

const engines: Engine[] = [pgliteEngine(), ...(pgUrl ? [postgresEngine(pgUrl)] : [])];
if (!pgUrl) console.log('KOTWAL_BENCH_DATABASE_URL / KOTWAL_TEST_DATABASE_URL not set: PostgreSQL figures are skipped');
console.log(
  `${os.cpus().length} CPU(s), ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

for (const engine of engines) {
  console.log(`\n${engine.name}`);
  const singleRuns: number[] = [];
  const groupRuns: number[] = [];
  await withLedger(engine, async (ledger) => {
    let offset = 0;
    for (let r = 0; r < ROUNDS; r++) {
      singleRuns.push(await single(ledger, 300, offset));
      offset += 300;
      groupRuns.push(await grouped(ledger, 20_000, CONCURRENCY, offset));
      offset += 20_000;
    }
  });
  row(engine.name, 'append, awaited one at a time', singleRuns, 'appends/s');
  row(engine.name, `append, group-committed (${CONCURRENCY} concurrent callers)`, groupRuns, 'appends/s');

  await withLedger(engine, async (ledger, db, dataDir) => {
    // Fill quickly: big concurrent batches.
    const fill0 = performance.now();
    for (let done = 0; done < VERIFY_ENTRIES; done += 20_000) {
      const n = Math.min(20_000, VERIFY_ENTRIES - done);
      await Promise.all(Array.from({ length: n }, (_, i) => ledger.append(entry(done + i))));
    }
    await ledger.checkpointNow();
    console.log(`  filled ${fmt(VERIFY_ENTRIES)} entries in ${fmt((performance.now() - fill0) / 1000, 1)} s`);
    const key = ledger.publicKey().pem;
    const sample = Array.from({ length: 1000 }, (_, i) => {
      const e = entry(i);
      return entryBytes({
        seq: 1_000_000 + i,
        at: new Date().toISOString(),
        actorType: e.actorType,
        actorId: e.actorId,
        action: e.action,
        resource: e.resource,
        purpose: e.purpose ?? null,
        caseRef: e.caseRef ?? null,
        outcome: e.outcome,
        requestId: e.requestId ?? null,
        detailsHash: i % 2 === 0 ? 'a'.repeat(64) : null,
      });
    });
    const avgBytes = sample.reduce((s, b) => s + b.length, 0) / sample.length;
    const verifyRuns: number[] = [];
    const shaRuns: number[] = [];
    const oneShotRuns: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      shaRuns.push(rawSha256(sample, false));
      oneShotRuns.push(rawSha256(sample, true));
      const t0 = performance.now();
      const report = await verifyDatabase(db, { publicKey: key, checkpointFile: ledger.checkpointFile });
      const rate = (report.entries * 1000) / (performance.now() - t0);
      if (!report.ok) console.log(`  (verify reported problems: ${report.problems[0]?.message ?? ''})`);
      verifyRuns.push(rate);
    }
    row(engine.name, `verify from the database (${fmt(VERIFY_ENTRIES)} entries)`, verifyRuns, 'entries/s');
    row(engine.name, `raw SHA-256, createHash, ${fmt(avgBytes)}-byte inputs`, shaRuns, 'hashes/s');
    row(engine.name, `raw SHA-256, crypto.hash one-shot, ${fmt(avgBytes)}-byte inputs`, oneShotRuns, 'hashes/s');
    console.log(
      `  verify hashes ~2.5 times per entry (leaf, ~1 interior node, details for half the entries): the hashing alone allows ~${fmt(median(oneShotRuns) / 2.5)} entries/s; measured verify is ${((median(verifyRuns) * 2.5 * 100) / median(oneShotRuns)).toFixed(0)}% of that`,
    );

    if (engine === engines[0]) {
      const out = path.join(dataDir, 'bundle');
      const e0 = performance.now();
      await exportBundle(db, out, { publicKey: key, checkpointFile: ledger.checkpointFile });
      console.log(`  export: ${fmt((VERIFY_ENTRIES * 1000) / (performance.now() - e0))} entries/s`);
      const bundleRuns: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const t0 = performance.now();
        const report = await verifyBundle(out);
        bundleRuns.push((report.entries * 1000) / (performance.now() - t0));
      }
      row('(no database)', 'verify an exported bundle', bundleRuns, 'entries/s');
    }
  });
}

console.log(`\n${table(results)}`);
