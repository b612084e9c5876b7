/**
 * Ingest over the real protocols: OsmAnd (query, form and JSON, as Traccar
 * Client and the OsmAnd app send them) on OSMAND_PORT and MQTT (the
 * embedded broker, or Mosquitto when KOTWAL_TEST_MQTT_URL is set), every
 * bad input, duplicates, out-of-order positions, floods, device tokens, the
 * alert rules, and a broker that goes away and comes back.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { mqttPositionTopic } from '@kotwal/contracts';
import type { Database, Queryable } from '#core/db/index.ts';
import { Ingest, type LiveSink } from './ingest.ts';
import type { Fix, IngestError } from './osmand.ts';
import {
  eventsOf,
  fieldTestApp,
  osmand,
  positionCount,
  registerDevice,
  secondsAgo,
  testMqttUrl,
  until,
  SYSTEM_PRINCIPAL,
  type FieldTestApp,
} from './test/harness.ts';

const sys = { principal: SYSTEM_PRINCIPAL, requestId: null };

let shared: FieldTestApp;
before(async () => {
  shared = await fieldTestApp({ users: false, env: { KOTWAL_DEVICE_RATE: '5' } });
});
after(async () => {
  await shared?.close();
});

describe('field-assets ingest: OsmAnd', () => {
  let f: FieldTestApp;
  before(() => {
    f = shared;
  });

  const latest = (id: string) => f.rt.state.live.get(id)?.latest ?? null;

  it('accepts the query, form and JSON variants with Traccar units', async () => {
    const d = await registerDevice(f, { uniqueId: '862104051234567', name: 'Patrol 5', kind: 'patrol-vehicle' });
    const t = secondsAgo(60);
    // Query string, GET, epoch seconds, speed in knots, extra keys kept.
    const q = await fetch(
      `${f.osmand}/?id=862104051234567&timestamp=${t}&lat=31.5204&lon=74.3587&speed=10&bearing=90&altitude=210&accuracy=5&batt=76&charge=true&ignition=true&odometer=1200.5&driver=Ali`,
    );
    assert.equal(q.status, 200);
    let p = latest(d.id);
    assert.ok(p);
    assert.equal(p.fixTime, t * 1000);
    assert.ok(Math.abs((p.speedKph ?? 0) - 18.52) < 1e-9);
    assert.equal(p.course, 90);
    assert.equal(p.battery, 76);
    assert.equal(p.charging, true);
    assert.deepEqual(p.attributes, { ignition: true, odometer: 1200.5, driver: 'Ali' });
    // Form body, POST, epoch milliseconds, deviceid and location=lat,lon, hdop.
    const form = await fetch(`${f.osmand}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `deviceid=862104051234567&timestamp=${(t + 10) * 1000}&location=31.53,74.36&hdop=1.2&heading=180`,
    });
    assert.equal(form.status, 200);
    p = latest(d.id);
    assert.equal(p?.fixTime, (t + 10) * 1000);
    assert.equal(p?.lat, 31.53);
    assert.equal(p?.accuracy, 1.2);
    // ISO 8601 and Traccar's "yyyy-MM-dd HH:mm:ss".
    assert.equal((await osmand(f, { id: '862104051234567', lat: 31.54, lon: 74.37, timestamp: new Date((t + 20) * 1000).toISOString() })).status, 200);
    const plain = new Date((t + 30) * 1000).toISOString().replace('T', ' ').slice(0, 19);
    assert.equal((await osmand(f, { id: '862104051234567', lat: 31.55, lon: 74.38, timestamp: plain })).status, 200);
    assert.equal(latest(d.id)?.fixTime, (t + 30) * 1000);
    // JSON (Traccar Client 9+): speed in m/s, battery level 0..1.
    const json = await fetch(`${f.osmand}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        device_id: '862104051234567',
        location: {
          timestamp: new Date((t + 40) * 1000).toISOString(),
          coords: { latitude: 31.56, longitude: 74.39, speed: 10, heading: 45, altitude: 200, accuracy: 8 },
          battery: { level: 0.42, is_charging: false },
          activity: { type: 'in_vehicle' },
          is_moving: true,
        },
      }),
    });
    assert.equal(json.status, 200);
    p = latest(d.id);
    assert.equal(p?.protocol, 'osmand-json');
    assert.equal(p?.speedKph, 36);
    assert.equal(p?.battery, 42);
    assert.equal(p?.charging, false);
    assert.equal(p?.motion, true);
    assert.equal(p?.attributes['activity'], 'in_vehicle');
    assert.equal(await positionCount(f, d.id), 5);
    // No timestamp: the time it arrives (as Traccar).
    const before = Date.now();
    assert.equal((await osmand(f, { id: '862104051234567', lat: 31.57, lon: 74.4 })).status, 200);
    assert.ok((latest(d.id)?.fixTime ?? 0) >= before - 1000);
  });

  it('answers unknown devices 400 (form) and 404 (JSON), as Traccar does', async () => {
    assert.equal((await osmand(f, { id: 'nobody', lat: 31.5, lon: 74.3, timestamp: secondsAgo(1) })).status, 400);
    const json = await fetch(`${f.osmand}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device_id: 'nobody', location: { timestamp: new Date().toISOString(), coords: { latitude: 31.5, longitude: 74.3 } } }),
    });
    assert.equal(json.status, 404);
  });

  it('refuses malformed and partial requests with the reason, and bad coordinates and times', async () => {
    await registerDevice(f, { uniqueId: 'BAD-1', name: 'Bad input handheld', kind: 'handheld' });
    const now = secondsAgo(0);
    const cases: [Record<string, string | number>, RegExp][] = [
      [{}, /no parameters/],
      [{ lat: 31, lon: 74, timestamp: now }, /^id:/],
      [{ id: 'BAD-1', lon: 74, timestamp: now }, /lat/],
      [{ id: 'BAD-1', lat: 31, timestamp: now }, /lon/],
      [{ id: 'BAD-1', lat: 'north', lon: 74, timestamp: now }, /lat: must be a number/],
      [{ id: 'BAD-1', lat: 91, lon: 74, timestamp: now }, /lat: must be between -90 and 90/],
      [{ id: 'BAD-1', lat: 31, lon: -180.5, timestamp: now }, /lon: must be between -180 and 180/],
      [{ id: 'BAD-1', location: '31.5', timestamp: now }, /location/],
      [{ id: 'BAD-1', lat: 31, lon: 74, timestamp: 'yesterday' }, /timestamp/],
      [{ id: 'BAD-1', lat: 31, lon: 74, timestamp: now + 3600 }, /future/],
      [{ id: 'BAD-1', lat: 31, lon: 74, timestamp: now - 30 * 86400 }, /older than 168 hours/],
      [{ id: 'BAD-1', lat: 31, lon: 74, timestamp: now, batt: 150 }, /batt/],
      [{ id: 'BAD-1', lat: 31, lon: 74, timestamp: now, speed: 'fast' }, /speed/],
      [{ id: 'has space', lat: 31, lon: 74, timestamp: now }, /^id:/],
      [{ id: 'BAD-1', lat: 'NaN', lon: 74, timestamp: now }, /lat/],
      [{ id: 'BAD-1', lat: '1e999', lon: 74, timestamp: now }, /lat/],
    ];
    for (const [params, reason] of cases) {
      const r = await osmand(f, params);
      assert.equal(r.status, 400, JSON.stringify(params));
      assert.match(r.body, reason, JSON.stringify(params));
    }
    const json = async (body: string) =>
      fetch(`${f.osmand}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => ({
        status: r.status,
        text: await r.text(),
      }));
    assert.equal((await json('{"device_id": "BAD-1", "location": ')).status, 400);
    assert.match((await json('{"device_id": "BAD-1"}')).text, /location/);
    assert.match((await json('{"device_id": "BAD-1", "location": {"coords": {"latitude": 31}}}')).text, /longitude/);
    assert.match((await json('{"device_id": "BAD-1", "location": {"coords": {"latitude": "31", "longitude": 74}}}')).text, /latitude/);
    assert.equal((await json('[1,2]')).status, 400);
    const big = await fetch(`${f.osmand}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `id=BAD-1&x=${'a'.repeat(70_000)}`,
    }).catch(() => ({ status: 413 }));
    assert.equal(big.status, 413);
    const raw = await new Promise<string>((resolve) => {
      const s = net.connect(Number(new URL(f.osmand).port), '127.0.0.1', () => s.write('NONSENSE\r\n\r\n'));
      let out = '';
      s.on('data', (b) => (out += b.toString()));
      s.on('close', () => resolve(out));
      s.on('error', () => resolve(out));
    });
    assert.match(raw, /^HTTP\/1.1 400/);
    // Nothing of it was stored, and the listener still serves.
    const id = f.rt.state.byUniqueId.get('BAD-1')?.id ?? '';
    assert.equal(await positionCount(f, id), 0);
    assert.equal((await osmand(f, { id: 'BAD-1', lat: 31, lon: 74, timestamp: now })).status, 200);
  });

  it('ignores duplicates and keeps out-of-order positions in history without moving latest back', async () => {
    const d = await registerDevice(f, { uniqueId: 'DUP-1', name: 'Dup handheld', kind: 'handheld' });
    const t = secondsAgo(120);
    for (let i = 0; i < 3; i++) assert.equal((await osmand(f, { id: 'DUP-1', lat: 31.5, lon: 74.3, timestamp: t })).status, 200);
    // Concurrent duplicates land in one batch.
    const burst = await Promise.all(Array.from({ length: 5 }, () => osmand(f, { id: 'DUP-1', lat: 31.5, lon: 74.3, timestamp: t + 60 })));
    assert.ok(burst.every((r) => r.status === 200));
    assert.equal(await positionCount(f, d.id), 2);
    assert.equal((await osmand(f, { id: 'DUP-1', lat: 31.6, lon: 74.4, timestamp: t + 30 })).status, 200);
    assert.equal(await positionCount(f, d.id), 3);
    assert.equal(latest(d.id)?.fixTime, (t + 60) * 1000);
    const row = (await f.t.ctx.db.query<{ fix_time: Date }>('SELECT fix_time FROM fa_latest WHERE device_id = $1', [d.id])).rows[0];
    assert.equal(row?.fix_time.getTime(), (t + 60) * 1000);
    assert.ok(f.rt.ingest.stats.duplicates >= 6);
  });

  it('limits floods from one device (429) without losing what it accepted', async () => {
    const d = await registerDevice(f, { uniqueId: 'FLOOD-1', name: 'Flooding tracker', kind: 'handheld' });
    const t = secondsAgo(600);
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => osmand(f, { id: 'FLOOD-1', lat: 31.5, lon: 74.3, timestamp: t + i })));
    const seconds = (performance.now() - started) / 1000;
    const ok = results.filter((r) => r.status === 200).length;
    const limited = results.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, 'some were refused');
    assert.match(limited[0]?.body ?? '', /more than 5 positions per second/);
    // The bucket holds a burst of 50 and refills 5 per second while the flood lasts (seconds on a loaded machine).
    assert.ok(ok >= 50 && ok <= 50 + Math.ceil(5 * seconds) + 1, `burst of 50 plus 5/s over ${seconds.toFixed(1)} s accepted, got ${ok}`);
    assert.equal(await positionCount(f, d.id), ok);
    // Another device is not affected.
    await registerDevice(f, { uniqueId: 'CALM-1', name: 'Calm tracker', kind: 'handheld' });
    assert.equal((await osmand(f, { id: 'CALM-1', lat: 31.5, lon: 74.3, timestamp: t })).status, 200);
  });

  it('requires the device token once one is set, and refuses retired devices', async () => {
    const d = await registerDevice(f, { uniqueId: 'TOK-1', name: 'Token tracker', kind: 'laptop' });
    const { token } = await f.rt.service.issueToken(sys, d.id);
    const t = secondsAgo(30);
    assert.equal((await osmand(f, { id: 'TOK-1', lat: 31.5, lon: 74.3, timestamp: t })).status, 401);
    assert.equal((await osmand(f, { id: 'TOK-1', lat: 31.5, lon: 74.3, timestamp: t, token: 'wrong' })).status, 401);
    assert.equal((await osmand(f, { id: 'TOK-1', lat: 31.5, lon: 74.3, timestamp: t, token })).status, 200);
    assert.equal(latest(d.id)?.attributes['token'], undefined, 'the token is not kept as an attribute');
    await f.rt.service.updateDevice(sys, d.id, { status: 'retired' });
    assert.equal((await osmand(f, { id: 'TOK-1', lat: 31.5, lon: 74.3, timestamp: t + 1, token })).status, 403);
  });

  it('raises geofence, overspeed, SOS, low-battery, gap and separation alerts, on the bus and in the ledger', async () => {
    const car = await registerDevice(f, { uniqueId: 'EV-CAR', name: 'Event car', kind: 'patrol-vehicle', speedLimitKph: 80 });
    const cam = await registerDevice(f, { uniqueId: 'EV-CAM', name: 'Event camera', kind: 'body-camera' });
    await f.rt.service.link(sys, cam.id, { deviceId: car.id, separationMetres: 100, separationSeconds: 60 });
    const circle = await f.rt.service.createGeofence(sys, {
      name: 'Station',
      geometry: { type: 'circle', center: { lat: 31.6, lon: 74.4 }, radiusMetres: 200 },
    });
    const polygon = await f.rt.service.createGeofence(sys, {
      name: 'Old city',
      geometry: {
        type: 'polygon',
        points: [
          { lat: 31.58, lon: 74.3 },
          { lat: 31.58, lon: 74.32 },
          { lat: 31.6, lon: 74.32 },
          { lat: 31.6, lon: 74.3 },
        ],
      },
    });
    const corridor = await f.rt.service.createGeofence(sys, {
      name: 'Canal road',
      geometry: {
        type: 'corridor',
        points: [
          { lat: 31.5, lon: 74.5 },
          { lat: 31.52, lon: 74.5 },
        ],
        widthMetres: 100,
      },
    });
    const t = secondsAgo(3000);
    const send = async (id: string, dt: number, lat: number, lon: number, extra: Record<string, string | number> = {}) => {
      const r = await osmand(f, { id, timestamp: t + dt, lat, lon, ...extra });
      assert.equal(r.status, 200, r.body);
    };
    await send('EV-CAR', 0, 31.6, 74.4, { speed: 20 }); // in the circle; 37 km/h
    await send('EV-CAR', 10, 31.59, 74.31, { speed: 50 }); // in the polygon; 92.6 km/h > 80
    await send('EV-CAR', 20, 31.59, 74.311, { speed: 60 }); // still over: no second alert
    await send('EV-CAR', 30, 31.51, 74.5004, { speed: 10 }); // in the corridor (about 38 m off the line)
    await send('EV-CAR', 40, 31.51, 74.51, { alarm: 'sos' });
    await send('EV-CAR', 50, 31.51, 74.51, { alarm: 'sos' }); // within a minute: not repeated
    await send('EV-CAR', 60, 31.51, 74.51, { batt: 12 });
    await send('EV-CAR', 70, 31.51, 74.51, { batt: 11 }); // latched
    await send('EV-CAR', 1000, 31.51, 74.51); // 930 s since the last fix > 300 s: a gap
    // The camera sits 1.1 km away from the car for two minutes.
    await send('EV-CAM', 1000, 31.52, 74.51);
    await send('EV-CAM', 1070, 31.52, 74.51);
    await send('EV-CAR', 1075, 31.51, 74.51);
    await send('EV-CAM', 1080, 31.52, 74.51);
    const carEvents = await eventsOf(f, car.id);
    assert.deepEqual(carEvents.map((e) => e.kind).sort(), [
      'gap',
      'geofence-enter',
      'geofence-enter',
      'geofence-enter',
      'geofence-exit',
      'geofence-exit',
      'geofence-exit',
      'low-battery',
      'overspeed',
      'sos',
    ]);
    assert.deepEqual(
      carEvents
        .filter((e) => e.kind.startsWith('geofence'))
        .map((e) => `${e.kind} ${e.geofence_id}`)
        .sort(),
      [circle, polygon, corridor].flatMap((g) => [`geofence-enter ${g.id}`, `geofence-exit ${g.id}`]).sort(),
    );
    const camEvents = await eventsOf(f, cam.id);
    assert.deepEqual(
      camEvents.map((e) => [e.kind, e.related_device_id]),
      [['separation', car.id]],
    );
    assert.ok(Number(camEvents[0]?.details['distanceMetres']) > 1000);
    const outbox = await f.t.ctx.db.query<{ name: string; n: number }>(
      `SELECT name, count(*)::int AS n FROM event_outbox WHERE payload->>'deviceId' IN ($1, $2) GROUP BY name ORDER BY name`,
      [car.id, cam.id],
    );
    assert.deepEqual(
      outbox.rows.map((r) => [r.name, r.n]),
      [
        ['field-assets.alarm.raised', 5],
        ['field-assets.device.status-changed', 2],
        ['field-assets.geofence.entered', 3],
        ['field-assets.geofence.exited', 3],
      ],
    );
    await f.t.ledger.flush();
    const ledgered = await f.t.ledger.listEntries({ action: 'field-assets.event.*', resource: `field-assets:device/${car.id}` });
    assert.equal(ledgered.items.length, 10);
  });

  it('marks silent devices offline (alert, bus, ledger) and online again when they report', async () => {
    const d = await registerDevice(f, { uniqueId: 'OFF-1', name: 'Quiet handheld', kind: 'handheld' });
    assert.equal((await osmand(f, { id: 'OFF-1', lat: 31.5, lon: 74.3, timestamp: secondsAgo(1) })).status, 200);
    assert.equal(f.rt.state.stateOf(d.id).connection, 'online');
    // Pretend it has been silent for longer than KOTWAL_DEVICE_OFFLINE_SECONDS.
    const live = f.rt.state.live.get(d.id);
    assert.ok(live);
    live.lastSeenAt = Date.now() - 301_000;
    assert.ok((await f.rt.ingest.sweepOffline()) >= 1);
    assert.equal(f.rt.state.stateOf(d.id).connection, 'offline');
    const row = (await f.t.ctx.db.query<{ connection: string }>('SELECT connection FROM fa_latest WHERE device_id = $1', [d.id])).rows[0];
    assert.equal(row?.connection, 'offline');
    assert.equal((await osmand(f, { id: 'OFF-1', lat: 31.5, lon: 74.3, timestamp: secondsAgo(0) })).status, 200);
    assert.equal(f.rt.state.stateOf(d.id).connection, 'online');
    assert.deepEqual(
      (await eventsOf(f, d.id)).map((e) => e.kind),
      ['offline', 'online'],
    );
  });

  it('takes MQTT positions through the same path (Mosquitto when KOTWAL_TEST_MQTT_URL is set, else the embedded broker)', async () => {
    const d = await registerDevice(f, { uniqueId: 'MQ-1', name: 'MQTT camera', kind: 'body-camera' });
    const { token } = await f.rt.service.issueToken(sys, d.id);
    const url = testMqttUrl ?? `mqtt://127.0.0.1:${f.mqttPort}`;
    const client = await mqtt.connectAsync(url, testMqttUrl ? { reconnectPeriod: 0 } : { username: 'MQ-1', password: token, reconnectPeriod: 0 });
    try {
      const topic = mqttPositionTopic('MQ-1', f.prefix);
      const t = secondsAgo(10);
      await client.publishAsync(
        topic,
        JSON.stringify({ timestamp: t, lat: 31.45, lon: 74.27, speedKph: 4, battery: 64, attributes: { recording: true, docked: false } }),
        { qos: 1 },
      );
      await client.publishAsync(topic, 'not json', { qos: 1 });
      await client.publishAsync(topic, JSON.stringify({ timestamp: t + 1, lat: 95, lon: 74 }), { qos: 1 });
      await client.publishAsync(topic, JSON.stringify({ timestamp: t + 2, lat: 31, lon: 74, extra: 1 }), { qos: 1 });
      await client.publishAsync(topic, JSON.stringify({ timestamp: t + 3, lat: 31, lon: 74, pad: 'x'.repeat(9000) }), { qos: 1 });
      await until(() => f.rt.counters.mqttAccepted + f.rt.counters.mqttRejected + f.rt.counters.mqttOversize >= 5, 5000, 'five MQTT messages handled');
      assert.equal(await positionCount(f, d.id), 1);
      assert.equal(f.rt.counters.mqttOversize, 1);
      const s = f.rt.state.stateOf(d.id);
      assert.equal(s.recording, true);
      assert.equal(s.docked, false);
      assert.equal(s.batteryLevel, 64);
      assert.equal(f.rt.state.live.get(d.id)?.latest?.protocol, 'mqtt');
    } finally {
      await client.endAsync();
    }
  });
});

describe('field-assets ingest: group commit', () => {
  let f: FieldTestApp;
  before(() => {
    f = shared;
  });
  const noLive: LiveSink = { positions: () => undefined, status: () => undefined, events: () => undefined };
  const fix = (uniqueId: string, fixTime: number): Fix => ({
    uniqueId,
    fixTime,
    lat: 31.5,
    lon: 74.3,
    speedKph: null,
    course: null,
    altitude: null,
    accuracy: null,
    battery: null,
    charging: null,
    alarm: null,
    motion: null,
    attributes: {},
    protocol: 'osmand',
    token: null,
  });
  /** The app's database, with each transaction held at a gate before it commits, and the devices each one inserted. */
  function gatedDb(db: Database) {
    const batches: string[][] = [];
    let calls = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const wrapped = Object.create(db) as Database;
    wrapped.transaction = <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
      calls++;
      return db.transaction(async (tx) => {
        const spy: Queryable = Object.create(tx) as Queryable;
        spy.query = (sql: string, params?: unknown[]) => {
          if (sql.includes('INSERT INTO fa_positions')) batches.push((params?.[0] as string[]).map((id) => id));
          return tx.query(sql, params);
        };
        const r = await fn(spy);
        await gate;
        return r;
      });
    };
    return {
      db: wrapped,
      batches,
      calls: () => calls,
      release: () => open(),
    };
  }
  const settled = async (p: Promise<unknown>): Promise<boolean> => {
    let done = false;
    void p.then(
      () => (done = true),
      () => (done = true),
    );
    await new Promise((r) => setTimeout(r, 100));
    return done;
  };

  it('takes load from many devices without refusing it, a burst in one transaction, its alerts on the bus and in the ledger', async () => {
    const ids: { id: string; uniqueId: string }[] = [];
    for (let i = 0; i < 60; i++) ids.push(await registerDevice(f, { uniqueId: `GC-${i}`, name: `Group commit ${i}`, kind: 'handheld' }));
    const batchesBefore = f.rt.ingest.stats.batches;
    const t = secondsAgo(900);
    // 60 devices x 5 fixes at once (300 requests): within every device's burst (KOTWAL_DEVICE_RATE 5 here, burst 50).
    const results = await Promise.all(
      ids.flatMap((d, i) =>
        Array.from({ length: 5 }, (_, k) =>
          osmand(f, { id: d.uniqueId, lat: 31.5 + i / 1000, lon: 74.3, timestamp: t + k, ...(k === 4 && i < 30 ? { alarm: 'sos' } : {}) }),
        ),
      ),
    );
    assert.deepEqual(
      results.filter((r) => r.status !== 200),
      [],
      'legitimate load from many devices is not refused',
    );
    assert.ok(f.rt.ingest.stats.batches - batchesBefore <= 300);
    // A burst that reaches the server at once (as under load, while a batch is being written) is one transaction.
    const burstBefore = f.rt.ingest.stats.batches;
    const burst = await Promise.all(
      ids.flatMap((d) => Array.from({ length: 5 }, (_, k) => f.rt.ingest.submit(fix(d.uniqueId, (t + 10 + k) * 1000), { unknownStatus: 400 }))),
    );
    assert.equal(burst.filter((o) => o === 'accepted').length, 300);
    assert.equal(f.rt.ingest.stats.batches - burstBefore, 1, '300 positions from 60 devices in one transaction');
    const stored = await f.t.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM fa_positions WHERE device_id = ANY($1::uuid[])', [
      ids.map((d) => d.id),
    ]);
    assert.equal(stored.rows[0]?.n, 600);
    const sos = await f.t.ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM event_outbox WHERE name = 'field-assets.alarm.raised' AND payload->>'deviceId' = ANY($1::text[])`,
      [ids.map((d) => d.id)],
    );
    assert.equal(sos.rows[0]?.n, 30, 'one alarm event per SOS on the bus');
    await f.t.ledger.flush();
    const ledgered = await f.t.ledger.listEntries({ action: 'field-assets.event.sos', limit: 100 });
    assert.equal(ledgered.items.filter((e) => ids.some((d) => e.resource === `field-assets:device/${d.id}`)).length, 30);
  });

  it('answers only after the commit, and refuses (503) what a failed commit held', async () => {
    const d = await registerDevice(f, { uniqueId: 'GC-GATE', name: 'Gated tracker', kind: 'handheld' });
    const g = gatedDb(f.t.ctx.db);
    const ingest = new Ingest({ ...f.t.ctx, db: g.db }, f.rt.state, noLive);
    const t = Date.now() - 60_000;
    const p = ingest.submit(fix('GC-GATE', t), { unknownStatus: 400 });
    assert.equal(await settled(p), false, 'no answer while the transaction is open');
    g.release();
    assert.equal(await p, 'accepted');
    assert.equal(await positionCount(f, d.id), 1);

    // A transaction that fails after its writes: rolled back, every position in it refused, the live state unchanged.
    const failing = Object.create(f.t.ctx.db) as Database;
    failing.transaction = (fn) =>
      f.t.ctx.db.transaction(async (tx) => {
        await fn(tx);
        throw new Error('commit failed');
      });
    const broken = new Ingest({ ...f.t.ctx, db: failing }, f.rt.state, noLive);
    const latestBefore = f.rt.state.live.get(d.id)?.latest?.fixTime;
    await assert.rejects(broken.submit(fix('GC-GATE', t + 1000), { unknownStatus: 400 }), (err: IngestError) => err.status === 503);
    assert.equal(await positionCount(f, d.id), 1);
    assert.equal(f.rt.state.live.get(d.id)?.latest?.fixTime, latestBefore);
  });

  it('lets batches grow while one is written, and never holds a device in two transactions at once', async () => {
    await registerDevice(f, { uniqueId: 'GC-A', name: 'Tracker A', kind: 'handheld' });
    await registerDevice(f, { uniqueId: 'GC-B', name: 'Tracker B', kind: 'handheld' });
    const g = gatedDb(f.t.ctx.db);
    const ingest = new Ingest({ ...f.t.ctx, db: g.db }, f.rt.state, noLive, Date.now, { maxConcurrent: 2 });
    const t = Date.now() - 120_000;
    const a1 = ingest.submit(fix('GC-A', t), { unknownStatus: 400 });
    await until(() => g.batches.length === 1, 5000, 'the first batch');
    // While A's batch waits to commit: more of A waits for it, B goes in a second transaction.
    const a2 = ingest.submit(fix('GC-A', t + 1000), { unknownStatus: 400 });
    const a3 = ingest.submit(fix('GC-A', t + 2000), { unknownStatus: 400 });
    const b1 = ingest.submit(fix('GC-B', t), { unknownStatus: 400 });
    await until(() => g.calls() === 2, 5000, 'the second transaction');
    assert.equal(await settled(a2), false);
    g.release();
    assert.deepEqual(await Promise.all([a1, a2, a3, b1]), ['accepted', 'accepted', 'accepted', 'accepted']);
    await ingest.drain();
    const a = f.rt.state.byUniqueId.get('GC-A')?.id;
    const b = f.rt.state.byUniqueId.get('GC-B')?.id;
    assert.deepEqual(
      g.batches.map((ids) => ids.map((id) => (id === a ? 'A' : id === b ? 'B' : '?'))),
      [['A'], ['B'], ['A', 'A']],
      'A2 and A3 waited for A1 and went together',
    );
    assert.equal(g.calls(), 3);
  });
});

describe('field-assets ingest: embedded MQTT broker', () => {
  let f: FieldTestApp;
  before(async () => {
    // With Mosquitto configured the main app uses it: the embedded broker needs an app of its own.
    f = testMqttUrl ? await fieldTestApp({ users: false, external: false }) : shared;
  });
  after(async () => {
    if (f !== shared) await f?.close();
  });

  it('authenticates devices by token, confines them to their own topic, and closes oversized frames', async () => {
    const d = await registerDevice(f, { uniqueId: 'EMB-1', name: 'Embedded handheld', kind: 'handheld' });
    await registerDevice(f, { uniqueId: 'EMB-2', name: 'Other handheld', kind: 'handheld' });
    const url = `mqtt://127.0.0.1:${f.mqttPort}`;
    // No token yet: refused; wrong password: refused.
    await assert.rejects(mqtt.connectAsync(url, { username: 'EMB-1', password: 'x', reconnectPeriod: 0 }));
    const { token } = await f.rt.service.issueToken(sys, d.id);
    await assert.rejects(mqtt.connectAsync(url, { username: 'EMB-1', password: 'wrong', reconnectPeriod: 0 }));
    await assert.rejects(mqtt.connectAsync(url, { reconnectPeriod: 0 }));
    assert.ok(f.rt.counters.mqttConnectionsRefused >= 3);
    const c = await mqtt.connectAsync(url, { username: 'EMB-1', password: token, reconnectPeriod: 0 });
    await c.publishAsync(mqttPositionTopic('EMB-1', f.prefix), JSON.stringify({ timestamp: new Date().toISOString(), lat: 31.5, lon: 74.3 }), { qos: 1 });
    assert.equal(await positionCount(f, d.id), 1, 'stored before the PUBACK');
    const sub = await c.subscribeAsync('#').catch((e: unknown) => e);
    assert.ok(Array.isArray(sub) ? sub.every((g: { qos: number }) => g.qos === 128) : sub instanceof Error, 'subscriptions refused');
    // Publishing as another device closes the connection.
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish(mqttPositionTopic('EMB-2', f.prefix), JSON.stringify({ timestamp: Date.now(), lat: 31.5, lon: 74.3 }), { qos: 1 });
    await closed;
    await c.endAsync(true);
    // A frame over the hard limit closes the connection before it is buffered.
    const c2 = await mqtt.connectAsync(url, { username: 'EMB-1', password: token, reconnectPeriod: 0 });
    const closed2 = new Promise<void>((resolve) => c2.once('close', () => resolve()));
    c2.publish(mqttPositionTopic('EMB-1', f.prefix), Buffer.alloc(300 * 1024, 0x20), { qos: 0 });
    await closed2;
    await c2.endAsync(true);
    assert.ok(f.rt.counters.mqttOversize >= 1);
    assert.equal(await positionCount(f, d.id), 1);
  });
});

