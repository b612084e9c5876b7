import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '#test/db.ts';
import { migrate } from '#core/db/migrate.ts';
import type { DatasetDefinition, DatasetRecord } from '#core/module.ts';
import { registryDatasets } from './datasets.ts';
import { registriesModule } from './index.ts';
import { FIXTURE, seedRegistries } from './test-support.ts';

function named(collection: string): DatasetDefinition {
  const d = registryDatasets.find((x) => x.collection === collection);
  assert.ok(d, `dataset registries/${collection}`);
  return d;
}

async function readAll(t: TestDatabase, d: DatasetDefinition, filter: Record<string, string> = {}, limit = 2): Promise<DatasetRecord[]> {
  const out: DatasetRecord[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await d.read(t.db, { after, limit, filter });
    out.push(...page);
    if (page.length < limit) return out;
    after = page[page.length - 1]?.key ?? null;
  }
}

async function snapshot(t: TestDatabase): Promise<unknown[]> {
  const r = await t.db.query(
    `SELECT 'r' AS t, registry || '|' || key || '|' || record_hash AS v FROM reg_records
     UNION ALL SELECT 'l', cnic || '|' || registry || '|' || key || '|' || rel FROM reg_links
     UNION ALL SELECT 'p', cnic || '|' || name || '|' || array_to_string(name_keys, ',') FROM reg_persons ORDER BY 1, 2`,
  );
  return r.rows;
}

describe('registries datasets (what a transfer reads on the source and writes on a replica)', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
    await migrate(t.db, [{ scope: 'registries', dir: registriesModule.migrationsDir ?? '' }], () => undefined);
    await seedRegistries(t.db);
  });
  after(async () => t.cleanup());

  it('names one dataset per registry, counts and pages in key order', async () => {
    assert.deepEqual(
      registryDatasets.map((d) => d.collection),
      ['identity', 'vehicles', 'customs', 'sims', 'land', 'tax', 'travel', 'foreigners', 'criminal'],
    );
    const identity = named('identity');
    const expected = FIXTURE.filter((f) => f.registry === 'identity').length;
    assert.equal(await identity.count(t.db, {}), expected);
    const all = await readAll(t, identity);
    assert.equal(all.length, expected);
    const keys = all.map((r) => r.key);
    assert.deepEqual(keys, [...keys].sort(), 'pages follow key order without gaps or repeats');
    assert.equal(new Set(keys).size, keys.length);
    const prefix = keys[0]?.slice(0, 5) ?? '';
    const filtered = await readAll(t, identity, { keyPrefix: prefix });
    assert.ok(filtered.length >= 1 && filtered.every((r) => r.key.startsWith(prefix)));
    assert.equal(await identity.count(t.db, { keyPrefix: prefix }), filtered.length);
    assert.equal(await identity.count(t.db, { keyPrefix: '99999' }), 0);
    const one = await identity.read(t.db, { after: null, limit: 10, filter: {}, items: [keys[1] ?? ''] });
    assert.deepEqual(
      one.map((r) => r.key),
      [keys[1]],
    );
  });

  it('writes back what it read: records, links and the person index come out identical', async () => {
    const before = await snapshot(t);
    const pages = new Map<DatasetDefinition, DatasetRecord[]>();
    for (const d of registryDatasets) pages.set(d, await readAll(t, d));
    await t.db.query('DELETE FROM reg_links');
    await t.db.query('DELETE FROM reg_persons');
    await t.db.query('DELETE FROM reg_records');
    await t.db.transaction(async (tx) => {
      for (const [d, records] of pages) await d.write(tx, records);
    });
    assert.deepEqual(await snapshot(t), before);
    // Writing the same records again changes nothing (idempotent by key).
    await t.db.transaction(async (tx) => {
      for (const [d, records] of pages) await d.write(tx, records);
    });
    assert.deepEqual(await snapshot(t), before);
  });

  it('refuses a record that is not canonical, or whose key does not match it, and writes nothing of the batch', async () => {
    const identity = named('identity');
    const [first] = await identity.read(t.db, { after: null, limit: 1, filter: {} });
    assert.ok(first);
    const before = await snapshot(t);
    const bad: DatasetRecord[] = [
      { key: first.key, record: { ...(first.record as object), cnic: '12345' } },
      { key: '35202-0000000-1', record: first.record },
      { key: first.key, record: 'not an object' },
    ];
    for (const r of bad) {
      await assert.rejects(
        t.db.transaction((tx) => identity.write(tx, [first, r])),
        /record 1/,
      );
    }
    assert.deepEqual(await snapshot(t), before);
  });
});
