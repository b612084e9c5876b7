/**
 * Structured logs never carry passwords, tokens, session cookies, TOTP
 * secrets or values from request paths and query strings.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '#core/observability/logger.ts';
import { buildTestApp } from './app.ts';
import { adminSession, issueToken, login } from './auth-helpers.ts';

describe('logging', () => {
  it('logs requests as JSON by route pattern, with secrets absent', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        cb();
      },
    });
    const t = await buildTestApp({ logger: createLogger('trace', sink) });
    try {
      const admin = await adminSession(t);
      const token = await issueToken(t, admin, ['ledger.read']);
      await login(t.app, 'admin', 'Wrong-Password-123!');
      const secretish = '35202-1234567-1';
      await t.app.inject({ method: 'GET', url: `/api/v1/ledger/entries?actor=${secretish}`, headers: { authorization: `Bearer ${token}` } });
      await t.app.inject({ method: 'GET', url: `/api/v1/users/${secretish}`, headers: { cookie: admin.cookie } });
      const all = lines.join('\n');
      assert.ok(lines.length > 10, 'expected request logs');
      for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), `not JSON: ${l}`);
      const cookieValue = admin.cookie.split('=')[1];
      for (const [what, value] of [
        ['one-time password', t.adminPassword],
        ['password', admin.password],
        ['wrong password', 'Wrong-Password-123!'],
        ['API token', token],
        ['session cookie', cookieValue],
        ['CSRF token', admin.csrfToken],
        ['TOTP secret', admin.totpSecret ?? 'no-secret'],
        ['value from a query string or path', secretish],
      ] as const) {
        assert.ok(!all.includes(value), `the logs contain the ${what}`);
      }
      assert.ok(
        lines.some((l) => l.includes('"route":"/api/v1/ledger/entries"')),
        'requests are logged by route pattern',
      );
    } finally {
      await t.close();
    }
  });
});
