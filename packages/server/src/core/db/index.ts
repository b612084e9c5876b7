/**
 * One SQL dialect (PostgreSQL) on two engines: embedded PGlite by default,
 * a PostgreSQL server when DATABASE_URL is set. Callers see one small
 * interface; int8 comes back as a JS number and bytea as Uint8Array on both.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Pool, PoolClient } from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { openPostgresPool } from '#core/egress/connections.ts';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Bulk-loads `data` (COPY text format: tab-separated, `\N` for null, one row
   * a line) into `target` (`table (col, ...)`): COPY ... FROM STDIN on
   * PostgreSQL, COPY ... FROM '/dev/blob' on PGlite. Keep `data` to a batch.
   */
  copyFrom(target: string, data: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Streams a large result in pages without holding it all in memory. */
  stream<R = Record<string, unknown>>(sql: string, params: readonly unknown[], pageSize: number, onPage: (rows: R[]) => Promise<void> | void): Promise<void>;
  close(): Promise<void>;
  /** PGlite only: the whole data directory as a tarball (a template another PGlite can start from). */
  snapshot?(): Promise<Blob>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; when absent, PGlite. */
  url?: string | null;
  /** PGlite data directory; `memory://` for an in-memory database. */
  pgliteDir?: string;
  /** Max pool size for PostgreSQL. */
  poolSize?: number;
  /** PGlite only: start from this data-directory tarball (from snapshot()) instead of an empty cluster. */
  pgliteTemplate?: Blob;
}

const INT8 = 20;

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.url) return openPostgres(opts.url, opts.poolSize ?? 10);
  return openPglite(opts.pgliteDir ?? 'memory://', opts.pgliteTemplate);
}

async function openPglite(dir: string, template?: Blob): Promise<Database> {
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir, {
    parsers: { [INT8]: (v: string) => Number(v) },
    ...(template ? { loadDataDir: template } : {}),
  });
  const wrap = (q: { query: PGlite['query']; exec: PGlite['exec'] }): Queryable => ({
    async query<R>(sql: string, params?: readonly unknown[]) {
      const r = await q.query<R>(sql, params ? [...params] : undefined);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
    async copyFrom(target: string, data: string) {
      await q.query(`COPY ${target} FROM '/dev/blob'`, [], { blob: new Blob([data]) });
    },
  });
  const base = wrap(db);
  return {
    kind: 'pglite',
    query: (sql, params) => base.query(sql, params),
    exec: (sql) => base.exec(sql),
    copyFrom: (target, data) => base.copyFrom(target, data),
    snapshot: async () => db.dumpDataDir('none'),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction(async (tx) => fn(wrap(tx)));
    },
    async stream<R>(sql: string, params: readonly unknown[], pageSize: number, onPage: (rows: R[]) => Promise<void> | void) {
      // PGlite runs in-process: page with a cursor inside one transaction.
      await db.transaction(async (tx) => {
        await tx.query(`DECLARE kotwal_stream NO SCROLL CURSOR FOR ${sql}`, [...params]);
        for (;;) {
          const r = await tx.query<R>(`FETCH FORWARD ${Math.max(1, Math.floor(pageSize))} FROM kotwal_stream`);
          if (r.rows.length === 0) break;
          await onPage(r.rows);
        }
        await tx.query('CLOSE kotwal_stream');
      });
    },
    async close() {
      await db.close();
    },
  };
}

async function openPostgres(url: string, max: number): Promise<Database> {
  // The connection to the configured database is opened by core/egress (the one place that opens sockets).
  const pool = openPostgresPool({ url, max, applicationName: 'kotwal', typeParsers: { [INT8]: (v: string) => Number(v) } });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => undefined);
  // Fail fast with a clear message when the server is unreachable.
  const probe = await pool.connect();
  probe.release();
  const copyWith = async (client: PoolClient, target: string, data: string): Promise<void> => {
    const stream = client.query(copyFromStdin(`COPY ${target} FROM STDIN`));
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('finish', resolve);
      stream.end(data);
    });
  };
  const wrap = (c: Pool | PoolClient): Queryable => ({
    async query<R>(sql: string, params?: readonly unknown[]) {
      const r = await c.query(sql, params ? [...params] : undefined);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
    },
    async exec(sql: string) {
      await c.query(sql);
    },
    async copyFrom(target: string, data: string) {
      // A pool client (inside a transaction) has release(); the pool lends one for the copy.
      if ('release' in c) return copyWith(c, target, data);
      const client = await c.connect();
      try {
        await copyWith(client, target, data);
      } finally {
        client.release();
      }
    },
  });
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: (sql, params) => base.query(sql, params),
    exec: (sql) => base.exec(sql),
    copyFrom: (target, data) => base.copyFrom(target, data),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async stream<R>(sql: string, params: readonly unknown[], pageSize: number, onPage: (rows: R[]) => Promise<void> | void) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN READ ONLY');
        await client.query(`DECLARE kotwal_stream NO SCROLL CURSOR FOR ${sql}`, [...params]);
        for (;;) {
          const r = await client.query(`FETCH FORWARD ${Math.max(1, Math.floor(pageSize))} FROM kotwal_stream`);
          if (r.rows.length === 0) break;
          await onPage(r.rows as R[]);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}
