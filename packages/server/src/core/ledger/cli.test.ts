import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InclusionProof } from '@kotwal/contracts';
import { loadConfig } from '#core/config/index.ts';
import { openDatabase, type Database } from '#core/db/index.ts';
import { migrate } from '#core/db/migrate.ts';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '#test/db.ts';
import { runKotwal, spawnKotwal, type CliRun } from '#test/cli.ts';
import { Ledger } from './ledger.ts';
import { ledgerMigrations } from './index.ts';
import { appendMany, disableGuards, silentLogger } from './test-support.ts';

/** In-process (the real program, output captured); `spawned` runs the real binary as a process. */
const kotwal = (args: string[], env: Record<string, string>, spawned = false): Promise<CliRun> => (spawned ? spawnKotwal(args, env) : runKotwal(args, env));

describe('kotwal ledger (CLI)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let db: Database;
  let tdb: TestDatabase | null = null;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-ledger-cli-'));
    if (testDatabaseUrl) {
      tdb = await createTestDatabase();
      db = tdb.db;
      env = { KOTWAL_DATA_DIR: dataDir, DATABASE_URL: tdb.url! };
    } else {
      // The CLI's fixed PGlite path: <data dir>/pglite.
      db = await openDatabase({ pgliteDir: path.join(dataDir, 'pglite') });
      env = { KOTWAL_DATA_DIR: dataDir };
    }
    await migrate(db, [ledgerMigrations]);
    const config = loadConfig({ ...env, KOTWAL_CHECKPOINT_EVERY: '40' });
    const ledger = await Ledger.open({ db, config, logger: silentLogger, background: false });
    for (let b = 0; b < 3; b++) await appendMany(ledger, 40, b * 40);
    await ledger.close();
    if (!tdb) await db.close(); // PGlite: one process at a time
  });

  after(async () => {
    if (tdb) await tdb.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Runs fn on the database while no CLI process has it open. */
  async function withDb(fn: (d: Database) => Promise<void>): Promise<void> {
    if (tdb) return fn(db);
    const d = await openDatabase({ pgliteDir: path.join(dataDir, 'pglite') });
    try {
      await fn(d);
    } finally {
      await d.close();
    }
  }

  it('--help describes every subcommand', async () => {
    const r = await kotwal(['ledger', '--help'], env, true);
    assert.equal(r.code, 0);
    for (const sub of ['verify', 'export', 'proof', 'checkpoint']) assert.match(r.stdout, new RegExp(`\\b${sub}\\b`));
    for (const sub of ['verify', 'export', 'proof', 'checkpoint']) {
      const h = await kotwal(['ledger', sub, '--help'], env);
      assert.equal(h.code, 0, sub);
      assert.match(h.stdout, new RegExp(`Usage: kotwal ledger ${sub}`));
    }
  });

  it('verify: exit 0 when intact', async () => {
    const r = await kotwal(['ledger', 'verify'], env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /ledger intact: 120 entries/);
    assert.match(r.stdout, /trusted key id/);
  });

  it('checkpoint: shows the latest and checks its signature', async () => {
    const r = await kotwal(['ledger', 'checkpoint'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /tree size:\s+120/);
    assert.match(r.stdout, /signature:\s+valid/);
    const j = await kotwal(['ledger', 'checkpoint', '--json'], env);
    assert.equal((JSON.parse(j.stdout) as { treeSize: number }).treeSize, 120);
  });

  it('proof: prints the inclusion proof and checks it', async () => {
    const r = await kotwal(['ledger', 'proof', '--seq', '17'], env);
    assert.equal(r.code, 0, r.stderr);
    const proof = JSON.parse(r.stdout) as InclusionProof;
    assert.equal(proof.seq, 17);
    assert.equal(proof.treeSize, 120);
    assert.match(r.stderr, /ok: the audit path/);
    assert.match(r.stderr, /ok: the proof's root is the checkpoint's signed root/);
    const older = await kotwal(['ledger', 'proof', '--seq', '17', '--tree-size', '40'], env);
    assert.equal(older.code, 0, older.stderr);
    assert.equal((JSON.parse(older.stdout) as InclusionProof).treeSize, 40);
    const bad = await kotwal(['ledger', 'proof', '--seq', '500'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--seq 500/);
  });

  it('export, then verify --bundle offline; then tampering makes verify exit 1 naming the seq', async () => {
    const out = path.join(dataDir, 'bundle');
    const e = await kotwal(['ledger', 'export', '--out', out, '--quiet'], env);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /exported 120 entries/);
    const vb = await kotwal(['ledger', 'verify', '--bundle', out, '--quiet'], {});
    assert.equal(vb.code, 0, vb.stderr + vb.stdout);
    assert.match(vb.stdout, /ledger intact: 120 entries/);

    await withDb(async (d) => {
      await disableGuards(d);
      await d.query("UPDATE ledger_entries SET resource = 'registries:person/other' WHERE seq = 42");
    });
    const r = await kotwal(['ledger', 'verify'], env);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /first failing sequence number 42/);
    assert.match(r.stdout, /reason: entry 42/);
    const json = await kotwal(['ledger', 'verify', '--json', '--quiet'], env);
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as { firstFailingSeq: number }).firstFailingSeq, 42);
  });

  it('exit 2 with a message when there is no database', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'kotwal-ledger-none-'));
    try {
      const r = await kotwal(['ledger', 'verify'], { KOTWAL_DATA_DIR: empty });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no database at/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
