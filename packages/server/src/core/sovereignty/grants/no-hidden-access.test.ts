/**
 * No hidden access: a fresh node has no account but the first admin (whose
 * one-time password is printed once and must be changed), accepts no
 * default password, holds no API token; and the product's source names no
 * outside host to call home to (no telemetry, no update check).
 *
 * The static part complements core/egress/static.test.ts (which proves only
 * core/egress opens connections): here every string literal and template
 * text of the product's TypeScript (packages/server/src, packages/server/bin,
 * packages/contracts/src; test files, test/ and bench/ folders excluded) is
 * read with the compiler API, and any URL or host name in it must be a
 * loopback or reserved example name (RFC 2606 / 6761). The one exception is
 * the RFC 9457 problem type base `https://kotwal.dev/problems/` in
 * contracts/problems.ts: an identifier in error bodies, never fetched. No
 * dependency may be a telemetry, crash-reporting or update-check package.
 * Limits: a host assembled at run time from pieces is not seen here; the
 * egress gateway refuses it at run time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { PROBLEM_TYPES } from '@kotwal/contracts';
import { loadConfig } from '#core/config/index.ts';
import { createTestDatabase } from '#test/db.ts';
import { login } from '#test/auth-helpers.ts';
import { buildApp } from '../../../app.ts';

const packagesDir = path.resolve(import.meta.dirname, '../../../../..');

// ---- static: names of outside hosts ------------------------------------------------------

const RESERVED_HOST = /^(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[?::1?\]?|(.+\.)?(example|test|invalid|localhost)|example\.(com|org|net))$/i;
const PROBLEM_BASE_ALLOWED = { file: path.join('contracts', 'src', 'problems.ts'), text: 'https://kotwal.dev/problems/' };
const URL_RE = /\b([a-z][a-z0-9+.-]*):\/\/([^/\s'"`?#@]+@)?(\[[0-9a-f:.]+\]|[a-z0-9.-]*)/gi;
/** Bare host names (no scheme) of the common public suffixes; labels of two characters or more (not SQL aliases like `u.id`). */
const HOST_RE = /^(?:[a-z0-9][a-z0-9-]+\.)+(?:com|net|org|io|dev|app|cloud|ai|pk|gov)(?::\d+)?(?:\/.*)?$/i;
const TELEMETRY_PACKAGES = [
  /^@sentry\//,
  /^raven/,
  /^posthog/,
  /^mixpanel/,
  /^@segment\//,
  /^analytics-node$/,
  /^universal-analytics$/,
  /^newrelic$/,
  /^dd-trace$/,
  /^applicationinsights$/,
  /^@opentelemetry\/exporter-/,
  /^elastic-apm-node$/,
  /^@bugsnag\//,
  /^bugsnag/,
  /^rollbar$/,
  /^@amplitude\//,
  /^amplitude/,
  /^logrocket/,
  /^update-notifier$/,
  /^update-check$/,
  /^check-for-update$/,
  /^insight$/,
  /^@datadog\//,
  /^honeycomb/,
  /^@honeycombio\//,
];

function productFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'test' || name === 'bench' || name === 'dist' || name === 'test-fixtures') continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) productFiles(p, out);
    else if (/\.(ts|mts|mjs|js)$/.test(name) && !/\.test\.ts$/.test(name) && !/\.d\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** Every string literal and template text of a file, with its line. */
function stringsOf(file: string, text: string): { line: number; value: string }[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: { line: number; value: string }[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) {
      out.push({ line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1, value: n.text });
    }
    n.forEachChild(visit);
  };
  visit(sf);
  return out;
}

