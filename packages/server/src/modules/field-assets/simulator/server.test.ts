/**
 * The simulator against the real server (PGlite, or PostgreSQL with
 * KOTWAL_TEST_DATABASE_URL): registers its devices through the API with an
 * API token, reports over the OsmAnd port and over the embedded MQTT broker
 * with the device tokens it was issued, and the positions land.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError } from 'commander';
import type { FieldLatestPositions, FieldDeviceList } from '@kotwal/contracts';
import { buildTestApp, type TestApp } from '#test/app.ts';
import { adminSession, authHeaders, issueToken, userSession } from '#test/auth-helpers.ts';
import { fieldAssetsPorts } from '../index.ts';
import { LAHORE_BOUNDS } from '@kotwal/contracts';
import { fieldCommand } from './cli.ts';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const cmd = fieldCommand({ withContext: () => Promise.reject(new Error('not used')) }, { out: (t) => (out += t), err: (t) => (err += t) });
  for (const c of [cmd, ...cmd.commands]) {
    c.exitOverride();
    c.configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) });
  }
  let code = 0;
  try {
    await cmd.parseAsync(['simulate', ...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode;
  }
  return { code, out, err };
}

describe('kotwal field simulate against the real server', () => {
  let t: TestApp;
  let api = '';
  let token = '';
  let osmand = '';
  let mqtt = '';

  before(async () => {
    // The embedded broker always (an external MQTT_URL would need its own accounts for the devices).
    t = await buildTestApp({ env: { OSMAND_PORT: '0', MQTT_PORT: '0', MQTT_URL: '' } });
    api = await t.http.listen({ port: 0, host: '127.0.0.1' });
    const admin = await adminSession(t);
    // An integrator who may hold field-assets permissions issues the simulator's token.
    const role = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/roles/field-integrator',
      headers: authHeaders(admin),
      payload: {
        description: 'Field device integrations',
        permissions: ['auth.self', 'tokens.read', 'tokens.write', 'field-assets.read', 'field-assets.write'],
      },
    });
    assert.ok(role.statusCode < 300, role.body);
    const integrator = await userSession(t, admin, 'integrator', ['field-integrator']);
    token = await issueToken(t, integrator, ['field-assets.read', 'field-assets.write'], 'simulator');
    const ports = fieldAssetsPorts(t.ctx);
    assert.ok(ports.osmand && ports.mqtt, 'OsmAnd listener and embedded broker are up');
    osmand = `http://127.0.0.1:${ports.osmand}`;
    mqtt = `mqtt://127.0.0.1:${ports.mqtt}`;
  });
  after(() => t?.close());

  const latest = async (prefix: string) => {
    const res = await fetch(`${api}/api/v1/field-assets/positions/latest`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as FieldLatestPositions;
    const list = (await (
      await fetch(`${api}/api/v1/field-assets/devices?limit=1000`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as FieldDeviceList;
    const ids = new Map(list.items.filter((d) => d.uniqueId.startsWith(`${prefix}-`)).map((d) => [d.id, d.uniqueId]));
    return { devices: ids, positions: body.items.filter((p) => ids.has(p.deviceId)) };
  };

  it('unregistered devices are refused by the server, and the command says so', async () => {
    const r = await run(['--devices', '2', '--rate', '4', '--duration', '0.6', '--url', osmand, '--prefix', 'ghost']);
    assert.equal(r.code, 1);
    assert.match(r.err, /accepted none of \d+ positions \(HTTP 400/);
  });

  it('--register then OsmAnd: every device reports and its positions are stored inside Lahore', async () => {
    const r = await run([
      '--devices',
      '6',
      '--rate',
      '2',
      '--duration',
      '2',
      '--url',
      osmand,
      '--prefix',
      'osm',
      '--register',
      '--api',
      api,
      '--token',
      token,
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /registered 6 new and 0 existing devices/);
    const stats = JSON.parse(r.out) as { sent: number; accepted: number; failed: number; skipped: number };
    assert.equal(stats.sent + stats.skipped, 24, '6 devices x 2/s x 2 s');
    assert.ok(stats.sent >= 12, `most positions sent (got ${stats.sent})`);
    assert.equal(stats.accepted, stats.sent, `every position accepted: ${r.out}`);
    const { devices, positions } = await latest('osm');
    assert.equal(devices.size, 6, 'six devices registered');
    assert.equal(positions.length, 6, 'each has a latest position');
    for (const p of positions) {
      assert.ok(p.lat > LAHORE_BOUNDS.minLat && p.lat < LAHORE_BOUNDS.maxLat && p.lon > LAHORE_BOUNDS.minLon && p.lon < LAHORE_BOUNDS.maxLon);
      assert.equal(p.protocol, 'osmand');
      assert.ok(p.batteryLevel !== null && p.speedKph !== null && p.course !== null, 'battery, speed and course decoded');
    }

    // A second run reuses the devices (409) and rotates their tokens; the new tokens work.
    const again = await run([
      '--devices',
      '6',
      '--rate',
      '2',
      '--duration',
      '1',
      '--url',
      osmand,
      '--prefix',
      'osm',
      '--register',
      '--api',
      api,
      '--token',
      token,
      '--json',
    ]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /registered 0 new and 6 existing devices/);
    const s2 = JSON.parse(again.out) as { sent: number; accepted: number };
    assert.equal(s2.accepted, s2.sent);
  });

  it('--register then MQTT on the embedded broker: devices authenticate with their tokens and positions land', async () => {
    const r = await run([
      '--devices',
      '4',
      '--rate',
      '2',
      '--duration',
      '2',
      '--protocol',
      'mqtt',
      '--mqtt-url',
      mqtt,
      '--prefix',
      'mq',
      '--register',
      '--api',
      api,
      '--token',
      token,
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    const stats = JSON.parse(r.out) as { sent: number; accepted: number; skipped: number };
    assert.equal(stats.sent + stats.skipped, 16, '4 devices x 2/s x 2 s');
    assert.ok(stats.sent >= 8);
    assert.equal(stats.accepted, stats.sent, r.out);
    // Ingest from the broker is asynchronous: wait for the four devices.
    let got = 0;
    for (let i = 0; i < 50 && got < 4; i++) {
      got = (await latest('mq')).positions.filter((p) => p.protocol === 'mqtt').length;
      if (got < 4) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(got, 4, 'each MQTT device has a latest position');

    // Without tokens the embedded broker refuses the devices.
    const bad = await run(['--devices', '1', '--rate', '2', '--duration', '0.5', '--protocol', 'mqtt', '--mqtt-url', mqtt, '--prefix', 'mq']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /accepted none/);
  });
});
