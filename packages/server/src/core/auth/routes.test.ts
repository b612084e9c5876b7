/**
 * core.auth over HTTP on the real app and database (PGlite, or PostgreSQL
 * with KOTWAL_TEST_DATABASE_URL): sign-in obligations, lockout, session
 * expiry, CSRF, API tokens, administration, and the ledger entry of each.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BUILT_IN_ROLES, PROBLEM_TYPES } from '@kotwal/contracts';
import { buildTestApp, type TestApp } from '#test/app.ts';
import { STRONG_PASSWORD, adminSession, authHeaders, completeFirstLogin, issueToken, login, totpFor, type Session } from '#test/auth-helpers.ts';

interface LedgerRow {
  seq: number;
  action: string;
  outcome: string;
  actor_type: string;
  actor_id: string;
  resource: string;
  request_id: string | null;
  details: string | null;
}

async function ledger(t: TestApp, where = 'TRUE', params: unknown[] = []): Promise<LedgerRow[]> {
  await t.ledger.flush();
  const r = await t.ctx.db.query<LedgerRow>(
    `SELECT e.seq, e.action, e.outcome, e.actor_type, e.actor_id, e.resource, e.request_id, d.details
       FROM ledger_entries e LEFT JOIN ledger_details d ON d.seq = e.seq
      WHERE ${where} ORDER BY e.seq`,
    params,
  );
  return r.rows;
}

const detailsOf = (row: LedgerRow): Record<string, unknown> => (row.details ? (JSON.parse(row.details) as Record<string, unknown>) : {});

function cookieOf(setCookie: string | string[] | undefined, name = 'kotwal_session'): string | undefined {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return list.find((c) => c.startsWith(`${name}=`));
}

function problemType(res: { json: <T>() => T }): string {
  return res.json<{ type: string }>().type;
}

async function createUser(t: TestApp, admin: Session, username: string, roles: string[]): Promise<{ id: string; oneTimePassword: string }> {
  const r = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: authHeaders(admin), payload: { username, roles } });
  assert.equal(r.statusCode, 201, r.body);
  const body = r.json<{ user: { id: string }; oneTimePassword: string }>();
  return { id: body.user.id, oneTimePassword: body.oneTimePassword };
}

describe('first administrator: one-time password, forced change, MFA enrolment', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(async () => t.close());

  it('walks every obligation, refusing each step skipped, and ledgers each', async () => {
    const line = t.printed.find((l) => l.startsWith('one-time password: '));
    assert.ok(line, `printed: ${JSON.stringify(t.printed)}`);
    const otp = t.adminPassword;
    assert.equal(line, `one-time password: ${otp}`);

    // Wrong password.
    let res = await login(t.app, 'admin', 'Not-The-Password-1');
    assert.equal(res.statusCode, 401);
    assert.equal(problemType(res), PROBLEM_TYPES.invalidCredentials);

    // One-time password: signed in, but owes a password change.
    res = await login(t.app, 'admin', otp);
    assert.equal(res.statusCode, 200, res.body);
    const setCookie = cookieOf(res.headers['set-cookie']);
    assert.ok(setCookie);
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Strict/i);
    assert.match(setCookie, /Path=\//);
    assert.match(setCookie, /Expires=/);
    assert.doesNotMatch(setCookie, /Secure/i, 'not Secure unless KOTWAL_COOKIE_SECURE');
    const cookie = setCookie.split(';')[0];
    const body = res.json<{ csrfToken: string; user: { state: string; mfaRequired: boolean; roles: string[] } }>();
    assert.equal(body.user.state, 'password-change-required');
    assert.equal(body.user.mfaRequired, true);
    assert.deepEqual(body.user.roles, ['admin']);
    const csrf = body.csrfToken;
    const headers = { cookie, 'x-csrf-token': csrf };

    res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers });
    assert.equal(res.statusCode, 403);
    assert.equal(problemType(res), PROBLEM_TYPES.passwordChangeRequired);

    // MFA enrolment is not the next step yet? It is allowed (allowPending), but the password comes first for access.
    res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ user: { state: string } }>().user.state, 'password-change-required');

    // Password change: CSRF, policy, "different from current".
    res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: { cookie },
      payload: { currentPassword: otp, newPassword: STRONG_PASSWORD },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(problemType(res), PROBLEM_TYPES.csrf);
    res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers, payload: { currentPassword: otp, newPassword: 'short' } });
    assert.equal(res.statusCode, 400);
    assert.equal(problemType(res), PROBLEM_TYPES.passwordPolicy);
    const policy = res.json<{ errors: { field: string; message: string }[] }>();
    assert.ok(policy.errors.some((e) => e.message === 'must be at least 12 characters'));
    res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers, payload: { currentPassword: otp, newPassword: otp } });
    assert.equal(res.statusCode, 400);
    assert.ok(res.json<{ errors: { message: string }[] }>().errors.some((e) => e.message === 'must differ from the current password'));
    res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers,
      payload: { currentPassword: 'Wrong-Current-1', newPassword: STRONG_PASSWORD },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(problemType(res), PROBLEM_TYPES.invalidCredentials);
    res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers, payload: { currentPassword: otp, newPassword: STRONG_PASSWORD } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<{ user: { state: string } }>().user.state, 'mfa-enrollment-required');

    // The one-time password no longer works.
    res = await login(t.app, 'admin', otp);
    assert.equal(res.statusCode, 401);

    // Now MFA is owed.
    res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers });
    assert.equal(res.statusCode, 403);
    assert.equal(problemType(res), PROBLEM_TYPES.mfaEnrollmentRequired);
    res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', headers, payload: { code: '123456' } });
    assert.equal(res.statusCode, 409, 'verify before enrol');
    res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/enroll', headers });
    assert.equal(res.statusCode, 200, res.body);
    const enrol = res.json<{ secret: string; otpauthUrl: string }>();
    assert.match(enrol.secret, /^[A-Z2-7]{32}$/);
    assert.match(enrol.otpauthUrl, /^otpauth:\/\/totp\/Kotwal:admin\?/);
    assert.match(enrol.otpauthUrl, /issuer=Kotwal/);
    const wrong = totpFor(enrol.secret, 5);
    res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', headers, payload: { code: wrong } });
    assert.equal(res.statusCode, 400);
    assert.equal(problemType(res), PROBLEM_TYPES.mfaInvalid);
    const code = totpFor(enrol.secret);
    res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', headers, payload: { code } });
    assert.equal(res.statusCode, 200, res.body);
    const verified = res.json<{ recoveryCodes: string[]; user: { state: string; mfaEnabled: boolean } }>();
    assert.equal(verified.recoveryCodes.length, 10);
    assert.equal(verified.user.state, 'active');
    assert.equal(verified.user.mfaEnabled, true);

    // Full access.
    res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(
      res.json<{ items: { username: string }[] }>().items.map((u) => u.username),
      ['admin'],
    );
    res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/enroll', headers });
    assert.equal(res.statusCode, 409, 'cannot re-enrol over an enabled factor');

    // Sign-in now needs the second factor; a replayed code is refused.
    res = await login(t.app, 'admin', STRONG_PASSWORD);
    assert.equal(res.statusCode, 401);
    assert.equal(problemType(res), PROBLEM_TYPES.mfaRequired);
    res = await login(t.app, 'admin', STRONG_PASSWORD, code);
    assert.equal(res.statusCode, 401, 'the code used at enrolment is spent');
    assert.equal(problemType(res), PROBLEM_TYPES.mfaInvalid);
    const next = totpFor(enrol.secret, 1);
    res = await login(t.app, 'admin', STRONG_PASSWORD, next);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<{ user: { state: string } }>().user.state, 'active');
    res = await login(t.app, 'admin', STRONG_PASSWORD, next);
    assert.equal(res.statusCode, 401, 'replayed TOTP');
    assert.equal(problemType(res), PROBLEM_TYPES.mfaInvalid);

    // A recovery code works once.
    const recovery = verified.recoveryCodes[0];
    res = await login(t.app, 'admin', STRONG_PASSWORD, recovery.toUpperCase());
    assert.equal(res.statusCode, 200, res.body);
    res = await login(t.app, 'admin', STRONG_PASSWORD, recovery);
    assert.equal(res.statusCode, 401);
    assert.equal(problemType(res), PROBLEM_TYPES.mfaInvalid);

    const rows = await ledger(t, "e.action LIKE 'auth.%' OR e.action LIKE 'users.%'");
    const actions = rows.map((r) => r.action);
    for (const a of [
      'users.user.created',
      'auth.login.failed',
      'auth.login.succeeded',
      'auth.password.change-failed',
      'auth.password.changed',
      'auth.mfa.enrolled',
      'auth.mfa.verify-failed',
      'auth.mfa.verified',
      'auth.login.mfa-required',
      'auth.request.obligation-pending',
      'auth.request.csrf-rejected',
    ]) {
      assert.ok(actions.includes(a), `ledger lacks ${a}: ${actions.join(', ')}`);
    }
    const created = rows.find((r) => r.action === 'users.user.created')!;
    assert.equal(created.actor_type, 'system');
    assert.equal(detailsOf(created)['username'], 'admin');
    const reasons = rows.filter((r) => r.action === 'auth.login.failed').map((r) => detailsOf(r)['reason']);
    assert.deepEqual(reasons, ['wrong-password', 'wrong-password', 'mfa-replayed', 'mfa-replayed', 'mfa-invalid']);
    const changeFailures = rows.filter((r) => r.action === 'auth.password.change-failed').map((r) => detailsOf(r)['reason']);
    assert.deepEqual(changeFailures, ['policy', 'policy', 'wrong-current-password']);
    const successes = rows.filter((r) => r.action === 'auth.login.succeeded');
    assert.deepEqual(
      successes.map((r) => detailsOf(r)['secondFactor']),
      ['none', 'totp', 'recovery-code'],
    );
    for (const r of successes) {
      assert.equal(r.actor_type, 'user');
      assert.match(r.resource, /^user:[0-9a-f-]{36}$/);
      assert.ok(r.request_id, 'request id recorded');
    }

    // No secret ever reaches the ledger.
    const all = (await ledger(t)).map((r) => `${r.actor_id} ${r.resource} ${r.details ?? ''}`).join('\n');
    for (const secret of [otp, STRONG_PASSWORD, enrol.secret, code, next, csrf, cookie.split('=')[1], ...verified.recoveryCodes]) {
      assert.ok(!all.includes(secret), `the ledger contains a secret: ${secret.slice(0, 4)}...`);
    }
  });
});

describe('sessions, lockout, tokens and administration', () => {
  let t: TestApp;
  let admin: Session;
  before(async () => {
    t = await buildTestApp();
    admin = await adminSession(t);
  });
  after(async () => t.close());

  it('locks an account after 5 failed sign-ins, refuses even the right password, and an admin reset clears it', async () => {
    const { id, oneTimePassword } = await createUser(t, admin, 'lockme', ['auditor']);
    for (let i = 1; i <= 4; i++) {
      const res = await login(t.app, 'lockme', `Wrong-Password-${i}`);
      assert.equal(res.statusCode, 401, `attempt ${i}`);
      assert.equal(problemType(res), PROBLEM_TYPES.invalidCredentials);
    }
    let res = await login(t.app, 'lockme', 'Wrong-Password-5');
    assert.equal(res.statusCode, 423);
    assert.equal(problemType(res), PROBLEM_TYPES.accountLocked);
    const detail = res.json<{ detail: string }>().detail;
    const until = /locked until (\S+)$/.exec(detail)?.[1];
    assert.ok(until && Date.parse(until) > Date.now() + 9 * 60_000, detail);
    assert.ok(Number(res.headers['retry-after']) > 500);

    res = await login(t.app, 'lockme', oneTimePassword);
    assert.equal(res.statusCode, 423, 'the right password does not open a locked account');

    res = await t.app.inject({ method: 'GET', url: `/api/v1/users/${id}`, headers: authHeaders(admin) });
    assert.equal(res.json<{ lockedUntil: string | null }>().lockedUntil, until);

    const rows = await ledger(t, 'e.resource = $1', [`user:${id}`]);
    assert.equal(rows.filter((r) => r.action === 'auth.login.failed').length, 5);
    assert.ok(rows.some((r) => r.action === 'auth.account.locked' && detailsOf(r)['until'] === until));
    assert.ok(rows.some((r) => r.action === 'auth.login.locked' && r.outcome === 'denied'));
    for (const r of rows.filter((x) => x.action.startsWith('auth.login.'))) assert.equal(r.outcome, 'denied');

    res = await t.app.inject({ method: 'POST', url: `/api/v1/users/${id}/reset-password`, headers: authHeaders(admin) });
    assert.equal(res.statusCode, 200);
    const fresh = res.json<{ oneTimePassword: string }>().oneTimePassword;
    res = await login(t.app, 'lockme', fresh);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<{ user: { state: string } }>().user.state, 'password-change-required');
    assert.ok((await ledger(t, "e.action = 'users.user.password-reset' AND e.resource = $1", [`user:${id}`])).length === 1);
  });

  it('accepts a TOTP code once even when two sign-ins race with it', async () => {
    const code = totpFor(admin.totpSecret!, 1);
    const results = await Promise.all([login(t.app, 'admin', admin.password, code), login(t.app, 'admin', admin.password, code)]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 401]);
    const refused = results.find((r) => r.statusCode === 401)!;
    assert.equal(problemType(refused), PROBLEM_TYPES.mfaInvalid);
    const rows = await ledger(t, "e.action = 'auth.login.failed' AND e.request_id = $1", [refused.headers['x-request-id']]);
    assert.equal(detailsOf(rows[0])['reason'], 'mfa-replayed');
  });

  it('refuses unknown users like wrong passwords, and ledgers the attempt', async () => {
    const res = await login(t.app, 'nobody-here', 'Whatever-Password-1');
    assert.equal(res.statusCode, 401);
    assert.equal(problemType(res), PROBLEM_TYPES.invalidCredentials);
    const rows = await ledger(t, "e.action = 'auth.login.failed' AND e.request_id = $1", [res.headers['x-request-id']]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].actor_type, 'anonymous');
    assert.equal(detailsOf(rows[0])['reason'], 'unknown-user');
    assert.ok(!rows[0].details!.includes('Whatever-Password-1'));
  });

  it('expires an idle session and one past its absolute lifetime', async () => {
    const user = await createUser(t, admin, 'idler', ['auditor']);
    const s = await completeFirstLogin(t.app, 'idler', user.oneTimePassword);
    let res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: s.cookie } });
    assert.equal(res.statusCode, 200);
    const expiresAt = res.json<{ user: { sessionExpiresAt: string } }>().user.sessionExpiresAt;
    assert.ok(Math.abs(Date.parse(expiresAt) - (Date.now() + 30 * 60_000)) < 120_000, expiresAt);

    await t.ctx.db.query(`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = $1 AND revoked_at IS NULL`, [user.id]);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: s.cookie } });
    assert.equal(res.statusCode, 401);
    assert.equal(problemType(res), PROBLEM_TYPES.sessionExpired);
    assert.match(res.json<{ detail: string }>().detail, /inactivity/);
    assert.match(cookieOf(res.headers['set-cookie']) ?? '', /kotwal_session=;/, 'the dead cookie is cleared');
    res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: s.cookie } });
    assert.equal(res.statusCode, 401);
    assert.equal(problemType(res), PROBLEM_TYPES.sessionExpired, 'stays expired');

    const again = await login(t.app, 'idler', s.password);
    const cookie = cookieOf(again.headers['set-cookie'])!.split(';')[0];
    await t.ctx.db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND revoked_at IS NULL`, [user.id]);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } });
    assert.equal(res.statusCode, 401);
    assert.equal(problemType(res), PROBLEM_TYPES.sessionExpired);
    assert.match(res.json<{ detail: string }>().detail, /maximum lifetime/);

    const rows = await ledger(t, "e.action = 'auth.session.expired' AND e.resource = $1", [`user:${user.id}`]);
    assert.deepEqual(
      rows.map((r) => detailsOf(r)['reason']),
      ['idle', 'expired'],
      'recorded once per session',
    );
  });

  it('signs out, and a password change ends the other sessions', async () => {
    const user = await createUser(t, admin, 'leaver', ['auditor']);
    const s = await completeFirstLogin(t.app, 'leaver', user.oneTimePassword);
    const second = await login(t.app, 'leaver', s.password);
    const otherCookie = cookieOf(second.headers['set-cookie'])!.split(';')[0];
    let res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: authHeaders(s),
      payload: { currentPassword: s.password, newPassword: 'Another-Strong-Pass-7' },
    });
    assert.equal(res.statusCode, 200, res.body);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: otherCookie } });
    assert.equal(res.statusCode, 401);
    assert.equal(problemType(res), PROBLEM_TYPES.sessionExpired);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: s.cookie } });
    assert.equal(res.statusCode, 200, 'this session carries on');

    res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: authHeaders(s) });
    assert.equal(res.statusCode, 200);
    assert.match(cookieOf(res.headers['set-cookie']) ?? '', /kotwal_session=;/);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: s.cookie } });
    assert.equal(res.statusCode, 401);
    assert.equal(problemType(res), PROBLEM_TYPES.sessionExpired);
    const rows = await ledger(t, 'e.resource = $1', [`user:${user.id}`]);
    assert.ok(rows.some((r) => r.action === 'auth.logout'));
    assert.equal(detailsOf(rows.find((r) => r.action === 'auth.password.changed' && detailsOf(r)['wasOneTimePassword'] === false)!)['otherSessionsEnded'], 1);
  });

  it('refuses a forged or unknown session cookie with 401', async () => {
    let res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: 'kotwal_session=forged' } });
    assert.equal(res.statusCode, 401);
    assert.equal(problemType(res), PROBLEM_TYPES.unauthenticated);
    assert.match(res.json<{ detail: string }>().detail, /malformed/);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: `kotwal_session=${'A'.repeat(43)}` } });
    assert.equal(res.statusCode, 401);
    assert.equal(problemType(res), PROBLEM_TYPES.unauthenticated);
    assert.match(res.json<{ detail: string }>().detail, /not recognised/);
    const rows = await ledger(t, "e.action = 'auth.request.unauthenticated' AND e.request_id = $1", [res.headers['x-request-id']]);
    assert.equal(rows.length, 1);
  });

  it('requires the CSRF token on state-changing requests of a session', async () => {
    let res = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie: admin.cookie }, payload: { username: 'csrf-victim', roles: [] } });
    assert.equal(res.statusCode, 403);
    assert.equal(problemType(res), PROBLEM_TYPES.csrf);
    res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { cookie: admin.cookie, 'x-csrf-token': 'not-the-token' },
      payload: { username: 'csrf-victim', roles: [] },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(problemType(res), PROBLEM_TYPES.csrf);
    const rows = await ledger(t, "e.action = 'auth.request.csrf-rejected'");
    assert.ok(rows.length >= 2);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: authHeaders(admin) });
    assert.ok(!res.json<{ items: { username: string }[] }>().items.some((u) => u.username === 'csrf-victim'));
  });

  it('scopes API tokens, never beyond their issuer, and revocation takes effect at once', async () => {
    const secret = await issueToken(t, admin, ['users.read'], 'directory-sync');
    assert.match(secret, /^kwt_[A-Za-z0-9_-]{43}$/);
    const bearer = { authorization: `Bearer ${secret}` };
    let res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer });
    assert.equal(res.statusCode, 200, res.body);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/roles', headers: bearer });
    assert.equal(res.statusCode, 403);
    assert.equal(problemType(res), PROBLEM_TYPES.forbidden);
    res = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer, payload: { username: 'via-token', roles: [] } });
    assert.equal(res.statusCode, 403, 'no CSRF for tokens, but no users.write either');
    assert.equal(problemType(res), PROBLEM_TYPES.forbidden);

    res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: authHeaders(admin),
      payload: { name: 'too-wide', permissions: ['registries.read'] },
    });
    assert.equal(res.statusCode, 403, 'admin lacks registries.read, so a token of theirs cannot hold it');
    res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: authHeaders(admin), payload: { name: 'bogus', permissions: ['everything'] } });
    assert.equal(res.statusCode, 400);
    assert.match(res.json<{ detail: string }>().detail, /everything/);
    res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: authHeaders(admin),
      payload: { name: 'old', permissions: ['users.read'], expiresAt: '2001-01-01T00:00:00Z' },
    });
    assert.equal(res.statusCode, 400);

    res = await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: authHeaders(admin) });
    const tokens = res.json<{ items: { id: string; name: string; createdBy: string; lastUsedAt: string | null }[] }>().items;
    const token = tokens.find((x) => x.name === 'directory-sync')!;
    assert.equal(token.createdBy, 'admin');
    assert.ok(token.lastUsedAt, 'last use recorded');
    assert.ok(!res.body.includes(secret.slice(4)));

    res = await t.app.inject({ method: 'POST', url: `/api/v1/tokens/${token.id}/revoke`, headers: authHeaders(admin) });
    assert.equal(res.statusCode, 200);
    assert.ok(res.json<{ revokedAt: string | null }>().revokedAt);
    res = await t.app.inject({ method: 'POST', url: `/api/v1/tokens/${token.id}/revoke`, headers: authHeaders(admin) });
    assert.equal(res.statusCode, 409);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer });
    assert.equal(res.statusCode, 401);
    assert.equal(problemType(res), PROBLEM_TYPES.unauthenticated);
    assert.match(res.json<{ detail: string }>().detail, /revoked/);

    res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer kwt_${'x'.repeat(43)}` } });
    assert.equal(res.statusCode, 401);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    assert.equal(res.statusCode, 401);

    const rows = await ledger(t, 'e.resource = $1', [`token:${token.id}`]);
    assert.deepEqual(
      rows.map((r) => r.action),
      ['tokens.token.issued', 'tokens.token.revoked'],
    );
    const denied = await ledger(t, "e.actor_type = 'token' AND e.actor_id = $1 AND e.action = 'auth.request.forbidden'", [token.id]);
    assert.equal(denied.length, 2);
    const all = (await ledger(t)).map((r) => r.details ?? '').join('\n');
    assert.ok(!all.includes(secret));
  });

  it('administers users: duplicates, unknown roles, self-protection, disabling ends sessions at once', async () => {
    let res = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: authHeaders(admin), payload: { username: 'admin', roles: ['operator'] } });
    assert.equal(res.statusCode, 409);
    res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: authHeaders(admin),
      payload: { username: 'newbie', roles: ['operator', 'wizard'] },
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json<{ detail: string }>().detail, /wizard/);
    res = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: authHeaders(admin), payload: { username: 'Bad Name', roles: [] } });
    assert.equal(res.statusCode, 400);

    const me = (await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: admin.cookie } })).json<{ user: { id: string } }>().user;
    res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${me.id}`, headers: authHeaders(admin), payload: { disabled: true } });
    assert.equal(res.statusCode, 409);
    res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${me.id}`, headers: authHeaders(admin), payload: { roles: ['auditor'] } });
    assert.equal(res.statusCode, 409);
    assert.match(res.json<{ detail: string }>().detail, /users\.write/);
    res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${me.id}`, headers: authHeaders(admin), payload: { roles: ['admin', 'investigator'] } });
    assert.equal(res.statusCode, 403, 'no self-elevation');
    res = await t.app.inject({ method: 'POST', url: `/api/v1/users/${me.id}/reset-mfa`, headers: authHeaders(admin) });
    assert.equal(res.statusCode, 409);

    const { id, oneTimePassword } = await createUser(t, admin, 'asha', ['auditor']);
    const asha = await completeFirstLogin(t.app, 'asha', oneTimePassword);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: authHeaders(asha) });
    assert.equal(res.statusCode, 200, 'auditor reads users');
    res = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: authHeaders(asha), payload: { username: 'x1', roles: [] } });
    assert.equal(res.statusCode, 403);

    // Granting a role that requires MFA puts the live session under that obligation.
    res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${id}`,
      headers: authHeaders(admin),
      payload: { roles: ['auditor', 'investigator'], displayName: 'Asha Rao' },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json<{ roles: string[]; displayName: string }>().roles, ['auditor', 'investigator']);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: authHeaders(asha) });
    assert.equal(res.statusCode, 403);
    assert.equal(problemType(res), PROBLEM_TYPES.mfaEnrollmentRequired);

    res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: authHeaders(admin), payload: { disabled: true } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ disabled: boolean }>().disabled, true);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: asha.cookie } });
    assert.equal(res.statusCode, 401, 'a disabled user\u2019s session stops at once');
    res = await login(t.app, 'asha', asha.password);
    assert.equal(res.statusCode, 403);
    assert.equal(problemType(res), PROBLEM_TYPES.accountDisabled);
    res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: authHeaders(admin), payload: { disabled: false } });
    assert.equal(res.statusCode, 200);
    res = await login(t.app, 'asha', asha.password);
    assert.equal(res.statusCode, 200);

    const rows = await ledger(t, 'e.resource = $1', [`user:${id}`]);
    const actions = rows.map((r) => r.action);
    for (const a of [
      'users.user.created',
      'users.user.roles-changed',
      'users.user.updated',
      'users.user.disabled',
      'auth.login.disabled',
      'users.user.enabled',
    ]) {
      assert.ok(actions.includes(a), `ledger lacks ${a}: ${actions.join(', ')}`);
    }
    const change = rows.find((r) => r.action === 'users.user.roles-changed')!;
    assert.equal(change.actor_type, 'user');
    assert.equal(change.actor_id, me.id);
    assert.deepEqual(detailsOf(change)['after'], ['auditor', 'investigator']);
    const events = await t.ctx.db.query<{ name: string }>("SELECT name FROM event_outbox WHERE payload->>'userId' = $1 ORDER BY seq", [id]);
    assert.deepEqual(
      events.rows.map((e) => e.name),
      ['core.user.created', 'core.user.roles-changed', 'core.user.disabled', 'core.user.enabled'],
    );
  });

  it('resets MFA: the user must enrol again', async () => {
    const { id, oneTimePassword } = await createUser(t, admin, 'ravi', ['investigator']);
    const ravi = await completeFirstLogin(t.app, 'ravi', oneTimePassword);
    assert.ok(ravi.totpSecret);
    let res = await t.app.inject({ method: 'POST', url: `/api/v1/users/${id}/reset-mfa`, headers: authHeaders(admin) });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ mfaEnabled: boolean }>().mfaEnabled, false);
    res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: ravi.cookie } });
    assert.equal(res.statusCode, 401, 'sessions end with the reset');
    res = await login(t.app, 'ravi', ravi.password);
    assert.equal(res.statusCode, 200, 'no code needed any more');
    assert.equal(res.json<{ user: { state: string } }>().user.state, 'mfa-enrollment-required');
    assert.equal((await ledger(t, "e.action = 'auth.mfa.reset' AND e.resource = $1", [`user:${id}`])).length, 1);
  });

  it('administers roles: built-ins are fixed, permissions must exist, assigned roles stay', async () => {
    let res = await t.app.inject({ method: 'GET', url: '/api/v1/permissions', headers: authHeaders(admin) });
    assert.equal(res.statusCode, 200);
    assert.ok(res.json<{ items: { name: string; requiresMfa: boolean }[] }>().items.some((p) => p.name === 'users.write' && p.requiresMfa));
    res = await t.app.inject({ method: 'GET', url: '/api/v1/roles', headers: authHeaders(admin) });
    const roles = res.json<{ items: { name: string; builtIn: boolean }[] }>().items;
    assert.deepEqual(
      roles
        .filter((r) => r.builtIn)
        .map((r) => r.name)
        .sort(),
      Object.keys(BUILT_IN_ROLES).sort(),
    );

    res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/roles/admin',
      headers: authHeaders(admin),
      payload: { description: 'x', permissions: ['auth.self'] },
    });
    assert.equal(res.statusCode, 409);
    res = await t.app.inject({ method: 'DELETE', url: '/api/v1/roles/auditor', headers: authHeaders(admin) });
    assert.equal(res.statusCode, 409);
    res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/roles/dispatcher',
      headers: authHeaders(admin),
      payload: { description: 'Dispatch desk', permissions: ['auth.self', 'fly.drones', 'teleport'] },
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json<{ detail: string }>().detail, /fly\.drones, teleport/);
    res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/roles/dispatcher',
      headers: authHeaders(admin),
      payload: { description: 'Dispatch desk', permissions: ['auth.self', 'users.read'] },
    });
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json<{ permissions: string[]; builtIn: boolean }>(), {
      name: 'dispatcher',
      description: 'Dispatch desk',
      permissions: ['auth.self', 'users.read'],
      builtIn: false,
      requiresMfa: false,
    });
    res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/roles/dispatcher',
      headers: authHeaders(admin),
      payload: { description: 'Dispatch desk', permissions: ['auth.self', 'users.read', 'roles.read'] },
    });
    assert.equal(res.statusCode, 200);

    const { id } = await createUser(t, admin, 'disp', ['dispatcher']);
    res = await t.app.inject({ method: 'DELETE', url: '/api/v1/roles/dispatcher', headers: authHeaders(admin) });
    assert.equal(res.statusCode, 409);
    assert.match(res.json<{ detail: string }>().detail, /assigned to 1 user/);
    res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: authHeaders(admin), payload: { roles: ['operator'] } });
    assert.equal(res.statusCode, 200);
    res = await t.app.inject({ method: 'DELETE', url: '/api/v1/roles/dispatcher', headers: authHeaders(admin) });
    assert.equal(res.statusCode, 200);

    const rows = await ledger(t, "e.resource = 'role:dispatcher'");
    assert.deepEqual(
      rows.map((r) => r.action),
      ['roles.role.changed', 'roles.role.changed', 'roles.role.deleted'],
    );
    assert.deepEqual(detailsOf(rows[1])['before'], ['auth.self', 'users.read']);
  });

  it('keeps built-in roles in step with the catalogue at every start', async () => {
    await t.ctx.db.query("UPDATE roles SET permissions = '{auth.self}' WHERE name = 'auditor'");
    const { ensureBuiltInRoles } = await import('./role-service.ts');
    await ensureBuiltInRoles(t.ctx);
    const r = await t.ctx.db.query<{ permissions: string[] }>("SELECT permissions FROM roles WHERE name = 'auditor'");
    assert.deepEqual(r.rows[0].permissions, ['auth.self', 'grants.read', 'ledger.read', 'roles.read', 'transfers.read', 'users.read']);
    const rows = await ledger(t, "e.resource = 'role:auditor' AND e.actor_type = 'system'");
    assert.equal(rows.length, 2, 'created at first start, repaired now');
    await ensureBuiltInRoles(t.ctx);
    assert.equal((await ledger(t, "e.resource = 'role:auditor' AND e.actor_type = 'system'")).length, 2, 'no change, no entry');
  });
});

describe('behind TLS', () => {
  it('marks the session cookie Secure when KOTWAL_COOKIE_SECURE is set', async () => {
    const t = await buildTestApp({ env: { KOTWAL_COOKIE_SECURE: 'true' } });
    try {
      const res = await login(t.app, 'admin', t.adminPassword);
      assert.equal(res.statusCode, 200);
      const c = cookieOf(res.headers['set-cookie']);
      assert.match(c ?? '', /; Secure/);
      assert.match(c ?? '', /; HttpOnly/);
      assert.match(c ?? '', /; SameSite=Strict/);
    } finally {
      await t.close();
    }
  });
});
