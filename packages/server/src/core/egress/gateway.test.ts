/**
 * Runtime proof of the egress gateway (ctx.egress of a real app, on PGlite
 * or PostgreSQL): loopback servers count every TCP connection they accept; a
 * refused destination is never contacted (0 connections) and the refusal is
 * in the ledger; a destination becomes reachable only while a transfer to it
 * is approved and unexpired (checked in the database at call time), or when
 * configured (KOTWAL_EGRESS_ALLOW).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PROBLEM_TYPES } from '@kotwal/contracts';
import { openDatabase, type Database } from '#core/db/index.ts';
import { migrate } from '#core/db/migrate.ts';
import { buildTestApp, type TestApp } from '#test/app.ts';
import { testDatabaseUrl } from '#test/db.ts';
import { createClientEgress, EgressRefusedError, EgressRequestError } from './index.ts';

interface CountingServer {
  url: string;
  port: number;
  /** TCP connections accepted so far. */
  connections: number;
  requests: { method: string; path: string; body: string }[];
  close(): Promise<void>;
}

async function countingServer(handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void): Promise<CountingServer> {
  const s: CountingServer = { url: '', port: 0, connections: 0, requests: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      s.requests.push({ method: req.method ?? '', path: req.url ?? '', body });
      if (handler) handler(req, res, body);
      else res.end('ok');
    });
  });
  server.on('connection', () => s.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.port = (server.address() as AddressInfo).port;
  s.url = `http://127.0.0.1:${s.port}`;
  s.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return s;
}

async function refusal(p: Promise<unknown>): Promise<EgressRefusedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof EgressRefusedError) return err;
    throw err;
  }
  assert.fail('expected an EgressRefusedError');
}

