import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '#test/db.ts';
import { runKotwal, spawnKotwal, type CliRun } from '#test/cli.ts';

const HEADER = 'msisdn,operator,owner_cnic,activated_on,status\n';

describe('kotwal registries import (CLI)', () => {
  let dir: string;
  let tdb: TestDatabase | null = null;
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-cli-import-'));
    // On PostgreSQL runs, the CLI gets a database of its own; otherwise PGlite in its data dir.
    if (process.env['KOTWAL_TEST_DATABASE_URL']) {
      tdb = await createTestDatabase();
      await tdb.db.close();
    }
    env = { KOTWAL_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn', NODE_NO_WARNINGS: '1', ...(tdb?.url ? { DATABASE_URL: tdb.url } : {}) };
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (tdb) await tdb.cleanup().catch(() => undefined);
  });

  /** In-process (the real program, output captured); `spawned` runs the real binary as a process. */
  const run = (args: string[], spawned = false): Promise<CliRun> =>
    spawned ? spawnKotwal(['registries', 'import', ...args], env, { cwd: dir }) : runKotwal(['registries', 'import', ...args], env, { cwd: dir });
  const file = (name: string, text: string | Buffer): string => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('imports a file, prints the summary and writes the rejects CSV', async () => {
    const f = file(
      'pta.csv',
      `${HEADER}03001234567,Jazz,35202-1234567-1,01-02-2020,active\n03001234568,Zong,123,01-02-2020,active\n03001234569,Zong,35202-1234567-1,31-02-1990,active\n`,
    );
    const out = path.join(dir, 'rejects.csv');
    const r = await run(['--registry', 'sims', '--file', f, '--source', 'PTA', '--rejects', out], true);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^import [0-9a-f-]{36}: completed$/m);
    assert.match(r.stdout, /registry sims, source PTA, file pta\.csv \(csv, \d+ bytes, sha256 [0-9a-f]{64}\)/);
    assert.match(r.stdout, /rows read 3: inserted 1, updated 0, unchanged 0, rejected 2/);
    assert.equal(
      readFileSync(out, 'utf8'),
      'line,field,reason\n3,ownerCnic,"""123"" is not a CNIC (13 digits, NNNNN-NNNNNNN-N)"\n4,activatedOn,31-02-1990 is not a real calendar date\n',
    );
  });

  it('exits non-zero with the reason for a truncated file, and keeps its rejects', async () => {
    const f = file('cut.csv', `${HEADER}03001234570,Jazz,bad,01-02-2020,active\n03001234571,"Jazz`);
    const out = path.join(dir, 'cut-rejects.csv');
    const r = await run(['--registry', 'sims', '--file', f, '--rejects', out]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /: failed$/m);
    assert.match(r.stderr, /kotwal registries import: file ends mid-row at line 3: the extract is truncated/);
    assert.equal(readFileSync(out, 'utf8').split('\n')[2], '3,,file ends mid-row at line 3: the extract is truncated');
  });

  it('refuses bad input before opening the database, with a clear message', async () => {
    const f = file('ok.csv', HEADER);
    let r = await run(['--registry', 'cars', '--file', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /kotwal registries import: registry: unknown registry "cars"/);
    r = await run(['--registry', 'sims', '--file', path.join(dir, 'nope.csv')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read .*nope\.csv: ENOENT/);
    const m = file('map.json', JSON.stringify({ columns: { A: 'msisdn', B: 'msisdn' } }));
    r = await run(['--registry', 'sims', '--file', f, '--mapping', m]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /mapping\/columns\/B: columns "A" and "B" are both mapped to msisdn/);
  });
});
