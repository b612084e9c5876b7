/**
 * Runs a simulated fleet against a server: fixes are taken on a fixed
 * schedule (each device every 1/rate seconds, devices evenly staggered so
 * that the whole fleet sends devices × rate positions per second), each
 * device has at most one request in flight, and a device that is still
 * waiting for its last answer when its next fix is due skips that fix
 * (counted): memory stays bounded whatever the server does.
 */
import { createFleet, type SimDevice } from './model.ts';
import type { Transport } from './transports.ts';

export interface RunOptions {
  devices: number;
  /** Positions per second per device. */
  rate: number;
  seed: number;
  prefix?: string;
  /** Seconds; undefined runs until the signal aborts. */
  durationSeconds?: number;
  /** Requests in flight at once, across the fleet. */
  concurrency: number;
  sosProbability?: number;
  signal?: AbortSignal;
  /** Called every progressSeconds with the running totals. */
  onProgress?: (stats: RunStats) => void;
  progressSeconds?: number;
  /** For tests: the clock (ms). */
  now?: () => number;
}

export interface RunStats {
  /** Fixes handed to the transport. */
  sent: number;
  /** Answered 2xx (OsmAnd) or acknowledged (MQTT). */
  accepted: number;
  /** Answered with an error status, by status. */
  rejected: Record<string, number>;
  /** No answer (connection refused, timeout, broker gone). */
  failed: number;
  /** Fixes not taken because the device's previous one was still in flight. */
  skipped: number;
  sos: number;
  elapsedSeconds: number;
  /** Accepted per second over the run. */
  acceptedPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number } | null;
  lastError: string | null;
}

const LATENCY_SAMPLES = 50_000;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function runSimulation(opts: RunOptions, transport: Transport): Promise<RunStats> {
  const now = opts.now ?? (() => performance.timeOrigin + performance.now());
  const fleet: SimDevice[] = createFleet({
    devices: opts.devices,
    seed: opts.seed,
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
    ...(opts.sosProbability !== undefined ? { sosProbability: opts.sosProbability } : {}),
  });
  await transport.prepare?.(fleet.map((d) => d.uniqueId));
  const busy = new Uint8Array(fleet.length);
  const last = new Float64Array(fleet.length);
  const start = now();
  last.fill(start);
  const stats: RunStats = {
    sent: 0,
    accepted: 0,
    rejected: {},
    failed: 0,
    skipped: 0,
    sos: 0,
    elapsedSeconds: 0,
    acceptedPerSecond: 0,
    latencyMs: null,
    lastError: null,
  };
  const latencies: number[] = [];
  let latencySeen = 0;
  let inFlight = 0;
  const idle: (() => void)[] = [];

  const spacingMs = 1000 / (opts.rate * fleet.length);
  const endAt = opts.durationSeconds === undefined ? Infinity : start + opts.durationSeconds * 1000;
  let seq = 0;

  const finish = (i: number, t0: number) => {
    busy[i] = 0;
    inFlight--;
    const ms = now() - t0;
    latencySeen++;
    if (latencies.length < LATENCY_SAMPLES) latencies.push(ms);
    else {
      // Reservoir sampling keeps a fair sample of a long run in bounded memory.
      const j = Math.floor(Math.random() * latencySeen);
      if (j < LATENCY_SAMPLES) latencies[j] = ms;
    }
    if (inFlight === 0) for (const r of idle.splice(0)) r();
  };

  const summarize = (): RunStats => {
    const elapsed = (now() - start) / 1000;
    stats.elapsedSeconds = Math.round(elapsed * 10) / 10;
    stats.acceptedPerSecond = elapsed > 0 ? Math.round((stats.accepted / elapsed) * 10) / 10 : 0;
    if (latencies.length) {
      const sorted = [...latencies].sort((a, b) => a - b);
      stats.latencyMs = { p50: round1(percentile(sorted, 50)), p99: round1(percentile(sorted, 99)), max: round1(sorted[sorted.length - 1]) };
    }
    return { ...stats, rejected: { ...stats.rejected } };
  };

  const dispatch = (t: number) => {
    // Every fix due by now, in schedule order; a backlog of more than one round is dropped, not bursted.
    const due = Math.floor((Math.min(t, endAt) - start) / spacingMs);
    if (due - seq > fleet.length) {
      stats.skipped += due - seq - fleet.length;
      seq = due - fleet.length;
    }
    for (; seq < due; seq++) {
      const i = seq % fleet.length;
      if (busy[i] || inFlight >= opts.concurrency) {
        stats.skipped++;
        continue;
      }
      const fixAt = start + seq * spacingMs;
      const fix = fleet[i].step((fixAt - last[i]) / 1000, Math.round(fixAt));
      last[i] = fixAt;
      if (fix.alarm) stats.sos++;
      busy[i] = 1;
      inFlight++;
      stats.sent++;
      const t0 = now();
      transport.send(fix).then(
        (r) => {
          if (r.ok) stats.accepted++;
          else {
            stats.rejected[String(r.status)] = (stats.rejected[String(r.status)] ?? 0) + 1;
            stats.lastError = `HTTP ${r.status} for ${fix.uniqueId}`;
          }
          finish(i, t0);
        },
        (err: unknown) => {
          stats.failed++;
          stats.lastError = err instanceof Error ? err.message || err.name : String(err);
          finish(i, t0);
        },
      );
    }
  };

  let nextProgress = start + (opts.progressSeconds ?? 5) * 1000;
  const tickMs = Math.max(1, Math.min(50, spacingMs));
  await new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(timer);
      opts.signal?.removeEventListener('abort', stop);
      resolve();
    };
    const timer = setInterval(() => {
      const t = now();
      dispatch(t);
      if (opts.onProgress && t >= nextProgress) {
        nextProgress += (opts.progressSeconds ?? 5) * 1000;
        opts.onProgress(summarize());
      }
      if (t >= endAt) stop();
    }, tickMs);
    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener('abort', stop);
  });
  // Let the last answers come in (bounded wait).
  if (inFlight > 0) {
    await Promise.race([new Promise<void>((r) => idle.push(r)), new Promise<void>((r) => setTimeout(r, 10_000).unref())]);
  }
  const result = summarize();
  await transport.close();
  return result;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
