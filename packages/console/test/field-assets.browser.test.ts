/**
 * The field-assets screens in real headless Chromium against the real
 * server, with devices reporting over the real OsmAnd HTTP port exactly as
 * Traccar Client does (POST, query string): registration through the
 * console and the API, markers and the list updating live, clustering,
 * search by name, serial and officer, device detail, drawing geofences and
 * seeing the enter alert in the banner, SOS first, acknowledging, replaying
 * a track at 64x and 1x and the fleet at a past instant, linking and
 * unlinking devices, the assignment history, a device token shown once (and
 * then required from the device) and revoked, the trips and stops of a track
 * with a stop, the offline map
 * (nothing fetched from outside the node) and the tile-server fallback, and
 * a covert camera seen only by a user with field-assets.covert (MFA).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { LAHORE_ROADS } from '@kotwal/contracts';
import { startTestServer, type TestServer } from '../../server/test/app.ts';
import { adminSession, authHeaders, completeFirstLogin, STRONG_PASSWORD, totpFor, userSession, type Session } from '../../server/test/auth-helpers.ts';
import { fieldAssetsPorts } from '../../server/src/modules/field-assets/index.ts';
import { ensureConsoleBuilt, launchBrowser, screenshotDir, sleep, watchPageErrors } from './helpers.ts';

const TIMEOUT = 15_000;
const BASE = '/api/v1/field-assets';
const MODULE = '/systems/field-assets';

interface Device {
  id: string;
  uniqueId: string;
}

/** A Mall Road drive, oldest first (lat, lon): six vertices of the road the offline map draws. */
const MALL_ROAD: readonly (readonly [number, number])[] = LAHORE_ROADS.find((r) => r.name === 'Mall Road')!.points.slice(2, 8);

