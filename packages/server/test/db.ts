/**
 * A fresh, empty database for one test: in-memory PGlite by default, or a
 * new database on the PostgreSQL server named by KOTWAL_TEST_DATABASE_URL
 * (created here, dropped by cleanup()).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '#core/db/index.ts';
import { migrate, type MigrationSet } from '#core/db/migrate.ts';

export interface TestDatabase {
  db: Database;
  /** PostgreSQL URL of this test's database, or null on PGlite. */
  url: string | null;
  cleanup(): Promise<void>;
}

export const testDatabaseUrl = process.env['KOTWAL_TEST_DATABASE_URL'] || null;
export const testEngine: 'postgres' | 'pglite' = testDatabaseUrl ? 'postgres' : 'pglite';

/**
 * PGlite templates: creating a PGlite cluster (initdb in WASM) and running
 * every migration costs seconds per test database, so the first test process
 * that needs a given set of migrations runs them on a fresh cluster and
 * saves the data directory (a tarball, under the OS temp dir, named by the
 * hash of the PGlite version and the migration files); later test databases
 * start from it, exactly as freshly migrated. The migrations themselves are
 * still run for real whenever a file changes (and by migrate.test.ts).
 */
const pgliteVersion = (() => {
  try {
    const pkg = path.resolve(import.meta.dirname, '../../../node_modules/@electric-sql/pglite/package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

function templateKey(sets: readonly MigrationSet[]): string {
  const h = createHash('sha256').update(`pglite ${pgliteVersion}\n`);
  for (const set of sets) {
    h.update(`scope ${set.scope}\n`);
    for (const f of readdirSync(set.dir)
      .filter((n) => n.endsWith('.sql'))
      .sort())
      h.update(`${f}\n`).update(readFileSync(path.join(set.dir, f)));
  }
  return h.digest('hex').slice(0, 24);
}

async function pgliteFromTemplate(sets: readonly MigrationSet[]): Promise<Database> {
  const file = path.join(os.tmpdir(), `kotwal-pglite-template-${templateKey(sets)}.tar`);
  if (existsSync(file)) {
    try {
      return await openDatabase({ pgliteDir: 'memory://', pgliteTemplate: new Blob([readFileSync(file)]) });
    } catch {
      // A damaged template is rebuilt below.
    }
  }
  const db = await openDatabase({ pgliteDir: 'memory://' });
  await migrate(db, sets);
  const snap = await db.snapshot?.();
  if (snap) {
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, Buffer.from(await snap.arrayBuffer()));
    renameSync(tmp, file); // atomic: concurrent test processes never read half a file
  }
  return db;
}

/**
 * A fresh database. `migrations`: on PGlite, start from a cached template
 * with these applied (the caller's own migrate() then finds nothing to do);
 * on PostgreSQL the caller's migrate() runs them (a new database is cheap).
 */
export async function createTestDatabase(opts: { migrations?: readonly MigrationSet[] } = {}): Promise<TestDatabase> {
  // Read at call time: benchmarks switch engines within one process.
  const serverUrl = process.env['KOTWAL_TEST_DATABASE_URL'] || null;
  if (!serverUrl) {
    const db = opts.migrations?.length ? await pgliteFromTemplate(opts.migrations) : await openDatabase({ pgliteDir: 'memory://' });
    return { db, url: null, cleanup: () => db.close() };
  }
  const name = `kotwal_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = await openDatabase({ url, poolSize: 8 });
  return {
    db,
    url,
    async cleanup() {
      await db.close();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
