/**
 * Load generator for bench/field-assets.ts, run in a child process of its
 * own so that the client does not share the server's event loop. It speaks
 * to the server only over loopback sockets:
 *
 * - http: `connections` keep-alive sockets, one request in flight each; each
 *   device belongs to one socket, so its fixes leave in fix-time order. The
 *   request is an OsmAnd query string built from a preallocated device
 *   table (no per-request closure or object). Answers are parsed by hand
 *   (status line and content-length) and counted by status code.
 * - mqtt: one MQTT client per device (username = uniqueId, password = its
 *   token), QoS 1, up to `inflight` unacknowledged publishes each.
 * - live (a watcher process of its own): a WebSocket client of the live
 *   stream; records now - receivedAt for every position it is sent
 *   (ingest-to-WebSocket latency).
 * Latencies of the first `warmupSeconds` are kept out of the percentiles.
 *
 * Devices move like vehicles (a heading that wanders, 20-60 km/h, one fix a
 * second of fix time) inside the bench's box, or jump anywhere in it at
 * every fix with movement = 'teleport' (the worst case for geofence alerts).
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import WebSocket from 'ws';

export interface LoadRequest {
  mode: 'http' | 'mqtt';
  /** 127.0.0.1 unless set (mqtt). */
  host?: string;
  port: number;
  seconds: number;
  /** Unique ids of the devices this run reports for; tokens[i] (when set) belongs to uniqueIds[i]. */
  uniqueIds: string[];
  tokens?: string[];
  connections: number;
  inflight?: number;
  /**
   * Positions per second offered by the whole fleet, device after device (open loop: a position is due whatever
   * happened to the previous ones). Unset: as fast as the answers allow (closed loop: `inflight` per MQTT client, one
   * request per HTTP connection). A due position its device cannot send (MQTT: `inflight` unanswered; HTTP: its
   * connection still waiting for an answer) is counted in `behind`: over MQTT it is skipped, over HTTP it leaves as
   * soon as the connection is free.
   */
  rate?: number;
  /** First fix time (epoch seconds); each device's fixes go up one second at a time from there. */
  baseTs: number;
  movement: 'drive' | 'teleport';
  topicPrefix?: string;
  live?: { url: string; cookie: string } | null;
  /** Round trips of positions sent in the first seconds (the fleet coming online) are left out of the percentiles. */
  warmupSeconds?: number;
}

export interface LoadResult {
  sent: number;
  /** Paced runs: positions that were due when their device could not send them. */
  behind: number;
  answered: number;
  statuses: Record<string, number>;
  errors: number;
  rttP50: number;
  rttP99: number;
  /** Latencies of positions received after the warm-up; `p99All` of every one. */
  live: { samples: number; p50: number; p99: number; p99All: number } | null;
  seconds: number;
}

export const BOX = { lat: 31.4, lon: 74.2, size: 0.25 };
const RAD = Math.PI / 180;

/** Device positions (struct of arrays: no allocation per fix). */
class Fleet {
  readonly lat: Float64Array;
  readonly lon: Float64Array;
  readonly heading: Float64Array;
  readonly kph: Float64Array;
  readonly ts: Float64Array;
  constructor(
    n: number,
    baseTs: number,
    private readonly movement: 'drive' | 'teleport',
  ) {
    this.lat = new Float64Array(n);
    this.lon = new Float64Array(n);
    this.heading = new Float64Array(n);
    this.kph = new Float64Array(n);
    this.ts = new Float64Array(n).fill(baseTs);
    for (let i = 0; i < n; i++) {
      this.lat[i] = BOX.lat + Math.random() * BOX.size;
      this.lon[i] = BOX.lon + Math.random() * BOX.size;
      this.heading[i] = Math.random() * 360;
      this.kph[i] = 20 + Math.random() * 40;
    }
  }

  /** Moves device i on by one second of fix time. */
  step(i: number): void {
    this.ts[i]++;
    if (this.movement === 'teleport') {
      this.lat[i] = BOX.lat + Math.random() * BOX.size;
      this.lon[i] = BOX.lon + Math.random() * BOX.size;
      return;
    }
    let h = this.heading[i] + (Math.random() - 0.5) * 20;
    const m = this.kph[i] / 3.6;
    let lat = this.lat[i] + (m * Math.cos(h * RAD)) / 111_320;
    let lon = this.lon[i] + (m * Math.sin(h * RAD)) / (111_320 * Math.cos(lat * RAD));
    if (lat < BOX.lat || lat > BOX.lat + BOX.size || lon < BOX.lon || lon > BOX.lon + BOX.size) {
      h += 180;
      lat = Math.min(BOX.lat + BOX.size, Math.max(BOX.lat, lat));
      lon = Math.min(BOX.lon + BOX.size, Math.max(BOX.lon, lon));
    }
    this.heading[i] = ((h % 360) + 360) % 360;
    this.lat[i] = lat;
    this.lon[i] = lon;
  }
}