describe('field assets console in Chromium against the real server', () => {
  let server: TestServer;
  let osmandUrl = '';
  let admin: Session;
  let desk: Session;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  const requests: string[] = [];
  const devices = new Map<string, Device>();
  /** Unix seconds of the Mall Road fixes. */
  const trackTimes: number[] = [];
  const t0 = Math.floor(Date.now() / 1000);

  const shot = (name: string) => page.screenshot({ path: path.join(screenshotDir, `kotwal-field-assets-${name}.png`), fullPage: true });

  /** Fix times in epoch milliseconds, never twice the same (the server drops a repeated fix as a duplicate). */
  let lastMs = 0;
  const nowMs = () => (lastMs = Math.max(Date.now(), lastMs + 1));

  /** One OsmAnd report, as Traccar Client sends it. */
  const report = async (uniqueId: string, lat: number, lon: number, extra: Record<string, string | number> = {}) => {
    const q = new URLSearchParams({
      id: uniqueId,
      timestamp: String(nowMs()),
      lat: String(lat),
      lon: String(lon),
      speed: '12.5',
      bearing: '90',
      altitude: '214',
      accuracy: '8',
      batt: '87',
      charge: 'false',
    });
    for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
    const res = await fetch(`${osmandUrl}/?${q.toString()}`, { method: 'POST' });
    assert.equal(res.status, 200, `OsmAnd report for ${uniqueId}: ${res.status} ${await res.text()}`);
  };

  /** An OsmAnd report with an explicit fix time (unix seconds) and optional token; the listener's status. */
  const reportStatus = async (uniqueId: string, lat: number, lon: number, timestamp: number, token?: string): Promise<number> => {
    const q = new URLSearchParams({ id: uniqueId, timestamp: String(timestamp), lat: String(lat), lon: String(lon), speed: '10' });
    if (token) q.set('token', token);
    const res = await fetch(`${osmandUrl}/?${q.toString()}`, { method: 'POST' });
    await res.text();
    return res.status;
  };

  const api = async <T>(s: Session, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown): Promise<T> => {
    const r = await server.app.inject({ method, url, headers: authHeaders(s), ...(payload !== undefined ? { payload: payload as object } : {}) });
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return r.json<T>();
  };

  const signIn = async (p: Page, username: string, password: string, code?: string) => {
    await p.goto(`${server.baseUrl}${MODULE}`);
    await p.getByTestId('login-username').fill(username);
    await p.getByTestId('login-password').fill(password);
    await p.getByTestId('login-submit').click();
    if (code) {
      await p.getByTestId('login-totp').fill(code);
      await p.getByTestId('login-submit').click();
    }
    await p.getByTestId('field-assets-screen').waitFor();
    await p.locator('[data-testid="fa-live-status"][data-status="open"]').waitFor();
  };

  /** Waits until the device's row shows a fix at (lat, lon). */
  const rowAt = (uniqueId: string, lat: number) =>
    page.waitForFunction(([id, want]) => Number(document.querySelector(`[data-testid="fa-device-${id}"]`)?.getAttribute('data-lat')) === want, [
      uniqueId,
      lat,
    ] as const);

  before(async () => {
    await ensureConsoleBuilt();
    server = await startTestServer({ env: { OSMAND_PORT: '0', MQTT_PORT: '0', KOTWAL_CHECKPOINT_SECONDS: '5' } });
    const ports = fieldAssetsPorts(server.ctx);
    assert.ok(ports.osmand, 'the OsmAnd listener is up');
    osmandUrl = `http://127.0.0.1:${ports.osmand}`;
    admin = await adminSession(server);
    // A desk role: sees and manages field assets, no covert cameras (so no MFA).
    await api(admin, 'PUT', '/api/v1/roles/field-desk', {
      description: 'Field desk: live map, devices, geofences',
      permissions: ['auth.self', 'field-assets.read', 'field-assets.write'],
    });
    desk = await userSession(server, admin, 'desk', ['field-desk']);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    context.setDefaultTimeout(TIMEOUT);
    page = await context.newPage();
    pageErrors = watchPageErrors(page);
    page.on('request', (r) => requests.push(r.url()));
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  it('signs in and opens the live map on the built-in offline map', async () => {
    await signIn(page, 'desk', STRONG_PASSWORD);
    assert.equal(await page.getByTestId('fa-live-map').getAttribute('data-basemap'), 'offline');
    // The bundled roads are drawn as vector layers.
    assert.ok((await page.locator('.fa-basemap-road').count()) >= 8, 'main roads drawn');
    assert.equal(await page.locator('.leaflet-tile').count(), 0, 'no tiles requested');
  });

  it('registers a device through the console and more through the API; the list updates live', async () => {
    await page.getByTestId('fa-register-open').click();
    await page.getByTestId('fa-register-uniqueid').fill('bad id!');
    await page.getByTestId('fa-register-name').fill('Patrol car 101');
    await page.getByTestId('fa-register-submit').click();
    await page
      .getByTestId('fa-register-dialog')
      .getByText(/uniqueId|unique id|pattern|must/i)
      .first()
      .waitFor();

    await page.getByTestId('fa-register-uniqueid').fill('LHR-PC-101');
    await page.getByTestId('fa-register-kind').selectOption('patrol-vehicle');
    await page.getByTestId('fa-register-unit').fill('Civil Lines');
    await page.getByTestId('fa-register-submit').click();
    await page.getByTestId('fa-device-LHR-PC-101').waitFor();

    for (const [uniqueId, name, kind] of [
      ['LHR-MC-7', 'Dolphin motorcycle 7', 'motorcycle'],
      ['LHR-HH-42', 'Handheld 42', 'handheld'],
      ['LHR-BC-9', 'Body camera 9', 'body-camera'],
    ] as const) {
      await api(desk, 'POST', `${BASE}/devices`, { uniqueId, name, kind });
      // Arrives over the live stream, no reload.
      await page.getByTestId(`fa-device-${uniqueId}`).waitFor();
    }
    const list = await api<{ items: Device[] }>(desk, 'GET', `${BASE}/devices`);
    for (const d of list.items) devices.set(d.uniqueId, d);
    assert.equal(devices.size, 4);

    // The handheld is assigned to an officer (searchable below).
    await api(desk, 'POST', `${BASE}/devices/${devices.get('LHR-HH-42')?.id}/assignment`, { officerId: 'LHR-4471', officerName: 'Inspector Ayesha Khan' });
    await page.getByTestId('fa-device-LHR-HH-42').getByText('Inspector Ayesha Khan').waitFor();
  });

  it('shows positions sent over the OsmAnd port live, moves markers, clusters close ones', async () => {
    // The patrol car drove Mall Road over the last five minutes.
    for (const [i, [lat, lon]] of MALL_ROAD.entries()) {
      const ts = t0 - 300 + i * 60;
      trackTimes.push(ts);
      await report('LHR-PC-101', lat, lon, { timestamp: ts, speed: 20 });
    }
    await report('LHR-MC-7', 31.4732, 74.3522);
    await report('LHR-HH-42', 31.5262, 74.3281, { batt: 64 });
    await report('LHR-BC-9', 31.52622, 74.32812, { recording: 'true' });
    const [lastLat] = MALL_ROAD[MALL_ROAD.length - 1];
    await rowAt('LHR-PC-101', lastLat);
    await rowAt('LHR-MC-7', 31.4732);
    assert.match(await page.getByTestId('fa-device-LHR-PC-101').innerText(), /online/);

    // Select the patrol car: the map centres on it and its marker is drawn where it is.
    await page.getByTestId('fa-device-LHR-PC-101').click();
    const marker = page.getByTestId('marker-LHR-PC-101');
    await marker.waitFor();
    assert.equal(Number(await marker.getAttribute('data-lat')), lastLat);
    await page.getByTestId('fa-selected').getByText('Patrol car 101').waitFor();

    // It moves: the marker follows without a reload.
    await report('LHR-PC-101', 31.5468, 74.3478, { speed: 18 });
    await page.waitForFunction(() => document.querySelector('[data-testid="marker-LHR-PC-101"]')?.getAttribute('data-lat') === '31.5468');
    await rowAt('LHR-PC-101', 31.5468);

    // The handheld and the body camera are two metres apart: one cluster of two.
    await page.getByTestId('fa-device-LHR-HH-42').click();
    await page.locator('[data-testid="cluster"][data-count="2"]').waitFor();
    assert.equal(await page.getByTestId('marker-LHR-HH-42').count(), 0, 'the handheld is inside the cluster');
    await shot('live-map');
  });

  it('searches by name, serial and officer', async () => {
    const visible = async () =>
      (await page.locator('[data-testid^="fa-device-LHR-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).map((s) =>
        (s ?? '').replace('fa-device-', ''),
      );
    const search = page.getByTestId('fa-search');
    await search.fill('ayesha');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid^="fa-device-LHR-"]').length === 1);
    assert.deepEqual(await visible(), ['LHR-HH-42'], 'by officer name');
    await search.fill('4471');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid^="fa-device-LHR-"]').length === 1);
    assert.deepEqual(await visible(), ['LHR-HH-42'], 'by officer id');
    await search.fill('lhr-mc');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="fa-device-LHR-MC-7"]') && document.querySelectorAll('[data-testid^="fa-device-LHR-"]').length === 1,
    );
    assert.deepEqual(await visible(), ['LHR-MC-7'], 'by serial');
    await search.fill('patrol car');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="fa-device-LHR-PC-101"]') && document.querySelectorAll('[data-testid^="fa-device-LHR-"]').length === 1,
    );
    assert.deepEqual(await visible(), ['LHR-PC-101'], 'by name');
    await search.fill('nobody-here');
    await page.getByText('Nothing matches').waitFor();
    await search.fill('');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid^="fa-device-LHR-"]').length === 4);
  });

  it('opens a device: status, battery, assignment, last position', async () => {
    await page.getByTestId('fa-device-LHR-BC-9').click();
    await page.getByTestId('fa-selected-open').click();
    const detail = page.getByTestId('fa-device-detail');
    await detail.waitFor();
    assert.equal(await detail.getAttribute('data-device'), 'LHR-BC-9');
    assert.equal(await page.getByTestId('fa-detail-uniqueid').innerText(), 'LHR-BC-9');
    await page.locator('[data-testid="fa-detail-status"] [data-connection="online"]').waitFor();
    assert.match(await page.getByTestId('fa-detail-status').locator('[data-testid="battery"]').innerText(), /87%/);
    assert.equal(await page.getByTestId('fa-detail-recording').innerText(), 'yes', 'a body camera reports recording');
    assert.equal(Number(await page.getByTestId('fa-detail-latlon').getAttribute('data-lat')), 31.52622);
    await page.getByTestId('fa-detail-map').waitFor();

    // Assign through the console; the officer shows at once.
    await page.getByTestId('fa-assign-officer-id').fill('LHR-5120');
    await page.getByTestId('fa-assign-officer-name').fill('Constable Bilal Ahmed');
    await page.getByTestId('fa-assign-submit').click();
    await page.getByTestId('fa-detail-officer').getByText('Constable Bilal Ahmed (LHR-5120)').waitFor();
    await shot('device-detail');
  });

  it('draws a circle geofence; a device entering it raises an alert in the banner', async () => {
    await page.getByTestId('fa-tab-geofences').click();
    const map = page.getByTestId('fa-geofence-map');
    await map.waitFor();
    const box = await map.boundingBox();
    assert.ok(box);
    const cx = Math.round(box.x + box.width / 2);
    const cy = Math.round(box.y + box.height / 2);
    // The cursor readout gives the map coordinates under the pointer.
    await page.mouse.move(cx, cy);
    const cursor = page.getByTestId('fa-cursor');
    await page.waitForFunction(() => document.querySelector('[data-testid="fa-cursor"]')?.getAttribute('data-lat'));
    const centre = { lat: Number(await cursor.getAttribute('data-lat')), lon: Number(await cursor.getAttribute('data-lon')) };
    assert.ok(centre.lat > 31.3 && centre.lat < 31.7 && centre.lon > 74.1 && centre.lon < 74.6, `the map shows Lahore (${centre.lat}, ${centre.lon})`);

    await page.getByTestId('fa-draw-circle').click();
    await page.getByTestId('fa-draw-hint').getByText('Click the centre').waitFor();
    await page.mouse.click(cx, cy);
    await page.getByTestId('fa-draw-hint').getByText('Click the edge').waitFor();
    await page.mouse.click(cx + 30, cy);
    const radius = Number(await page.getByTestId('fa-circle-radius').inputValue());
    assert.ok(radius > 300 && radius < 5000, `radius from two clicks (${radius} m)`);
    const shownCentre = (await page.getByTestId('fa-circle-center').inputValue()).split(',').map(Number);
    assert.ok(Math.abs(shownCentre[0] - centre.lat) < 0.001 && Math.abs(shownCentre[1] - centre.lon) < 0.001, 'the centre is where it was clicked');
    await page.getByTestId('fa-geofence-name').fill('Charing Cross ring');
    await page.getByTestId('fa-geofence-save').click();
    await page
      .getByTestId('fa-geofence-notice')
      .getByText(/Saved .Charing Cross ring/)
      .waitFor();
    await page.getByTestId('fa-geofence-Charing Cross ring').waitFor();
    assert.ok((await page.locator('.fa-geofence-circle').count()) >= 1, 'the saved circle is drawn');

    // The motorcycle reports from outside, then from the centre.
    await report('LHR-MC-7', centre.lat + 0.1, centre.lon);
    await report('LHR-MC-7', centre.lat, centre.lon);
    const alert = page.locator('[data-testid^="fa-alert-"][data-kind="geofence-enter"][data-device="LHR-MC-7"]');
    await alert.waitFor();
    assert.match(await alert.innerText(), /entered Charing Cross ring/);
    assert.match(await alert.innerText(), /new/);

    // A polygon too: three corners and Finish.
    await page.getByTestId('fa-draw-polygon').click();
    await page.mouse.click(cx - 120, cy - 80);
    await page.mouse.click(cx - 60, cy - 80);
    await page.mouse.click(cx - 90, cy - 30);
    await page.getByTestId('fa-draw-finish').click();
    await page.getByTestId('fa-geofence-name').fill('Old city block');
    await page.getByTestId('fa-geofence-save').click();
    await page.getByTestId('fa-geofence-Old city block').getByText('polygon, 3 corners').waitFor();

    // A corridor along a route, 200 m wide.
    await page.getByTestId('fa-draw-corridor').click();
    await page.mouse.click(cx + 60, cy + 100);
    await page.mouse.click(cx + 120, cy + 120);
    await page.mouse.dblclick(cx + 180, cy + 110);
    await page
      .getByTestId('fa-draw-hint')
      .getByText(/corridor, 3 points/)
      .waitFor();
    await page.getByTestId('fa-corridor-width').fill('200');
    await page.getByTestId('fa-geofence-name').fill('VIP route');
    await page.getByTestId('fa-geofence-save').click();
    await page.getByTestId('fa-geofence-VIP route').getByText('corridor, 3 points, 200 m wide').waitFor();

    // Edit the circle: a smaller radius, saved.
    await page.getByTestId('fa-geofence-Charing Cross ring').click();
    await page.getByTestId('fa-handle-center').waitFor();
    await page.getByTestId('fa-circle-radius').fill('800');
    await page.getByTestId('fa-geofence-save').click();
    await page.getByTestId('fa-geofence-Charing Cross ring').getByText('circle, 800 m radius').waitFor();
    const saved = await api<{ items: { name: string; geometry: { type: string; radiusMetres?: number } }[] }>(desk, 'GET', `${BASE}/geofences`);
    assert.equal(saved.items.find((g) => g.name === 'Charing Cross ring')?.geometry.radiusMetres, 800);
    assert.deepEqual(saved.items.map((g) => g.geometry.type).sort(), ['circle', 'corridor', 'polygon']);
    await shot('geofences');
  });

  it('puts an SOS first in the banner; acknowledging removes an alert', async () => {
    await report('LHR-HH-42', 31.5263, 74.3282, { alarm: 'sos' });
    const first = page.locator('[data-testid="fa-alert-banner"] li').first();
    await page.waitForFunction(() => document.querySelector('[data-testid="fa-alert-banner"] li')?.getAttribute('data-kind') === 'sos');
    assert.equal(await first.getAttribute('data-device'), 'LHR-HH-42');
    assert.equal(await page.getByTestId('fa-alert-banner').getAttribute('role'), 'alert', 'a new SOS is announced');

    const enter = page.locator('[data-kind="geofence-enter"][data-device="LHR-MC-7"]');
    const id = ((await enter.getAttribute('data-testid')) ?? '').replace('fa-alert-', '');
    await page.getByTestId(`fa-alert-ack-${id}`).click();
    await enter.waitFor({ state: 'detached' });
    const events = await api<{ items: { id: string; acknowledgedAt: string | null }[] }>(desk, 'GET', `${BASE}/events?kind=geofence-enter`);
    assert.ok(events.items.find((e) => e.id === id)?.acknowledgedAt, 'acknowledged on the server');
  });

  it('replays a track at 64x to its end, and at 1x slower', async () => {
    await page.getByTestId('fa-tab-replay').click();
    await page.getByTestId('fa-replay-device').selectOption(devices.get('LHR-PC-101')?.id ?? '');
    await page.getByTestId('fa-replay-load').click();
    const player = page.getByTestId('fa-player');
    await player.waitFor();
    assert.ok(Number(await player.getAttribute('data-points')) >= MALL_ROAD.length, 'the whole drive');
    assert.equal(await player.getAttribute('data-state'), 'ready');
    await page.locator('.fa-track-line').waitFor();

    await page.getByTestId('fa-replay-speed-64').click();
    const started = Date.now();
    await page.getByTestId('fa-replay-play').click();
    await page.locator('[data-testid="fa-player"][data-state="playing"]').waitFor();
    await page.locator('[data-testid="fa-player"][data-state="ended"]').waitFor({ timeout: 20_000 });
    const took = (Date.now() - started) / 1000;
    const lastFix = await api<{ items: { fixTime: string }[] }>(
      desk,
      'GET',
      `${BASE}/devices/${devices.get('LHR-PC-101')?.id}/positions?from=${new Date((t0 - 600) * 1000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`,
    );
    const span = (Date.parse(lastFix.items[lastFix.items.length - 1].fixTime) - Date.parse(lastFix.items[0].fixTime)) / 1000;
    assert.equal(await player.getAttribute('data-time'), lastFix.items[lastFix.items.length - 1].fixTime, 'ends on the last fix');
    assert.ok(took < span / 64 + 3 && took > span / 64 / 3, `${span} s of track at 64x took ${took} s`);

    // At 1x, a second of playback is about a second of track.
    await page.getByTestId('fa-replay-speed-1').click();
    await page.getByTestId('fa-replay-play').click();
    await sleep(1500);
    await page.getByTestId('fa-replay-play').click();
    await page.locator('[data-testid="fa-player"][data-state="paused"]').waitFor();
    const advanced = (Date.parse((await player.getAttribute('data-time')) ?? '') - Date.parse(lastFix.items[0].fixTime)) / 1000;
    assert.ok(advanced >= 0.8 && advanced <= 5, `1x moved ${advanced} s of track in 1.5 s`);
    await shot('replay-track');
  });

  it('shows the fleet at a past instant', async () => {
    const at = new Date((trackTimes[2] + 30) * 1000).toISOString();
    await page.goto(`${server.baseUrl}${MODULE}/replay?at=${encodeURIComponent(at)}`);
    const result = page.getByTestId('fa-fleet-result');
    await result.waitFor();
    const item = page.getByTestId('fa-fleet-item-LHR-PC-101');
    await item.waitFor();
    assert.equal(Number(await item.getAttribute('data-lat')), MALL_ROAD[2][0], 'where the patrol car was then');
    assert.equal(await page.getByTestId('fa-fleet-item-LHR-MC-7').count(), 0, 'the motorcycle had not reported yet');
    await page.locator('[data-testid="marker-LHR-PC-101"]').waitFor();
    await shot('replay-fleet');
  });

  it('links two devices found by name or serial, with field errors from the form and the server, and unlinks them', async () => {
    const bc = devices.get('LHR-BC-9');
    const hh = devices.get('LHR-HH-42');
    assert.ok(bc && hh);
    await page.goto(`${server.baseUrl}${MODULE}/devices/${bc.id}`);
    await page.locator('[data-testid="fa-device-detail"][data-device="LHR-BC-9"]').waitFor();
    await page.getByTestId('fa-links-none').waitFor();
    const form = page.getByTestId('fa-link-form');

    // The device itself is never offered; search by serial, then by name.
    await page.getByTestId('fa-link-search').fill('LHR-BC');
    await form.getByText('No other device matches').waitFor();
    await page.getByTestId('fa-link-search').fill('lhr-mc');
    await page.getByTestId('fa-link-add-LHR-MC-7').waitFor();
    await page.getByTestId('fa-link-search').fill('Handheld 42');
    await page.getByTestId('fa-link-add-LHR-HH-42').waitFor();
    assert.equal(await page.getByTestId('fa-link-add-LHR-MC-7').count(), 0);

    // Not a number: refused in the form. Too short a distance: the server names the field.
    await page.getByTestId('fa-link-metres').fill('abc');
    await page.getByTestId('fa-link-add-LHR-HH-42').click();
    await form.locator('.field-error').getByText('must be a whole number of metres').waitFor();
    await page.getByTestId('fa-link-metres').fill('2');
    await page.getByTestId('fa-link-add-LHR-HH-42').click();
    await form.locator('.field-error').getByText(/>= 5/).waitFor();
    assert.equal(await page.getByTestId('fa-link-LHR-HH-42').count(), 0, 'nothing linked yet');

    await page.getByTestId('fa-link-metres').fill('250');
    await page.getByTestId('fa-link-seconds').fill('30');
    await page.getByTestId('fa-link-add-LHR-HH-42').click();
    const row = page.getByTestId('fa-link-LHR-HH-42');
    await row.waitFor();
    assert.match(await row.innerText(), /Handheld 42[\s\S]*Handheld[\s\S]*beyond 250 m for 30 s/);
    await page.getByTestId('fa-links').getByText('Linked Handheld 42.').waitFor();
    const other = await api<{ links: { deviceId: string; separationMetres: number; separationSeconds: number }[] }>(desk, 'GET', `${BASE}/devices/${hh.id}`);
    assert.deepEqual(
      other.links.map((l) => [l.deviceId, l.separationMetres, l.separationSeconds]),
      [[bc.id, 250, 30]],
      'the link is seen from the other end',
    );

    // The other end shows it too, and unlinks it from there.
    await row.getByRole('link', { name: 'Handheld 42' }).click();
    await page.locator('[data-testid="fa-device-detail"][data-device="LHR-HH-42"]').waitFor();
    await page.getByTestId('fa-link-LHR-BC-9').waitFor();
    await page.getByTestId('fa-link-remove-LHR-BC-9').click();
    await page.getByTestId('fa-links-none').waitFor();
    const after = await api<{ links: unknown[] }>(desk, 'GET', `${BASE}/devices/${bc.id}`);
    assert.deepEqual(after.links, [], 'unlinked on the server');
    await shot('device-links');
  });

  it('assigns a device and ends the assignment; the history lists both assignments', async () => {
    const bc = devices.get('LHR-BC-9');
    assert.ok(bc);
    await page.goto(`${server.baseUrl}${MODULE}/devices/${bc.id}`);
    await page.locator('[data-testid="fa-device-detail"][data-device="LHR-BC-9"]').waitFor();
    // The assignment made earlier in the console is the one row so far.
    const table = page.getByTestId('fa-assignment-table');
    await page.locator('[data-testid="fa-assignment-table"][data-count="1"]').waitFor();
    const rows = page.getByTestId('fa-assignment-row');
    assert.equal(await rows.first().getAttribute('data-current'), 'true');
    assert.match(await rows.first().innerText(), /Constable Bilal Ahmed \(LHR-5120\)/);

    await page.getByTestId('fa-assign-officer-id').fill('LHR-6001');
    await page.getByTestId('fa-assign-officer-name').fill('Sub-Inspector Sana Tariq');
    await page.getByTestId('fa-assign-submit').click();
    await page.getByTestId('fa-detail-officer').getByText('Sub-Inspector Sana Tariq (LHR-6001)').waitFor();
    await page.locator('[data-testid="fa-assignment-table"][data-count="2"]').waitFor();
    assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-current'))), ['true', 'false'], 'newest first; the old one ended');

    await page.getByTestId('fa-unassign').click();
    await page.getByTestId('fa-detail-unassigned').waitFor();
    await page.locator('[data-testid="fa-assignment-row"][data-current="true"]').waitFor({ state: 'detached' });
    assert.equal(await table.getAttribute('data-count'), '2');
    assert.equal(await page.getByTestId('fa-unassign').count(), 0, 'nothing left to end');

    const history = await api<{ items: { officerName: string | null; endedAt: string | null; assignedBy: string }[] }>(
      desk,
      'GET',
      `${BASE}/devices/${bc.id}/assignments`,
    );
    assert.deepEqual(
      history.items.map((a) => [a.officerName, a.endedAt !== null]),
      [
        ['Sub-Inspector Sana Tariq', true],
        ['Constable Bilal Ahmed', true],
      ],
    );
    const texts = await rows.allInnerTexts();
    assert.match(texts[0], /Sub-Inspector Sana Tariq/);
    assert.match(texts[1], /Constable Bilal Ahmed/);
    for (const [i, t] of texts.entries()) assert.ok(t.includes(history.items[i].assignedBy), `row ${i} says who assigned it`);
    await shot('assignment-history');
  });

  it('issues a device token shown once, which the device must then send; revokes it', async () => {
    const pc = devices.get('LHR-PC-101');
    assert.ok(pc);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    await page.goto(`${server.baseUrl}${MODULE}/devices/${pc.id}`);
    await page.locator('[data-testid="fa-token-state"][data-has-token="false"]').waitFor();

    await page.getByTestId('fa-token-issue').click();
    const dialog = page.getByTestId('fa-token-dialog');
    await dialog.waitFor();
    const token = (await page.getByTestId('fa-token-value').getAttribute('data-value')) ?? '';
    assert.ok(token.length >= 24, 'a token is shown');
    assert.match(await dialog.innerText(), /shown only this once and cannot be shown again/);
    await page.getByTestId('fa-token-value-copy').click();
    await page.getByTestId('fa-token-value-copy').getByText('Copied').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token, 'the copy button copies the token');
    await page.getByTestId('fa-token-done').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('[data-testid="fa-detail-token"][data-has-token="true"]').waitFor();
    await page.locator('[data-testid="fa-token-state"][data-has-token="true"]').waitFor();

    // It is the device's real secret: required from now on.
    const [lat, lon] = MALL_ROAD[0];
    const ts = t0 - 3600;
    assert.equal(await reportStatus('LHR-PC-101', lat, lon, ts), 401, 'without the token: refused');
    assert.equal(await reportStatus('LHR-PC-101', lat, lon, ts + 1, 'not-the-token'), 401, 'a wrong token: refused');
    assert.equal(await reportStatus('LHR-PC-101', lat, lon, ts + 2, token), 200, 'with the token: accepted');

    // Never shown again.
    await page.reload();
    await page.locator('[data-testid="fa-device-detail"][data-device="LHR-PC-101"]').waitFor();
    await page.locator('[data-testid="fa-token-state"][data-has-token="true"]').waitFor();
    assert.equal(await page.getByTestId('fa-token-dialog').count(), 0);
    assert.ok(!(await page.content()).includes(token), 'the token is nowhere on the page after a reload');
    assert.equal(await page.getByTestId('fa-token-issue').innerText(), 'Replace token');

    await page.getByTestId('fa-token-revoke').click();
    await page.getByTestId('fa-token-confirm-revoke').waitFor();
    await page.getByTestId('fa-token-revoke-confirm').click();
    await page.locator('[data-testid="fa-token-state"][data-has-token="false"]').waitFor();
    await page.locator('[data-testid="fa-detail-token"][data-has-token="false"]').waitFor();
    assert.equal(await reportStatus('LHR-PC-101', lat, lon, ts + 3), 200, 'revoked: reports by serial alone again');
    await shot('device-token');
  });

  it('lists the trips and stops of a track with a stop; a trip replays just that trip, a stop moves the player to it', async () => {
    const pc = await api<Device>(desk, 'POST', `${BASE}/devices`, { uniqueId: 'LHR-PC-202', name: 'Patrol car 202', kind: 'patrol-vehicle' });
    // Two hours ago: down Mall Road a minute between fixes, five minutes parked at the end, and back.
    const start = t0 - 2 * 3600;
    const fixes: [number, number, number][] = [];
    let ts = start;
    for (const [lat, lon] of MALL_ROAD) fixes.push([lat, lon, (ts += 60)]);
    const [pLat, pLon] = MALL_ROAD[MALL_ROAD.length - 1];
    for (let k = 0; k < 5; k++) fixes.push([pLat + k * 0.00002, pLon, (ts += 60)]);
    for (const [lat, lon] of [...MALL_ROAD].reverse().slice(1)) fixes.push([lat, lon, (ts += 60)]);
    for (const [lat, lon, at] of fixes) assert.equal(await reportStatus('LHR-PC-202', lat, lon, at), 200);

    const from = new Date((start - 600) * 1000).toISOString();
    const to = new Date((ts + 600) * 1000).toISOString();
    const expected = await api<{ trips: { startTime: string; endTime: string; positions: number }[]; stops: { startTime: string; lat: number }[] }>(
      desk,
      'GET',
      `${BASE}/devices/${pc.id}/trips?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    assert.ok(expected.trips.length >= 1 && expected.stops.length >= 1, `the server finds trips and a stop: ${JSON.stringify(expected)}`);

    await page.goto(`${server.baseUrl}${MODULE}/replay?${new URLSearchParams({ device: pc.id, from, to }).toString()}`);
    const list = page.getByTestId('fa-trips');
    await list.waitFor();
    assert.equal(Number(await list.getAttribute('data-trips')), expected.trips.length);
    assert.equal(Number(await list.getAttribute('data-stops')), expected.stops.length);
    const stop = page.getByTestId('fa-stop-0');
    assert.equal(await stop.getAttribute('data-start'), expected.stops[0].startTime);
    assert.equal(Number(await stop.getAttribute('data-lat')), expected.stops[0].lat);
    assert.match(await stop.innerText(), /\d+ min/);
    assert.match(await page.getByTestId('fa-trip-0').innerText(), /km in \d+ min/);
    await page.locator('[data-testid="fa-player"][data-points]').waitFor();
    assert.equal(Number(await page.getByTestId('fa-player').getAttribute('data-points')), fixes.length, 'the whole range first');
    assert.ok((await page.locator('.fa-stop-marker').count()) >= 1, 'the stop is drawn on the map');

    // A trip: the player replays just that trip.
    const trip = expected.trips[0];
    await page.getByTestId('fa-trip-0').click();
    await page.locator(`[data-testid="fa-player"][data-range-from="${trip.startTime}"][data-range-to="${trip.endTime}"]`).waitFor();
    assert.equal(Number(await page.getByTestId('fa-player').getAttribute('data-points')), trip.positions);
    assert.equal(await page.getByTestId('fa-trip-0').getAttribute('aria-pressed'), 'true');
    assert.equal(await list.getAttribute('data-trips'), String(expected.trips.length), 'the list still covers the whole range');

    // A stop inside it: the player moves to the stop's start.
    await stop.click();
    await page.locator(`[data-testid="fa-player"][data-time="${expected.stops[0].startTime}"]`).waitFor();
    assert.equal(await stop.getAttribute('aria-pressed'), 'true');

    await page.getByTestId('fa-replay-whole-range').click();
    await page.locator(`[data-testid="fa-player"][data-points="${fixes.length}"]`).waitFor();
    await shot('trips-stops');
  });

  it('falls back to the built-in map when the configured tile server does not answer, and nothing left the node', async () => {
    await page.getByTestId('fa-tab-live').click();
    await page.getByTestId('fa-map-source').click();
    await page.getByTestId('fa-map-source-tiles').check();
    await page.getByTestId('fa-map-source-url').fill('https://tiles.example.invalid/{z}/{x}/{y}.png');
    await page.getByTestId('fa-map-source-csp').waitFor();
    await page.getByTestId('fa-map-source-url').fill('/tiles/{z}/{x}/{y}.png');
    assert.equal(await page.getByTestId('fa-map-source-csp').count(), 0, 'same-origin tiles need no CSP change');
    await page.getByTestId('fa-map-source-save').click();
    // This node serves no tiles: the map says so and draws the bundled roads.
    await page.locator('[data-testid="fa-live-map"][data-basemap="tiles-failing"]').waitFor();
    assert.ok((await page.locator('.fa-basemap-road').count()) >= 8);
    assert.ok(
      requests.some((u) => u.startsWith(`${server.baseUrl}/tiles/`)),
      'the configured template was used',
    );
    const stored = await page.evaluate(() => window.localStorage.getItem('kotwal.field-assets.tiles'));
    assert.match(stored ?? '', /"urlTemplate":"\/tiles\/\{z\}\/\{x\}\/\{y\}\.png"/);

    await page.getByTestId('fa-map-source').click();
    await page.getByTestId('fa-map-source-offline').check();
    await page.getByTestId('fa-map-source-save').click();
    await page.locator('[data-testid="fa-live-map"][data-basemap="offline"]').waitFor();

    const base = new URL(server.baseUrl);
    const outside = requests.filter((u) => {
      if (u.startsWith('data:') || u.startsWith('blob:')) return false;
      return new URL(u).host !== base.host;
    });
    assert.deepEqual(outside, [], 'no request left the node');
    // The 400s were refused on purpose above, the registration and the link with too short a distance (the browser logs every non-2xx answer).
    const errors = pageErrors.filter((e) => !/status of 400 \(Bad Request\)/.test(e));
    assert.deepEqual(errors, [], 'no page errors or CSP violations');
  });

  it('shows a covert camera only to a user with field-assets.covert (MFA), not to the desk', async () => {
    // A supervisor (field-assets.covert, so MFA) registers it.
    const r = await server.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: authHeaders(admin),
      payload: { username: 'sup', roles: ['supervisor'] },
    });
    assert.ok(r.statusCode < 300, r.body);
    const sup = await completeFirstLogin(server.app, 'sup', r.json<{ oneTimePassword: string }>().oneTimePassword);
    assert.ok(sup.totpSecret, 'the supervisor enrolled MFA');
    await api(sup, 'POST', `${BASE}/devices`, { uniqueId: 'LHR-CC-1', name: 'Covert camera 1', kind: 'covert-camera' });
    await report('LHR-CC-1', 31.5401, 74.3402);
    // The desk's stream goes on (a later report arrives) without the covert camera.
    await report('LHR-MC-7', 31.4733, 74.3523);
    await rowAt('LHR-MC-7', 31.4733);
    assert.equal(await page.getByTestId('fa-device-LHR-CC-1').count(), 0);
    assert.equal(await page.getByTestId('marker-LHR-CC-1').count(), 0);

    const ctx2 = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    ctx2.setDefaultTimeout(TIMEOUT);
    try {
      const p2 = await ctx2.newPage();
      // The enrolment used this time step's code; the next step's is accepted (one step of drift) and is not a replay.
      await signIn(p2, 'sup', STRONG_PASSWORD, totpFor(sup.totpSecret, 1));
      const row = p2.getByTestId('fa-device-LHR-CC-1');
      await row.waitFor();
      assert.match(await row.innerText(), /covert/);
    } finally {
      await ctx2.close();
    }
  });
});
