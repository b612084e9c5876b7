/**
 * The sovereignty screens in real headless Chromium against the real server:
 * registering a peer, designating an official and setting the M-of-N policy,
 * requesting a transfer, approving it in the browser with two officials' key
 * files (PKCS#8 PEM made here with node:crypto, as `kotwal keys generate`
 * writes them) until it is approved, a non-designated key refused with the
 * server's reason, revoking it; a break-glass grant approved in the browser;
 * the witnesses page showing a countersignature verified in the browser; and
 * a read-only role that sees the screens but none of their actions.
 *
 * The private keys never leave the browser: the test checks that no request
 * the page makes carries the PEM.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { parseEd25519PrivateKey, publicKeyId, signCosignature, type Dataset, type DatasetList, type Transfer } from '@kotwal/contracts';
import { startTestServer, type TestServer } from '../../server/test/app.ts';
import { adminSession, authHeaders, userSession, type Session } from '../../server/test/auth-helpers.ts';
import { ensureConsoleBuilt, launchBrowser, screenshotDir, sleep, totp, watchPageErrors } from './helpers.ts';

const TIMEOUT = 15_000;
const SOV = '/sovereignty';

interface OfficialKey {
  name: string;
  pem: string;
  publicKey: string;
  keyId: string;
}

function officialKey(name: string): OfficialKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64');
  return { name, pem, publicKey: raw, keyId: publicKeyId(raw) };
}

describe('sovereignty console in Chromium against the real server', () => {
  let server: TestServer;
  let admin: Session;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  /** Bodies of every request the page sent (to prove no private key left it). */
  const sentBodies: string[] = [];
  let lastStep = 0;
  let dataset: Dataset;
  let transferId = '';
  let grantId = '';
  /** An official whose role only reads transfers and grants (made while the browser starts), and their own browser. */
  let viewerReady: Promise<Session>;
  let viewerContext: BrowserContext | undefined;
  let viewerTab: Page | undefined;
  let viewerErrors: string[] = [];

  const chief = officialKey('Chief Data Officer, PITB');
  const secretary = officialKey('Secretary Home, Punjab');
  const stranger = officialKey('Vendor engineer');
  const breakGlass = officialKey('Inspector General, break-glass');
  const witness = officialKey('Ombudsman Punjab');
  const peerKey = officialKey('peer node');

  const shot = (name: string) => page.screenshot({ path: path.join(screenshotDir, `kotwal-sovereignty-${name}.png`), fullPage: true });

  const api = async <T>(s: Session | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<T> => {
    const r = await server.app.inject({ method, url, headers: s ? authHeaders(s) : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return r.json<T>();
  };

  /** A TOTP code for a step not used yet (the server refuses a replayed step and allows one step of drift). */
  const nextTotp = async (secret: string): Promise<string> => {
    for (;;) {
      const current = Math.floor(Date.now() / 30_000);
      const step = Math.max(current, lastStep + 1);
      if (step <= current + 1) {
        lastStep = step;
        return totp(secret, step - current);
      }
      await sleep(1000);
    }
  };

  const signIn = async (p: Page, s: Session) => {
    await p.goto(`${server.baseUrl}${SOV}/transfers`);
    await p.getByTestId('login-username').fill(s.username);
    await p.getByTestId('login-password').fill(s.password);
    await p.getByTestId('login-submit').click();
    if (s.totpSecret) {
      await p.getByTestId('login-totp').fill(await nextTotp(s.totpSecret));
      await p.getByTestId('login-submit').click();
    }
    await p.getByTestId('sidenav').waitFor();
  };

  const status = (p: Page, testId: string) => p.getByTestId(testId).getAttribute('data-status');
  const waitStatus = (p: Page, testId: string, want: string) =>
    p.waitForFunction(([id, w]) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-status') === w, [testId, want] as const);

  /** Picks a key file in the approve panel (read by the page with File.text()). */
  const pickKeyFile = async (k: OfficialKey) => {
    await page.getByTestId('approve-key-file').setInputFiles({ name: 'official.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(k.pem) });
    await page.getByTestId('approve-public-key').getByText(k.publicKey).waitFor();
  };

  before(async () => {
    await ensureConsoleBuilt();
    server = await startTestServer({ env: { OSMAND_PORT: '0', MQTT_PORT: '0' } });
    admin = await adminSession(server);
    lastStep = Math.floor(Date.now() / 30_000);
    const datasets = await api<DatasetList>(admin, 'GET', '/api/v1/transfers/datasets');
    assert.ok(datasets.items.length > 0, 'the installed modules publish datasets');
    dataset = datasets.items.find((d) => d.name === 'registries/identity') ?? datasets.items[0];
    // One official designated through the API; the other through the console below.
    await api(admin, 'POST', '/api/v1/transfers/approvers', { dataset: dataset.name, publicKey: secretary.publicKey, name: secretary.name });

    viewerReady = (async () => {
      await api(admin, 'PUT', '/api/v1/roles/sovereignty-reader', {
        description: 'Reads transfers and grants',
        permissions: ['auth.self', 'transfers.read', 'grants.read'],
      });
      return userSession(server, admin, 'ig-office', ['sovereignty-reader']);
    })();
    viewerReady.catch(() => undefined);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    context.setDefaultTimeout(TIMEOUT);
    page = await context.newPage();
    pageErrors = watchPageErrors(page);
    page.on('request', (r) => {
      const body = r.postData();
      if (body) sentBodies.push(body);
    });
    await signIn(page, admin);
  });

  /** The read-only official's own browser profile, signed in once. */
  const viewerPage = async (): Promise<Page> => {
    if (viewerTab) return viewerTab;
    const viewer = await viewerReady;
    viewerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    viewerContext.setDefaultTimeout(TIMEOUT);
    viewerTab = await viewerContext.newPage();
    viewerErrors = watchPageErrors(viewerTab);
    await signIn(viewerTab, viewer);
    return viewerTab;
  };

  after(async () => {
    await viewerContext?.close();
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  it('shows the node identity verified in the browser and registers a peer', async () => {
    await page.getByTestId('nav-peers').click();
    await page.locator('[data-testid="node-identity-verified"][data-ok="true"]').waitFor();
    assert.equal(await page.getByTestId('node-jurisdiction').innerText(), 'PK-PB');

    await page.getByTestId('peer-register-open').click();
    await page.getByTestId('peer-name').fill('lahore-dr');
    await page.getByTestId('peer-jurisdiction').fill('pk-pb');
    // Nothing listens there: registered, its identity to be proved before any transfer executes.
    await page.getByTestId('peer-address').fill('http://127.0.0.1:9');
    await page.getByTestId('peer-public-key').fill(peerKey.publicKey);
    await page.getByTestId('peer-register-dialog').getByText(`id ${peerKey.keyId}`).waitFor();
    await page.getByTestId('peer-register-submit').click();
    const row = page.getByTestId('peer-row-lahore-dr');
    await row.waitFor();
    assert.match(await row.innerText(), /PK-PB/);
    assert.match(await row.innerText(), new RegExp(peerKey.keyId));
  });

  it('designates an official and sets the 2-of-2 policy of a dataset', async () => {
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId(`dataset-open-${dataset.name}`).click();
    const panel = page.getByTestId(`dataset-panel-${dataset.name}`);
    await panel.getByTestId(`approver-row-${secretary.keyId}`).waitFor();
    await panel.getByTestId('approver-name').fill(chief.name);
    await panel.getByTestId('approver-public-key').fill(chief.publicKey);
    await panel.getByTestId('approver-submit').click();
    await panel.getByTestId(`approver-row-${chief.keyId}`).waitFor();

    await panel.getByTestId('policy-threshold').fill('2');
    await panel.getByTestId('policy-jurisdictions').fill('PK-PB');
    await panel.getByTestId('policy-submit').click();
    await page.getByTestId(`dataset-policy-${dataset.name}`).getByText('2 of 2').waitFor();
  });

  it('requests a transfer; the manifest hash recomputed in the browser matches the server', async () => {
    await page.getByTestId('nav-transfers').click();
    await page.getByTestId('transfer-request-open').click();
    await page.getByTestId('transfer-dataset').selectOption(dataset.name);
    await page.getByTestId('transfer-destination').fill('lahore-dr');
    assert.equal(await page.getByTestId('transfer-jurisdiction').inputValue(), 'PK-PB', 'the peer jurisdiction is filled in');
    await page.getByTestId('transfer-purpose').fill('Disaster-recovery copy at the Lahore DR site');
    await page.getByTestId('transfer-legal-basis').fill('Punjab Safe Cities Authority Act 2016, s. 12');
    await page.getByTestId('transfer-request-submit').click();
    const detail = page.getByTestId('transfer-detail');
    await detail.waitFor();
    transferId = (await detail.getAttribute('data-transfer-id')) ?? '';
    assert.ok(transferId);
    assert.equal(await status(page, 'transfer-status'), 'pending-approval');

    await page.locator('[data-testid="transfer-hash-match"][data-ok="true"]').waitFor();
    const t = await api<Transfer>(admin, 'GET', `/api/v1/transfers/${transferId}`);
    assert.equal(await page.getByTestId('transfer-browser-hash').innerText(), t.manifestHash);
    assert.equal(await page.getByTestId('transfer-server-hash').innerText(), t.manifestHash);
    assert.deepEqual([...t.manifest.approvers.publicKeys].sort(), [chief.publicKey, secretary.publicKey].sort());
    assert.match(await page.getByTestId('transfer-manifest-json').innerText(), /"purpose":"Disaster-recovery copy at the Lahore DR site"/);
  });

  it('refuses a key that is not designated, with the server’s reason', async () => {
    await pickKeyFile(stranger);
    await page.getByTestId('approve-key-derived').getByText('not in the approver set').waitFor();
    await page.getByTestId('approve-submit').click();
    const detail = await page.getByTestId('approve-refusal-detail').innerText();
    assert.match(detail, /not a designated approver/);
    assert.match(await page.getByTestId('approve-refusal').innerText(), /Approver not designated/);
    const t = await api<Transfer>(admin, 'GET', `/api/v1/transfers/${transferId}`);
    assert.equal(t.approvals.length, 0);
  });

  it('approves with two officials’ key files, signed in the browser, until the transfer is approved', async () => {
    await pickKeyFile(chief);
    await page.getByTestId('approve-key-derived').getByText('named in the signed approver set').waitFor();
    await page.getByTestId('approve-submit').click();
    await page.getByTestId('approve-result').waitFor();
    await page.locator(`[data-testid="approval-${chief.keyId}"][data-verified="true"]`).waitFor();
    assert.equal(await status(page, 'transfer-status'), 'pending-approval');

    // The second official pastes the key instead of picking the file.
    await page.getByTestId('approve-key-paste').fill(secretary.pem);
    await page.getByTestId('approve-public-key').getByText(secretary.publicKey).waitFor();
    await page.getByTestId('approve-submit').click();
    await waitStatus(page, 'transfer-status', 'approved');
    await page.locator(`[data-testid="approval-${secretary.keyId}"][data-verified="true"]`).waitFor();
    assert.equal(await page.getByTestId('transfer-approval-count').getAttribute('data-valid'), '2');
    // The paste box is wiped after signing.
    assert.equal(await page.getByTestId('approve-key-paste').inputValue(), '');

    const t = await api<Transfer>(admin, 'GET', `/api/v1/transfers/${transferId}`);
    assert.equal(t.status, 'approved');
    assert.deepEqual(t.approvals.map((a) => a.keyId).sort(), [chief.keyId, secretary.keyId].sort());
    for (const k of [chief, secretary, stranger]) {
      assert.ok(!sentBodies.some((b) => b.includes('PRIVATE KEY') || b.includes(k.pem.split('\n')[1] ?? '-')), 'no private key left the browser');
    }
    await shot('transfer-approved');
  });

  it('executes only after the server re-checks the destination: an unreachable peer is refused with its reason', async () => {
    await page.getByTestId('transfer-execute').click();
    await page.getByTestId('confirm-execute').getByTestId('confirm-button').click();
    const err = await page.getByTestId('transfer-action-error').innerText();
    assert.match(err, /Peer unreachable/);
    assert.match(err, /lahore-dr could not prove its identity/);
    assert.equal(await status(page, 'transfer-status'), 'approved');
  });

  it('revokes the transfer with a reason', async () => {
    await page.getByTestId('transfer-revoke').click();
    await page.getByTestId('revoke-reason').fill('DR site not yet accredited');
    await page.getByTestId('revoke-confirm').click();
    await waitStatus(page, 'transfer-status', 'revoked');
    assert.match(await page.getByTestId('transfer-revoked').innerText(), /DR site not yet accredited/);
    assert.equal(await page.getByTestId('transfer-execute').count(), 0);
    assert.equal(await page.getByTestId('approve-with-key').count(), 0, 'nothing left to sign');

    // The list filters by status.
    await page.getByTestId('nav-transfers').click();
    await page.getByTestId(`transfer-row-${transferId}`).waitFor();
    await page.getByTestId('transfer-status-filter').selectOption('approved');
    await page.getByText('None match this filter.').waitFor();
    await page.getByTestId('transfer-status-filter').selectOption('revoked');
    await page.getByTestId(`transfer-row-${transferId}`).waitFor();
  });

  it('requests a break-glass grant; the requester’s own session cannot approve it', async () => {
    await api(admin, 'POST', '/api/v1/grants/approvers', { publicKey: breakGlass.publicKey, name: breakGlass.name });
    await api(admin, 'PUT', '/api/v1/grants/policy', { threshold: 1, maxMinutes: 240 });
    // The support account exists and holds nothing until a grant is active.
    await api(admin, 'POST', '/api/v1/users', { username: 'vendor-support', roles: [] });

    await page.getByTestId('nav-grants').click();
    await page.getByTestId('grant-policy').getByText('lasts at most').waitFor();
    await page.getByTestId('grant-request-open').click();
    await page.getByTestId('grant-grantee').fill('vendor-support');
    await page.getByTestId('grant-role').fill('auditor');
    await page.getByTestId('grant-reason').fill('Ledger export failing since the upgrade; vendor to read the checkpoints');
    await page.getByTestId('grant-ticket').fill('PITB-4471');
    await page.getByTestId('grant-duration').fill('60');
    await page.getByTestId('grant-request-submit').click();
    await page.getByTestId('grant-detail').waitFor();
    grantId = (await page.getByTestId('grant-detail').getAttribute('data-grant-id')) ?? '';
    assert.equal(await status(page, 'grant-status'), 'pending-approval');
    await page.locator('[data-testid="grant-hash-match"][data-ok="true"]').waitFor();
    await page.getByTestId('grant-own').waitFor();

    // Separation of duties: the same key, sent from the requester's session, is refused.
    await pickKeyFile(breakGlass);
    await page.getByTestId('approve-submit').click();
    assert.match(await page.getByTestId('approve-refusal-detail').innerText(), /the requester of grant .* may not approve it/);
    assert.equal(await status(page, 'grant-status'), 'pending-approval');
  });

  it('an official signed in with a read-only role approves the grant with a key', async () => {
    assert.ok(grantId, 'the previous step requested a grant');
    const p = await viewerPage();
    await p.getByTestId('nav-grants').click();
    await p.getByTestId(`grant-row-${grantId}`).waitFor();
    assert.equal(await p.getByTestId('grant-request-open').count(), 0, 'requesting needs grants.request');
    await p.getByTestId(`grant-row-${grantId}`).getByRole('link').click();
    await p.locator('[data-testid="grant-hash-match"][data-ok="true"]').waitFor();
    assert.equal(await p.getByTestId('grant-revoke').count(), 0, 'revoking needs grants.manage');

    await p.getByTestId('approve-key-file').setInputFiles({ name: 'ig.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(breakGlass.pem) });
    await p.getByTestId('approve-public-key').getByText(breakGlass.publicKey).waitFor();
    await p.getByTestId('approve-submit').click();
    await waitStatus(p, 'grant-status', 'active');
    await p.locator(`[data-testid="grant-approval-${breakGlass.keyId}"][data-verified="true"]`).waitFor();
    assert.match(await p.getByTestId('grant-actions').innerText(), /^0 /);
  });

  it('lists a witness cosignature, verified in the browser', async () => {
    await api(admin, 'POST', '/api/v1/ledger/witnesses', { name: 'Ombudsman Punjab', publicKey: witness.publicKey });
    const cp = await server.ledger.checkpointNow();
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signCosignature(cp.body, timestamp, parseEd25519PrivateKey(witness.pem));
    await api(null, 'POST', '/api/v1/ledger/cosignatures', { treeSize: cp.treeSize, publicKey: witness.publicKey, timestamp, signature });

    await page.getByTestId('nav-witnesses').click();
    await page.getByTestId('witness-row-Ombudsman Punjab').waitFor();
    const cosig = page.getByTestId(`cosignature-${cp.treeSize}-Ombudsman Punjab`);
    await cosig.waitFor();
    assert.equal(await cosig.getAttribute('data-valid'), 'true');
    assert.match(await page.getByTestId('witness-row-Ombudsman Punjab').innerText(), new RegExp(`tree size ${cp.treeSize.toLocaleString()}`));
    await shot('witnesses');
  });

  it('shows a read-only role the screens without their actions', async () => {
    const p = await viewerPage();
    await p.getByTestId('nav-transfers').click();
    await p.getByTestId(`transfer-row-${transferId}`).waitFor();
    assert.equal(await p.getByTestId('transfer-request-open').count(), 0);
    assert.equal(await p.getByTestId('nav-witnesses').count(), 0, 'witnesses need ledger.read');
    await p.getByTestId('nav-peers').click();
    await p.getByTestId('peer-row-lahore-dr').waitFor();
    assert.equal(await p.getByTestId('peer-register-open').count(), 0);
    assert.equal(await p.getByTestId('peer-remove-lahore-dr').count(), 0);
    await p.goto(`${server.baseUrl}${SOV}/witnesses`);
    await p.getByText('Not permitted').waitFor();
  });

  it('reported no page errors', () => {
    // The refused execution answered 409 (the peer could not be reached): the browser logs it.
    assert.deepEqual([...pageErrors.filter((e) => !/status of 409/.test(e)), ...viewerErrors.map((e) => `ig-office: ${e}`)], []);
  });
});
