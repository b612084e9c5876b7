/**
 * Every route declares its permission or 'public'; the app refuses to start
 * otherwise, and every non-public route refuses an anonymous caller.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PROBLEM_TYPES } from '@kotwal/contracts';
import { buildTestApp, type TestApp } from './app.ts';

interface OpenApiDoc {
  paths: Record<string, Record<string, { 'x-permission'?: string }>>;
}

describe('route permissions', () => {
  it('refuses to start when a route declares no permission', async () => {
    await assert.rejects(
      buildTestApp({
        extraRoutes: (app) => {
          app.get('/api/v1/test/undeclared', async () => ({ ok: true }));
        },
      }),
      (err: unknown) => err instanceof Error && /does not declare config\.permission/.test(err.message),
    );
  });

  it('refuses to start when a route names a permission outside the catalogue', async () => {
    await assert.rejects(
      buildTestApp({
        extraRoutes: (app) => {
          app.get('/api/v1/test/unknown', { config: { permission: 'everything.read' as never } }, async () => ({ ok: true }));
        },
      }),
      /unknown permission "everything\.read"/,
    );
  });

  describe('in the running app', () => {
    let t: TestApp;
    before(async () => {
      t = await buildTestApp();
    });
    after(async () => t.close());

    it('denies anonymous callers on every non-public route, with a ledger entry each', async () => {
      const doc = t.app.swagger() as unknown as OpenApiDoc;
      let checked = 0;
      const publicOps: string[] = [];
      for (const [p, methods] of Object.entries(doc.paths)) {
        if (p.startsWith('/api/docs')) continue;
        for (const [method, op] of Object.entries(methods)) {
          assert.ok(op['x-permission'], `${method.toUpperCase()} ${p} does not state its permission in the OpenAPI document`);
          if (op['x-permission'] === 'public') {
            publicOps.push(`${method.toUpperCase()} ${p}`);
            continue;
          }
          const url = p.replace(/\{[^}]+\}/g, '1');
          const res = await t.app.inject({ method: method.toUpperCase() as 'GET', url });
          assert.equal(res.statusCode, 401, `${method.toUpperCase()} ${p} answered ${res.statusCode} to an anonymous caller`);
          assert.match(String(res.headers['content-type']), /application\/problem\+json/);
          assert.equal(res.json<{ type: string }>().type, PROBLEM_TYPES.unauthenticated);
          checked++;
        }
      }
      assert.ok(checked >= 10, `expected at least 10 protected routes, found ${checked}`);
      // Public by design: liveness, readiness, the API description and signing in; and what a
      // signature authenticates: the node identity, an official's approval (and the manifest
      // they sign), node-to-node replication, a witness's cosignature.
      assert.deepEqual(publicOps.sort(), [
        'GET /api/openapi.json',
        'GET /api/v1/grants/{id}/manifest',
        'GET /api/v1/node',
        'GET /api/v1/transfers/{id}/manifest',
        'GET /healthz',
        'GET /readyz',
        'POST /api/v1/auth/login',
        'POST /api/v1/grants/{id}/approvals',
        'POST /api/v1/ledger/cosignatures',
        'POST /api/v1/replication/batches',
        'POST /api/v1/replication/revocations',
        'POST /api/v1/transfers/{id}/approvals',
      ]);
      await t.ledger.flush();
      const r = await t.ctx.db.query<{ n: number }>(
        "SELECT count(*)::int8 AS n FROM ledger_entries WHERE action = 'auth.request.unauthenticated' AND outcome = 'denied'",
      );
      assert.ok(r.rows[0].n >= checked, `expected ${checked} ledgered denials, found ${r.rows[0].n}`);
    });

    it('answers unknown routes with a problem+json 404', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/no/such/thing' });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json<{ type: string }>().type, PROBLEM_TYPES.notFound);
    });
  });
});
