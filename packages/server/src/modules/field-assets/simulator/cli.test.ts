/**
 * The simulator against servers it starts itself: a plain HTTP server that
 * records what an OsmAnd endpoint receives, an in-process MQTT broker
 * (Aedes) that records what is published, and a stand-in for the device API
 * for --register. Also the command's refusals of bad input.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { Aedes } from 'aedes';
import { CommanderError, type Command } from 'commander';
import { MqttPositionPayload, mqttPositionWildcard } from '@kotwal/contracts';
import { LAHORE_BOUNDS } from '@kotwal/contracts';
import { fieldCommand } from './cli.ts';
import { runSimulation } from './runner.ts';
import { osmandTransport } from './transports.ts';

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  bodyLength: number;
  at: number;
}

/** An HTTP server that records requests; answers `answer(req)` (default 200). */
async function recordingServer(answer: (r: Recorded) => number = () => 200) {
  const seen: Recorded[] = [];
  const server = http.createServer((req, res) => {
    let len = 0;
    req.on('data', (c: Buffer) => (len += c.length));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const r: Recorded = { method: req.method ?? '', path: u.pathname, query: u.searchParams, bodyLength: len, at: Date.now() };
      seen.push(r);
      res.statusCode = answer(r);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function harness(extra: string[] = []) {
  let out = '';
  let err = '';
  const cmd = fieldCommand(
    { withContext: () => Promise.reject(new Error('the simulator needs no database')) },
    { out: (t) => (out += t), err: (t) => (err += t) },
  );
  const all: Command[] = [cmd, ...cmd.commands];
  for (const c of all) {
    c.exitOverride();
    c.configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) });
  }
  return {
    run: async (args: string[]) => {
      let code = 0;
      try {
        await cmd.parseAsync([...args, ...extra], { from: 'user' });
      } catch (e) {
        if (!(e instanceof CommanderError)) throw e;
        code = e.exitCode;
      }
      return { code, out, err };
    },
  };
}

