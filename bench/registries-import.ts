/**
 * Registry import: rows/s of `kotwal registries import` (stream, validate,
 * stage, merge, links, person index, ledger) on an extract of BENCH_PEOPLE
 * synthetic persons (the generator's identity.csv, and sims.csv), beside a
 * raw load of the same file in the same run: on PostgreSQL a plain
 * `COPY ... FROM STDIN (FORMAT csv)` into a table of text columns, on PGlite
 * a batched multi-row INSERT of the parsed cells into such a table. Also the
 * re-import of the same file (every record unchanged). Medians of
 * KOTWAL_BENCH_ROUNDS (3). Prints figures; asserts nothing.
 *
 *   node --import tsx bench/registries-import.ts
 *   BENCH_PEOPLE=1000000 node --import tsx bench/registries-import.ts     # ~1.2 GB identity+sims, PostgreSQL advised
 *   BENCH_PEOPLE=10000000 KOTWAL_BENCH_ENGINES=postgres node --import tsx bench/registries-import.ts   # ~12 GB, PostgreSQL only
 *
 * Identity rows need name matching (names/index.ts) for the person index;
 * while it is not built, the identity figure is skipped.
 */
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import pino from 'pino';
import { parse } from 'csv-parse';
import { from as copyFrom } from 'pg-copy-streams';
import type { RegistryName } from '@kotwal/contracts';
import { loadConfig } from '../packages/server/src/core/config/index.ts';
import { openDatabase, type Database } from '../packages/server/src/core/db/index.ts';
import { openCore } from '../packages/server/src/app.ts';
import { generate } from '../packages/server/src/modules/registries/generator/index.ts';
import { nameKeys } from '../packages/server/src/modules/registries/names/index.ts';
import { runImport } from '../packages/server/src/modules/registries/import/service.ts';
import { fmt, median, table } from './_util.ts';

const PEOPLE = Number(process.env['BENCH_PEOPLE'] ?? 100_000);
const ROUNDS = Number(process.env['KOTWAL_BENCH_ROUNDS'] ?? 3);
const pgUrl = process.env['KOTWAL_BENCH_DATABASE_URL'] || process.env['KOTWAL_TEST_DATABASE_URL'] || null;
const only = process.env['KOTWAL_BENCH_ENGINES'];
const logger = pino({ level: 'silent' });

const namesBuilt = (() => {
  try {
    nameKeys('Ali');
    return true;
  } catch {
    return false;
  }
})();

interface Engine {
  name: string;
  open(): Promise<{ db: Database; url: string | null; dispose: () => Promise<void> }>;
}

