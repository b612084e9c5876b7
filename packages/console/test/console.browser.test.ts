/**
 * The console in real headless Chromium against the real server (fresh
 * database, built console served at /): first sign-in with the one-time
 * password, the forced password change, MFA enrolment and recovery codes,
 * sign-in with a TOTP challenge, the ledger viewer with in-browser proof
 * verification (and its failure on tampered data), user administration and
 * a lost session.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../server/test/app.ts';
import { ensureConsoleBuilt, launchBrowser, screenshotDir, sleep, totp, watchPageErrors } from './helpers.ts';

const NEW_PASSWORD = 'Correct-Horse-Battery-42';
const TIMEOUT = 15_000;

describe('console in Chromium against the real server', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let mfaSecret = '';
  let lastStep = -1;

  /**
   * A TOTP code for a time step the server has not accepted yet (it refuses a
   * replayed step and accepts one step of drift), waiting when needed.
   */
  const nextTotp = async (): Promise<string> => {
    for (;;) {
      const current = Math.floor(Date.now() / 30_000);
      const step = Math.max(current, lastStep + 1);
      if (step <= current + 1) {
        lastStep = step;
        return totp(mfaSecret, step - current);
      }
      await sleep(1000);
    }
  };

  const shot = (name: string) => page.screenshot({ path: path.join(screenshotDir, `kotwal-console-${name}.png`), fullPage: true });

  before(async () => {
    await ensureConsoleBuilt();
    server = await startTestServer({ env: { KOTWAL_CHECKPOINT_SECONDS: '1', KOTWAL_NODE_NAME: 'kotwal-test.node' } });
    assert.ok(server.adminPassword, 'the test server printed the first admin one-time password');
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    context.setDefaultTimeout(TIMEOUT);
    page = await context.newPage();
    pageErrors = watchPageErrors(page);
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  it('serves the console with a strict CSP and no inline script', async () => {
    const res = await fetch(`${server.baseUrl}/users`);
    assert.equal(res.status, 200, 'client-side routes fall back to index.html');
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline <script> in index.html');
    assert.doesNotMatch(html, /https?:\/\//, 'index.html references nothing outside the node');
  });

  it('first sign-in: one-time password, forced password change, MFA enrolment, recovery codes, shell', async () => {
    await page.goto(server.baseUrl);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(server.adminPassword);
    await page.getByTestId('login-submit').click();

    await page.getByTestId('password-change-screen').waitFor();
    const policy = await page.getByTestId('password-policy').innerText();
    assert.match(policy, /At least 12 characters/);
    await page.getByTestId('pw-new').fill('short');
    await page.getByTestId('pw-confirm').fill('short');
    assert.equal(await page.getByTestId('pw-submit').isDisabled(), true, 'a password against the policy cannot be submitted');
    await page.getByTestId('pw-new').fill(NEW_PASSWORD);
    await page.getByTestId('pw-confirm').fill(NEW_PASSWORD);
    await shot('password-change');
    await page.getByTestId('pw-submit').click();

    await page.getByTestId('mfa-enrolment-screen').waitFor();
    const secretEl = page.getByTestId('mfa-secret');
    await secretEl.waitFor();
    mfaSecret = (await secretEl.getAttribute('data-value')) ?? '';
    assert.match(mfaSecret, /^[A-Z2-7]+=*$/, 'base32 secret shown');
    const shown = (await secretEl.innerText()).trim();
    assert.equal(shown.replace(/\s+/g, ''), mfaSecret, 'the grouped secret is the same secret');
    assert.ok(shown.includes(' '), 'the secret is grouped for manual entry');
    assert.equal(await page.getByTestId('mfa-qr').count(), 1, 'a QR code is drawn');
    await page.getByText('Show the otpauth link').click();
    assert.match(await page.getByTestId('mfa-otpauth-url').innerText(), /^otpauth:\/\/totp\//);
    await shot('mfa-enrolment');

    await page.getByTestId('mfa-code').fill(await nextTotp());
    await page.getByTestId('mfa-verify').click();

    await page.getByTestId('recovery-codes-screen').waitFor();
    const codes = await page.getByTestId('recovery-codes').locator('li').allInnerTexts();
    assert.equal(codes.length, 10, 'ten recovery codes');
    assert.equal(new Set(codes).size, 10, 'all different');
    assert.equal(await page.getByTestId('recovery-continue').isDisabled(), true, 'cannot continue before confirming they are stored');
    await shot('recovery-codes');
    await page.getByTestId('recovery-ack').check();
    await page.getByTestId('recovery-continue').click();

    await page.getByTestId('sidenav').waitFor();
    assert.equal(await page.getByTestId('topbar-node').innerText(), 'kotwal-test.node');
    assert.match(await page.getByTestId('topbar-user').innerText(), /Administrator/);
    for (const id of ['nav-home', 'nav-users', 'nav-roles', 'nav-tokens', 'nav-ledger']) {
      assert.equal(await page.getByTestId(id).count(), 1, `${id} in the navigation`);
    }
    assert.match(await page.getByTestId('session-timer').innerText(), /\d+ min/);
    await shot('overview');
  });

  it('signs out, refuses a wrong password, then signs in again with a TOTP challenge', async () => {
    await page.getByTestId('sign-out').click();
    await page.getByTestId('login-form').waitFor();
    assert.match(await page.getByTestId('login-notice').innerText(), /signed out/i);

    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill('Wrong-Password-000');
    await page.getByTestId('login-submit').click();
    assert.match(await page.getByTestId('login-error').innerText(), /not correct/);

    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(NEW_PASSWORD);
    await page.getByTestId('login-submit').click();
    const totpField = page.getByTestId('login-totp');
    await totpField.waitFor();
    await totpField.fill('000000');
    await page.getByTestId('login-submit').click();
    assert.match(await page.getByTestId('login-error').innerText(), /not valid/);
    await totpField.fill(await nextTotp());
    await page.getByTestId('login-submit').click();
    await page.getByTestId('sidenav').waitFor();
  });

  it('resumes the session after a reload', async () => {
    await page.reload();
    await page.getByTestId('sidenav').waitFor();
    assert.match(await page.getByTestId('topbar-user').innerText(), /Administrator/);
  });

  it('ledger viewer: shows the auth entries, verifies the checkpoint, filters', async () => {
    await page.getByTestId('nav-ledger').click();
    await page.getByTestId('ledger-table').waitFor();
    const status = page.getByTestId('checkpoint-signature-status');
    await status.waitFor();
    assert.equal(await status.getAttribute('data-status'), 'valid', 'the Ed25519 checkpoint signature verifies in the browser');
    assert.ok(Number((await page.getByTestId('checkpoint-tree-size').innerText()).replace(/\D/g, '')) > 0);
    assert.match(await page.getByTestId('checkpoint-root-hash').innerText(), /^[0-9a-f]{64}$/);

    const actions = await page.locator('[data-testid^="ledger-row-"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action') ?? ''));
    for (const a of ['auth.login.succeeded', 'auth.password.changed', 'auth.mfa.verified', 'auth.logout', 'auth.login.failed']) {
      assert.ok(actions.includes(a), `the ledger lists ${a} (got ${[...new Set(actions)].join(', ')})`);
    }

    // Filter by an action prefix.
    await page.getByTestId('filter-action').fill('auth.login.*');
    await page.getByTestId('filter-apply').click();
    await page.waitForURL(/action=auth.login/);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid^="ledger-row-"]')].every((r) => (r.getAttribute('data-action') ?? '').startsWith('auth.login.')),
    );
    const filtered = await page.locator('[data-testid^="ledger-row-"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action') ?? ''));
    assert.ok(filtered.length >= 3, 'several sign-in entries');
    assert.ok(filtered.every((a) => a.startsWith('auth.login.')));

    // Add an outcome filter: only the refused attempts remain.
    await page.getByTestId('filter-outcome').selectOption('denied');
    await page.getByTestId('filter-apply').click();
    await page.waitForURL(/outcome=denied/);
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid^="ledger-row-"]')];
      return rows.length > 0 && rows.every((r) => r.getAttribute('data-outcome') === 'denied');
    });
    const denied = await page.locator('[data-testid^="ledger-row-"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    assert.ok(denied.includes('auth.login.failed'), 'the wrong-password attempt is there');

    // A time range in the future matches nothing.
    await page.getByTestId('filter-reset').click();
    await page.waitForURL((u) => !u.search);
    await page.getByTestId('filter-since').fill('2099-01-01T00:00');
    await page.getByTestId('filter-apply').click();
    await page.waitForURL(/since=/);
    await page.getByText('Nothing matches these filters.').waitFor();
    await page.getByTestId('filter-reset').click();
    await page.getByTestId('ledger-table').waitFor();
  });

  it('ledger viewer: pages through entries', async () => {
    await page.goto(`${server.baseUrl}/ledger?limit=25&order=asc`);
    await page.getByTestId('ledger-table').waitFor();
    const first = await page.locator('[data-testid^="ledger-row-"]').first().getAttribute('data-testid');
    assert.equal(first, 'ledger-row-0', 'oldest first starts at entry 0');
    if (await page.getByTestId('ledger-next').isEnabled()) {
      await page.getByTestId('ledger-next').click();
      await page.waitForURL(/from=25/);
      await page.getByTestId('ledger-row-25').waitFor();
      await page.getByTestId('ledger-prev').click();
      await page.getByTestId('ledger-row-0').waitFor();
    }
  });

  it('ledger viewer: "Verify inclusion" recomputes the leaf and checks the proof against the signed root', async () => {
    await page.goto(`${server.baseUrl}/ledger?action=auth.login.succeeded&order=asc`);
    const row = page.locator('[data-testid^="ledger-row-"]').first();
    await row.waitFor();
    const seq = Number((await row.getAttribute('data-testid'))?.replace('ledger-row-', ''));
    await page.getByTestId(`verify-${seq}`).click();
    const result = page.getByTestId(`inclusion-result-${seq}`);
    await page.waitForFunction((s) => {
      const st = document.querySelector(`[data-testid="inclusion-result-${s}"]`)?.getAttribute('data-status');
      return st === 'verified' || st === 'failed' || st === 'pending' || st === 'error';
    }, seq);
    for (let i = 0; i < 20 && (await result.getAttribute('data-status')) === 'pending'; i++) {
      await sleep(500);
      await page.getByTestId(`verify-retry-${seq}`).click();
      await page.waitForFunction((s) => document.querySelector(`[data-testid="inclusion-result-${s}"]`)?.getAttribute('data-status') !== 'running', seq);
    }
    assert.equal(await result.getAttribute('data-status'), 'verified', await result.innerText());
    const checks = await page
      .getByTestId(`inclusion-checks-${seq}`)
      .locator('li')
      .evaluateAll((lis) => lis.map((l) => [l.getAttribute('data-check'), l.getAttribute('data-ok')]));
    assert.deepEqual(
      checks.filter(([, ok]) => ok === 'true').map(([id]) => id),
      ['checkpoint', 'leaf', 'inclusion'],
    );
    assert.match(await result.innerText(), /Inclusion verified/);
    await shot('ledger-verified');

    // The most recent entry may be newer than the last checkpoint: it is pending, then verified.
    await page.goto(`${server.baseUrl}/ledger`);
    const newest = page.locator('[data-testid^="ledger-row-"]').first();
    await newest.waitFor();
    const newestSeq = Number((await newest.getAttribute('data-testid'))?.replace('ledger-row-', ''));
    await page.getByTestId(`verify-${newestSeq}`).click();
    const r2 = page.getByTestId(`inclusion-result-${newestSeq}`);
    for (let i = 0; i < 30; i++) {
      await page.waitForFunction((s) => document.querySelector(`[data-testid="inclusion-result-${s}"]`)?.getAttribute('data-status') !== 'running', newestSeq);
      if ((await r2.getAttribute('data-status')) !== 'pending') break;
      await sleep(400);
      await page.getByTestId(`verify-retry-${newestSeq}`).click();
    }
    assert.equal(await r2.getAttribute('data-status'), 'verified', await r2.innerText());
  });

  it('ledger viewer: a tampered entry or checkpoint FAILS verification in the browser', async () => {
    // Alter what the server says about the entries: the browser must notice.
    await page.route('**/api/v1/ledger/entries?*', async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { items: { resource: string }[] };
      for (const item of body.items) item.resource = `${item.resource}-tampered`;
      await route.fulfill({ response: res, json: body });
    });
    await page.goto(`${server.baseUrl}/ledger?action=auth.login.succeeded&order=asc`);
    const row = page.locator('[data-testid^="ledger-row-"]').first();
    await row.waitFor();
    const seq = Number((await row.getAttribute('data-testid'))?.replace('ledger-row-', ''));
    await page.getByTestId(`verify-${seq}`).click();
    const result = page.getByTestId(`inclusion-result-${seq}`);
    await page.waitForFunction((s) => document.querySelector(`[data-testid="inclusion-result-${s}"]`)?.getAttribute('data-status') === 'failed', seq);
    const text = await result.innerText();
    assert.match(text, /FAILED/);
    assert.match(text, /altered/);
    await shot('ledger-tampered');
    await page.unroute('**/api/v1/ledger/entries?*');

    // A forged checkpoint signature.
    await page.route('**/api/v1/ledger/checkpoints/latest', async (route) => {
      const res = await route.fetch();
      const cp = (await res.json()) as { signature: string };
      const sig = Buffer.from(cp.signature, 'base64');
      sig[0] = (sig[0] ?? 0) ^ 0xff;
      cp.signature = sig.toString('base64');
      await route.fulfill({ response: res, json: cp });
    });
    await page.goto(`${server.baseUrl}/ledger`);
    const status = page.getByTestId('checkpoint-signature-status');
    await status.waitFor();
    assert.equal(await status.getAttribute('data-status'), 'invalid');
    assert.match(await page.getByTestId('checkpoint-panel').innerText(), /Verification FAILED/);
    await page.unroute('**/api/v1/ledger/checkpoints/latest');
  });

  it('users: creating a user shows its one-time password once; the new user signs in with it', async () => {
    // A desk role with no registry access (operators read registries, so they need MFA).
    const session = await page.request.get(`${server.baseUrl}/api/v1/auth/session`);
    const csrfToken = (await session.json()) as { csrfToken: string };
    const role = await page.request.put(`${server.baseUrl}/api/v1/roles/desk-officer`, {
      headers: { 'x-csrf-token': csrfToken.csrfToken },
      data: { description: 'Front desk: signs in, no system access', permissions: ['auth.self'] },
    });
    assert.equal(role.status(), 201, await role.text());
    await page.reload();
    await page.getByTestId('nav-users').click();
    await page.getByTestId('users-table').waitFor();
    await page.getByTestId('user-create').click();
    const dialog = page.getByTestId('create-user-dialog');
    await dialog.waitFor();
    await page.getByTestId('new-user-username').fill('officer.rao');
    await page.getByTestId('new-user-display-name').fill('Officer Rao');
    await page
      .getByTestId('new-user-roles')
      .getByLabel(/^desk-officer/)
      .check();
    await page.getByTestId('new-user-submit').click();

    const otpDialog = page.getByTestId('one-time-password-dialog');
    await otpDialog.waitFor();
    const otp = (await page.getByTestId('one-time-password').getAttribute('data-value')) ?? '';
    assert.ok(otp.length >= 12, 'a one-time password is shown');
    assert.equal((await page.getByTestId('one-time-password').innerText()).trim(), otp);
    await shot('user-created');
    await page.getByTestId('one-time-password-done').click();
    await otpDialog.waitFor({ state: 'detached' });
    const row = page.getByTestId('user-row-officer.rao');
    await row.waitFor();
    assert.match(await row.innerText(), /Password change pending/);
    assert.match(await row.innerText(), /desk-officer/);
    assert.equal(await page.getByTestId('one-time-password').count(), 0, 'not shown again');

    // The new user, in a separate browser profile: the one-time password works once,
    // and the navigation offers only what a desk officer may do.
    const ctx2 = await browser.newContext();
    ctx2.setDefaultTimeout(TIMEOUT);
    const p2 = await ctx2.newPage();
    try {
      await p2.goto(server.baseUrl);
      await p2.getByTestId('login-username').fill('officer.rao');
      await p2.getByTestId('login-password').fill(otp);
      await p2.getByTestId('login-submit').click();
      await p2.getByTestId('password-change-screen').waitFor();
      await p2.getByTestId('pw-new').fill('Another-Strong-Pass-7');
      await p2.getByTestId('pw-confirm').fill('Another-Strong-Pass-7');
      await p2.getByTestId('pw-submit').click();
      await p2.getByTestId('sidenav').waitFor();
      assert.equal(await p2.getByTestId('nav-users').count(), 0, 'a desk officer sees no user administration');
      assert.equal(await p2.getByTestId('nav-ledger').count(), 0, 'nor the ledger');
      await p2.goto(`${server.baseUrl}/ledger`);
      await p2.getByText('Not permitted').waitFor();
    } finally {
      await ctx2.close();
    }
  });

  it('users: disable and enable, reset password, edit roles', async () => {
    await page.getByTestId('user-toggle-officer.rao').click();
    await page.getByTestId('confirm-toggle-disabled').getByTestId('confirm-button').click();
    await page.getByTestId('users-notice').getByText('officer.rao is disabled.').waitFor();
    // The notice shows before the list has reloaded: wait for the row itself to say so.
    await page
      .getByTestId('user-row-officer.rao')
      .getByText(/Disabled/)
      .waitFor();
    assert.match(await page.getByTestId('user-row-officer.rao').innerText(), /Disabled/);
    await page.getByTestId('user-toggle-officer.rao').click();
    await page.getByTestId('confirm-toggle-disabled').getByTestId('confirm-button').click();
    await page.getByTestId('users-notice').getByText('officer.rao is enabled again.').waitFor();

    await page.getByTestId('user-reset-password-officer.rao').click();
    await page.getByTestId('confirm-reset-password').getByTestId('confirm-button').click();
    await page.getByTestId('one-time-password-dialog').waitFor();
    assert.ok(((await page.getByTestId('one-time-password').getAttribute('data-value')) ?? '').length >= 12);
    await page.getByTestId('one-time-password-done').click();

    await page.getByTestId('user-edit-officer.rao').click();
    await page
      .getByTestId('edit-user-roles')
      .getByLabel(/^auditor/)
      .check();
    await page.getByTestId('edit-user-submit').click();
    await page.getByTestId('users-notice').getByText('Saved officer.rao.').waitFor();
    await page.getByTestId('user-row-officer.rao').getByText('auditor', { exact: true }).waitFor();
    await shot('users');
  });

  it('roles: built-in roles are read-only; a custom role is created from the catalogue', async () => {
    await page.getByTestId('nav-roles').click();
    await page.getByTestId('roles-table').waitFor();
    await page.getByTestId('role-open-admin').click();
    const editor = page.getByTestId('role-editor');
    await editor.waitFor();
    assert.equal(await page.getByTestId('role-save').count(), 0, 'no save for a built-in role');
    assert.equal(await editor.locator('input[type=checkbox][value="users.write"]').isChecked(), true);
    assert.equal(await editor.locator('input[type=checkbox][value="users.write"]').isDisabled(), true);
    await page.keyboard.press('Escape');
    await editor.waitFor({ state: 'detached' });

    await page.getByTestId('role-create').click();
    await page.getByTestId('role-name').fill('shift-lead');
    await page.getByTestId('role-description').fill('Shift lead: reads the ledger');
    await editor.locator('input[type=checkbox][value="ledger.read"]').check();
    await shot('role-editor');
    await page.getByTestId('role-save').click();
    await page.getByTestId('role-row-shift-lead').waitFor();
    assert.match(await page.getByTestId('role-row-shift-lead').innerText(), /ledger\.read/);
  });

  it('API tokens: the secret is shown once; revoking works', async () => {
    await page.getByTestId('nav-tokens').click();
    await page.getByTestId('token-issue').click();
    await page.getByTestId('token-name').fill('metrics scraper');
    await page.getByTestId('token-permissions').locator('input[value="system.metrics"]').check();
    assert.equal(
      await page.getByTestId('token-permissions').locator('input[value="registries.read"]').isDisabled(),
      true,
      'cannot grant what one does not hold',
    );
    await page.getByTestId('token-submit').click();
    await page.getByTestId('token-secret-dialog').waitFor();
    const secret = (await page.getByTestId('token-secret').getAttribute('data-value')) ?? '';
    assert.ok(secret.length > 20);
    await page.getByTestId('token-secret-done').click();
    await page.getByTestId('token-row-metrics scraper').waitFor();

    const metrics = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(metrics.status, 200, 'the issued token works');

    await page.getByTestId('token-revoke-metrics scraper').click();
    await page.getByTestId('confirm-revoke-token').getByTestId('confirm-button').click();
    await page.getByTestId('token-row-metrics scraper').getByText('Revoked').waitFor();
    const refused = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(refused.status, 401, 'the revoked token is refused');
  });

  it('a lost session returns to the sign-in screen with a message', async () => {
    await context.clearCookies();
    await page.getByTestId('nav-users').click();
    await page.getByTestId('login-form').waitFor();
    assert.match(await page.getByTestId('login-notice').innerText(), /session has ended/i);
    // Signing in again lands where the user was.
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(NEW_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-totp').fill(await nextTotp());
    await page.getByTestId('login-submit').click();
    await page.getByTestId('users-table').waitFor();
  });

  it('the page reported no errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
