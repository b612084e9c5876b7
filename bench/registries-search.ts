/**
 * Registries at scale: generate BENCH_PEOPLE people (default 1,000,000)
 * with their linked records, import every registry through the real import
 * path, then measure
 *  - exact look-ups through HTTP with authentication and the ledger on
 *    (p50/p99, requests/s) beside the same SQL without HTTP or ledger;
 *  - fuzzy name search through HTTP (p50/p95);
 *  - precision and recall of fuzzy search against the generator's ground truth.
 * BENCH_ENGINES=pg|pglite|both (default both) picks the engines; at 10
 * million people run `BENCH_PEOPLE=10000000 BENCH_ENGINES=pg npm run bench -- registries-search`
 * on a machine with room for ~40 GB of PostgreSQL data.
 */
import { createReadStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import os from 'node:os';
import autocannon from 'autocannon';
import { REGISTRIES, type SearchResult } from '@kotwal/contracts';
import { buildTestApp } from '../packages/server/test/app.ts';
import { adminSession, authHeaders, userSession } from '../packages/server/test/auth-helpers.ts';
import { generate, type Query } from '../packages/server/src/modules/registries/generator/index.ts';
import { runImport } from '../packages/server/src/modules/registries/import/service.ts';
import * as repo from '../packages/server/src/modules/registries/repository.ts';
import { engines, fmt, median, table } from './_util.ts';

const PEOPLE = Number(process.env['BENCH_PEOPLE'] ?? 1_000_000);
const SEED = 'kotwal-bench';
const ENGINES = process.env['BENCH_ENGINES'] ?? 'both';
const DURATION = Number(process.env['KOTWAL_BENCH_SECONDS'] ?? 8);
const CONNECTIONS = 8;
const ACC = 'purpose=criminal-investigation&case=BENCH-1/2026';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function dataset(): Promise<string> {
  const dir = path.join(os.tmpdir(), `kotwal-bench-registries-${PEOPLE}`);
  if (existsSync(path.join(dir, 'manifest.json'))) return dir;
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const r = await generate({ people: PEOPLE, seed: SEED, outDir: dir, format: 'csv' });
  console.log(
    `generated ${fmt(PEOPLE)} people in ${fmt((performance.now() - t0) / 1000, 1)} s: ${Object.entries(r.counts)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ')}`,
  );
  return dir;
}

async function* lines(file: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const l of rl) if (l.trim()) yield l;
}

/** A sample of keys per look-up type, from the ground truth. */
async function sampleKeys(dir: string, n: number): Promise<Record<string, string[]>> {
  const want: Record<string, string> = { msisdn: 'sims', vehicle: 'vehicles', passport: 'travel', ntn: 'tax', fir: 'criminal', cnic: 'identity' };
  const out: Record<string, string[]> = Object.fromEntries(Object.keys(want).map((k) => [k, []]));
  let i = 0;
  for await (const l of lines(path.join(dir, 'truth.jsonl'))) {
    if (i++ % 97 !== 0) continue;
    const t = JSON.parse(l) as { cnic: string; records: Record<string, string[]> };
    for (const [type, registry] of Object.entries(want)) {
      const keys = registry === 'identity' ? [t.cnic] : (t.records[registry] ?? []);
      if (keys[0] && out[type].length < n) out[type].push(keys[0]);
    }
    if (Object.values(out).every((v) => v.length >= n)) break;
  }
  return out;
}

const wanted = engines().filter((e) => ENGINES === 'both' || (ENGINES === 'pg' ? e.url : !e.url));
const dir = await dataset();
const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { counts?: Record<string, number> };
const queries: Query[] = [];
for await (const l of lines(path.join(dir, 'queries.jsonl'))) queries.push(JSON.parse(l) as Query);

