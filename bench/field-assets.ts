/**
 * Field assets: positions/s ingested over OsmAnd HTTP (autocannon, every
 * request a new fix) and over MQTT (the embedded broker, QoS 1, one client
 * per device), with 500 geofences evaluated on every position, beside a raw
 * multi-row INSERT of the same rows in the same run; and the latency from a
 * position reaching the server to it arriving on a live WebSocket client,
 * p50/p99, at that load. BENCH_DEVICES (default 500), BENCH_SECONDS
 * (default 10), BENCH_MQTT_CLIENTS (default 100).
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { mqttPositionTopic, type FieldLiveMessage } from '@kotwal/contracts';
import { buildTestApp } from '../packages/server/test/app.ts';
import { adminSession, userSession } from '../packages/server/test/auth-helpers.ts';
import { fieldAssetsPorts, fieldAssetsRuntime } from '../packages/server/src/modules/field-assets/index.ts';
import { insertPositions, type NewPosition } from '../packages/server/src/modules/field-assets/repository.ts';
import type { Principal } from '../packages/server/src/core/context.ts';
import { engines, fmt, table } from './_util.ts';

const DEVICES = Number(process.env['BENCH_DEVICES'] ?? 500);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const MQTT_CLIENTS = Math.min(DEVICES, Number(process.env['BENCH_MQTT_CLIENTS'] ?? 100));
const GEOFENCES = 500;
const sys: Principal = {
  kind: 'user',
  id: 'bench',
  name: 'bench',
  permissions: new Set(['field-assets.read', 'field-assets.write', 'field-assets.covert']),
  state: 'active',
  sessionId: null,
  csrfToken: null,
};

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const rows: (string | number)[][] = [['engine', 'path', 'positions/s', 'latency p50 ms', 'latency p99 ms', 'refused']];

for (const engine of engines()) {
  if (engine.url) process.env['KOTWAL_TEST_DATABASE_URL'] = engine.url;
  else delete process.env['KOTWAL_TEST_DATABASE_URL'];
  const t = await buildTestApp({ env: { OSMAND_PORT: '0', MQTT_PORT: '0', KOTWAL_DEVICE_RATE: '100000', KOTWAL_RATE_LIMIT: '10000000' } });
  try {
    const rt = fieldAssetsRuntime(t.ctx);
    const ports = fieldAssetsPorts(t.ctx);
    if (!rt || !ports.osmand || !ports.mqtt) throw new Error('field-assets did not start');
    const call = { principal: sys, requestId: null };
    // Devices and geofences around Lahore.
    const ids: string[] = [];
    const tokens: string[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const d = await rt.service.createDevice(call, { uniqueId: `BENCH-${i}`, name: `Bench ${i}`, kind: i % 3 === 0 ? 'patrol-vehicle' : 'handheld' });
      ids.push(d.id);
      if (i < MQTT_CLIENTS) tokens.push((await rt.service.issueToken(call, d.id)).token);
    }
    for (let i = 0; i < GEOFENCES; i++) {
      await rt.service.createGeofence(call, {
        name: `Zone ${i}`,
        geometry: { type: 'circle', center: { lat: 31.4 + Math.random() * 0.25, lon: 74.2 + Math.random() * 0.25 }, radiusMetres: 100 + Math.random() * 900 },
      });
    }
    const base = Math.floor(Date.now() / 1000) - 6 * 86_400; // fixes in the last week, each unique
    let seq = 0;
    const nextFix = () => {
      const n = seq++;
      return { i: n % DEVICES, ts: base + Math.floor(n / DEVICES), lat: 31.4 + Math.random() * 0.25, lon: 74.2 + Math.random() * 0.25 };
    };

    // Raw multi-row INSERT of the same kind of rows, in batches like the group commit's.
    {
      const total = 50_000;
      const started = performance.now();
      for (let done = 0; done < total; done += 1000) {
        const batch: NewPosition[] = [];
        for (let k = 0; k < 1000; k++) {
          const fx = nextFix();
          batch.push({
            deviceId: ids[fx.i],
            fixTime: fx.ts * 1000,
            receivedAt: Date.now(),
            lat: fx.lat,
            lon: fx.lon,
            speedKph: 30,
            course: 90,
            altitude: null,
            accuracy: 5,
            battery: 80,
            charging: null,
            alarm: null,
            motion: null,
            protocol: 'raw',
            attributes: {},
          });
        }
        await t.ctx.db.transaction((tx) => insertPositions(tx, batch));
      }
      const secs = (performance.now() - started) / 1000;
      rows.push([engine.name, 'raw INSERT (batches of 1000)', fmt(total / secs), '-', '-', '-']);
    }

    // A live client measuring ingest-to-WebSocket latency.
    const chief = await userSession(t, await adminSession(t), 'bench-chief', ['supervisor']);
    const apiBase = await t.http.listen({ port: 0, host: '127.0.0.1' });
    const ws = new WebSocket(`${apiBase.replace('http', 'ws')}/api/v1/field-assets/live`, { headers: { cookie: chief.cookie } });
    let latencies: number[] = [];
    ws.on('message', (data: Buffer) => {
      const now = Date.now();
      const msg = JSON.parse(data.toString()) as FieldLiveMessage;
      if (msg.type === 'positions') for (const p of msg.items) latencies.push(now - Date.parse(p.receivedAt));
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });

    // OsmAnd over HTTP.
    {
      latencies = [];
      const before = rt.ingest.stats.accepted;
      const result = await autocannon({
        url: `http://127.0.0.1:${ports.osmand}`,
        connections: 64,
        pipelining: 1,
        duration: SECONDS,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const fx = nextFix();
              return { ...req, path: `/?id=BENCH-${fx.i}&timestamp=${fx.ts}&lat=${fx.lat.toFixed(6)}&lon=${fx.lon.toFixed(6)}&speed=20&bearing=90&batt=80` };
            },
          },
        ],
      });
      const accepted = rt.ingest.stats.accepted - before;
      rows.push([
        engine.name,
        'OsmAnd HTTP (64 connections)',
        fmt(accepted / SECONDS),
        fmt(pct(latencies, 50), 1),
        fmt(pct(latencies, 99), 1),
        String(result.non2xx),
      ]);
    }

    // MQTT through the embedded broker, QoS 1.
    {
      latencies = [];
      const before = rt.ingest.stats.accepted;
      const clients = await Promise.all(
        tokens.map((token, i) =>
          mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { username: `BENCH-${i}`, password: token, reconnectPeriod: 0, clientId: randomUUID() }),
        ),
      );
      const end = Date.now() + SECONDS * 1000;
      const perClientTs = clients.map(() => base + 3 * 86_400);
      await Promise.all(
        clients.map(async (c, i) => {
          const inflight = new Set<Promise<unknown>>();
          while (Date.now() < end) {
            const ts = perClientTs[i]++;
            const p = c.publishAsync(
              mqttPositionTopic(`BENCH-${i}`),
              JSON.stringify({ timestamp: ts, lat: 31.4 + Math.random() * 0.25, lon: 74.2 + Math.random() * 0.25, speedKph: 30 }),
              { qos: 1 },
            );
            inflight.add(p);
            void p.finally(() => inflight.delete(p));
            if (inflight.size >= 8) await Promise.race(inflight);
          }
          await Promise.all(inflight);
        }),
      );
      await rt.ingest.drain();
      const accepted = rt.ingest.stats.accepted - before;
      rows.push([
        engine.name,
        `MQTT QoS 1 (${MQTT_CLIENTS} clients)`,
        fmt(accepted / SECONDS),
        fmt(pct(latencies, 50), 1),
        fmt(pct(latencies, 99), 1),
        String(rt.counters.mqttRejected),
      ]);
      await Promise.all(clients.map((c) => c.endAsync()));
    }
    ws.close();
  } finally {
    await t.close();
  }
}

console.log(`\n${DEVICES} devices, ${GEOFENCES} geofences (circles) evaluated on every position, ${SECONDS} s per path`);
console.log(table(rows));