describe('field-assets ingest: external broker that goes away', () => {
  let f: FieldTestApp;
  let broker: Aedes;
  let server: net.Server;
  let port: number;
  const sockets = new Set<net.Socket>();
  const startBroker = async (p: number): Promise<void> => {
    broker = await Aedes.createBroker();
    server = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      broker.handle(s);
    });
    await new Promise<void>((resolve) => server.listen(p, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  };
  const stopBroker = async (): Promise<void> => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  before(async () => {
    await startBroker(0);
    f = await fieldTestApp({ users: false, env: { MQTT_URL: `mqtt://127.0.0.1:${port}` } });
  });
  after(async () => {
    await f?.close();
    await stopBroker().catch(() => undefined);
  });

  it('reconnects with back-off and resumes ingest, without crashing', async () => {
    const d = await registerDevice(f, { uniqueId: 'EXT-1', name: 'External handheld', kind: 'handheld' });
    const publish = async (lat: number): Promise<void> => {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
      await c.publishAsync(mqttPositionTopic('EXT-1', f.prefix), JSON.stringify({ timestamp: Date.now(), lat, lon: 74.3 }), { qos: 1 });
      await c.endAsync();
    };
    await until(() => f.rt.external?.client.connected === true, 5000, 'the server to connect');
    await until(
      async () => {
        await publish(31.5);
        return (await positionCount(f, d.id)) >= 1;
      },
      5000,
      'a position through the external broker',
    );
    await stopBroker();
    await until(() => f.rt.external?.client.connected === false, 5000, 'the disconnect to be seen');
    await new Promise((r) => setTimeout(r, 1200));
    await startBroker(port);
    await until(() => f.rt.external?.client.connected === true, 10_000, 'the reconnect');
    assert.ok(f.rt.counters.mqttReconnects >= 1);
    const before = await positionCount(f, d.id);
    await until(
      async () => {
        await publish(31.6);
        return (await positionCount(f, d.id)) > before;
      },
      5000,
      'a position after the reconnect',
    );
  });
});
