import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '#test/db.ts';
import { migrate, MigrationError } from './migrate.ts';

describe('migrations', () => {
  let t: TestDatabase;
  let dir: string;
  before(async () => {
    t = await createTestDatabase();
    dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'kotwal-mig-')), 'migrations');
    mkdirSync(dir);
  });
  after(async () => t.cleanup());

  it('applies pending migrations once, in order, and refuses an edited one', async () => {
    writeFileSync(path.join(dir, '0001_things.sql'), 'CREATE TABLE things (id int PRIMARY KEY);\nCREATE TABLE more (id int);');
    writeFileSync(path.join(dir, '0002_seed.sql'), 'INSERT INTO things VALUES (1), (2);');
    const first = await migrate(t.db, [{ scope: 'test', dir }]);
    assert.deepEqual(
      first.map((m) => m.name),
      ['things', 'seed'],
    );
    const again = await migrate(t.db, [{ scope: 'test', dir }]);
    assert.equal(again.length, 0);
    const r = await t.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM things');
    assert.equal(r.rows[0].n, 2);

    writeFileSync(path.join(dir, '0002_seed.sql'), 'INSERT INTO things VALUES (3);');
    await assert.rejects(
      migrate(t.db, [{ scope: 'test', dir }]),
      (err: unknown) => err instanceof MigrationError && /changed after it was applied/.test(err.message),
    );
  });

  it('rolls back a failing migration completely', async () => {
    const bad = path.join(path.dirname(dir), 'bad');
    mkdirSync(bad);
    writeFileSync(path.join(bad, '0001_ok.sql'), 'CREATE TABLE ok_table (id int);');
    writeFileSync(path.join(bad, '0002_broken.sql'), 'CREATE TABLE half (id int); SELECT * FROM no_such_table;');
    await assert.rejects(migrate(t.db, [{ scope: 'bad', dir: bad }]));
    const r = await t.db.query<{ n: number }>("SELECT count(*)::int8 AS n FROM kotwal_migrations WHERE scope = 'bad'");
    assert.equal(r.rows[0].n, 0);
    const tables = await t.db.query("SELECT 1 FROM information_schema.tables WHERE table_name IN ('ok_table', 'half')");
    assert.equal(tables.rows.length, 0);
  });

  it('rejects badly named files', async () => {
    const odd = path.join(path.dirname(dir), 'odd');
    mkdirSync(odd);
    writeFileSync(path.join(odd, 'create.sql'), 'SELECT 1;');
    await assert.rejects(migrate(t.db, [{ scope: 'odd', dir: odd }]), /must be named NNNN_<what>\.sql/);
  });
});
