#!/usr/bin/env node
/**
 * npm run bench: runs every bench/*.ts and prints figures (never pass/fail).
 * Each runs on PGlite, then on PostgreSQL when KOTWAL_BENCH_DATABASE_URL is
 * set (default: the local server postgres://postgres@127.0.0.1:5432/test,
 * when it answers). `npm run bench -- ledger` runs only matching files.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const files = readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .filter((f) => !filters.length || filters.some((x) => f.includes(x)))
  .sort();

let pgUrl = process.env.KOTWAL_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const probe = spawnSync(
  process.execPath,
  ['-e', `const pg=require('pg');const c=new pg.Client(${JSON.stringify(pgUrl)});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1))`],
  { cwd: root },
);
if (probe.status !== 0) {
  console.log(`PostgreSQL at ${pgUrl} does not answer: PostgreSQL figures are skipped`);
  pgUrl = null;
}

for (const f of files) {
  console.log(`\n=== bench/${f} ===`);
  const code = await new Promise((resolve) => {
    const env = { ...process.env, NODE_NO_WARNINGS: '1', ...(pgUrl ? { KOTWAL_BENCH_DATABASE_URL: pgUrl } : {}) };
    spawn(process.execPath, ['--import', 'tsx', path.join('bench', f)], { cwd: root, stdio: 'inherit', env }).on('exit', resolve);
  });
  if (code !== 0) console.log(`bench/${f} exited with ${code}`);
}
