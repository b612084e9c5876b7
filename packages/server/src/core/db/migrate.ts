/**
 * SQL migrations, one set per core part and per module
 * (`migrations/NNNN_<what>.sql`), applied in order and recorded with their
 * checksum. One run is one transaction, so a failing migration leaves
 * nothing of the run behind. An applied migration that has since changed on
 * disk stops the start: history is not rewritten silently.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Database } from './index.ts';

export interface MigrationSet {
  /** `core.auth`, `core.ledger`, or a module name. */
  scope: string;
  dir: string;
}

export interface MigrationFile {
  scope: string;
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

const FILE_RE = /^(\d{4})_([a-z0-9_-]+)\.sql$/;

export function readMigrations(set: MigrationSet): MigrationFile[] {
  if (!existsSync(set.dir)) return [];
  const files = readdirSync(set.dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  return files.map((f) => {
    const m = FILE_RE.exec(f);
    if (!m) throw new Error(`migration file ${path.join(set.dir, f)} must be named NNNN_<what>.sql`);
    const sql = readFileSync(path.join(set.dir, f), 'utf8');
    return {
      scope: set.scope,
      version: Number(m[1]),
      name: m[2],
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    };
  });
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Applies pending migrations; returns those applied. */
export async function migrate(db: Database, sets: readonly MigrationSet[], onProgress: (msg: string) => void = () => undefined): Promise<MigrationFile[]> {
  const applied: MigrationFile[] = [];
  return db.transaction(async (lockTx) => {
    // Serialise concurrent starts (several processes on one PostgreSQL).
    if (db.kind === 'postgres') await lockTx.query('SELECT pg_advisory_xact_lock(727274001)');
    await lockTx.exec(`CREATE TABLE IF NOT EXISTS kotwal_migrations (
      scope text NOT NULL,
      version integer NOT NULL,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (scope, version)
    )`);
    const done = await lockTx.query<{ scope: string; version: number; checksum: string; name: string }>(
      'SELECT scope, version, checksum, name FROM kotwal_migrations',
    );
    const seen = new Map(done.rows.map((r) => [`${r.scope}/${r.version}`, r]));
    for (const set of sets) {
      for (const m of readMigrations(set)) {
        const prior = seen.get(`${m.scope}/${m.version}`);
        if (prior) {
          if (prior.checksum !== m.checksum) {
            throw new MigrationError(
              `migration ${m.scope}/${String(m.version).padStart(4, '0')}_${m.name} was changed after it was applied (checksum differs); add a new migration instead`,
            );
          }
          continue;
        }
        onProgress(`applying ${m.scope}/${String(m.version).padStart(4, '0')}_${m.name}`);
        await lockTx.exec(m.sql);
        await lockTx.query('INSERT INTO kotwal_migrations (scope, version, name, checksum) VALUES ($1, $2, $3, $4)', [m.scope, m.version, m.name, m.checksum]);
        applied.push(m);
      }
    }
    return applied;
  });
}
