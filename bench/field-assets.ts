/**
 * Field assets: positions/s ingested over OsmAnd HTTP and over MQTT (the
 * embedded broker, QoS 1, one client per device), with 500 geofences
 * evaluated on every position, beside a raw multi-row INSERT of the same
 * kind of rows in the same run; the latency from a position reaching the
 * server to it arriving on a live WebSocket client (p50/p99) at that load;
 * and, so that the client is known not to be the limit, the same HTTP load
 * generator against a trivial server (answers 200 at once) and the same MQTT
 * load generator against a bare Aedes broker (no authentication, no ingest,
 * PUBACK at once) in the same run. Each row also gives the server process's
 * CPU time (user + system, every thread) per position from the moment the
 * clients are connected to the last commit: unlike positions/s it hardly
 * moves when other work shares the machine. The 1-minute load average when
 * each path starts is printed under the table.
 *
 * The load generator runs in a child process (bench/_field-assets-load.ts):
 * on this 2-core machine it gets the other core, as a fleet of devices would;
 * the live WebSocket client runs in a third process, as a command centre's
 * browser would (sharing the load generator's event loop, its latencies
 * would include the time that loop is busy with a thousand devices).
 *
 * Knobs: BENCH_SECONDS (10 per path), BENCH_DEVICES (1000), BENCH_MQTT_CLIENTS
 * (one per device), BENCH_CONNECTIONS (OsmAnd sockets, one per device), BENCH_ENGINES (pglite,postgres),
 * BENCH_PATHS (client,osmand,mqtt; add mqtt-external for devices publishing
 * to an external broker, BENCH_MQTT_URL, default the local Mosquitto, that
 * the server subscribes to: an app of its own; its positions/s count until
 * the last position arrived, and positions the broker acknowledged to a
 * device but never delivered are reported as lost), BENCH_MOVEMENT (drive:
 * devices drive around; teleport: every fix anywhere in the city, the worst
 * case for geofence alerts), BENCH_RATE (5000, the aim: OsmAnd and MQTT are
 * also run at this rate offered by the whole fleet, open loop, for the
 * latency at that load; the closed-loop rows measure the most the server
 * takes, and their latencies are those of saturation: with 1,000 MQTT clients
 * keeping 4 positions each in flight, latency is about 4,000 / throughput;
 * 0 skips them), BENCH_CLOSED (1; 0 runs only the offered-rate rows). The
 * last column is the p99 of the server's event-loop delay during the path.
 * Latency percentiles leave out positions sent in the first BENCH_WARMUP
 * seconds (3) of a path, when the whole fleet comes online at once (a status
 * change per device, ledgered, and a cold JIT); the WebSocket p99 with them
 * is shown beside. BENCH_PROFILE=DIR writes a CPU profile of the server for each measured
 * path (from the moment the clients are connected to the last answer).
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import inspector from 'node:inspector';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Aedes } from 'aedes';
import { buildTestApp } from '../packages/server/test/app.ts';
import { adminSession, userSession } from '../packages/server/test/auth-helpers.ts';
import { fieldAssetsPorts, fieldAssetsRuntime } from '../packages/server/src/modules/field-assets/index.ts';
import { insertPositions, type NewPosition } from '../packages/server/src/modules/field-assets/repository.ts';
import type { Principal } from '../packages/server/src/core/context.ts';
import { BOX, type LiveResult, type LoadRequest, type LoadResult, type WatchRequest, type WatchStop } from './_field-assets-load.ts';
import { engines, fmt, table } from './_util.ts';

const DEVICES = Number(process.env['BENCH_DEVICES'] ?? 1000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
// One MQTT connection per device too: fewer clients would each send more than the per-device flood limit allows.
const MQTT_CLIENTS = Math.min(DEVICES, Number(process.env['BENCH_MQTT_CLIENTS'] ?? DEVICES));
// One connection per device, as trackers keep their own (BENCH_CONNECTIONS to share fewer).
const CONNECTIONS = Math.min(DEVICES, Number(process.env['BENCH_CONNECTIONS'] ?? DEVICES));
const MOVEMENT = process.env['BENCH_MOVEMENT'] === 'teleport' ? 'teleport' : 'drive';
const ENGINES = (process.env['BENCH_ENGINES'] ?? 'pglite,postgres').toLowerCase().split(',');
const PATHS = (process.env['BENCH_PATHS'] ?? 'client,osmand,mqtt').toLowerCase().split(',');
// BENCH_PATHS=...,mqtt-external: devices publish to this broker (CI's Mosquitto), the server subscribes to it.
const MQTT_URL = process.env['BENCH_MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';
// Each protocol also at this offered rate (positions/s for the fleet, open loop): the latency at the aim's load, not at saturation. 0: skip.
const RATE = Number(process.env['BENCH_RATE'] ?? 5000);
const CLOSED = process.env['BENCH_CLOSED'] !== '0';
const PROFILE = process.env['BENCH_PROFILE'];
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 3);
const GEOFENCES = 500;
const PREFIX = 'bench/field-assets';
const sys: Principal = {
  kind: 'user',
  id: 'bench',
  name: 'bench',
  permissions: new Set(['field-assets.read', 'field-assets.write', 'field-assets.covert']),
  state: 'active',
  sessionId: null,
  csrfToken: null,
};

const forkLoad = () =>
  fork(new URL('./_field-assets-load.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx', ...process.execArgv.filter((a) => a.startsWith('--cpu-prof'))],
    stdio: 'inherit',
  });

/** Opens the live WebSocket client in a process of its own; `stop()` gives its latencies. */
function watch(live: { url: string; cookie: string }): Promise<{ stop(steadyFrom: number): Promise<LiveResult> }> {
  const child = forkLoad();
  return new Promise((resolve, reject) => {
    let result: ((r: LiveResult) => void) | null = null;
    child.on('message', (m: { ready: true } | LiveResult) => {
      if ('ready' in m)
        resolve({
          stop: (steadyFrom) =>
            new Promise<LiveResult>((done) => {
              result = done;
              child.send({ steadyFrom } satisfies WatchStop);
            }),
        });
      // NaN (no sample) crosses the IPC channel as null.
      else result?.({ ...m, p50: m.p50 ?? NaN, p99: m.p99 ?? NaN, p99All: m.p99All ?? NaN });
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code) reject(new Error(`the live watcher exited with ${code}`));
    });
    child.send({ watch: live } satisfies WatchRequest);
  });
}