/** Calls `due(k)` for the k-th position due at `rate` per second from now until `end`, every 5 ms; returns when done. */
function pace(rate: number, end: number, due: (k: number) => void): Promise<void> {
  const t0 = performance.now();
  let issued = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (Date.now() >= end) {
        clearInterval(timer);
        resolve();
        return;
      }
      const target = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (issued < target) due(issued++);
    }, 5);
  });
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function openLive(live: { url: string; cookie: string }): Promise<{ result(steadyFrom: number): LiveResult; close(): void }> {
  const latencies: number[] = [];
  const receivedAt: number[] = [];
  const ws = new WebSocket(live.url, { headers: { cookie: live.cookie } });
  ws.on('message', (data: Buffer) => {
    const now = Date.now();
    const msg = JSON.parse(data.toString()) as { type: string; items?: { receivedAt: string }[] };
    if (msg.type === 'positions' && msg.items)
      for (const p of msg.items) {
        const at = Date.parse(p.receivedAt);
        latencies.push(now - at);
        receivedAt.push(at);
      }
  });
  /** Percentiles of the positions the server received from `steadyFrom` (epoch ms) on, and p99 of all. */
  const result = (steadyFrom: number): LiveResult => {
    const steady = latencies.filter((_, i) => receivedAt[i] >= steadyFrom);
    return { samples: steady.length, p50: pct(steady, 50), p99: pct(steady, 99), p99All: pct(latencies, 99) };
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ result, close: () => ws.close() }));
    ws.once('error', reject);
  });
}

async function runHttp(req: LoadRequest, end: number): Promise<Omit<LoadResult, 'live' | 'seconds'>> {
  const steadyFrom = performance.now() + (req.warmupSeconds ?? 0) * 1000;
  let behind = 0;
  const n = req.uniqueIds.length;
  const fleet = new Fleet(n, req.baseTs, req.movement);
  const statuses: Record<string, number> = {};
  const rtts: number[] = [];
  let sent = 0;
  let answered = 0;
  let errors = 0;
  const conns = Math.min(req.connections, n);
  const tokens = (req.tokens ?? []).map((tk) => encodeURIComponent(tk));
  // Paced: positions due per connection, and the connections waiting for one.
  const owed = new Int32Array(conns);
  const wake: ((() => void) | null)[] = new Array<(() => void) | null>(conns).fill(null);
  const pacing = req.rate
    ? pace(req.rate, end, (k) => {
        const c = (k % n) % conns;
        const w = wake[c];
        if (w) {
          wake[c] = null;
          owed[c]++;
          w();
        } else {
          owed[c]++;
          behind++;
        }
      }).then(() => {
        // Time is up: the connections waiting for a due position close.
        for (let c = 0; c < conns; c++) {
          const w = wake[c];
          wake[c] = null;
          w?.();
        }
      })
    : null;
  await Promise.all(
    Array.from({ length: conns }, (_, c) => {
      // Devices c, c + conns, c + 2 conns, ...: one socket per device keeps its fixes in order.
      const mine: number[] = [];
      for (let i = c; i < n; i += conns) mine.push(i);
      let k = 0;
      return new Promise<void>((resolve) => {
        const socket = net.connect(req.port, '127.0.0.1');
        socket.setNoDelay(true);
        let buf = '';
        let startedAt = 0;
        const next = (): void => {
          if (Date.now() >= end) {
            socket.end();
            resolve();
            return;
          }
          if (pacing) {
            if (!owed[c]) {
              wake[c] = next;
              return;
            }
            owed[c]--;
          }
          const i = mine[k++ % mine.length];
          fleet.step(i);
          const path = `/?id=${req.uniqueIds[i]}${tokens[i] ? `&token=${tokens[i]}` : ''}&timestamp=${fleet.ts[i]}&lat=${fleet.lat[i].toFixed(6)}&lon=${fleet.lon[i].toFixed(6)}&speed=${(fleet.kph[i] / 1.852).toFixed(1)}&bearing=${Math.round(fleet.heading[i])}&batt=80`;
          startedAt = performance.now();
          sent++;
          socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n`);
        };
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => {
          buf += chunk;
          for (;;) {
            const head = buf.indexOf('\r\n\r\n');
            if (head < 0) return;
            const m = /content-length: *(\d+)/i.exec(buf.slice(0, head));
            const total = head + 4 + (m ? Number(m[1]) : 0);
            if (buf.length < total) return;
            const status = buf.slice(9, 12);
            statuses[status] = (statuses[status] ?? 0) + 1;
            buf = buf.slice(total);
            answered++;
            if (startedAt >= steadyFrom) rtts.push(performance.now() - startedAt);
            next();
          }
        });
        socket.on('error', () => {
          errors++;
          resolve();
        });
        socket.on('close', () => resolve());
        socket.once('connect', next);
      });
    }),
  );
  await pacing;
  return { sent, behind, answered, statuses, errors, rttP50: pct(rtts, 50), rttP99: pct(rtts, 99) };
}

/**
 * Connects one client per device, 100 at a time, before the clock starts (connecting 1,000 clients takes seconds, which
 * were counted in the run's duration; and 1,000 SYNs at once overflow the listen backlog, which a busy machine then
 * retries for longer than the CONNACK timeout).
 */
async function connectMqtt(req: LoadRequest): Promise<mqtt.MqttClient[]> {
  const n = req.uniqueIds.length;
  const tokens = req.tokens ?? [];
  const clients: mqtt.MqttClient[] = [];
  for (let k = 0; k < n; k += 100) {
    clients.push(
      ...(await Promise.all(
        req.uniqueIds.slice(k, k + 100).map((id, j) =>
          mqtt.connectAsync(`mqtt://${req.host ?? '127.0.0.1'}:${req.port}`, {
            username: id,
            password: tokens[k + j],
            reconnectPeriod: 0,
            clientId: randomUUID(),
          }),
        ),
      )),
    );
  }
  return clients;
}

