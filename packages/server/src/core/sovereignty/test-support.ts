/**
 * For the sovereignty tests and the replication bench: a small module whose
 * one dataset (`sovtest/items`, a key/JSON table) travels in transfers, and
 * officials' keys made in memory.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { publicKeyOfSecret, signHash } from '@kotwal/contracts';
import type { Queryable } from '#core/db/index.ts';
import { defineModule, type DatasetRecord, type ModuleDefinition } from '#core/module.ts';

export const TEST_DATASET = 'sovtest/items';

export class TestItemError extends Error {
  override name = 'TestItemError';
}

/** The module `sovtest` with dataset `items` (table sovtest_items). */
export function testDatasetModule(): ModuleDefinition {
  return defineModule({
    name: 'sovtest',
    title: 'Sovereignty test data',
    migrationsDir: fileURLToPath(new URL('./test-fixtures/migrations', import.meta.url)),
    datasets: [
      {
        collection: 'items',
        title: 'Test items',
        description: 'key/JSON rows for transfer tests',
        filters: ['keyPrefix'],
        async count(db, filter) {
          const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM sovtest_items WHERE ($1::text IS NULL OR starts_with(key, $1))`, [
            filter['keyPrefix'] ?? null,
          ]);
          return Number(r.rows[0]?.n ?? 0);
        },
        async read(db, opts) {
          const r = await db.query<{ key: string; data: string }>(
            `SELECT key, data::text AS data FROM sovtest_items
              WHERE ($1::text IS NULL OR key > $1 COLLATE "C") AND ($2::text IS NULL OR starts_with(key, $2)) AND ($3::text[] IS NULL OR key = ANY($3::text[]))
              ORDER BY key COLLATE "C" LIMIT $4`,
            [opts.after, opts.filter['keyPrefix'] ?? null, opts.items?.length ? [...opts.items] : null, opts.limit],
          );
          return r.rows.map((x) => ({ key: x.key, record: JSON.parse(x.data) as unknown }));
        },
        async write(tx, records) {
          await writeItems(tx, records);
        },
      },
    ],
  });
}

export async function writeItems(tx: Queryable, records: readonly DatasetRecord[]): Promise<void> {
  if (!records.length) return;
  for (const [i, r] of records.entries()) {
    if (!r.record || typeof r.record !== 'object' || Array.isArray(r.record)) throw new TestItemError(`record ${i} (${r.key}): not an object`);
  }
  await tx.query(
    `INSERT INTO sovtest_items (key, data) SELECT k, d::jsonb FROM unnest($1::text[], $2::text[]) AS x(k, d)
     ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data`,
    [records.map((r) => r.key), records.map((r) => JSON.stringify(r.record))],
  );
}

/** n rows `item-000001`... with a little JSON each (a fractional number included). */
export async function seedItems(db: Queryable, n: number, prefix = 'item-'): Promise<void> {
  for (let from = 0; from < n; from += 5000) {
    const keys: string[] = [];
    const data: string[] = [];
    for (let i = from; i < Math.min(n, from + 5000); i++) {
      keys.push(`${prefix}${String(i).padStart(6, '0')}`);
      data.push(JSON.stringify({ n: i, name: `Item ${i}`, lat: 31.5 + i / 1e5, tags: ['a', `t${i % 7}`], nested: { ok: i % 2 === 0, note: null } }));
    }
    await db.query(`INSERT INTO sovtest_items (key, data) SELECT k, d::jsonb FROM unnest($1::text[], $2::text[]) AS x(k, d)`, [keys, data]);
  }
}

export async function itemRows(db: Queryable): Promise<{ key: string; data: string }[]> {
  return (await db.query<{ key: string; data: string }>(`SELECT key, data::text AS data FROM sovtest_items ORDER BY key COLLATE "C"`)).rows;
}

export interface OfficialKey {
  secret: Uint8Array;
  publicKey: string;
  sign(hashHex: string): string;
}

export function officialKey(): OfficialKey {
  const secret = new Uint8Array(randomBytes(32));
  return { secret, publicKey: publicKeyOfSecret(secret), sign: (h) => signHash(h, secret) };
}
