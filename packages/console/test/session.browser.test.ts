/**
 * Session behaviour of the console in Chromium against the real server: the
 * navigation follows the user's permissions, the idle timeout is announced
 * and enforced (the browser clock is driven by the test, the server's is
 * real), and signing out in one tab signs out its siblings.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../server/test/app.ts';
import { adminSession, userSession, type Session } from '../../server/test/auth-helpers.ts';
import { ensureConsoleBuilt, launchBrowser, watchPageErrors } from './helpers.ts';

const TIMEOUT = 15_000;

describe('console sessions in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let auditor: Session;

  before(async () => {
    await ensureConsoleBuilt();
    server = await startTestServer();
    const admin = await adminSession(server);
    // Auditors read the ledger, users and roles; no permission of theirs needs MFA.
    auditor = await userSession(server, admin, 'auditor.one', ['auditor']);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function signIn(page: Page): Promise<void> {
    await page.goto(server.baseUrl);
    await page.getByTestId('login-username').fill(auditor.username);
    await page.getByTestId('login-password').fill(auditor.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('sidenav').waitFor();
  }

  it('shows only what the roles allow, read-only where they only read', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    const errors = watchPageErrors(page);
    try {
      await signIn(page);
      for (const id of ['nav-home', 'nav-users', 'nav-roles', 'nav-ledger']) assert.equal(await page.getByTestId(id).count(), 1, `${id} shown`);
      assert.equal(await page.getByTestId('nav-tokens').count(), 0, 'no API tokens for an auditor');
      await page.getByTestId('nav-users').click();
      await page.getByTestId('users-table').waitFor();
      assert.equal(await page.getByTestId('user-create').count(), 0, 'no "New user" without users.write');
      assert.equal(await page.getByTestId('user-edit-admin').count(), 0, 'no row actions without users.write');
      await page.goto(`${server.baseUrl}/tokens`);
      await page.getByText('Not permitted').waitFor();
      await page.goto(`${server.baseUrl}/no/such/screen`);
      await page.getByText('There is nothing at this address').waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('warns before the idle timeout, can stay signed in, then signs out when idle', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    await page.clock.install();
    try {
      await signIn(page);
      // Every answered request slides the idle deadline (the server's does too): let the
      // home screen's requests finish first, or a late answer after the jump reopens the window.
      await page.waitForLoadState('networkidle');
      const timer = page.getByTestId('session-timer');
      assert.match(await timer.innerText(), /\b30 min$/, 'the default idle timeout is 30 minutes');

      await page.clock.fastForward('28:30');
      const warning = page.getByTestId('idle-warning');
      await warning.waitFor();
      assert.match(await warning.innerText(), /signed out in 1:\d\d/);
      await page.getByTestId('idle-stay').click();
      await warning.waitFor({ state: 'detached' });
      await page.waitForLoadState('networkidle');
      assert.match(await timer.innerText(), /\b30 min$/, 'staying signed in restarts the idle timeout');

      await page.clock.fastForward('31:00');
      await page.getByTestId('login-form').waitFor();
      assert.match(await page.getByTestId('login-notice').innerText(), /signed out after 30 minutes without activity/);
      const session = await page.evaluate(async () => (await fetch('/api/v1/auth/session')).status);
      assert.equal(session, 401, 'the server session was ended too');
    } finally {
      await context.close();
    }
  });

  it('signing out in one tab signs out the other tabs', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(TIMEOUT);
    const tab1 = await context.newPage();
    const tab2 = await context.newPage();
    try {
      await signIn(tab1);
      await tab2.goto(`${server.baseUrl}/ledger`);
      await tab2.getByTestId('ledger-table').waitFor();
      await tab1.getByTestId('sign-out').click();
      await tab1.getByTestId('login-form').waitFor();
      await tab2.getByTestId('login-form').waitFor();
      assert.match(await tab2.getByTestId('login-notice').innerText(), /another tab/);
    } finally {
      await context.close();
    }
  });
});