async function runMqtt(req: LoadRequest, clients: mqtt.MqttClient[], end: number): Promise<Omit<LoadResult, 'live' | 'seconds'>> {
  const steadyFrom = performance.now() + (req.warmupSeconds ?? 0) * 1000;
  const fleet = new Fleet(clients.length, req.baseTs, req.movement);
  const inflightMax = req.inflight ?? 8;
  const statuses: Record<string, number> = {};
  const rtts: number[] = [];
  let sent = 0;
  let behind = 0;
  let answered = 0;
  let errors = 0;
  const topics = req.uniqueIds.map((id) => `${req.topicPrefix ?? 'kotwal/field-assets'}/${id}/position`);
  const unanswered = new Int32Array(clients.length);
  const all = new Set<Promise<unknown>>();
  /** Publishes device i's next position; settles on its PUBACK. */
  const publish = (i: number): Promise<void> => {
    fleet.step(i);
    const payload = JSON.stringify({
      timestamp: fleet.ts[i],
      lat: Number(fleet.lat[i].toFixed(6)),
      lon: Number(fleet.lon[i].toFixed(6)),
      speedKph: Math.round(fleet.kph[i]),
      course: Math.round(fleet.heading[i]),
      battery: 80,
    });
    const startedAt = performance.now();
    sent++;
    unanswered[i]++;
    return clients[i].publishAsync(topics[i], payload, { qos: 1 }).then(
      () => {
        unanswered[i]--;
        answered++;
        statuses['puback'] = (statuses['puback'] ?? 0) + 1;
        if (startedAt >= steadyFrom) rtts.push(performance.now() - startedAt);
      },
      () => {
        unanswered[i]--;
        errors++;
      },
    );
  };
  if (req.rate) {
    await pace(req.rate, end, (k) => {
      const i = k % clients.length;
      if (unanswered[i] >= inflightMax) {
        behind++;
        return;
      }
      const p = publish(i);
      all.add(p);
      void p.finally(() => all.delete(p));
    });
    await Promise.all(all);
  } else {
    await Promise.all(
      clients.map(async (_, i) => {
        const inflight = new Set<Promise<unknown>>();
        while (Date.now() < end) {
          const p = publish(i);
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
          if (inflight.size >= inflightMax) await Promise.race(inflight);
        }
        await Promise.all(inflight);
      }),
    );
  }
  return { sent, behind, answered, statuses, errors, rttP50: pct(rtts, 50), rttP99: pct(rtts, 99) };
}

/** Runs the load; `onStart` is called when the clock starts (clients connected). The live client runs elsewhere (watch). */
export async function runLoad(req: LoadRequest, onStart: () => void = () => undefined): Promise<LoadResult> {
  const clients = req.mode === 'mqtt' ? await connectMqtt(req) : [];
  onStart();
  const started = Date.now();
  const end = started + req.seconds * 1000;
  const r = req.mode === 'http' ? await runHttp(req, end) : await runMqtt(req, clients, end);
  const seconds = (Date.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.endAsync()));
  return { ...r, seconds, live: null };
}

/** What the live watcher process is asked to do: watch until told to stop (`{ steadyFrom }`: epoch ms, the end of the warm-up). */
export interface WatchRequest {
  watch: { url: string; cookie: string };
}
export interface WatchStop {
  steadyFrom: number;
}
export type LiveResult = NonNullable<LoadResult['live']>;

// As a child process: one request in, one result out. A watcher (the live WebSocket client in a process of its own,
// as a command centre's browser is: the load generator's event loop, busy with a thousand devices, would add its own
// delays to the latencies) answers `ready`, then its result when sent 'stop'.
if (process.send) {
  process.once('message', (req: LoadRequest | WatchRequest) => {
    if ('watch' in req) {
      openLive(req.watch).then(
        (live) => {
          process.once('message', (stop: WatchStop) => {
            // Let the last positions reach the watcher.
            setTimeout(() => {
              live.close();
              process.send?.(live.result(stop.steadyFrom), () => process.exit(0));
            }, 500);
          });
          process.send?.({ ready: true });
        },
        (err: unknown) => {
          console.error(err);
          process.exit(1);
        },
      );
      return;
    }
    runLoad(req, () => process.send?.({ started: true })).then(
      (r) => process.send?.(r, () => process.exit(0)),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