const pglite: Engine = {
  name: 'PGlite (on disk)',
  async open() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-bench-import-'));
    const db = await openDatabase({ pgliteDir: path.join(dir, 'pglite') });
    return {
      db,
      url: null,
      async dispose() {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

function postgres(url: string): Engine {
  return {
    name: 'PostgreSQL',
    async open() {
      const name = `kotwal_bench_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const u = new URL(url);
      u.pathname = `/${name}`;
      const db = await openDatabase({ url: u.toString(), poolSize: 4 });
      return {
        db,
        url: u.toString(),
        async dispose() {
          await db.close();
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.end();
        },
      };
    },
  };
}

async function headerOf(file: string): Promise<string[]> {
  const parser = createReadStream(file).pipe(parse({ to_line: 1 }));
  for await (const rec of parser as AsyncIterable<string[]>) return rec;
  return [];
}

/** The baseline: the same file into a table of text columns, with no validation. */
async function rawLoad(db: Database, url: string | null, file: string): Promise<number> {
  const cols = await headerOf(file);
  await db.exec(`DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw (${cols.map((_, i) => `c${i} text`).join(', ')})`);
  const t0 = performance.now();
  let rows = 0;
  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const copy = client.query(copyFrom('COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)'));
      await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), copy);
      rows = copy.rowCount;
    } finally {
      await client.end();
    }
  } else {
    const BATCH = 500;
    let batch: string[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const n = batch.length / cols.length;
      const values = Array.from({ length: n }, (_, r) => `(${cols.map((__, c) => `$${r * cols.length + c + 1}`).join(',')})`).join(',');
      await db.query(`INSERT INTO bench_raw VALUES ${values}`, batch);
      batch = [];
    };
    for await (const rec of createReadStream(file).pipe(parse({ from_line: 2, relax_column_count: true })) as AsyncIterable<string[]>) {
      for (let c = 0; c < cols.length; c++) batch.push(rec[c] ?? '');
      rows++;
      if (rows % BATCH === 0) await flush();
    }
    await flush();
  }
  const secs = (performance.now() - t0) / 1000;
  await db.exec('DROP TABLE bench_raw');
  return rows / secs;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-bench-extract-'));
try {
  console.log(
    `${os.cpus().length} CPU(s), ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const g0 = performance.now();
  const gen = await generate({ people: PEOPLE, seed: 'bench-import', outDir: dir, format: 'csv' });
  console.log(
    `generated ${fmt(PEOPLE)} people in ${fmt((performance.now() - g0) / 1000, 1)} s: identity ${fmt(gen.counts.identity)} rows, sims ${fmt(gen.counts.sims)} rows`,
  );
  const registries: RegistryName[] = namesBuilt ? ['identity', 'sims'] : ['sims'];
  if (!namesBuilt) console.log('names/index.ts is not built yet: the identity figure (person index) is skipped');

  const engines: Engine[] = [];
  if (!only || only.includes('pglite')) engines.push(pglite);
  if (pgUrl && (!only || only.includes('postgres'))) engines.push(postgres(pgUrl));
  if (!pgUrl) console.log('KOTWAL_BENCH_DATABASE_URL / KOTWAL_TEST_DATABASE_URL not set: PostgreSQL figures are skipped');

  const results: (string | number)[][] = [['engine', 'registry', 'rows', 'MB', 'raw load rows/s', 'import rows/s', 'import/raw', 're-import rows/s']];
  for (const engine of engines) {
    console.log(`\n${engine.name}`);
    const { db, url, dispose } = await engine.open();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-bench-data-'));
    const core = await openCore({
      config: loadConfig({ KOTWAL_DATA_DIR: dataDir, ...(url ? { DATABASE_URL: url } : {}) }),
      logger,
      db,
      onProgress: () => undefined,
    });
    try {
      for (const registry of registries) {
        const file = path.join(dir, `${registry}.csv`);
        const bytes = statSync(file).size;
        const raw: number[] = [];
        const first: number[] = [];
        const again: number[] = [];
        let rows = 0;
        for (let r = 0; r < ROUNDS; r++) {
          raw.push(await rawLoad(db, url, file));
          await db.exec('TRUNCATE reg_records, reg_links, reg_persons');
          for (const target of [first, again]) {
            const t0 = performance.now();
            const s = await runImport(core.ctx, {
              registry,
              source: 'bench',
              fileName: path.basename(file),
              format: 'csv',
              body: createReadStream(file, { highWaterMark: 256 * 1024 }),
              actor: { type: 'system', id: 'bench', name: 'bench' },
            });
            rows = s.rowsRead;
            target.push(s.rowsRead / ((performance.now() - t0) / 1000));
            if (s.rejected) console.log(`  (${s.rejected} rows rejected)`);
          }
          console.log(
            `  ${registry} round ${r + 1}: raw ${fmt(raw[r] ?? 0)} rows/s, import ${fmt(first[r] ?? 0)} rows/s, re-import ${fmt(again[r] ?? 0)} rows/s`,
          );
        }
        results.push([
          engine.name,
          registry,
          fmt(rows),
          fmt(bytes / 1048576, 1),
          fmt(median(raw)),
          fmt(median(first)),
          `${fmt((100 * median(first)) / median(raw))}%`,
          fmt(median(again)),
        ]);
      }
    } finally {
      await core.close();
      await dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  console.log(`\n${table(results)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