describe('field simulator: OsmAnd over HTTP', () => {
  let srv: Awaited<ReturnType<typeof recordingServer>>;
  before(async () => {
    // One device is unknown to this "server": Traccar answers 400 for those.
    srv = await recordingServer((r) => (r.query.get('id') === 'sim-0003' ? 400 : 200));
  });
  after(() => srv.close());

  it('sends well-formed Traccar Client requests at the configured rate', async () => {
    const before = Date.now();
    const stats = await runSimulation(
      { devices: 5, rate: 10, seed: 4, durationSeconds: 1.5, concurrency: 16, sosProbability: 0 },
      osmandTransport({ url: `${srv.url}/?source=test`, connections: 8, tokens: new Map([['sim-0001', 'tok-1']]) }),
    );
    const got = srv.seen;
    // 5 devices x 10/s x 1.5 s = 75 fixes scheduled: each one sent, or skipped because that device's last request was still in flight.
    assert.equal(stats.sent + stats.skipped, 75, `every scheduled fix accounted for: ${JSON.stringify(stats)}`);
    // How many are skipped depends on how fast the recording server answers (a loaded CI machine skips more).
    assert.ok(stats.sent >= 20, `fixes were sent, not only skipped (${stats.sent})`);
    assert.equal(stats.sent, got.length);
    const unknown = got.filter((r) => r.query.get('id') === 'sim-0003').length;
    assert.equal(stats.rejected['400'], unknown, 'rejections are counted by status');
    assert.equal(stats.accepted, got.length - unknown);
    assert.equal(stats.failed, 0);
    assert.ok(stats.latencyMs && stats.latencyMs.p99 >= stats.latencyMs.p50);

    for (const r of got) {
      assert.equal(r.method, 'POST', 'Traccar Client POSTs');
      assert.equal(r.path, '/');
      assert.equal(r.bodyLength, 0, 'with the data in the query string and an empty body');
      const q = r.query;
      assert.deepEqual(
        [...q.keys()].slice(0, 10),
        ['id', 'timestamp', 'lat', 'lon', 'speed', 'bearing', 'altitude', 'accuracy', 'batt', 'charge'],
        'parameters in Traccar Client order',
      );
      assert.match(q.get('id') ?? '', /^sim-000[1-5]$/);
      const ts = q.get('timestamp') ?? '';
      assert.match(ts, /^\d{10}$/, 'epoch seconds');
      assert.ok(Number(ts) * 1000 >= before - 1000 && Number(ts) * 1000 <= r.at + 1000, 'the fix time is now');
      const lat = Number(q.get('lat')),
        lon = Number(q.get('lon'));
      assert.ok(lat >= LAHORE_BOUNDS.minLat && lat <= LAHORE_BOUNDS.maxLat && lon >= LAHORE_BOUNDS.minLon && lon <= LAHORE_BOUNDS.maxLon, `${lat},${lon}`);
      const knots = Number(q.get('speed'));
      assert.ok(knots >= 0 && knots <= 85 / 1.852, `speed ${knots} kn`);
      assert.ok(Number(q.get('bearing')) >= 0 && Number(q.get('bearing')) < 360);
      assert.ok(Number.isFinite(Number(q.get('altitude'))));
      assert.ok(Number(q.get('accuracy')) > 0);
      assert.ok(Number(q.get('batt')) >= 0 && Number(q.get('batt')) <= 100);
      assert.match(q.get('charge') ?? '', /^(true|false)$/);
      assert.equal(q.get('source'), 'test', 'query parameters of the server URL are kept');
      assert.equal(q.get('token'), q.get('id') === 'sim-0001' ? 'tok-1' : null, 'a device token is sent when known');
      assert.equal(q.get('alarm'), null, 'no SOS at probability 0');
    }
    // Every device reports, and each one's timestamps never go backwards.
    const ids = new Set(got.map((r) => r.query.get('id')));
    assert.equal(ids.size, 5);
    for (const id of ids) {
      const ts = got.filter((r) => r.query.get('id') === id).map((r) => Number(r.query.get('timestamp')));
      assert.deepEqual(
        ts,
        [...ts].sort((a, b) => a - b),
      );
    }
  });

  it('counts a server that is not there as failed, not as accepted', async () => {
    const dead = await recordingServer();
    await dead.close();
    const stats = await runSimulation(
      { devices: 2, rate: 5, seed: 1, durationSeconds: 0.5, concurrency: 4 },
      osmandTransport({ url: dead.url, connections: 2, timeoutMs: 2000 }),
    );
    assert.ok(stats.sent > 0);
    assert.equal(stats.accepted, 0);
    assert.equal(stats.failed, stats.sent);
    assert.ok(stats.lastError);
  });

  it('kotwal field simulate --duration runs and prints its figures', async () => {
    srv.seen.length = 0;
    const { code, out, err } = await harness().run(['simulate', '--devices', '3', '--rate', '4', '--duration', '1', '--url', srv.url, '--json', '--seed', '2']);
    assert.equal(code, 0, err);
    assert.match(err, /simulating 3 devices over osmand/);
    const stats = JSON.parse(out) as { sent: number; accepted: number; skipped: number };
    assert.equal(stats.sent + stats.skipped, 12, '3 devices x 4/s x 1 s');
    assert.ok(stats.sent >= 6, `most fixes sent (${stats.sent})`);
    assert.equal(stats.sent, srv.seen.length);
    assert.equal(stats.accepted, srv.seen.filter((r) => r.query.get('id') !== 'sim-0003').length);
  });

  it('exits 1 when the server accepts nothing', async () => {
    const refusing = await recordingServer(() => 404);
    try {
      const { code, err } = await harness().run(['simulate', '--devices', '2', '--rate', '5', '--duration', '0.5', '--url', refusing.url]);
      assert.equal(code, 1);
      assert.match(err, /accepted none of \d+ positions \(HTTP 404/);
    } finally {
      await refusing.close();
    }
  });
});

describe('field simulator: MQTT', () => {
  let broker: Aedes;
  let server: net.Server;
  let url = '';
  const published: { topic: string; payload: string; clientId: string; username: string | undefined }[] = [];
  const usernames = new Map<string, string | undefined>();
  const passwords = new Map<string, string>();

  before(async () => {
    broker = await Aedes.createBroker();
    broker.authenticate = (client, username, password, done) => {
      usernames.set(client.id, username);
      if (username && password) passwords.set(username, password.toString());
      done(null, true);
    };
    broker.on('publish', (packet, client) => {
      if (client) published.push({ topic: packet.topic, payload: packet.payload.toString(), clientId: client.id, username: usernames.get(client.id) });
    });
    server = net.createServer((s) => broker.handle(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('publishes contract-valid JSON on <prefix>/<uniqueId>/position, one connection per device named by its uniqueId', async () => {
    const { code, out, err } = await harness().run([
      'simulate',
      '--devices',
      '4',
      '--rate',
      '5',
      '--duration',
      '1',
      '--protocol',
      'mqtt',
      '--mqtt-url',
      url,
      '--json',
    ]);
    assert.equal(code, 0, err);
    const stats = JSON.parse(out) as { sent: number; accepted: number; skipped: number };
    assert.equal(stats.sent + stats.skipped, 20, '4 devices x 5/s x 1 s');
    assert.ok(stats.sent >= 10, `most publishes sent once connected (got ${stats.sent})`);
    const positions = published.filter((p) => p.topic.endsWith('/position'));
    assert.equal(positions.length, stats.accepted, 'every acknowledged publish reached the broker');
    const ajv = addFormats(new Ajv({ strict: false }));
    const valid = ajv.compile(MqttPositionPayload);
    const wildcard = new RegExp(`^${mqttPositionWildcard().replace('+', '([^/]+)')}$`);
    for (const p of positions) {
      const m = wildcard.exec(p.topic);
      assert.ok(m, `topic ${p.topic}`);
      assert.equal(p.username, m[1], 'the device connects with its uniqueId as username');
      const payload: unknown = JSON.parse(p.payload);
      assert.ok(valid(payload), `payload matches MqttPositionPayload: ${ajv.errorsText(valid.errors)}`);
      const v = payload as MqttPositionPayload;
      assert.ok(v.lat > LAHORE_BOUNDS.minLat && v.lat < LAHORE_BOUNDS.maxLat);
      assert.ok(!Number.isNaN(Date.parse(String(v.timestamp))));
    }
    assert.equal(new Set(positions.map((p) => p.clientId)).size, 4, 'one connection per device');
  });

  it('fails cleanly when the broker is not there', async () => {
    const { code, err } = await harness().run([
      'simulate',
      '--devices',
      '2',
      '--rate',
      '2',
      '--duration',
      '0.5',
      '--protocol',
      'mqtt',
      '--mqtt-url',
      'mqtt://127.0.0.1:1',
    ]);
    assert.equal(code, 1);
    assert.match(err, /accepted none/);
  });
});

describe('field simulator: --register through the API', () => {
  it('creates each device with an API token, reuses existing ones, issues device tokens and sends them', async () => {
    const created: { uniqueId: string; name: string; kind: string }[] = [];
    const auth: string[] = [];
    const api = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        auth.push(req.headers.authorization ?? '');
        res.setHeader('content-type', 'application/json');
        const u = new URL(req.url ?? '/', 'http://x');
        const device = (uniqueId: string, kind = 'handheld') => ({
          id: `00000000-0000-4000-8000-00000000000${uniqueId.slice(-1)}`,
          uniqueId,
          name: uniqueId,
          kind,
        });
        if (req.method === 'POST' && u.pathname === '/api/v1/field-assets/devices') {
          const d = JSON.parse(body) as { uniqueId: string; name: string; kind: string };
          if (d.uniqueId === 'demo-0002') {
            res.statusCode = 409;
            res.end(JSON.stringify({ title: 'Conflict' }));
            return;
          }
          created.push(d);
          res.statusCode = 201;
          res.end(JSON.stringify(device(d.uniqueId, d.kind)));
        } else if (req.method === 'GET' && u.pathname === '/api/v1/field-assets/devices') {
          res.end(JSON.stringify({ items: [device(u.searchParams.get('q') ?? '')], total: 1 }));
        } else if (req.method === 'POST' && /^\/api\/v1\/field-assets\/devices\/[^/]+\/token$/.test(u.pathname)) {
          const id = u.pathname.split('/')[5];
          res.end(JSON.stringify({ deviceId: id, uniqueId: `demo-000${id.slice(-1)}`, token: `secret-${id.slice(-1)}` }));
        } else {
          res.statusCode = 404;
          res.end(JSON.stringify({ title: 'Not found' }));
        }
      });
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const osm = await recordingServer();
    try {
      const { code, err } = await harness().run([
        'simulate',
        '--devices',
        '3',
        '--prefix',
        'demo',
        '--rate',
        '4',
        '--duration',
        '0.6',
        '--url',
        osm.url,
        '--register',
        '--api',
        apiUrl,
        '--token',
        'kwt_test',
      ]);
      assert.equal(code, 0, err);
      assert.match(err, /registered 2 new and 1 existing devices/);
      assert.deepEqual(created.map((d) => d.uniqueId).sort(), ['demo-0001', 'demo-0003']);
      assert.ok(created.every((d) => /\(simulated\)$/.test(d.name) && ['command-vehicle', 'patrol-vehicle'].includes(d.kind)));
      assert.ok(auth.every((a) => a === 'Bearer kwt_test'));
      assert.ok(osm.seen.length > 0);
      for (const r of osm.seen) assert.equal(r.query.get('token'), `secret-${(r.query.get('id') ?? '').slice(-1)}`);
    } finally {
      await osm.close();
      await new Promise<void>((r) => api.close(() => r()));
    }

    const { code, err } = await harness().run([
      'simulate',
      '--devices',
      '1',
      '--duration',
      '1',
      '--register',
      '--api',
      apiUrl.replace(/:\d+$/, ':1'),
      '--token',
      'x',
    ]);
    assert.equal(code, 1);
    assert.match(err, /registering devices failed: cannot reach the API/);
  });
});

describe('kotwal field simulate: bad input', () => {
  const cases: [string[], RegExp][] = [
    [[], /required option '--devices <n>' not specified/],
    [['--devices', '0'], /--devices <n>' argument '0' is invalid\. must be between 1 and 100000/],
    [['--devices', 'ten'], /--devices <n>' argument 'ten' is invalid\. must be a whole number/],
    [['--devices', '2.5'], /must be a whole number/],
    [['--devices', '2', '--protocol', 'tcp'], /argument 'tcp' is invalid\. Allowed choices are osmand, mqtt/],
    [['--devices', '2', '--rate', '0'], /--rate <r>' argument '0' is invalid\. must be a number above 0/],
    [['--devices', '2', '--rate', 'fast'], /--rate <r>' argument 'fast' is invalid/],
    [['--devices', '2', '--rate', 'Infinity'], /--rate <r>' argument 'Infinity' is invalid/],
    [['--devices', '2', '--url', 'localhost:5055'], /--osmand-url <url>' argument 'localhost:5055' is invalid\. must use http or https, not localhost/],
    [['--devices', '2', '--osmand-url', 'not a url'], /argument 'not a url' is invalid\. must be a URL/],
    [['--devices', '2', '--mqtt-url', 'http://127.0.0.1:1883'], /--mqtt-url <url>' argument 'http:\/\/127.0.0.1:1883' is invalid\. must use mqtt/],
    [['--devices', '2', '--duration', '-1'], /--duration <s>' argument '-1' is invalid/],
    [['--devices', '2', '--sos', '2'], /--sos <p>' argument '2' is invalid\. must be a probability/],
    [['--devices', '2', '--prefix', 'a/b'], /--prefix <prefix>' argument 'a\/b' is invalid/],
    [['--devices', '2', '--register'], /--register needs --api <url> and --token <token>/],
    [['--devices', '2', '--register', '--api', 'http://127.0.0.1:8080'], /--register needs --api <url> and --token/],
    [['--devices', '2', '--token', 'abc'], /--api and --token are only used with --register/],
    [['--devices', '100000', '--rate', '100'], /positions per second; at most 100000/],
    [['--devices', '2', '--bogus'], /unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    it(`refuses ${args.join(' ') || 'no arguments'}`, async () => {
      const { code, err } = await harness().run(['simulate', ...args]);
      assert.notEqual(code, 0);
      assert.match(err, message);
    });
  }

  it('lists simulate under `kotwal field`', async () => {
    const { out } = await harness().run(['--help']);
    assert.match(out, /simulate \[options\]/);
  });
});
