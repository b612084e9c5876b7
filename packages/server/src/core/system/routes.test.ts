import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PROBLEM_TYPES } from '@kotwal/contracts';
import { buildTestApp, type TestApp } from '#test/app.ts';
import { adminSession, issueToken, type Session } from '#test/auth-helpers.ts';

describe('system routes', () => {
  let t: TestApp;
  let admin: Session;
  before(async () => {
    t = await buildTestApp();
    admin = await adminSession(t);
  });
  after(async () => t.close());

  it('answers liveness and readiness', async () => {
    const h = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(h.statusCode, 200);
    assert.equal(h.json<{ status: string }>().status, 'ok');
    const r = await t.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json<{ checks: Record<string, string> }>().checks, { database: 'ok', events: 'ok' });
  });

  it('serves the OpenAPI 3.1 document and the docs page', async () => {
    const o = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(o.statusCode, 200);
    const doc = o.json<{ openapi: string; paths: Record<string, unknown> }>();
    assert.equal(doc.openapi, '3.1.0');
    for (const p of ['/api/v1/auth/login', '/api/v1/auth/mfa/enroll', '/api/v1/ledger/entries', '/api/v1/ledger/proofs/inclusion', '/api/v1/users']) {
      assert.ok(doc.paths[p], `${p} is missing from the OpenAPI document`);
    }
    const d = await t.app.inject({ method: 'GET', url: '/api/docs/' });
    assert.ok([200, 302].includes(d.statusCode), `docs page answered ${d.statusCode}`);
  });

  it('sets security headers and echoes a request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abcdef12-test' } });
    assert.equal(res.headers['x-request-id'], 'abcdef12-test');
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
    // Images from this node only, unless KOTWAL_TILE_ORIGINS names a tile server.
    assert.match(String(res.headers['content-security-policy']), /img-src 'self' data: blob:;/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    const other = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id with spaces' } });
    assert.notEqual(other.headers['x-request-id'], 'bad id with spaces');
  });

  it('serves Prometheus metrics only to a holder of system.metrics', async () => {
    const anon = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(anon.statusCode, 401);
    const weak = await issueToken(t, admin, ['ledger.read'], 'weak');
    const denied = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${weak}` } });
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.json<{ type: string }>().type, PROBLEM_TYPES.forbidden);
    const token = await issueToken(t, admin, ['system.metrics'], 'prometheus');
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/plain/);
    assert.match(res.body, /kotwal_http_request_duration_seconds_bucket/);
    assert.match(res.body, /kotwal_ledger_entries \d+/);
  });

  it('lists the installed systems', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/system/info', headers: { cookie: admin.cookie } });
    assert.equal(res.statusCode, 200);
    const info = res.json<{ modules: { name: string; title: string; programmeName?: string }[]; database: string }>();
    assert.deepEqual(
      info.modules.map((m) => m.name),
      t.modules.map((m) => m.name),
    );
    assert.ok(info.modules.some((m) => m.name === 'registries' && m.programmeName === 'DES'));
    assert.equal(info.database, t.ctx.db.kind);
  });

  it('refuses malformed bodies, bad media types and oversized bodies with problem+json', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"username": "admin",',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json<{ type: string }>().type, PROBLEM_TYPES.malformedBody);
    const utf = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","password":"x"}')]),
    });
    assert.equal(utf.statusCode, 400);
    assert.match(utf.json<{ detail: string }>().detail, /UTF-8/);
    const media = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'text/xml' }, payload: '<a/>' });
    assert.equal(media.statusCode, 415);
    const big = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'x'.repeat(2_000_000) }),
    });
    assert.equal(big.statusCode, 413);
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'x', isAdmin: true } });
    assert.equal(unknown.statusCode, 400);
    const body = unknown.json<{ errors: { field: string; message: string }[] }>();
    assert.deepEqual(body.errors, [{ field: '/isAdmin', message: 'unknown field' }]);
    const wrongType = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 42, password: 'x' } });
    assert.equal(wrongType.statusCode, 400);
    assert.equal(wrongType.json<{ errors: { field: string }[] }>().errors[0].field, '/username');
    const token = await issueToken(t, admin, ['ledger.read'], 'numbers');
    for (const bad of ['1e309', '99999999999999999999', '-1', '1.5']) {
      const r = await t.app.inject({ method: 'GET', url: `/api/v1/ledger/checkpoints/${bad}`, headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.statusCode, 400, `treeSize ${bad} answered ${r.statusCode}`);
      assert.equal(r.json<{ errors: { field: string }[] }>().errors[0].field, '/treeSize');
    }
    const proto = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"__proto__":{"x":1},"username":"a","password":"b"}',
    });
    assert.equal(proto.statusCode, 400);
  });
});
