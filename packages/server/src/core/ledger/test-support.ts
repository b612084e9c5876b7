/**
 * Test fixtures for the ledger: a migrated fresh database (PGlite in memory,
 * or PostgreSQL when KOTWAL_TEST_DATABASE_URL is set), a temporary data dir
 * and an open Ledger. Used by the *.test.ts files beside it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig, type KotwalConfig } from '#core/config/index.ts';
import type { Database } from '#core/db/index.ts';
import { migrate } from '#core/db/migrate.ts';
import { createTestDatabase } from '#test/db.ts';
import type { LedgerAppend } from '#core/context.ts';
import { Ledger, type LedgerOpenOptions } from './ledger.ts';
import { ledgerMigrations } from './index.ts';

export interface LedgerFixture {
  db: Database;
  url: string | null;
  config: KotwalConfig;
  dataDir: string;
  ledger: Ledger;
  /** Opens another Ledger on the same database and data dir (another process, or a restart). */
  open(extra?: Partial<LedgerOpenOptions>): Promise<Ledger>;
  close(): Promise<void>;
}

export const silentLogger = pino({ level: 'silent' });

export async function ledgerFixture(opts: { env?: Record<string, string>; ledger?: Partial<LedgerOpenOptions> } = {}): Promise<LedgerFixture> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-ledger-'));
  const tdb = await createTestDatabase({ migrations: [ledgerMigrations] });
  await migrate(tdb.db, [ledgerMigrations]);
  const config = loadConfig({ KOTWAL_DATA_DIR: dataDir, ...(opts.env ?? {}) });
  const opened: Ledger[] = [];
  const open = async (extra: Partial<LedgerOpenOptions> = {}): Promise<Ledger> => {
    const l = await Ledger.open({ db: tdb.db, config, logger: silentLogger, ...(opts.ledger ?? {}), ...extra });
    opened.push(l);
    return l;
  };
  const ledger = await open();
  return {
    db: tdb.db,
    url: tdb.url,
    config,
    dataDir,
    ledger,
    open,
    async close() {
      for (const l of opened) await l.close();
      await tdb.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function sampleEntry(i: number, extra: Partial<LedgerAppend> = {}): LedgerAppend {
  return {
    actorType: i % 3 === 0 ? 'device' : 'user',
    actorId: `actor-${i % 7}`,
    action: i % 2 === 0 ? 'registries.person.read' : 'auth.login.succeeded',
    resource: `registries:person/${i}`,
    outcome: i % 5 === 0 ? 'denied' : 'allowed',
    purpose: i % 4 === 0 ? 'investigation' : null,
    caseRef: i % 4 === 0 ? `CASE-${i}` : null,
    requestId: `req-${i}`,
    details: i % 2 === 0 ? { i, name: `Person ${i}`, note: 'ünïcode ✓' } : null,
    ...extra,
  };
}

/** Appends n sample entries one batch at a time (concurrently within a batch). */
export async function appendMany(ledger: Ledger, n: number, start = 0): Promise<number[]> {
  const seqs = await Promise.all(Array.from({ length: n }, (_, i) => ledger.append(sampleEntry(start + i))));
  return seqs.map((s) => s.seq);
}

/** Lets a test rewrite the append-only tables, as someone who owns them could. */
export async function disableGuards(db: Database): Promise<void> {
  for (const t of ['ledger_entries', 'ledger_tree', 'ledger_checkpoints', 'ledger_details']) await db.exec(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
}