describe('egress gateway (runtime)', () => {
  let t: TestApp;
  let dest: CountingServer; // a destination nobody configured
  let allowed: CountingServer; // named in KOTWAL_EGRESS_ALLOW
  let slow: CountingServer; // answers too much, or never
  let other: Database | null = null; // a second connection pool, as another process would have (PostgreSQL)

  const egress = () => t.ctx.egress;

  const ledgerEntries = async (action: string) =>
    (
      await t.ctx.db.query<{ outcome: string; resource: string; actor_id: string; details: string | null }>(
        'SELECT e.outcome, e.resource, e.actor_id, d.details FROM ledger_entries e LEFT JOIN ledger_details d ON d.seq = e.seq WHERE e.action = $1 ORDER BY e.seq',
        [action],
      )
    ).rows.map((r) => ({ ...r, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null }));

  const insertTransfer = async (opts: { status: string; address: string | null; expiresInMinutes: number }): Promise<string> => {
    const id = randomUUID();
    const manifest = JSON.stringify({
      version: 1,
      id,
      kind: opts.address ? 'replication' : 'export',
      dataset: 'registries/identity',
      destination: { node: 'replica.test', jurisdiction: 'PK-PB', publicKey: null, address: opts.address },
    });
    await t.ctx.db.query(
      `INSERT INTO sov_transfers (id, dataset, manifest, manifest_hash, status, expires_at, created_at, created_by)
       VALUES ($1, 'registries/identity', $2, $3, $4, now() + make_interval(mins => $5::int), now(), 'test')`,
      [id, manifest, randomUUID().replace(/-/g, ''), opts.status, opts.expiresInMinutes],
    );
    return id;
  };

  before(async () => {
    dest = await countingServer((req, res, body) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, path: req.url, body }));
    });
    allowed = await countingServer();
    slow = await countingServer((req, res) => {
      if (req.url === '/big') res.end(Buffer.alloc(64 * 1024, 0x61));
      // '/never': no answer
    });
    t = await buildTestApp({
      modules: [],
      env: { KOTWAL_EGRESS_ALLOW: `127.0.0.1:${allowed.port},127.0.0.1:${slow.port}` },
      extraRoutes: (app, ctx) => {
        app.get('/test/egress', { config: { permission: 'public' } }, async () => {
          await ctx.egress.request(`${dest.url}/from-a-route`, {}, { kind: 'integration', name: 'webhook' });
          return { reached: true };
        });
      },
    });
    // The sovereignty tables (idempotent when the app already migrates them).
    await migrate(t.ctx.db, [{ scope: 'core.sovereignty', dir: path.resolve(import.meta.dirname, '../sovereignty/migrations') }]);
    if (testDatabaseUrl) {
      const name = (await t.ctx.db.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;
      const u = new URL(testDatabaseUrl);
      u.pathname = `/${name}`;
      other = await openDatabase({ url: u.toString(), poolSize: 1 });
    }
  });

  after(async () => {
    await other?.close();
    await t?.close();
    await Promise.all([dest?.close(), allowed?.close(), slow?.close()]);
  });

  it('refuses a destination nobody configured before any socket opens, and ledgers the refusal', async () => {
    const err = await refusal(
      egress().request(
        `http://user:secret@127.0.0.1:${dest.port}/api/v1/anything?token=abc#x`,
        { method: 'POST', body: 'data' },
        { kind: 'integration', name: 'webhook' },
      ),
    );
    assert.equal(dest.connections, 0, 'the destination saw no connection');
    assert.match(err.reason, new RegExp(`127\\.0\\.0\\.1:${dest.port} is not a configured integration for "webhook" \\(KOTWAL_EGRESS_ALLOW allows`));
    assert.equal(err.destination, `127.0.0.1:${dest.port}`);
    const denied = await ledgerEntries('egress.refused');
    assert.equal(denied.length, 1);
    assert.equal(denied[0].outcome, 'denied');
    assert.equal(denied[0].resource, `egress:127.0.0.1:${dest.port}`);
    assert.deepEqual(denied[0].details?.['purpose'], { kind: 'integration', name: 'webhook' });
    assert.equal(denied[0].details?.['url'], `http://127.0.0.1:${dest.port}/api/v1/anything`, 'no credentials, query or fragment in the ledger');
    assert.equal(denied[0].details?.['reason'], err.reason);
  });

  it('refuses every purpose that does not name the destination', async () => {
    const id = await insertTransfer({ status: 'approved', address: `http://127.0.0.1:${allowed.port}`, expiresInMinutes: 60 });
    const cases: [Parameters<ReturnType<typeof egress>['request']>[2], RegExp][] = [
      [{ kind: 'transfer', transferId: randomUUID() }, /does not exist/],
      [{ kind: 'transfer', transferId: 'not-a-uuid' }, /is not a UUID/],
      [{ kind: 'transfer', transferId: id }, new RegExp(`transfer ${id} goes only to http://127\\.0\\.0\\.1:${allowed.port}`)],
      [{ kind: 'peer-verify', peerId: randomUUID() }, /may only GET \/api\/v1\/node, not POST/],
      [{ kind: 'replica-source' }, /not a replica \(KOTWAL_REPLICA_OF is not set\)/],
      [{ kind: 'integration', name: 'database' }, /for "database" \(DATABASE_URL/],
    ];
    for (const [purpose, reason] of cases) {
      const err = await refusal(egress().request(`${dest.url}/api/v1/replication/batches`, { method: 'POST', body: '{}' }, purpose));
      assert.match(err.reason, reason, JSON.stringify(purpose));
    }
    for (const bad of ['ftp://127.0.0.1:21/x', 'not a url', `file:///etc/passwd`]) {
      await refusal(egress().request(bad, {}, { kind: 'integration', name: 'webhook' }));
    }
    assert.equal(dest.connections, 0, 'still no connection to the destination');
    assert.ok((await ledgerEntries('egress.refused')).length >= cases.length + 3);
  });

  it('reaches a transfer destination only while the transfer is approved or executing and unexpired', async () => {
    const id = await insertTransfer({ status: 'pending-approval', address: dest.url, expiresInMinutes: 60 });
    const send = (p = '/api/v1/replication/batches', method = 'POST') =>
      egress().request(
        `${dest.url}${p}`,
        { method, body: JSON.stringify({ seq: 1 }), headers: { 'content-type': 'application/json' } },
        { kind: 'transfer', transferId: id },
        {
          type: 'system',
          id: 'sender',
        },
      );

    assert.match((await refusal(send())).reason, new RegExp(`transfer ${id} is pending-approval`));
    assert.equal(dest.connections, 0);

    await t.ctx.db.query(`UPDATE sov_transfers SET status = 'approved' WHERE id = $1`, [id]);
    const res = await send();
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { method: 'POST', path: '/api/v1/replication/batches', body: '{"seq":1}' });
    assert.equal(dest.connections, 1, 'contacted once approved');
    const allowedEntries = (await ledgerEntries('egress.allowed')).filter((e) => JSON.stringify(e.details).includes(id));
    assert.equal(allowedEntries.length, 1);
    assert.equal(allowedEntries[0].outcome, 'allowed');
    assert.equal(allowedEntries[0].actor_id, 'sender');
    assert.equal(allowedEntries[0].resource, `egress:127.0.0.1:${dest.port}`);

    await t.ctx.db.query(`UPDATE sov_transfers SET status = 'executing' WHERE id = $1`, [id]);
    assert.equal((await send()).status, 200);
    const before = dest.requests.length;

    // Revoked, through another connection pool (another process on PostgreSQL): the very next call is refused.
    await (other ?? t.ctx.db).query(`UPDATE sov_transfers SET status = 'revoked', revoked_at = now() WHERE id = $1`, [id]);
    assert.match((await refusal(send())).reason, new RegExp(`transfer ${id} is revoked; only its revocation notice may still be sent`));
    assert.match((await refusal(send('/api/v1/replication/batches', 'GET'))).reason, new RegExp(`transfer ${id} is revoked`));
    assert.equal(dest.requests.length, before, 'nothing reached the destination after the revocation');
    // ... except the revocation notice itself, which tells the destination to stop.
    assert.equal((await send('/api/v1/replication/revocations')).status, 200);
    assert.equal(dest.requests.at(-1)?.path, '/api/v1/replication/revocations');

    // Approved but past its expiry (the sweeper has not run yet): refused.
    const expired = await insertTransfer({ status: 'approved', address: dest.url, expiresInMinutes: -1 });
    const n = dest.requests.length;
    const err = await refusal(
      egress().request(`${dest.url}/api/v1/replication/batches`, { method: 'POST', body: '{}' }, { kind: 'transfer', transferId: expired }),
    );
    assert.match(err.reason, new RegExp(`transfer ${expired} expired at `));
    // An export has no network destination at all.
    const exp = await insertTransfer({ status: 'approved', address: null, expiresInMinutes: 60 });
    assert.match((await refusal(egress().request(`${dest.url}/x`, {}, { kind: 'transfer', transferId: exp }))).reason, /has no destination address/);
    assert.equal(dest.requests.length, n);
  });

  it('peer verification: GET <address>/api/v1/node of an active peer, nothing else', async () => {
    const peer = randomUUID();
    await t.ctx.db.query(
      `INSERT INTO sov_peers (id, name, address, public_key, key_id, jurisdiction, status, created_at, created_by)
       VALUES ($1, 'peer.test', $2, 'k', 'kid', 'PK-PB', 'active', now(), 'test')`,
      [peer, `${dest.url}/base/`],
    );
    const n = dest.requests.length;
    const purpose = { kind: 'peer-verify', peerId: peer } as const;
    assert.match(
      (await refusal(egress().request(`${dest.url}/base/api/v1/node`, {}, { kind: 'peer-verify', peerId: randomUUID() }))).reason,
      /is not registered/,
    );
    assert.match((await refusal(egress().request(`${dest.url}/base/api/v1/node`, { method: 'POST' }, purpose))).reason, /may only GET/);
    assert.match((await refusal(egress().request(`${dest.url}/base/api/v1/transfers`, {}, purpose))).reason, /may only GET \/api\/v1\/node/);
    assert.match((await refusal(egress().request(`${dest.url}/api/v1/node`, {}, purpose))).reason, /is not under \/base\//);
    assert.match((await refusal(egress().request(`http://127.0.0.1:${allowed.port}/base/api/v1/node`, {}, purpose))).reason, /registered at/);
    assert.equal(dest.requests.length, n);
    const res = await egress().request(`${dest.url}/base/api/v1/node`, {}, purpose);
    assert.equal(res.status, 200);
    assert.equal(dest.requests.at(-1)?.path, '/base/api/v1/node');
    await t.ctx.db.query(`UPDATE sov_peers SET status = 'removed' WHERE id = $1`, [peer]);
    assert.match((await refusal(egress().request(`${dest.url}/base/api/v1/node`, {}, purpose))).reason, /peer\.test .* is removed/);
  });

  it('lets a configured integration (KOTWAL_EGRESS_ALLOW) through, and caps time and size', async () => {
    const res = await egress().request(
      `${allowed.url}/hook`,
      { method: 'POST', body: new TextEncoder().encode('x') },
      { kind: 'integration', name: 'webhook' },
    );
    assert.equal(res.status, 200);
    assert.equal(res.text(), 'ok');
    assert.equal(allowed.connections, 1);
    // Same host, another port: a different destination.
    await refusal(egress().request(`http://127.0.0.1:${allowed.port + (allowed.port === 65535 ? -1 : 1)}/hook`, {}, { kind: 'integration', name: 'webhook' }));

    await assert.rejects(
      egress().request(`${slow.url}/big`, { maxResponseBytes: 1024 }, { kind: 'integration', name: 'webhook' }),
      (e: unknown) => e instanceof EgressRequestError && e.code === 'too-large',
    );
    await assert.rejects(
      egress().request(`${slow.url}/never`, { timeoutMs: 300 }, { kind: 'integration', name: 'webhook' }),
      (e: unknown) => e instanceof EgressRequestError && e.code === 'timeout' && /no answer from/.test(e.message),
    );
  });

  it('an egress refusal that reaches HTTP answers 403 egress-refused with the reason', async () => {
    const before = dest.connections;
    const res = await t.app.inject({ method: 'GET', url: '/test/egress' });
    assert.equal(res.statusCode, 403);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    const body = res.json<{ type: string; detail: string }>();
    assert.equal(body.type, PROBLEM_TYPES.egressRefused);
    assert.match(body.detail, new RegExp(`127\\.0\\.0\\.1:${dest.port} is not a configured integration`));
    assert.equal(dest.connections, before, 'not contacted');
    assert.equal(dest.requests.filter((r) => r.path === '/from-a-route').length, 0);
  });

  it('client mode (CLI tools) reaches only the origins its command line named', async () => {
    const c = createClientEgress({ allow: [`${allowed.url}/some/base`], tool: 'kotwal test' });
    try {
      const before = dest.connections;
      const err = await refusal(c.request(`${dest.url}/`));
      assert.match(
        err.reason,
        new RegExp(
          `kotwal test connects only to what its command line names \\(http://127\\.0\\.0\\.1:${allowed.port}\\), not http://127\\.0\\.0\\.1:${dest.port}`,
        ),
      );
      await refusal(c.request(`https://127.0.0.1:${allowed.port}/`));
      await refusal(c.connectMqtt(`mqtt://127.0.0.1:${dest.port}`, { reconnectPeriod: 0 }));
      assert.equal(dest.connections, before);
      assert.equal((await c.request(`${allowed.url}/any/path`)).status, 200);
    } finally {
      c.close();
    }
  });
});
