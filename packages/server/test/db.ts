/**
 * A fresh, empty database for one test: in-memory PGlite by default, or a
 * new database on the PostgreSQL server named by KOTWAL_TEST_DATABASE_URL
 * (created here, dropped by cleanup()).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '#core/db/index.ts';

export interface TestDatabase {
  db: Database;
  /** PostgreSQL URL of this test's database, or null on PGlite. */
  url: string | null;
  cleanup(): Promise<void>;
}

export const testDatabaseUrl = process.env['KOTWAL_TEST_DATABASE_URL'] || null;
export const testEngine: 'postgres' | 'pglite' = testDatabaseUrl ? 'postgres' : 'pglite';

export async function createTestDatabase(): Promise<TestDatabase> {
  // Read at call time: benchmarks switch engines within one process.
  const serverUrl = process.env['KOTWAL_TEST_DATABASE_URL'] || null;
  if (!serverUrl) {
    const db = await openDatabase({ pgliteDir: 'memory://' });
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
