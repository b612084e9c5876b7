/**
 * The registries (DES) screens in real headless Chromium against the real
 * server. Every user is created through the admin API and signs in through
 * the console with a TOTP code; registry data arrives as small extracts, one
 * through the upload screen and the others through the imports API.
 *
 * A part whose server route is not there yet (404 where a registered route
 * answers the admin 403) is reported as a TODO naming the route, never as a
 * pass.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../server/test/app.ts';
import { adminSession, userSession, type Session } from '../../server/test/auth-helpers.ts';
import { registriesModule } from '../../server/src/modules/registries/index.ts';
import { ensureConsoleBuilt, launchBrowser, screenshotDir, sleep, totp, watchPageErrors } from './helpers.ts';

const TIMEOUT = 15_000;
const RATE_LIMIT = 20;

const ALI = '35202-1234567-1';
const SISTER = '35202-1234568-2';
const COUSIN = '35202-7654321-3';
const CANARY = '35202-9999999-9';
const CASE_REF = 'LHR-MODELTOWN/123/2024';

/** Line 7 is a date that does not exist. Quoted cells hold commas; Urdu is in several columns. */
const IDENTITY_CSV = [
  'cnic,name,nameUrdu,fatherName,fatherNameUrdu,gender,dateOfBirth,placeOfBirth,district,permanentAddress,presentAddress',
  `${ALI},Muhammad Ali,محمد علی,Ghulam Hussain,غلام حسین,M,14-08-1985,Lahore,Lahore,"House 12, Street 4, Model Town, Lahore","House 12, Street 4, Model Town, Lahore"`,
  `${SISTER},Fatima Bibi,فاطمہ بی بی,Ghulam Hussain,غلام حسین,F,02-03-1988,Lahore,Lahore,"House 12, Street 4, Model Town, Lahore",`,
  `${COUSIN},Ahmed Raza,احمد رضا,Muhammad Aslam,,M,30-11-1979,Lahore,Lahore,"Flat 3, Gulberg III, Lahore",`,
  `${CANARY},Imran Qureshi,,Abdul Rehman,,M,01-01-1970,Lahore,Lahore,,`,
  `35202-5555555-5,Mahmood Ali,محمود علی,Ghulam Hussain,غلام حسین,M,01-01-1983,Lahore,Lahore,,`,
  `35202-2222222-2,Sana Malik,ثنا ملک,Tariq Malik,,F,31-02-1990,Lahore,Lahore,,`,
  '',
].join('\r\n');
const BAD_LINE = 7;

const SIMS_CSV = [
  'msisdn,operator,ownerCnic,activatedOn,status',
  `0300-1234567,Jazz,${ALI},10-01-2019,active`,
  `+92 321 7654321,Zong,${ALI},01-06-2021,active`,
  '',
].join('\n');

const VEHICLES_JSONL =
  JSON.stringify({
    registrationNo: 'LEA 19 1234',
    chassisNo: 'NZE141-9034567',
    engineNo: '1NZ-4567890',
    ownerCnic: ALI,
    make: 'Toyota',
    model: 'Corolla',
    year: 2019,
    colour: 'White',
    registeredOn: '2019-03-01',
    district: 'Lahore',
    transfers: [{ fromCnic: COUSIN, toCnic: ALI, date: '2021-02-01' }],
  }) + '\n';

/** Registry routes the screens use, probed as the admin (who holds no registry permission: 403 when the route exists). */
const ROUTES = {
  imports: '/api/v1/registries/imports',
  search: '/api/v1/registries/search',
  lookup: '/api/v1/registries/lookup',
  persons: `/api/v1/registries/persons/${ALI}`,
  accessLog: `/api/v1/registries/persons/${ALI}/access-log`,
  alerts: '/api/v1/registries/alerts',
  blocks: '/api/v1/registries/blocks',
  canaries: '/api/v1/registries/canaries',
} as const;
type RouteName = keyof typeof ROUTES;

interface Officer extends Session {
  lastStep: number;
}

