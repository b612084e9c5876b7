/**
 * `kotwal users ...` against the real app's database, ledger and events.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildTestApp, type TestApp } from '#test/app.ts';
import { completeFirstLogin, login } from '#test/auth-helpers.ts';
import { usersCommand } from './cli.ts';

interface Run {
  out: string;
  err: string;
  code: number;
}

describe('kotwal users', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(async () => t.close());

  async function run(...args: string[]): Promise<Run> {
    const r: Run = { out: '', err: '', code: 0 };
    const cmd: Command = usersCommand({
      withContext: (fn) => fn(t.ctx),
      out: (s) => (r.out += s),
      err: (s) => (r.err += s),
      fail: (c) => (r.code = c),
      osUser: () => 'tester',
    });
    for (const c of [cmd, ...cmd.commands]) {
      c.exitOverride().configureOutput({ writeOut: (s) => (r.out += s), writeErr: (s) => (r.err += s) });
    }
    try {
      await cmd.parseAsync(args, { from: 'user' });
    } catch (err) {
      const e = err as { exitCode?: number; code?: string };
      if (typeof e.exitCode !== 'number') throw err;
      r.code = e.exitCode;
    }
    return r;
  }

  const otpOf = (out: string) => /one-time password: (\S+)/.exec(out)?.[1];

  it('creates a user and prints a one-time password that signs in', async () => {
    const r = await run('create', '--username', 'meera', '--role', 'operator', '--role', 'auditor', '--display-name', 'Meera Iyer');
    assert.equal(r.code, 0, r.err);
    const pw = otpOf(r.out);
    assert.ok(pw, r.out);
    const res = await login(t.app, 'meera', pw);
    assert.equal(res.statusCode, 200, res.body);
    const user = res.json<{ user: { state: string; roles: string[]; displayName: string } }>().user;
    assert.equal(user.state, 'password-change-required');
    assert.deepEqual(user.roles, ['auditor', 'operator']);
    assert.equal(user.displayName, 'Meera Iyer');

    await t.ledger.flush();
    const rows = await t.ctx.db.query<{ actor_type: string; actor_id: string; details: string }>(
      `SELECT e.actor_type, e.actor_id, d.details FROM ledger_entries e JOIN ledger_details d ON d.seq = e.seq
        WHERE e.action = 'users.user.created' AND d.details LIKE '%meera%'`,
    );
    assert.equal(rows.rows.length, 1);
    assert.equal(rows.rows[0].actor_type, 'system');
    assert.equal(rows.rows[0].actor_id, 'cli:tester');
    assert.ok(!rows.rows[0].details.includes(pw));
  });

  it('refuses bad input with a clear message and exit code 1', async () => {
    let r = await run('create', '--username', 'meera', '--role', 'operator');
    assert.equal(r.code, 1);
    assert.match(r.err, /already exists/);
    r = await run('create', '--username', 'newcomer', '--role', 'wizard');
    assert.equal(r.code, 1);
    assert.match(r.err, /unknown role: wizard/);
    r = await run('create', '--username', 'Not Valid!', '--role', 'operator');
    assert.equal(r.code, 1);
    assert.match(r.err, /invalid username/);
    r = await run('create', '--username', 'norole');
    assert.equal(r.code, 1);
    assert.match(r.err, /--role/);
    r = await run('create', '--role', 'operator');
    assert.equal(r.code, 1);
    assert.match(r.err, /--username/);
    r = await run('disable', 'ghost');
    assert.equal(r.code, 1);
    assert.match(r.err, /no user named "ghost"/);
  });

  it('lists users as a table', async () => {
    const r = await run('list');
    assert.equal(r.code, 0);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0], /^USERNAME\s+DISPLAY NAME\s+ROLES\s+STATE\s+MFA\s+LAST SIGN-IN$/);
    assert.ok(
      lines.some((l) => /^admin\s+Administrator\s+admin\s+must change password\s+no\s+never$/.test(l)),
      r.out,
    );
    assert.ok(lines.some((l) => l.startsWith('meera ')));
  });

  it('disables and enables; disabling ends sessions at once', async () => {
    const c = await run('create', '--username', 'vikram', '--role', 'auditor');
    const s = await completeFirstLogin(t.app, 'vikram', otpOf(c.out)!);
    let r = await run('disable', 'vikram');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /disabled user "vikram"/);
    let res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: s.cookie } });
    assert.equal(res.statusCode, 401);
    res = await login(t.app, 'vikram', s.password);
    assert.equal(res.statusCode, 403);
    r = await run('enable', 'vikram');
    assert.equal(r.code, 0, r.err);
    res = await login(t.app, 'vikram', s.password);
    assert.equal(res.statusCode, 200);
    await t.ledger.flush();
    const rows = await t.ctx.db.query<{ action: string }>(
      "SELECT action FROM ledger_entries WHERE actor_id = 'cli:tester' AND action IN ('users.user.disabled', 'users.user.enabled') ORDER BY seq",
    );
    assert.deepEqual(
      rows.rows.map((x) => x.action),
      ['users.user.disabled', 'users.user.enabled'],
    );
  });

  it('resets a password and MFA', async () => {
    const c = await run('create', '--username', 'farah', '--role', 'investigator');
    const s = await completeFirstLogin(t.app, 'farah', otpOf(c.out)!);
    assert.ok(s.totpSecret, 'investigators enrol MFA');
    let r = await run('reset-mfa', 'farah');
    assert.equal(r.code, 0, r.err);
    let res = await login(t.app, 'farah', s.password);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ user: { state: string } }>().user.state, 'mfa-enrollment-required');
    r = await run('reset-password', 'farah');
    assert.equal(r.code, 0, r.err);
    const pw = otpOf(r.out)!;
    res = await login(t.app, 'farah', s.password);
    assert.equal(res.statusCode, 401);
    res = await login(t.app, 'farah', pw);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ user: { state: string } }>().user.state, 'password-change-required');
    await t.ledger.flush();
    const rows = await t.ctx.db.query<{ action: string }>(
      "SELECT action FROM ledger_entries WHERE actor_id = 'cli:tester' AND action IN ('auth.mfa.reset', 'users.user.password-reset') ORDER BY seq",
    );
    assert.deepEqual(
      rows.rows.map((x) => x.action),
      ['auth.mfa.reset', 'users.user.password-reset'],
    );
  });

  it('has help for every subcommand', async () => {
    for (const sub of ['create', 'list', 'disable', 'enable', 'reset-mfa', 'reset-password']) {
      const r = await run(sub, '--help');
      assert.equal(r.code, 0);
      assert.match(r.out, new RegExp(`Usage: users ${sub}`));
    }
  });
});
