/**
 * Signing in through the real HTTP API, as a person or an integration would:
 * one-time password, forced change, MFA enrolment, then a session or a token.
 */
import * as OTPAuth from 'otpauth';
import type { KotwalFastify } from '#core/http/types.ts';
import type { TestApp } from './app.ts';

export interface Session {
  cookie: string;
  csrfToken: string;
  /** TOTP secret when MFA was enrolled. */
  totpSecret: string | null;
  username: string;
  password: string;
}

export const STRONG_PASSWORD = 'Correct-Horse-Battery-9';

function sessionCookie(setCookie: string | string[] | undefined): string {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const c = list.find((x) => x.startsWith('kotwal_session='));
  if (!c) throw new Error(`no session cookie in ${JSON.stringify(list)}`);
  return c.split(';')[0];
}

export function totpFor(secret: string, offsetSteps = 0): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + offsetSteps * 30_000 });
}

export async function login(app: KotwalFastify, username: string, password: string, totp?: string) {
  return app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password, ...(totp ? { totp } : {}) } });
}

/**
 * Signs in with a one-time password and completes whatever the account owes:
 * the password change, then MFA enrolment when its roles require it.
 */
export async function completeFirstLogin(app: KotwalFastify, username: string, oneTimePassword: string, newPassword = STRONG_PASSWORD): Promise<Session> {
  let res = await login(app, username, oneTimePassword);
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  let cookie = sessionCookie(res.headers['set-cookie']);
  let body = res.json<{ csrfToken: string; user: { state: string } }>();
  let csrfToken = body.csrfToken;
  let state = body.user.state;
  if (state === 'password-change-required') {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: { cookie, 'x-csrf-token': csrfToken },
      payload: { currentPassword: oneTimePassword, newPassword },
    });
    if (r.statusCode !== 200) throw new Error(`password change failed: ${r.statusCode} ${r.body}`);
    // The session carries on (or the server asks for a fresh login).
    const s = await app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } });
    if (s.statusCode === 200) {
      const sb = s.json<{ csrfToken: string; user: { state: string } }>();
      csrfToken = sb.csrfToken;
      state = sb.user.state;
    } else {
      res = await login(app, username, newPassword);
      cookie = sessionCookie(res.headers['set-cookie']);
      body = res.json();
      csrfToken = body.csrfToken;
      state = body.user.state;
    }
  }
  let totpSecret: string | null = null;
  if (state === 'mfa-enrollment-required') {
    const e = await app.inject({ method: 'POST', url: '/api/v1/auth/mfa/enroll', headers: { cookie, 'x-csrf-token': csrfToken } });
    if (e.statusCode !== 200) throw new Error(`mfa enroll failed: ${e.statusCode} ${e.body}`);
    totpSecret = e.json<{ secret: string }>().secret;
    const v = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/verify',
      headers: { cookie, 'x-csrf-token': csrfToken },
      payload: { code: totpFor(totpSecret) },
    });
    if (v.statusCode !== 200) throw new Error(`mfa verify failed: ${v.statusCode} ${v.body}`);
    const s = await app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } });
    if (s.statusCode !== 200) throw new Error(`session after MFA failed: ${s.statusCode} ${s.body}`);
    const sb = s.json<{ csrfToken: string; user: { state: string } }>();
    csrfToken = sb.csrfToken;
    state = sb.user.state;
  }
  if (state !== 'active') throw new Error(`account still owes something: ${state}`);
  return { cookie, csrfToken, totpSecret, username, password: newPassword };
}

/** The first admin, fully signed in (password changed, MFA enrolled). */
export async function adminSession(t: TestApp): Promise<Session> {
  if (!t.adminPassword) throw new Error('the test app printed no one-time password');
  return completeFirstLogin(t.app, 'admin', t.adminPassword);
}

export function authHeaders(s: Session): Record<string, string> {
  return { cookie: s.cookie, 'x-csrf-token': s.csrfToken };
}

/** Creates a user with the given roles through the API and signs them in. */
export async function userSession(t: TestApp, admin: Session, username: string, roles: string[]): Promise<Session> {
  const r = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: authHeaders(admin), payload: { username, roles } });
  if (r.statusCode !== 200 && r.statusCode !== 201) throw new Error(`create user failed: ${r.statusCode} ${r.body}`);
  return completeFirstLogin(t.app, username, r.json<{ oneTimePassword: string }>().oneTimePassword);
}

/** Issues an API token through the API. */
export async function issueToken(t: TestApp, admin: Session, permissions: string[], name = 'test-token'): Promise<string> {
  const r = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: authHeaders(admin), payload: { name, permissions } });
  if (r.statusCode !== 200 && r.statusCode !== 201) throw new Error(`issue token failed: ${r.statusCode} ${r.body}`);
  return r.json<{ secret: string }>().secret;
}