/**
 * Runs the load generator in a child process (profiled too when this process is: --cpu-prof), and the live
 * WebSocket client, when asked for, in another; `onStart` when the load's clock starts.
 */
async function load(req: LoadRequest, onStart: () => void = () => undefined): Promise<LoadResult> {
  const watcher = req.live ? await watch(req.live) : null;
  const child = forkLoad();
  let steadyFrom = Infinity;
  const r = await new Promise<LoadResult>((resolve, reject) => {
    child.on('message', (m: LoadResult | { started: true }) => {
      if ('started' in m) {
        steadyFrom = Date.now() + (req.warmupSeconds ?? 0) * 1000;
        onStart();
      }
      // NaN (no sample) crosses the IPC channel as null.
      else resolve({ ...m, rttP50: m.rttP50 ?? NaN, rttP99: m.rttP99 ?? NaN });
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the load generator exited with ${code}`)));
    child.send({ ...req, live: null });
  });
  return { ...r, live: watcher ? await watcher.stop(steadyFrom) : null };
}

/** Refusals as the client saw them (HTTP status) and as the server counted them (reason: MQTT acknowledges refusals too). */
const refusals = (r: LoadResult, server: Record<string, number> = {}): string => {
  const bad = Object.entries(r.statuses).filter(([s]) => s !== '200' && s !== 'puback');
  const parts = bad.map(([s, n]) => `${n}x${s}`);
  if (r.statuses['puback']) for (const [reason, n] of Object.entries(server)) if (n) parts.push(`${n}x${reason}`);
  if (r.errors) parts.push(`${r.errors} errors`);
  if (r.sent > r.answered) parts.push(`${r.sent - r.answered} unanswered`);
  if (r.behind) parts.push(`${r.behind} due while the device waited`);
  return parts.join(' ') || '0';
};

const rows: (string | number)[][] = [
  [
    'engine',
    'path',
    'positions/s',
    'WS p50 ms',
    'WS p99 ms',
    'WS p99 incl. warm-up',
    'ack p50 ms',
    'ack p99 ms',
    'alerts/s',
    'transactions',
    'refused',
    'server CPU µs/pos',
    'server loop delay p99 ms',
  ],
];
/** A row of the load generator against a server that does nothing: rate, round trips, refusals, the server's CPU per answer. */
const baselineRow = (engine: string, label: string, r: LoadResult, cpuUs: number): string[] => [
  engine,
  label,
  fmt(r.answered / r.seconds),
  '-',
  '-',
  '-',
  fmt(r.rttP50, 1),
  fmt(r.rttP99, 1),
  '-',
  '-',
  refusals(r),
  fmt(cpuUs / r.answered, 1),
  '-',
];
const loads: string[] = [];
const loadNow = (): string => loadavg()[0].toFixed(1);
/** CPU time of this process (the server: every thread), user + system, in µs since `from`. */
const cpuSince = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return d.user + d.system;
};

// An app of its own for the external broker (with MQTT_URL set the embedded broker does not start); devices publish to it
// without a token (the broker's own access control applies), on a topic prefix of this run.
const variants = [
  ...(PATHS.some((p) => p === 'client' || p === 'osmand' || p === 'mqtt') ? [null] : []),
  ...(PATHS.includes('mqtt-external') ? [new URL(MQTT_URL)] : []),
];
for (const engine of engines())
  for (const external of variants) {
    if (!ENGINES.includes(engine.url ? 'postgres' : 'pglite')) continue;
    if (engine.url) process.env['KOTWAL_TEST_DATABASE_URL'] = engine.url;
    else delete process.env['KOTWAL_TEST_DATABASE_URL'];
    const prefix = external ? `bench-${process.pid}-${Date.now()}/field-assets` : PREFIX;
    const t = await buildTestApp({
      // The per-device flood limit stays at its default (10/s, burst 100): the load is many devices, none flooding.
      env: { OSMAND_PORT: '0', MQTT_PORT: '0', MQTT_TOPIC_PREFIX: prefix, KOTWAL_RATE_LIMIT: '10000000', ...(external ? { MQTT_URL: external.href } : {}) },
    });
    try {
      const rt = fieldAssetsRuntime(t.ctx);
      const ports = fieldAssetsPorts(t.ctx);
      if (!rt || !ports.osmand || (!external && !ports.mqtt)) throw new Error('field-assets did not start');
      const call = { principal: sys, requestId: null };
      // Devices and geofences around Lahore.
      const ids: string[] = [];
      const uniqueIds: string[] = [];
      const tokens: string[] = [];
      for (let i = 0; i < DEVICES; i++) {
        const d = await rt.service.createDevice(call, { uniqueId: `BENCH-${i}`, name: `Bench ${i}`, kind: i % 3 === 0 ? 'patrol-vehicle' : 'handheld' });
        ids.push(d.id);
        uniqueIds.push(d.uniqueId);
        if (i < MQTT_CLIENTS && !external) tokens.push((await rt.service.issueToken(call, d.id)).token);
      }
      for (let i = 0; i < GEOFENCES; i++) {
        await rt.service.createGeofence(call, {
          name: `Zone ${i}`,
          geometry: {
            type: 'circle',
            center: { lat: BOX.lat + Math.random() * BOX.size, lon: BOX.lon + Math.random() * BOX.size },
            radiusMetres: 100 + Math.random() * 900,
          },
        });
      }
      // Fixes of the last week, each path in its own stretch of time (no duplicates between paths).
      const weekAgo = Math.floor(Date.now() / 1000) - 6 * 86_400;
      let stretch = 0;
      const nextBase = () => weekAgo + 3600 * ++stretch;

      // Raw multi-row INSERT of the same kind of rows, in batches of 1000.
      if (!external) {
        const total = 50_000;
        const base = nextBase();
        const cpu = process.cpuUsage();
        const started = performance.now();
        for (let done = 0; done < total; done += 1000) {
          const batch: NewPosition[] = [];
          for (let k = 0; k < 1000; k++) {
            const n = done + k;
            batch.push({
              deviceId: ids[n % DEVICES],
              fixTime: (base + Math.floor(n / DEVICES)) * 1000,
              receivedAt: Date.now(),
              lat: BOX.lat + Math.random() * BOX.size,
              lon: BOX.lon + Math.random() * BOX.size,
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
        rows.push([
          engine.name,
          'raw INSERT (batches of 1000)',
          fmt(total / secs),
          '-',
          '-',
          '-',
          '-',
          '-',
          '-',
          String(total / 1000),
          '-',
          fmt(cpuSince(cpu) / total, 1),
          '-',
        ]);
      }

      const chief = await userSession(t, await adminSession(t), 'bench-chief', ['supervisor']);
      const apiBase = await t.http.listen({ port: 0, host: '127.0.0.1' });
      const live = { url: `${apiBase.replace('http', 'ws')}/api/v1/field-assets/live`, cookie: chief.cookie };
      const alerts = async () => (await t.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM fa_events')).rows[0]?.n ?? 0;

      // The load generator against a server that does nothing: what the client can send.
      if (PATHS.includes('client') && !external) {
        const trivial = http.createServer((_req, res) => {
          _req.resume();
          _req.on('end', () => {
            res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 0 });
            res.end();
          });
        });
        await new Promise<void>((resolve) => trivial.listen(0, '127.0.0.1', resolve));
        let cpu = process.cpuUsage();
        const r = await load(
          {
            mode: 'http',
            port: (trivial.address() as AddressInfo).port,
            seconds: SECONDS,
            uniqueIds,
            connections: CONNECTIONS,
            baseTs: nextBase(),
            movement: MOVEMENT,
          },
          () => (cpu = process.cpuUsage()),
        );
        trivial.closeAllConnections();
        await new Promise((resolve) => trivial.close(resolve));
        rows.push(baselineRow(engine.name, `client vs trivial server (${CONNECTIONS} conn.)`, r, cpuSince(cpu)));
      }
      // The MQTT load generator against a bare Aedes broker (no authentication, no ingest, PUBACK at once): what the client and the broker alone cost.
      if (PATHS.includes('client') && PATHS.includes('mqtt') && !external) {
        const broker = await Aedes.createBroker();
        const server = net.createServer((socket) => broker.handle(socket));
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        let cpu = process.cpuUsage();
        const r = await load(
          {
            mode: 'mqtt',
            port: (server.address() as AddressInfo).port,
            seconds: SECONDS,
            uniqueIds: uniqueIds.slice(0, MQTT_CLIENTS),
            connections: MQTT_CLIENTS,
            inflight: 4,
            baseTs: nextBase(),
            movement: MOVEMENT,
            topicPrefix: PREFIX,
          },
          () => (cpu = process.cpuUsage()),
        );
        const used = cpuSince(cpu);
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        await new Promise((resolve) => server.close(resolve));
        rows.push(baselineRow(engine.name, `MQTT client vs bare Aedes (${MQTT_CLIENTS} clients)`, r, used));
      }

      /** `settle`: positions may still wait in an external broker when the clients stop; wait until none has arrived for 2 s (at most 2 minutes) and count the time until the last one. */
      const measure = async (label: string, req: LoadRequest, settle = false) => {
        const before = {
          accepted: rt.ingest.stats.accepted,
          batches: rt.ingest.stats.batches,
          alerts: await alerts(),
          rejected: { ...rt.ingest.stats.rejected },
        };
        let cpu = process.cpuUsage();
        let startedAt = performance.now();
        loads.push(`${label.split(' (')[0]} ${engine.name} ${loadNow()}`);
        // How long the server's event loop was held up: a position waits that long before it is even read.
        const loop = monitorEventLoopDelay({ resolution: 5 });
        const profiler = PROFILE ? new inspector.Session() : null;
        profiler?.connect();
        const r = await load(req, () => {
          cpu = process.cpuUsage();
          startedAt = performance.now();
          loop.enable();
          profiler?.post('Profiler.enable', () => profiler.post('Profiler.start'));
        });
        loop.disable();
        if (profiler) {
          const file = path.join(PROFILE as string, `${engine.name}-${label.replace(/[^A-Za-z0-9]+/g, '-')}.cpuprofile`);
          await new Promise<void>((resolve, reject) =>
            profiler.post('Profiler.stop', (err, res) => {
              profiler.disconnect();
              if (err) reject(err);
              else writeFile(file, JSON.stringify(res.profile)).then(() => resolve(), reject);
            }),
          );
          console.log(`CPU profile of the server during "${label}": ${file}`);
        }
        let seconds = r.seconds;
        if (settle) {
          const handled = () => rt.ingest.stats.accepted + rt.ingest.stats.duplicates + Object.values(rt.ingest.stats.rejected).reduce((a, b) => a + b, 0);
          let last = handled();
          let lastAt = performance.now();
          while (performance.now() - lastAt < 2000 && performance.now() - startedAt < 120_000) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            if (handled() !== last) {
              last = handled();
              lastAt = performance.now();
            }
          }
          seconds = Math.max(seconds, (lastAt - startedAt) / 1000);
        }
        await rt.ingest.drain();
        const used = cpuSince(cpu);
        const accepted = rt.ingest.stats.accepted - before.accepted;
        const lost = settle ? r.answered - accepted - Object.entries(rt.ingest.stats.rejected).reduce((a, [k, n]) => a + n - (before.rejected[k] ?? 0), 0) : 0;
        rows.push([
          engine.name,
          label,
          fmt(accepted / seconds),
          fmt(r.live?.p50 ?? NaN, 1),
          fmt(r.live?.p99 ?? NaN, 1),
          fmt(r.live?.p99All ?? NaN, 1),
          fmt(r.rttP50, 1),
          fmt(r.rttP99, 1),
          fmt(((await alerts()) - before.alerts) / seconds),
          String(rt.ingest.stats.batches - before.batches),
          [
            refusals(r, Object.fromEntries(Object.entries(rt.ingest.stats.rejected).map(([k, n]) => [k, n - (before.rejected[k] ?? 0)]))),
            lost > 0 ? `${lost} lost (acknowledged by the broker, never received)` : '',
          ]
            .filter((x) => x && x !== '0')
            .join(' ') || '0',
          fmt(used / accepted, 1),
          fmt(loop.percentile(99) / 1e6, 1),
        ]);
        // The next path starts on a quiet server: the alerts of this one sequenced into the ledger and dispatched.
        await t.ledger.flush();
        await t.events.drain(120_000);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      };

      if (external) {
        await measure(
          `MQTT via external broker ${external.host} (${MQTT_CLIENTS} clients)`,
          {
            mode: 'mqtt',
            host: external.hostname,
            port: Number(external.port || 1883),
            seconds: SECONDS,
            uniqueIds: uniqueIds.slice(0, MQTT_CLIENTS),
            connections: MQTT_CLIENTS,
            inflight: 4,
            baseTs: nextBase(),
            movement: MOVEMENT,
            topicPrefix: prefix,
            live,
            warmupSeconds: WARMUP,
          },
          true,
        );
        continue;
      }
      const osmandLoad = (rate?: number): LoadRequest => ({
        mode: 'http',
        port: ports.osmand as number,
        seconds: SECONDS,
        uniqueIds,
        tokens,
        connections: CONNECTIONS,
        baseTs: nextBase(),
        movement: MOVEMENT,
        live,
        warmupSeconds: WARMUP,
        ...(rate ? { rate } : {}),
      });
      const mqttLoad = (port: number, rate?: number): LoadRequest => ({
        mode: 'mqtt',
        port,
        seconds: SECONDS,
        uniqueIds: uniqueIds.slice(0, MQTT_CLIENTS),
        tokens,
        connections: MQTT_CLIENTS,
        inflight: 4,
        baseTs: nextBase(),
        movement: MOVEMENT,
        topicPrefix: PREFIX,
        live,
        warmupSeconds: WARMUP,
        ...(rate ? { rate } : {}),
      });
      if (CLOSED && PATHS.includes('osmand')) await measure(`OsmAnd HTTP (${CONNECTIONS} conn.)`, osmandLoad());
      if (CLOSED && PATHS.includes('mqtt') && ports.mqtt) await measure(`MQTT QoS 1 (${MQTT_CLIENTS} clients)`, mqttLoad(ports.mqtt));
      if (RATE && PATHS.includes('osmand')) await measure(`OsmAnd HTTP, ${fmt(RATE)}/s offered`, osmandLoad(RATE));
      if (RATE && PATHS.includes('mqtt') && ports.mqtt) await measure(`MQTT QoS 1, ${fmt(RATE)}/s offered`, mqttLoad(ports.mqtt, RATE));
    } finally {
      await t.close();
    }
  }

console.log(
  `\n${DEVICES} devices (${MOVEMENT === 'drive' ? 'driving' : 'jumping anywhere in the city at every fix'}), ${GEOFENCES} geofences (circles) evaluated on every position, ${SECONDS} s per path; load generator in a child process`,
);
console.log(table(rows));
console.log(`load average (1 min) when each path started: ${loads.join(', ')}; at the end: ${loadNow()}`);
