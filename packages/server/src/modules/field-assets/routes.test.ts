/**
 * Field-assets HTTP API: registry (create, search, covert rules and their
 * ledger entries), assignments with history, links, tokens, geofence CRUD,
 * history / replay / trips and their parameter problems, alerts and
 * acknowledgement.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import type {
  FieldDevice,
  FieldDeviceList,
  FieldEventList,
  FieldGeofence,
  FieldLatestPositions,
  FieldPositionHistory,
  FieldTripsAndStops,
} from '@kotwal/contracts';
import { BASE, createDevice, fieldTestApp, osmand, secondsAgo, until, type FieldTestApp } from './test/harness.ts';

/** Opens the live stream over a real socket and collects its messages. */
async function openLive(url: string, headers: Record<string, string>): Promise<{ ws: WebSocket; messages: { type: string; [k: string]: unknown }[] }> {
  const messages: { type: string; [k: string]: unknown }[] = [];
  const ws = new WebSocket(url, { headers });
  ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString()) as { type: string }));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, messages };
}

describe('field-assets routes', () => {
  let f: FieldTestApp;
  before(async () => {
    f = await fieldTestApp();
  });
  after(async () => {
    await f?.close();
  });

  const get = (url: string, headers = f.adminHeaders) => f.t.app.inject({ method: 'GET', url, headers });

  it('registers devices, refuses duplicates and bad kinds, and searches by name, unique id and officer', async () => {
    const car = await createDevice(f, { uniqueId: 'LHR-PV-001', name: 'Patrol 1 Gulberg', kind: 'patrol-vehicle', unit: 'Gulberg' });
    assert.match(car.id, /^[0-9a-f-]{36}$/);
    const dup = await f.t.app.inject({
      method: 'POST',
      url: `${BASE}/devices`,
      headers: f.adminHeaders,
      payload: { uniqueId: 'LHR-PV-001', name: 'x', kind: 'handheld' },
    });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json<{ errors: { field: string }[] }>().errors[0]?.field, '/uniqueId');
    const badKind = await f.t.app.inject({
      method: 'POST',
      url: `${BASE}/devices`,
      headers: f.adminHeaders,
      payload: { uniqueId: 'X1', name: 'x', kind: 'tank' },
    });
    assert.equal(badKind.statusCode, 400);
    assert.match(badKind.headers['content-type'] as string, /problem\+json/);
    const badId = await f.t.app.inject({
      method: 'POST',
      url: `${BASE}/devices`,
      headers: f.adminHeaders,
      payload: { uniqueId: 'has space', name: 'x', kind: 'handheld' },
    });
    assert.equal(badId.statusCode, 400);

    const hh = await createDevice(f, { uniqueId: '356938035643809', name: 'Handheld 7', kind: 'handheld' });
    const r = await f.t.app.inject({
      method: 'POST',
      url: `${BASE}/devices/${hh.id}/assignment`,
      headers: f.adminHeaders,
      payload: { officerId: 'BELT-4411', officerName: 'Inspector Ayesha Khan', vehicleDeviceId: car.id },
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json<FieldDevice>().assignment?.officerName, 'Inspector Ayesha Khan');

    const byName = (await get(`${BASE}/devices?q=gulberg`)).json<FieldDeviceList>();
    assert.deepEqual(
      byName.items.map((d) => d.uniqueId),
      ['LHR-PV-001'],
    );
    const bySerial = (await get(`${BASE}/devices?q=3569380`)).json<FieldDeviceList>();
    assert.deepEqual(
      bySerial.items.map((d) => d.id),
      [hh.id],
    );
    const byOfficer = (await get(`${BASE}/devices?q=ayesha`)).json<FieldDeviceList>();
    assert.deepEqual(
      byOfficer.items.map((d) => d.id),
      [hh.id],
    );
    const byKind = (await get(`${BASE}/devices?kind=patrol-vehicle`)).json<FieldDeviceList>();
    assert.ok(byKind.items.every((d) => d.kind === 'patrol-vehicle'));
    const unknown = (await get(`${BASE}/devices?connection=unknown`)).json<FieldDeviceList>();
    assert.ok(unknown.items.some((d) => d.id === car.id));
  });

  it('keeps assignment history and refuses a non-vehicle as vehicle', async () => {
    const cam = await createDevice(f, { uniqueId: 'BWC-100', name: 'Body cam 100', kind: 'body-camera' });
    const hh = await createDevice(f, { uniqueId: 'HH-100', name: 'Handheld 100', kind: 'handheld' });
    const notVehicle = await f.t.app.inject({
      method: 'POST',
      url: `${BASE}/devices/${cam.id}/assignment`,
      headers: f.adminHeaders,
      payload: { vehicleDeviceId: hh.id },
    });
    assert.equal(notVehicle.statusCode, 400);
    assert.equal(notVehicle.json<{ errors: { field: string }[] }>().errors[0]?.field, '/vehicleDeviceId');
    const empty = await f.t.app.inject({ method: 'POST', url: `${BASE}/devices/${cam.id}/assignment`, headers: f.adminHeaders, payload: {} });
    assert.equal(empty.statusCode, 400);
    for (const officer of ['BELT-1', 'BELT-2']) {
      const r = await f.t.app.inject({ method: 'POST', url: `${BASE}/devices/${cam.id}/assignment`, headers: f.adminHeaders, payload: { officerId: officer } });
      assert.equal(r.statusCode, 200);
    }
    const hist = (await get(`${BASE}/devices/${cam.id}/assignments`)).json<{ items: { officerId: string; endedAt: string | null }[] }>();
    assert.deepEqual(
      hist.items.map((a) => [a.officerId, a.endedAt === null]),
      [
        ['BELT-2', true],
        ['BELT-1', false],
      ],
    );
    const end = await f.t.app.inject({ method: 'DELETE', url: `${BASE}/devices/${cam.id}/assignment`, headers: f.adminHeaders });
    assert.equal(end.statusCode, 200);
    assert.equal(end.json<FieldDevice>().assignment, null);
    const again = await f.t.app.inject({ method: 'DELETE', url: `${BASE}/devices/${cam.id}/assignment`, headers: f.adminHeaders });
    assert.equal(again.statusCode, 409);

    const link = await f.t.app.inject({
      method: 'POST',
      url: `${BASE}/devices/${cam.id}/links`,
      headers: f.adminHeaders,
      payload: { deviceId: hh.id, separationMetres: 50 },
    });
    assert.equal(link.statusCode, 200);
    assert.deepEqual(
      link.json<FieldDevice>().links.map((l) => [l.deviceId, l.separationMetres]),
      [[hh.id, 50]],
    );
    const other = (await get(`${BASE}/devices/${hh.id}`)).json<FieldDevice>();
    assert.deepEqual(
      other.links.map((l) => l.deviceId),
      [cam.id],
    );
    const self = await f.t.app.inject({ method: 'POST', url: `${BASE}/devices/${cam.id}/links`, headers: f.adminHeaders, payload: { deviceId: cam.id } });
    assert.equal(self.statusCode, 400);
    const unlink = await f.t.app.inject({ method: 'DELETE', url: `${BASE}/devices/${cam.id}/links/${hh.id}`, headers: f.adminHeaders });
    assert.equal(unlink.statusCode, 200);
    assert.deepEqual(unlink.json<FieldDevice>().links, []);
  });

  it('hides covert cameras without field-assets.covert and ledgers every covert view', async () => {
    const refused = await f.t.app.inject({
      method: 'POST',
      url: `${BASE}/devices`,
      headers: f.opsHeaders,
      payload: { uniqueId: 'CC-1', name: 'Covert 1', kind: 'covert-camera' },
    });
    assert.equal(refused.statusCode, 403);
    const cc = await createDevice(f, { uniqueId: 'CC-1', name: 'Covert 1', kind: 'covert-camera' });
    const ops = (await get(`${BASE}/devices?limit=1000`, f.opsHeaders)).json<FieldDeviceList>();
    assert.ok(!ops.items.some((d) => d.id === cc.id));
    assert.equal((await get(`${BASE}/devices/${cc.id}`, f.opsHeaders)).statusCode, 404);
    const r = await osmand(f, { id: 'CC-1', lat: 31.5, lon: 74.3, timestamp: secondsAgo(5) });
    assert.equal(r.status, 200);
    const opsLatest = (await get(`${BASE}/positions/latest`, f.opsHeaders)).json<FieldLatestPositions>();
    assert.ok(!opsLatest.items.some((p) => p.deviceId === cc.id));

    const all = (await get(`${BASE}/devices?limit=1000`)).json<FieldDeviceList>();
    assert.ok(all.items.some((d) => d.id === cc.id && d.covert));
    const latest = (await get(`${BASE}/positions/latest`)).json<FieldLatestPositions>();
    assert.ok(latest.items.some((p) => p.deviceId === cc.id));
    await f.t.ledger.flush();
    const views = await f.t.ledger.listEntries({ action: 'field-assets.covert.viewed', limit: 100 });
    const mine = views.items.filter((e) => e.resource === `field-assets:device/${cc.id}` && e.outcome === 'allowed');
    assert.ok(mine.length >= 2, 'the device list and the latest positions were ledgered');
    const recorded = await f.t.ledger.listEntries({ action: 'field-assets.covert.position.recorded' });
    assert.equal(recorded.items.length, 1);
    assert.equal(recorded.items[0]?.resource, `field-assets:device/${cc.id}`);
  });

  it('ledgers registry changes', async () => {
    const d = await createDevice(f, { uniqueId: 'LAP-1', name: 'Laptop 1', kind: 'laptop' });
    const p = await f.t.app.inject({
      method: 'PATCH',
      url: `${BASE}/devices/${d.id}`,
      headers: f.adminHeaders,
      payload: { status: 'maintenance', unit: 'IT' },
    });
    assert.equal(p.statusCode, 200);
    assert.equal(p.json<FieldDevice>().status, 'maintenance');
    const emptyPatch = await f.t.app.inject({ method: 'PATCH', url: `${BASE}/devices/${d.id}`, headers: f.adminHeaders, payload: {} });
    assert.equal(emptyPatch.statusCode, 400);
    const missing = await f.t.app.inject({
      method: 'PATCH',
      url: `${BASE}/devices/00000000-0000-4000-8000-000000000000`,
      headers: f.adminHeaders,
      payload: { name: 'x' },
    });
    assert.equal(missing.statusCode, 404);
    await f.t.ledger.flush();
    const entries = await f.t.ledger.listEntries({ resource: `field-assets:device/${d.id}` });
    assert.deepEqual(
      entries.items.map((e) => e.action),
      ['field-assets.device.created', 'field-assets.device.updated'],
    );
  });

  it('serves history in a bounded range, trips and stops, and the fleet at an instant', async () => {
    const d = await createDevice(f, { uniqueId: 'MC-9', name: 'Motorcycle 9', kind: 'motorcycle' });
    const t0 = secondsAgo(3600);
    // 10 minutes parked, then a drive east along Ferozepur Road (about 40 km/h).
    let n = 0;
    for (let s = 0; s <= 600; s += 60) {
      assert.equal((await osmand(f, { id: 'MC-9', lat: 31.5, lon: 74.3, timestamp: t0 + s })).status, 200);
      n++;
    }
    for (let i = 1; i <= 10; i++) {
      assert.equal((await osmand(f, { id: 'MC-9', lat: 31.5, lon: 74.3 + i * 0.004, speed: 22, timestamp: t0 + 600 + i * 30 })).status, 200);
      n++;
    }
    const from = new Date((t0 - 60) * 1000).toISOString();
    const to = new Date((t0 + 2000) * 1000).toISOString();
    const h = await get(`${BASE}/devices/${d.id}/positions?from=${from}&to=${to}`);
    assert.equal(h.statusCode, 200, h.body);
    const hist = h.json<FieldPositionHistory>();
    assert.equal(hist.items.length, n);
    assert.ok(hist.items.every((p, i) => i === 0 || p.fixTime > (hist.items[i - 1]?.fixTime ?? '')));
    assert.ok(Math.abs((hist.items.at(-1)?.speedKph ?? 0) - 22 * 1.852) < 0.01, 'speed in knots becomes km/h');
    const limited = (await get(`${BASE}/devices/${d.id}/positions?from=${from}&to=${to}&limit=3`)).json<FieldPositionHistory>();
    assert.equal(limited.items.length, 3);
    assert.equal(limited.truncated, true);

    const ts = (await get(`${BASE}/devices/${d.id}/trips?from=${from}&to=${to}`)).json<FieldTripsAndStops>();
    assert.equal(ts.stops.length, 1);
    assert.equal(ts.stops[0]?.durationSeconds, 600);
    assert.equal(ts.trips.length, 1);
    assert.ok((ts.trips[0]?.distanceMetres ?? 0) > 3000);

    const at = (await get(`${BASE}/positions/at?time=${new Date((t0 + 300) * 1000).toISOString()}`)).json<{ items: { deviceId: string; fixTime: string }[] }>();
    assert.equal(at.items.find((p) => p.deviceId === d.id)?.fixTime, new Date((t0 + 300) * 1000).toISOString());

    for (const [q, field] of [
      [`from=${from}`, '/to'],
      [`to=${to}`, '/from'],
      [`from=yesterday&to=${to}`, '/from'],
      [`from=${to}&to=${from}`, 'to'],
      [`from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z`, 'to'],
    ] as const) {
      const r = await get(`${BASE}/devices/${d.id}/positions?${q}`);
      assert.equal(r.statusCode, 400, q);
      assert.equal(r.json<{ errors: { field: string }[] }>().errors[0]?.field, field, q);
    }
    assert.equal((await get(`${BASE}/positions/at?time=soon`)).statusCode, 400);
    assert.equal((await get(`${BASE}/devices/${d.id}/positions?from=${from}&to=${to}`, f.opsHeaders)).statusCode, 200);
    await f.t.ledger.flush();
    const reads = await f.t.ledger.listEntries({ action: 'field-assets.positions.read', resource: `field-assets:device/${d.id}` });
    assert.ok(reads.items.length >= 3);
  });

  it('creates, edits and deletes geofences, and refuses bad geometry', async () => {
    const circle = await f.t.app.inject({
      method: 'POST',
      url: `${BASE}/geofences`,
      headers: f.adminHeaders,
      payload: { name: 'Civil Secretariat', geometry: { type: 'circle', center: { lat: 31.566, lon: 74.31 }, radiusMetres: 300 } },
    });
    assert.equal(circle.statusCode, 201, circle.body);
    const g = circle.json<FieldGeofence>();
    for (const geometry of [
      { type: 'circle', center: { lat: 91, lon: 74 }, radiusMetres: 10 },
      { type: 'polygon', points: [{ lat: 31, lon: 74 }] },
      {
        type: 'polygon',
        points: [
          { lat: 31, lon: 74 },
          { lat: 31, lon: 74 },
          { lat: 31, lon: 74 },
        ],
      },
      { type: 'corridor', points: [{ lat: 31, lon: 74 }], widthMetres: 10 },
      { type: 'hexagon' },
    ]) {
      const r = await f.t.app.inject({ method: 'POST', url: `${BASE}/geofences`, headers: f.adminHeaders, payload: { name: 'bad', geometry } });
      assert.equal(r.statusCode, 400, JSON.stringify(geometry));
    }
    const p = await f.t.app.inject({ method: 'PATCH', url: `${BASE}/geofences/${g.id}`, headers: f.adminHeaders, payload: { active: false } });
    assert.equal(p.json<FieldGeofence>().active, false);
    assert.equal((await get(`${BASE}/geofences`)).json<{ items: unknown[] }>().items.length >= 1, true);
    assert.equal((await f.t.app.inject({ method: 'DELETE', url: `${BASE}/geofences/${g.id}`, headers: f.adminHeaders })).statusCode, 200);
    assert.equal((await get(`${BASE}/geofences/${g.id}`)).statusCode, 404);
    assert.equal((await f.t.app.inject({ method: 'POST', url: `${BASE}/geofences`, headers: f.opsHeaders, payload: {} })).statusCode, 400);
    const noAuth = await f.t.app.inject({ method: 'GET', url: `${BASE}/geofences` });
    assert.equal(noAuth.statusCode, 401);
  });

  it('lists alerts and acknowledges them once', async () => {
    await createDevice(f, { uniqueId: 'HH-SOS', name: 'Handheld SOS', kind: 'handheld' });
    assert.equal((await osmand(f, { id: 'HH-SOS', lat: 31.52, lon: 74.35, timestamp: secondsAgo(2), alarm: 'sos' })).status, 200);
    const list = (await get(`${BASE}/events?kind=sos&acknowledged=false`)).json<FieldEventList>();
    const sos = list.items.find((e) => e.message.includes('Handheld SOS'));
    assert.ok(sos);
    assert.equal(sos.severity, 'critical');
    const ack = await f.t.app.inject({
      method: 'POST',
      url: `${BASE}/events/${sos.id}/acknowledge`,
      headers: f.adminHeaders,
      payload: { note: 'unit dispatched' },
    });
    assert.equal(ack.statusCode, 200);
    assert.equal(ack.json<{ acknowledgedBy: string }>().acknowledgedBy, 'chief');
    const twice = await f.t.app.inject({ method: 'POST', url: `${BASE}/events/${sos.id}/acknowledge`, headers: f.adminHeaders, payload: {} });
    assert.equal(twice.statusCode, 409);
    const open = (await get(`${BASE}/events?kind=sos&acknowledged=false`)).json<FieldEventList>();
    assert.ok(!open.items.some((e) => e.id === sos.id));
  });

  it('streams a snapshot then deltas over the WebSocket, covert devices only to covert holders (ledgered)', async () => {
    const open = await createDevice(f, { uniqueId: 'LIVE-1', name: 'Live patrol', kind: 'patrol-vehicle' });
    const covert = await createDevice(f, { uniqueId: 'LIVE-CC', name: 'Live covert', kind: 'covert-camera' });
    assert.equal((await f.t.app.inject({ method: 'GET', url: `${BASE}/live`, headers: f.opsHeaders })).statusCode, 426);
    // Without credentials the upgrade is refused by the guard (over a real socket: the guard records the address),
    // and the server closes that socket itself: left open, it would leak a descriptor and keep close() waiting.
    const address = await f.t.http.listen({ port: 0, host: '127.0.0.1' });
    const status = await new Promise<number>((resolve, reject) => {
      // A raw socket that never closes itself: only the server's FIN ('end') ends the wait.
      const u = new URL(address);
      const socket = net.connect(Number(u.port), u.hostname);
      let text = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`the server kept the socket of a refused upgrade open (got ${JSON.stringify(text.slice(0, 40))})`));
      }, 3000);
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => (text += c));
      socket.on('end', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0));
      });
      socket.on('error', reject);
      socket.write(
        `GET ${BASE}/live HTTP/1.1\r\nHost: ${u.host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      );
    });
    assert.equal(status, 401);

    const liveUrl = `${address.replace('http', 'ws')}${BASE}/live`;
    const ops = await openLive(liveUrl, f.opsHeaders);
    const chief = await openLive(liveUrl, { cookie: f.admin.cookie });
    await until(() => ops.messages.length > 0 && chief.messages.length > 0, 5000, 'both snapshots');
    const opsSnap = ops.messages[0] as { type: string; devices: { id: string }[] };
    const chiefSnap = chief.messages[0] as { type: string; devices: { id: string }[] };
    assert.equal(opsSnap.type, 'snapshot');
    assert.ok(opsSnap.devices.some((d) => d.id === open.id));
    assert.ok(!opsSnap.devices.some((d) => d.id === covert.id));
    assert.ok(chiefSnap.devices.some((d) => d.id === covert.id));

    const t = secondsAgo(5);
    assert.equal((await osmand(f, { id: 'LIVE-1', lat: 31.5, lon: 74.3, timestamp: t })).status, 200);
    assert.equal((await osmand(f, { id: 'LIVE-CC', lat: 31.6, lon: 74.4, timestamp: t })).status, 200);
    const seen = (m: { type: string; [k: string]: unknown }[], id: string) =>
      m.some((x) => x.type === 'positions' && (x['items'] as { deviceId: string }[]).some((p) => p.deviceId === id));
    await until(() => seen(chief.messages, covert.id) && seen(chief.messages, open.id) && seen(ops.messages, open.id), 5000, 'the position deltas');
    assert.ok(!seen(ops.messages, covert.id), 'no covert position to a non-covert client');
    assert.ok(!ops.messages.some((x) => x.type === 'status' && x['deviceId'] === covert.id));
    assert.ok(chief.messages.some((x) => x.type === 'status' && x['deviceId'] === covert.id));

    // Linking announces both ends; a link to a covert camera reaches only covert holders.
    const hh = await createDevice(f, { uniqueId: 'LIVE-HH', name: 'Live handheld', kind: 'handheld' });
    type DeviceMsg = { type: string; device: FieldDevice };
    const deviceMsgs = (m: { type: string; [k: string]: unknown }[], id: string) =>
      (m.filter((x) => x.type === 'device') as unknown as DeviceMsg[]).filter((x) => x.device.id === id).map((x) => x.device);
    const linked = (m: { type: string; [k: string]: unknown }[], id: string, other: string) =>
      deviceMsgs(m, id).some((d) => d.links.some((l) => l.deviceId === other));
    const toOpen = await f.t.app.inject({ method: 'POST', url: `${BASE}/devices/${hh.id}/links`, headers: f.adminHeaders, payload: { deviceId: open.id } });
    assert.equal(toOpen.statusCode, 200);
    await until(() => linked(ops.messages, hh.id, open.id) && linked(ops.messages, open.id, hh.id), 5000, 'both ends of the link announced');
    const toCovert = await f.t.app.inject({ method: 'POST', url: `${BASE}/devices/${hh.id}/links`, headers: f.adminHeaders, payload: { deviceId: covert.id } });
    assert.equal(toCovert.statusCode, 200);
    await until(() => linked(chief.messages, hh.id, covert.id) && linked(chief.messages, covert.id, hh.id), 5000, 'the covert link to the chief');
    const opsHh = deviceMsgs(ops.messages, hh.id);
    assert.ok(opsHh.length >= 2, 'the desk was told the handheld changed');
    assert.ok(!opsHh.some((d) => d.links.some((l) => l.deviceId === covert.id)), 'no covert link to the desk');
    assert.deepEqual(deviceMsgs(ops.messages, covert.id), [], 'nothing about the covert camera to the desk');
    assert.ok(!JSON.stringify(ops.messages).includes('LIVE-CC'), 'the covert camera is never named to the desk');
    const unlinked = await f.t.app.inject({ method: 'DELETE', url: `${BASE}/devices/${hh.id}/links/${open.id}`, headers: f.adminHeaders });
    assert.equal(unlinked.statusCode, 200);
    await until(() => deviceMsgs(ops.messages, open.id).some((d) => d.links.length === 0), 5000, 'the unlink announced on the other end');
    ops.ws.close();
    chief.ws.close();
    await until(() => f.rt.hub.size === 0, 5000, 'the hub to forget closed clients');
    await f.t.ledger.flush();
    const views = await f.t.ledger.listEntries({ action: 'field-assets.covert.viewed', order: 'desc', limit: 20 });
    assert.ok(views.items.length >= 2, 'the snapshot and the covert deltas were ledgered');
    assert.ok(views.items.every((e) => e.actorType === 'user'));
  });
});