/** Outside hosts named in the strings of a source text. */
function outsideHosts(file: string, text: string): string[] {
  const found: string[] = [];
  const rel = path.relative(packagesDir, file);
  for (const s of stringsOf(file, text)) {
    for (const m of s.value.matchAll(URL_RE)) {
      const scheme = m[1].toLowerCase();
      const host = (m[3] ?? '').toLowerCase();
      if (scheme === 'file' || scheme === 'memory' || scheme === 'data' || scheme === 'blob' || scheme === 'otpauth') continue;
      // A placeholder in a message (`scheme://host`, `${base}`): a single-label name cannot reach outside.
      if (!host || (!host.includes('.') && !host.startsWith('['))) continue;
      if (RESERVED_HOST.test(host)) continue;
      if (rel === PROBLEM_BASE_ALLOWED.file && s.value.startsWith(PROBLEM_BASE_ALLOWED.text)) continue;
      found.push(`${rel}:${s.line}: ${m[0]}`);
    }
    for (const word of s.value.split(/[\s'"`(),;]+/)) {
      if (!word || word.includes('://')) continue;
      if (HOST_RE.test(word) && !RESERVED_HOST.test(word.replace(/[:/].*$/, ''))) found.push(`${rel}:${s.line}: ${word}`);
    }
  }
  return found;
}

describe('no phone-home in the product source', () => {
  it('the check finds outside hosts (telemetry, update URLs, bare host names) and lets loopback and example names pass', () => {
    const f = path.join(packagesDir, 'server', 'src', 'fixture.ts');
    assert.equal(outsideHosts(f, `const u = 'https://telemetry.vendor.com/v1/collect';`).length, 1);
    assert.equal(outsideHosts(f, 'const u = `https://updates.kotwal.dev/latest?v=${v}`;').length, 1);
    assert.equal(outsideHosts(f, `const h = 'api.segment.io';`).length, 1);
    assert.equal(outsideHosts(f, `const u = "mqtt://broker.hivemq.com:1883";`).length, 1);
    assert.equal(outsideHosts(f, `const u = 'https://kotwal.dev/problems/x';`).length, 1, 'the problem base is allowed in contracts/problems.ts only');
    assert.deepEqual(
      outsideHosts(f, `const a = 'http://127.0.0.1:8080'; const b = 'https://node.example/api'; const c = 'postgres://postgres@localhost:5432/x';`),
      [],
    );
    assert.deepEqual(outsideHosts(f, `// see https://www.rfc-editor.org/rfc/rfc9162\nlogger.info('x'); const n = 'kotwal.local';`), []);
    assert.deepEqual(outsideHosts(f, "const m = `GET ${base}/api/v1/node`; const h = 'give it as scheme://host:port';"), []);
    assert.equal(outsideHosts(f, `const u = 'http://8.8.8.8/x';`).length, 1);
  });

  it('no string in packages/server and packages/contracts names an outside host', () => {
    const files = [
      ...productFiles(path.join(packagesDir, 'server', 'src')),
      ...productFiles(path.join(packagesDir, 'server', 'bin')),
      ...productFiles(path.join(packagesDir, 'contracts', 'src')),
    ];
    assert.ok(files.length > 50, `expected the product's files, found ${files.length}`);
    const found = files.flatMap((f) => outsideHosts(f, readFileSync(f, 'utf8')));
    assert.deepEqual(found, [], `outside hosts named in the product source:\n${found.join('\n')}`);
  });

  it('no dependency is a telemetry, crash-reporting or update-check package', () => {
    const manifests = ['../package.json', 'server/package.json', 'contracts/package.json', 'console/package.json'].map((p) => path.join(packagesDir, p));
    for (const m of manifests) {
      const pkg = JSON.parse(readFileSync(m, 'utf8')) as Record<string, Record<string, string> | undefined>;
      const names = ['dependencies', 'devDependencies', 'optionalDependencies'].flatMap((k) => Object.keys(pkg[k] ?? {}));
      const bad = names.filter((n) => TELEMETRY_PACKAGES.some((re) => re.test(n)));
      assert.deepEqual(bad, [], `${path.relative(packagesDir, m)} depends on ${bad.join(', ')}`);
    }
  });

  it('the default configuration names no destination outside the machine', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-defaults-'));
    try {
      const c = loadConfig({ KOTWAL_DATA_DIR: dir });
      assert.equal(c.databaseUrl, null);
      assert.equal(c.natsUrl, null);
      assert.equal(c.mqttUrl, null);
      assert.equal(c.replicaOf, null);
      assert.equal(c.publicUrl, null);
      assert.deepEqual(c.egressAllow, []);
      assert.equal(c.host, '127.0.0.1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- runtime: accounts, passwords, tokens ---------------------------------------------------

describe('no hidden access on a fresh node', () => {
  it('only the first admin exists, with a one-time password printed once that must be changed; no default password; no API token', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-fresh-'));
    const tdb = await createTestDatabase();
    const config = loadConfig({
      KOTWAL_DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      OSMAND_PORT: '0',
      MQTT_PORT: '0',
      KOTWAL_RATE_LIMIT: '100000',
      KOTWAL_LOGIN_RATE_LIMIT: '100000',
      // Enough wrong guesses to try every default below without locking the account.
      KOTWAL_LOCKOUT_THRESHOLD: '100',
    });
    const printed: string[] = [];
    try {
      let app = await buildApp({ config, db: tdb.db, print: (l) => printed.push(l), serveConsole: false });
      try {
        const db = app.ctx.db;
        const users = await db.query<{ username: string; must_change_password: boolean; mfa_enabled: boolean; disabled: boolean }>(
          'SELECT username, must_change_password, mfa_enabled, disabled FROM users',
        );
        assert.deepEqual(users.rows, [{ username: 'admin', must_change_password: true, mfa_enabled: false, disabled: false }]);
        const roles = await db.query<{ role_name: string }>('SELECT role_name FROM user_roles');
        assert.deepEqual(
          roles.rows.map((r) => r.role_name),
          ['admin'],
        );
        for (const table of ['api_tokens', 'sessions', 'mfa_recovery_codes', 'sov_grants', 'sov_approvers', 'sov_policies', 'ledger_witnesses']) {
          const n = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
          assert.equal(n.rows[0].n, 0, `${table} is empty on a fresh node`);
        }

        // Printed once, in one line, and nowhere else.
        const lines = printed.filter((l) => l.includes('one-time password'));
        assert.equal(lines.length, 1);
        const otp = /one-time password: (\S+)/.exec(lines[0])![1];
        assert.ok(otp.length >= 16, 'the one-time password is long and random');
        assert.equal(printed.filter((l) => l.includes(otp)).length, 1);

        // No default password, no built-in or vendor account.
        for (const pw of ['admin', 'password', 'kotwal', 'changeme', 'admin123', '12345678']) {
          const r = await login(app.http, 'admin', pw);
          assert.equal(r.statusCode, 401, `admin / ${pw} is refused`);
          assert.equal(r.json<{ type: string }>().type, PROBLEM_TYPES.invalidCredentials);
        }
        for (const user of ['root', 'support', 'vendor', 'kotwal', 'service', 'guest']) {
          const r = await login(app.http, user, 'password');
          assert.equal(r.statusCode, 401, `${user} does not exist`);
        }

        // The one-time password opens a session that can do nothing but change it.
        const r = await login(app.http, 'admin', otp);
        assert.equal(r.statusCode, 200, r.body);
        assert.equal(r.json<{ user: { state: string } }>().user.state, 'password-change-required');
        const cookie = String(r.headers['set-cookie']).split(';')[0];
        const users2 = await app.http.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie } });
        assert.equal(users2.statusCode, 403);
        assert.equal(users2.json<{ type: string }>().type, PROBLEM_TYPES.passwordChangeRequired);
        const tokens = await app.http.inject({ method: 'GET', url: '/api/v1/tokens', headers: { cookie } });
        assert.equal(tokens.statusCode, 403);
      } finally {
        await app.close();
      }

      // A restart prints no password again.
      const before = printed.length;
      app = await buildApp({ config, db: tdb.db, print: (l) => printed.push(l), serveConsole: false });
      await app.close();
      assert.equal(printed.length, before);
    } finally {
      await tdb.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