for (const engine of wanted) {
  if (engine.url) process.env['KOTWAL_TEST_DATABASE_URL'] = engine.url;
  else delete process.env['KOTWAL_TEST_DATABASE_URL'];
  const t = await buildTestApp({
    env: { KOTWAL_RATE_LIMIT: '10000000', KOTWAL_REGISTRY_RATE_PER_MINUTE: '1000000000', KOTWAL_REGISTRY_BREADTH_PER_HOUR: '1000000000' },
  });
  try {
    console.log(`\nRegistries on ${engine.name}: ${fmt(PEOPLE)} people`);
    // ---- import everything through the real path
    const importRows: string[][] = [['registry', 'rows', 'seconds', 'rows/s']];
    let totalRows = 0;
    const tImport = performance.now();
    for (const registry of REGISTRIES) {
      const file = path.join(dir, `${registry}.csv`);
      if (!existsSync(file)) continue;
      const t0 = performance.now();
      const s = await runImport(t.ctx, {
        registry,
        source: 'bench',
        fileName: `${registry}.csv`,
        format: 'csv',
        body: createReadStream(file),
        actor: { type: 'system', id: 'bench', name: 'bench' },
      });
      const sec = (performance.now() - t0) / 1000;
      totalRows += s.rowsRead;
      importRows.push([registry, fmt(s.rowsRead), fmt(sec, 1), fmt(s.rowsRead / sec)]);
      if (s.rejected) console.log(`  ${registry}: ${s.rejected} rejected`);
    }
    const importSec = (performance.now() - tImport) / 1000;
    importRows.push(['all', fmt(totalRows), fmt(importSec, 1), fmt(totalRows / importSec)]);
    console.log(table(importRows));
    void manifest;

    // ---- exact look-ups
    const admin = await adminSession(t);
    const inv = await userSession(t, admin, 'bench.investigator', ['investigator']);
    const base = await t.http.listen({ port: 0, host: '127.0.0.1' });
    const keys = await sampleKeys(dir, 500);
    const urls: string[] = [];
    for (const [type, vals] of Object.entries(keys))
      for (const v of vals) urls.push(`/api/v1/registries/lookup?type=${type}&value=${encodeURIComponent(v)}&${ACC}`);
    let k = 0;
    const http = await autocannon({
      url: base,
      connections: CONNECTIONS,
      duration: DURATION,
      headers: authHeaders(inv),
      requests: [{ setupRequest: (req) => ({ ...req, path: urls[k++ % urls.length] }) }],
    });
    // Same SQL, no HTTP, no ledger: the record, its links and the linked persons.
    const spec: Record<string, string> = { msisdn: 'sims', vehicle: 'vehicles', passport: 'travel', ntn: 'tax', fir: 'criminal', cnic: 'identity' };
    const flat = Object.entries(keys).flatMap(([type, vals]) => vals.map((v) => ({ registry: spec[type], key: v })));
    const sqlLat: number[] = [];
    let done = 0;
    const tSql = performance.now();
    const worker = async () => {
      while (performance.now() - tSql < DURATION * 1000) {
        const x = flat[done++ % flat.length];
        const t0 = performance.now();
        const row = await repo.getRecord(t.ctx.db, x.registry as never, x.key);
        if (row) {
          const links = await repo.linksOf(t.ctx.db, [row]);
          await repo.personsByCnic(
            t.ctx.db,
            links.map((l) => l.cnic),
          );
        }
        sqlLat.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    const sqlRps = sqlLat.length / ((performance.now() - tSql) / 1000);
    console.log(`\nexact look-ups (${CONNECTIONS} concurrent, ${DURATION} s; mix of CNIC, MSISDN, vehicle, passport, NTN, FIR)`);
    console.log(
      table([
        ['path', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx'],
        ['HTTP + auth + ledger + access index', fmt(http.requests.average), fmt(http.latency.p50, 1), fmt(http.latency.p99, 1), String(http.non2xx)],
        ['same SQL, no HTTP, no ledger', fmt(sqlRps), fmt(pct(sqlLat, 50), 2), fmt(pct(sqlLat, 99), 2), '-'],
      ]),
    );
    console.log(`ratio audited/SQL req/s: ${fmt(http.requests.average / sqlRps, 2)}`);

    // ---- fuzzy search: latency, precision and recall against the ground truth
    const lat: number[] = [];
    let tp = 0;
    let expected = 0;
    let rpHits = 0;
    let rpTotal = 0;
    let strongTp = 0;
    let strong = 0;
    const byKind = new Map<string, { tp: number; expected: number }>();
    let truncated = 0;
    let beyondLimit = 0;
    for (const q of queries) {
      const limit = Math.min(100, Math.max(20, q.expect.length));
      const params = new URLSearchParams({ name: q.name, limit: String(limit) });
      if (q.fatherName) params.set('fatherName', q.fatherName);
      if (q.district) params.set('district', q.district);
      const t0 = performance.now();
      const res = await fetch(`${base}/api/v1/registries/search?${params.toString()}&${ACC}`, { headers: authHeaders(inv) });
      const body = (await res.json()) as SearchResult;
      lat.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`search ${res.status}: ${JSON.stringify(body)}`);
      if (body.truncated) truncated++;
      const got = body.items.map((i) => i.person.cnic);
      const want = new Set(q.expect);
      const hit = got.filter((c) => want.has(c)).length;
      // Recall at k: a query can return at most `limit` persons (the API caps it at 100).
      const reachable = Math.min(want.size, limit);
      if (want.size > limit) beyondLimit++;
      tp += Math.min(hit, reachable);
      expected += reachable;
      const top = got.slice(0, reachable);
      rpHits += top.filter((c) => want.has(c)).length;
      rpTotal += reachable;
      for (const i of body.items)
        if (i.score >= 0.8) {
          strong++;
          if (want.has(i.person.cnic)) strongTp++;
        }
      const kk = byKind.get(q.kind) ?? { tp: 0, expected: 0 };
      kk.tp += Math.min(hit, reachable);
      kk.expected += reachable;
      byKind.set(q.kind, kk);
    }
    console.log(`\nfuzzy name search (${fmt(queries.length)} ground-truth queries, sequential)`);
    console.log(
      table([
        ['figure', 'value'],
        ['p50 ms', fmt(pct(lat, 50), 1)],
        ['p95 ms', fmt(pct(lat, 95), 1)],
        ['recall@k (expected persons found in the top k = max(20, |expected|) <= 100)', fmt(tp / expected, 3)],
        ['R-precision (of the top min(|expected|, k), share expected)', fmt(rpHits / rpTotal, 3)],
        ['precision of strong matches (score >= 0.8)', fmt(strong ? strongTp / strong : NaN, 3)],
        ...[...byKind].map(([kind, v]) => [`recall, ${kind} queries`, fmt(v.tp / v.expected, 3)]),
        ['queries with more candidates than ranked', String(truncated)],
        ['queries expecting more than 100 persons (recall counted at 100)', String(beyondLimit)],
      ]),
    );
    console.log(`median of SQL look-up latency ${fmt(median(sqlLat), 2)} ms`);
  } finally {
    await t.close();
  }
}
