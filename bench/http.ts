/**
 * HTTP: requests/s of an authenticated route that writes a ledger entry,
 * beside a bare Fastify route in the same run. The ratio is the cost of
 * accountability (authentication, permission check, ledger append).
 */
import Fastify from 'fastify';
import autocannon from 'autocannon';
import { buildTestApp } from '../packages/server/test/app.ts';
import { adminSession, issueToken } from '../packages/server/test/auth-helpers.ts';
import { engines, fmt, median, table } from './_util.ts';

const DURATION = Number(process.env['KOTWAL_BENCH_SECONDS'] ?? 6);
const CONNECTIONS = 32;
const ROUNDS = 3;

async function load(url: string, headers: Record<string, string> = {}) {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

for (const engine of engines()) {
  if (engine.url) process.env['KOTWAL_TEST_DATABASE_URL'] = engine.url;
  else delete process.env['KOTWAL_TEST_DATABASE_URL'];

  const bare = Fastify();
  bare.get('/bare', async () => ({ ok: true }));
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

  const t = await buildTestApp({ env: { KOTWAL_RATE_LIMIT: '10000000' } });
  const admin = await adminSession(t);
  const token = await issueToken(t, admin, ['ledger.read']);
  const base = await t.http.listen({ port: 0, host: '127.0.0.1' });
  const route = '/api/v1/ledger/checkpoints/latest';

  const bareRuns: Awaited<ReturnType<typeof load>>[] = [];
  const audited: Awaited<ReturnType<typeof load>>[] = [];
  let ledgerBefore = 0;
  let ledgerAfter = 0;
  let requestsAudited = 0;
  for (let i = 0; i < ROUNDS; i++) {
    bareRuns.push(await load(`${bareUrl}/bare`));
    await t.ledger.flush();
    ledgerBefore = (await t.ctx.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM ledger_entries')).rows[0].n;
    const r = await load(`${base}${route}`, { authorization: `Bearer ${token}` });
    audited.push(r);
    await t.ledger.flush();
    ledgerAfter = (await t.ctx.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM ledger_entries')).rows[0].n;
    requestsAudited = Math.round(r.rps * DURATION);
  }
  const bRps = median(bareRuns.map((r) => r.rps));
  const aRps = median(audited.map((r) => r.rps));
  console.log(`\nHTTP on ${engine.name} (${CONNECTIONS} connections, ${DURATION} s x ${ROUNDS} rounds, medians)`);
  console.log(
    table([
      ['route', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx'],
      [
        'bare Fastify GET /bare',
        fmt(bRps),
        fmt(median(bareRuns.map((r) => r.p50)), 1),
        fmt(median(bareRuns.map((r) => r.p99)), 1),
        String(bareRuns.reduce((s, r) => s + r.non2xx, 0)),
      ],
      [
        `audited GET ${route}`,
        fmt(aRps),
        fmt(median(audited.map((r) => r.p50)), 1),
        fmt(median(audited.map((r) => r.p99)), 1),
        String(audited.reduce((s, r) => s + r.non2xx, 0)),
      ],
    ]),
  );
  console.log(
    `ratio audited/bare: ${fmt(aRps / bRps, 3)}; ledger entries written in the last round: ${fmt(ledgerAfter - ledgerBefore)} for ~${fmt(requestsAudited)} requests`,
  );
  await bare.close();
  await t.close();
}