describe('registries (DES) screens in Chromium against the real server', () => {
  let server: TestServer;
  let browser: Browser;
  let admin: Session;
  const officers: Record<'steward' | 'investigator' | 'operator' | 'oversight' | 'supervisor' | 'fast', Officer> = {} as never;
  const missing = new Set<RouteName>();
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  let investigator: Page;
  let oversight: Page;
  /** Registry query requests the investigator's page sent (method and path). */
  const investigatorQueries: string[] = [];
  let imported = false;

  const api = async (s: Session, method: 'GET' | 'POST', url: string, body?: { data: string; contentType: string } | object) => {
    const headers: Record<string, string> = { cookie: s.cookie, 'x-csrf-token': s.csrfToken };
    let payload: string | undefined;
    if (body && 'contentType' in body && typeof body.contentType === 'string' && 'data' in body && typeof body.data === 'string') {
      headers['content-type'] = body.contentType;
      payload = body.data;
    } else if (body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    return fetch(`${server.baseUrl}${url}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  };

  /** Skips (as TODO) a test whose server routes are not there yet. */
  const needs = (t: TestContext, ...routes: RouteName[]): boolean => {
    const absent = routes.filter((r) => missing.has(r));
    if (absent.length) {
      t.todo(`server route(s) not registered yet (404): ${absent.map((r) => ROUTES[r]).join(', ')}`);
      return false;
    }
    return true;
  };
  const needsData = (t: TestContext): boolean => {
    if (!imported) t.todo('no registry data: the extracts could not be imported');
    return imported;
  };

  /** A TOTP code for a time step this user has not used yet (the server refuses a replayed step and allows one step of drift). */
  const nextTotp = async (o: Officer): Promise<string> => {
    for (;;) {
      const current = Math.floor(Date.now() / 30_000);
      const step = Math.max(current, o.lastStep + 1);
      if (step <= current + 1) {
        o.lastStep = step;
        return totp(o.totpSecret ?? '', step - current);
      }
      await sleep(1000);
    }
  };

  const officer = async (username: string, role: string): Promise<Officer> => {
    const s = await userSession(server, admin, username, [role]);
    assert.ok(s.totpSecret, `${role} must enrol MFA (registry permissions require it)`);
    return { ...s, lastStep: Math.floor(Date.now() / 30_000) };
  };

  /** A browser profile of its own, signed in through the console (password, then TOTP), on the registries screens. */
  const signIn = async (o: Officer, opts: { allowStatuses?: number[] } = {}): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 950 } });
    context.setDefaultTimeout(TIMEOUT);
    contexts.push(context);
    const page = await context.newPage();
    const errors = watchPageErrors(page);
    const allowed = new RegExp(`status of (${(opts.allowStatuses ?? []).join('|') || 'none'})`);
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400 && !(opts.allowStatuses ?? []).includes(r.status()))
        failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    page.on('close', () => {
      const unexpected = errors.filter((e) => !allowed.test(e));
      if (unexpected.length) pageErrors.push(...unexpected.map((e) => `${o.username}: ${e}`), ...failed.map((f) => `${o.username}: ${f}`));
    });
    await page.goto(server.baseUrl);
    await page.getByTestId('login-username').fill(o.username);
    await page.getByTestId('login-password').fill(o.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-totp').fill(await nextTotp(o));
    await page.getByTestId('login-submit').click();
    await page.getByTestId('sidenav').waitFor();
    await page.getByTestId('nav-module-registries').click();
    await page.getByTestId('registries-screen').waitFor();
    return page;
  };

  const setCase = async (page: Page, purpose: string, caseRef: string) => {
    await page.getByTestId('case-purpose').selectOption(purpose);
    await page.getByTestId('case-ref').fill(caseRef);
    await page.getByTestId('case-apply').click();
    await page.getByTestId('case-current').waitFor();
  };

  /** Submits the person search and waits for the answer to be shown. */
  const searchAndWait = async (page: Page) => {
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === ROUTES.search);
    await page.getByTestId('search-submit').click();
    await answered;
    await page.getByTestId('search-hits').waitFor();
  };

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshotDir, `kotwal-registries-${name}.png`), fullPage: true });

  before(async () => {
    await ensureConsoleBuilt();
    // The registries system alone: these screens need no other, and another system's listeners stay out of this test.
    server = await startTestServer({ modules: [registriesModule], env: { KOTWAL_REGISTRY_RATE_PER_MINUTE: String(RATE_LIMIT) } });
    admin = await adminSession(server);
    for (const [name, url] of Object.entries(ROUTES) as [RouteName, string][]) {
      const res = await api(admin, 'GET', url);
      if (res.status === 404) missing.add(name);
      else assert.equal(res.status, 403, `${url} refuses the admin (no registry permission): got ${res.status}`);
    }
    officers.steward = await officer('steward.ali', 'registry-steward');
    officers.investigator = await officer('inv.khan', 'investigator');
    officers.operator = await officer('op.rao', 'operator');
    officers.oversight = await officer('ovs.noor', 'oversight');
    officers.supervisor = await officer('sup.iqbal', 'supervisor');
    officers.fast = await officer('inv.fast', 'investigator');
    browser = await launchBrowser();
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  it('a steward imports an extract through the upload screen; the bad row is in the reject report and its CSV download', async (t) => {
    if (!needs(t, 'imports')) return;
    const page = await signIn(officers.steward);
    const tabs = await page.getByTestId('registries-nav').locator('a').allInnerTexts();
    assert.deepEqual(tabs, ['Imports'], 'a steward is offered only the imports');
    assert.equal(await page.getByTestId('case-bar').count(), 0, 'a steward sends no registry query, so has no case bar');

    await page.getByTestId('import-registry').selectOption('identity');
    await page.getByTestId('import-source').fill('NADRA test extract');
    await page.getByTestId('import-file').setInputFiles({ name: 'identity.csv', mimeType: 'text/csv', buffer: Buffer.from(IDENTITY_CSV, 'utf8') });
    await page.getByTestId('import-submit').click();
    const result = page.getByTestId('import-result');
    await page.locator('[data-testid="import-result"], [data-testid="import-error"]').first().waitFor();
    if (await page.getByTestId('import-error').count()) assert.fail(`the upload was refused: ${await page.getByTestId('import-error').innerText()}`);
    assert.match(await result.innerText(), /6 rows read: 5 inserted, 0 updated, 0 unchanged, 1 rejected/);

    await page.getByTestId('import-result-open').click();
    await page.getByTestId('import-detail').waitFor();
    const row = page.getByTestId('import-reject-row');
    await row.waitFor();
    assert.equal(await row.count(), 1, 'one rejected row');
    assert.equal(await row.getAttribute('data-line'), String(BAD_LINE), 'the reject names the line of the file');
    assert.equal(await row.getAttribute('data-field'), 'dateOfBirth');
    assert.match(await row.innerText(), /31-02-1990|date/i);
    assert.match(await page.getByTestId('import-detail').innerText(), /[0-9a-f]{64}/, "the file's SHA-256 is shown");
    await shot(page, 'reject-report');

    const href = (await page.getByTestId('import-rejects-csv').getAttribute('href')) ?? '';
    const csv = await page.request.get(`${server.baseUrl}${href}`);
    assert.equal(csv.status(), 200, 'the reject report downloads with the session cookie');
    assert.match(csv.headers()['content-type'] ?? '', /text\/csv/);
    const csvText = await csv.text();
    assert.match(csvText, new RegExp(`^.*\\b${BAD_LINE}\\b.*dateOfBirth.*$`, 'm'), 'the CSV lists the rejected line with its field');

    // The other extracts through the API, as an integration would send them.
    const sims = await api(officers.steward, 'POST', `${ROUTES.imports}?registry=sims&source=PTA&fileName=sims.csv&format=csv`, {
      data: SIMS_CSV,
      contentType: 'text/csv',
    });
    assert.equal(sims.status, 201, await sims.clone().text());
    const simsSummary = (await sims.json()) as { inserted: number; rejected: number };
    assert.deepEqual([simsSummary.inserted, simsSummary.rejected], [2, 0]);
    const vehicles = await api(officers.steward, 'POST', `${ROUTES.imports}?registry=vehicles&source=Excise&fileName=vehicles.jsonl&format=jsonl`, {
      data: VEHICLES_JSONL,
      contentType: 'application/x-ndjson',
    });
    assert.equal(vehicles.status, 201, await vehicles.clone().text());
    assert.equal(((await vehicles.json()) as { inserted: number }).inserted, 1);

    await page.getByTestId('registries-tab-imports').click();
    await page.getByTestId('imports-table').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid^="import-row-"]').length === 3);
    const statuses = await page
      .locator('[data-testid^="import-row-"]')
      .evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-file')}:${r.getAttribute('data-status')}`));
    assert.deepEqual(statuses.sort(), ['identity.csv:completed', 'sims.csv:completed', 'vehicles.jsonl:completed']);
    imported = true;
    await page.close();
  });

  it('no registry query can be sent without a purpose and a case reference', async (t) => {
    if (!needs(t, 'search', 'lookup', 'persons')) return;
    investigator = await signIn(officers.investigator);
    investigator.on('request', (r) => {
      const u = new URL(r.url());
      if (/^\/api\/v1\/registries\/(search|lookup|persons)/.test(u.pathname)) investigatorQueries.push(`${r.method()} ${u.pathname}${u.search}`);
    });
    const bar = investigator.getByTestId('case-bar');
    assert.equal(await bar.getAttribute('data-state'), 'unset');
    assert.match(await bar.innerText(), /Queries are recorded in the ledger under this purpose and case/);

    await investigator.getByTestId('search-name').fill('Muhammad Ali');
    await investigator.getByTestId('lookup-value').fill(ALI);
    assert.equal(await investigator.getByTestId('search-submit').isDisabled(), true, 'search is disabled without a case context');
    assert.equal(await investigator.getByTestId('lookup-submit').isDisabled(), true, 'look-up is disabled without a case context');
    await investigator.getByTestId('search-name').press('Enter');
    assert.ok((await investigator.getByTestId('case-required').count()) >= 1, 'the screen says why');

    // A deep link to a profile does not query either.
    await investigator.goto(`${server.baseUrl}/systems/registries/persons/${ALI}`);
    await investigator.getByTestId('case-required').waitFor();
    assert.equal(await investigator.getByTestId('person-identity').count(), 0);

    // A case reference that does not fit the pattern cannot be applied.
    await investigator.getByTestId('case-purpose').selectOption('criminal-investigation');
    await investigator.getByTestId('case-ref').fill('x');
    assert.equal(await investigator.getByTestId('case-apply').isDisabled(), true);
    await sleep(300);
    assert.deepEqual(investigatorQueries, [], 'no registry query left the browser');

    // The server refuses such a query anyway (and ledgers it): the UI is not the only guard.
    const refused = await api(officers.investigator, 'GET', `${ROUTES.search}?name=Ali`);
    assert.equal(refused.status, 400);

    await investigator.getByTestId('registries-tab-search').click();
    await setCase(investigator, 'criminal-investigation', CASE_REF);
    assert.match(await investigator.getByTestId('case-current').innerText(), /Criminal investigation[\s\S]*LHR-MODELTOWN\/123\/2024/);
    // Kept for the browser tab.
    await investigator.reload();
    await investigator.getByTestId('case-current').waitFor();
    assert.equal(await investigator.getByTestId('case-current-ref').innerText(), CASE_REF);
  });

  it('fuzzy search in Roman and in Urdu script finds the person, with score and why', async (t) => {
    if (!needs(t, 'search') || !needsData(t) || !investigator) return;
    await investigator.getByTestId('registries-tab-search').click();
    await investigator.getByTestId('search-name').fill('Mohd Ali');
    await investigator.getByTestId('search-father').fill('Ghulam Husain');
    await searchAndWait(investigator);
    const first = investigator.getByTestId('search-hit-0');
    assert.equal(await first.getAttribute('data-cnic'), ALI, 'the Roman spelling variant finds Muhammad Ali first');
    assert.ok(Number(await first.getByTestId('search-score').getAttribute('data-score')) > 0);
    assert.ok((await first.getByTestId('search-why').locator('li').count()) > 0, 'why it matched is shown');
    assert.ok(
      investigatorQueries.some((q) => q.includes('purpose=criminal-investigation') && q.includes(`case=${encodeURIComponent(CASE_REF)}`)),
      'the query carried the purpose and the case',
    );
    await shot(investigator, 'search-roman');

    await investigator.getByTestId('search-father').fill('');
    await investigator.getByTestId('search-name').fill('محمد علی');
    assert.equal(await investigator.getByTestId('search-name').getAttribute('dir'), 'auto', 'the input follows the script typed');
    await searchAndWait(investigator);
    assert.equal(await investigator.getByTestId('search-hit-0').getAttribute('data-cnic'), ALI, 'the Urdu script finds Muhammad Ali first (not محمود)');
    const urdu = investigator.getByTestId('search-hit-0').getByTestId('search-hit-urdu');
    assert.equal(await urdu.getAttribute('dir'), 'rtl');
    assert.equal(await urdu.getAttribute('lang'), 'ur');
    assert.equal(await urdu.innerText(), 'محمد علی');
    assert.ok((await investigator.getByTestId('search-hit-0').getByTestId('search-why').locator('li').count()) > 0);
    await shot(investigator, 'search-urdu');
  });

  it('the profile shows the linked SIM and vehicle; following a link opens that person (one request per hop)', async (t) => {
    if (!needs(t, 'search', 'persons') || !needsData(t) || !investigator) return;
    await investigator.getByTestId('search-hit-open-0').click();
    const profile = investigator.getByTestId('person-profile');
    await profile.waitFor();
    assert.equal(await profile.getAttribute('data-cnic'), ALI);
    assert.match(await investigator.getByTestId('person-name').innerText(), /Muhammad Ali/);
    assert.equal(await investigator.getByTestId('person-name').locator('[lang="ur"]').getAttribute('dir'), 'rtl');
    assert.equal(await investigator.getByTestId('person-sims-count').innerText(), '2');
    assert.match(await investigator.getByTestId('person-sims').innerText(), /\+923001234567/);
    assert.match(await investigator.getByTestId('person-vehicles').innerText(), /LEA-19-1234/);
    assert.match(await investigator.getByTestId('person-permanent-address').innerText(), /Model Town/);
    assert.equal(await investigator.getByTestId('person-access-log-link').count(), 0, 'no access-log link without registries.access-log.read');
    assert.equal(await profile.getByTestId('masked-badge').count(), 0, 'an investigator sees linked persons in full');
    await shot(investigator, 'profile');

    const before = investigatorQueries.length;
    const link = investigator.getByTestId('person-vehicles').getByTestId('record-link').filter({ hasText: 'Ahmed Raza' });
    assert.equal(await link.count(), 1, 'the vehicle links its previous owner');
    await link.click();
    await investigator.waitForFunction((cnic) => document.querySelector('[data-testid="person-profile"]')?.getAttribute('data-cnic') === cnic, COUSIN);
    assert.match(await investigator.getByTestId('person-name').innerText(), /Ahmed Raza/);
    assert.equal(investigatorQueries.length - before, 1, 'one request for the hop');
    assert.match(investigatorQueries.at(-1) ?? '', /^GET \/api\/v1\/registries\/persons\/[^/?]+\?/);
    // And back: the cousin's vehicle record links the current owner.
    await investigator.goBack();
    await investigator.waitForFunction((cnic) => document.querySelector('[data-testid="person-profile"]')?.getAttribute('data-cnic') === cnic, ALI);
  });

  it('an operator sees the persons linked to the subject masked: partial CNIC, marked as such', async (t) => {
    if (!needs(t, 'search', 'persons') || !needsData(t)) return;
    const page = await signIn(officers.operator);
    assert.equal(await page.getByTestId('case-covert').count(), 0, 'no covert option without registries.covert');
    await setCase(page, 'crime-prevention', 'INQ/2024/17');
    await page.getByTestId('search-name').fill('Muhammad Ali');
    await searchAndWait(page);
    await page.getByTestId('search-hit-open-0').click();
    const profile = page.getByTestId('person-profile');
    await profile.waitFor();
    assert.equal(await profile.getAttribute('data-cnic'), ALI, 'the subject of the query is shown in full');
    const link = page.getByTestId('person-vehicles').getByTestId('record-link').filter({ hasText: 'Ahmed Raza' });
    await link.waitFor();
    const cnicText = await link.locator('[data-masked]').innerText();
    assert.notEqual(cnicText, COUSIN);
    assert.match(cnicText, /\*/, 'the linked CNIC is partial');
    assert.equal(await link.locator('[data-masked]').getAttribute('data-masked'), 'true');
    assert.ok((await page.getByTestId('person-vehicles').getByTestId('masked-badge').count()) >= 1, 'masking is marked visibly');
    const relatives = page.getByTestId('person-relatives');
    assert.ok((await relatives.getByTestId('relative-link').count()) >= 1, 'relatives are listed');
    for (const cnic of await relatives.locator('[data-masked]').allInnerTexts()) assert.match(cnic, /\*/, `relative ${cnic} is masked`);
    await shot(page, 'profile-masked');

    // Expanding the masked link: the linked person is the subject now, but the operator still gets no address of others.
    await link.click();
    await page.waitForFunction(() => document.querySelector('[data-testid="person-profile"]') !== null);
    await page.getByTestId('person-name').getByText('Ahmed Raza').waitFor();
    await page.close();
  });

  it("who looked at me: oversight sees the investigator's earlier access to the person", async (t) => {
    if (!needs(t, 'accessLog', 'persons') || !needsData(t)) return;
    oversight = await signIn(officers.oversight);
    const tabs = await oversight.getByTestId('registries-nav').locator('a').allInnerTexts();
    assert.deepEqual(tabs, ['Who looked at me', 'Alerts']);
    await setCase(oversight, 'oversight-audit', 'OVS/2024/7');
    await oversight.getByTestId('access-log-cnic').fill(ALI.replace(/-/g, ''));
    await oversight.getByTestId('access-log-submit').click();
    await oversight.waitForURL(/\/access-log\/35202-1234567-1$/);
    await oversight.getByTestId('access-log-table').waitFor();
    const rows = await oversight
      .getByTestId('access-log-row')
      .evaluateAll((rs) =>
        rs.map((r) => ({ actor: r.getAttribute('data-actor'), case: r.getAttribute('data-case'), outcome: r.getAttribute('data-outcome') })),
      );
    assert.ok(
      rows.some((r) => r.actor === 'inv.khan' && r.case === CASE_REF && r.outcome === 'allowed'),
      `the investigator's access is listed: ${JSON.stringify(rows)}`,
    );
    assert.ok(
      rows.some((r) => r.actor === 'op.rao'),
      "the operator's access too",
    );
    await shot(oversight, 'access-log');
  });

  it('a canary record: oversight designates it; an access raises a high-priority alert, acknowledged', async (t) => {
    if (!needs(t, 'canaries', 'alerts', 'lookup') || !needsData(t) || !investigator || !oversight) return;
    await oversight.getByTestId('registries-tab-alerts').click();
    await oversight.getByTestId('canaries-panel').waitFor();
    assert.equal(await oversight.getByTestId('blocks-panel').count(), 0, 'blocks are for supervisors');
    await oversight.getByTestId('canary-cnic').fill(CANARY);
    await oversight.getByTestId('canary-note').fill('honeytoken for the test');
    await oversight.getByTestId('canary-add').click();
    await oversight.getByTestId(`canary-row-${CANARY}`).waitFor();

    await investigator.getByTestId('registries-tab-search').click();
    await investigator.getByTestId('lookup-type').selectOption('cnic');
    await investigator.getByTestId('lookup-value').fill(CANARY);
    await investigator.getByTestId('lookup-submit').click();
    await investigator.getByTestId('lookup-results').waitFor();

    await oversight.getByTestId('alerts-reload').click();
    const alert = oversight.locator('[data-testid^="alert-row-"][data-kind="canary"]');
    await alert.waitFor();
    assert.equal(await alert.getAttribute('data-severity'), 'high');
    assert.equal(await alert.getAttribute('data-subject'), CANARY);
    assert.equal(await alert.getAttribute('data-user'), 'inv.khan');
    assert.match((await alert.getAttribute('class')) ?? '', /reg-alert-high/);
    assert.match((await alert.getAttribute('class')) ?? '', /reg-alert-canary/, 'canary alerts are styled apart');
    await oversight.getByTestId('alerts-canary-summary').waitFor();
    await shot(oversight, 'canary-alert');

    const id = ((await alert.getAttribute('data-testid')) ?? '').replace('alert-row-', '');
    await oversight.getByTestId(`alert-ack-${id}`).click();
    await oversight.getByTestId(`alert-row-${id}`).waitFor({ state: 'detached' });
    await oversight.getByTestId('alerts-show-acknowledged').check();
    assert.equal(await oversight.getByTestId(`alert-row-${id}`).getAttribute('data-acknowledged'), 'true');
  });

  it('a covert query is flagged covert in the access log oversight reads', async (t) => {
    if (!needs(t, 'persons', 'accessLog') || !needsData(t) || !investigator || !oversight) return;
    await investigator.getByTestId('case-change').click();
    await investigator.getByTestId('case-covert').check();
    await investigator.getByTestId('case-apply').click();
    await investigator.getByTestId('case-current').getByText('covert').waitFor();
    const answered = investigator.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1/registries/persons/${SISTER}`);
    await investigator.goto(`${server.baseUrl}/systems/registries/persons/${SISTER}`);
    assert.match((await answered).url(), /covert=true/, 'the covert flag goes with the query');
    await investigator.getByTestId('person-identity').waitFor();

    await oversight.goto(`${server.baseUrl}/systems/registries/access-log/${SISTER}`);
    await oversight.getByTestId('access-log-table').waitFor();
    const covert = oversight.locator('[data-testid="access-log-row"][data-actor="inv.khan"][data-covert="true"]');
    assert.ok((await covert.count()) >= 1, 'oversight sees the covert access, flagged');
  });

  it('the anomaly control blocks an officer (423 shown); a supervisor releases them with a note', async (t) => {
    if (!needs(t, 'search', 'blocks') || !needsData(t)) return;
    const fast = officers.fast;
    let blocked = false;
    for (let i = 0; i <= RATE_LIMIT + 1 && !blocked; i++) {
      const r = await api(fast, 'GET', `${ROUTES.search}?name=Ali&purpose=criminal-investigation&case=FIR-9%2F2024`);
      if (r.status === 423) blocked = true;
      else assert.equal(r.status, 200, await r.text());
    }
    assert.ok(blocked, `the officer is blocked after more than ${RATE_LIMIT} queries in a minute`);

    const page = await signIn(fast, { allowStatuses: [423] });
    await setCase(page, 'criminal-investigation', 'FIR-9/2024');
    await page.getByTestId('search-name').fill('Ali');
    await page.getByTestId('search-submit').click();
    const refusal = page.getByTestId('registries-blocked');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /supervisor/);

    const sup = await signIn(officers.supervisor);
    await sup.getByTestId('registries-tab-alerts').click();
    const row = sup.locator('[data-testid^="block-row-"][data-user="inv.fast"][data-released="false"]');
    await row.waitFor();
    const id = ((await row.getAttribute('data-testid')) ?? '').replace('block-row-', '');
    await sup.getByTestId(`block-release-${id}`).click();
    await sup.getByTestId('block-release-dialog').waitFor();
    assert.equal(await sup.getByTestId('block-release-confirm').isDisabled(), true, 'a release needs a note');
    await sup.getByTestId('block-release-note').fill('Reviewed FIR-9/2024: bulk look-ups were lawful');
    await sup.getByTestId('block-release-confirm').click();
    await sup.getByTestId('blocks-notice').waitFor();
    await sup.locator(`[data-testid="block-row-${id}"][data-released="true"]`).waitFor();

    await page.getByTestId('search-submit').click();
    await page.getByTestId('search-results').waitFor();
    assert.equal(await page.getByTestId('registries-blocked').count(), 0);
  });

  it('the pages reported no errors', async () => {
    for (const c of contexts) for (const p of c.pages()) await p.close();
    assert.deepEqual(pageErrors, []);
  });
});
