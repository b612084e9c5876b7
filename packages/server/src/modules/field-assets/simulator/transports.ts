/**
 * How simulated fixes reach a server: the OsmAnd HTTP protocol exactly as
 * Traccar Client sends it, or MQTT JSON on the documented topic.
 *
 * The simulator is a client tool, not part of the server: its connections
 * go through a client-mode egress gateway (core/egress) that allows only the
 * URL the operator gives on the command line.
 */
import type { MqttClient } from 'mqtt';
import { mqttPositionTopic, type MqttPositionPayload } from '@kotwal/contracts';
import { createClientEgress } from '#core/egress/index.ts';
import type { SimFix } from './model.ts';

export interface SendResult {
  /** HTTP status (OsmAnd) or 0 for an MQTT publish that was acknowledged. */
  status: number;
  ok: boolean;
}

export interface Transport {
  readonly name: string;
  /** Opens what a device needs before its first fix (MQTT connections), so the run measures steady traffic. */
  prepare?(uniqueIds: readonly string[]): Promise<void>;
  send(fix: SimFix): Promise<SendResult>;
  close(): Promise<void>;
}

const KNOTS_PER_KMH = 1 / 1.852;

/**
 * The OsmAnd query Traccar Client builds (ProtocolFormatter): id, timestamp
 * in epoch seconds, lat, lon, speed in knots, bearing, altitude, accuracy,
 * batt, charge, then alarm when one is raised. Body cameras add `recording`
 * (kept by the server as an attribute) and a device token is sent as
 * `token` when the server issued one.
 */
export function osmandQuery(fix: SimFix, token?: string): URLSearchParams {
  const q = new URLSearchParams();
  q.set('id', fix.uniqueId);
  q.set('timestamp', String(Math.floor(fix.time / 1000)));
  q.set('lat', String(fix.lat));
  q.set('lon', String(fix.lon));
  q.set('speed', String(Math.round(fix.speedKmh * KNOTS_PER_KMH * 100) / 100));
  q.set('bearing', String(fix.bearing));
  q.set('altitude', String(fix.altitude));
  q.set('accuracy', String(fix.accuracy));
  q.set('batt', String(fix.battery));
  q.set('charge', String(fix.charging));
  if (fix.alarm) q.set('alarm', fix.alarm);
  if (fix.recording !== undefined) q.set('recording', String(fix.recording));
  if (token) q.set('token', token);
  return q;
}

export interface OsmandTransportOptions {
  url: string;
  /** Parallel HTTP connections (keep-alive). */
  connections: number;
  tokens?: ReadonlyMap<string, string>;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
}

/** Traccar Client's request: POST to the server URL with the query string and an empty body. */
export function osmandTransport(opts: OsmandTransportOptions): Transport {
  const base = new URL(opts.url);
  const egress = createClientEgress({ allow: [opts.url], tool: 'kotwal field simulate', maxSockets: opts.connections });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    name: 'osmand',
    async send(fix) {
      const u = new URL(base);
      const q = osmandQuery(fix, opts.tokens?.get(fix.uniqueId));
      for (const [k, v] of new URLSearchParams(base.search)) if (!q.has(k)) q.append(k, v);
      u.search = q.toString();
      const res = await egress.request(u.toString(), {
        method: 'POST',
        headers: { 'content-length': '0', 'user-agent': 'kotwal-field-simulator' },
        timeoutMs,
        maxResponseBytes: 64 * 1024,
      });
      return { status: res.status, ok: res.status >= 200 && res.status < 300 };
    },
    async close() {
      egress.close();
    },
  };
}

/** The MQTT JSON payload for a fix (MqttPositionPayload in the contracts). */
export function mqttPayload(fix: SimFix): MqttPositionPayload {
  const p: MqttPositionPayload = {
    timestamp: new Date(fix.time).toISOString(),
    lat: fix.lat,
    lon: fix.lon,
    speedKph: fix.speedKmh,
    course: fix.bearing,
    altitude: fix.altitude,
    accuracy: fix.accuracy,
    battery: fix.battery,
    charging: fix.charging,
    motion: fix.speedKmh > 1,
  };
  if (fix.alarm) p.alarm = fix.alarm;
  if (fix.recording !== undefined) p.attributes = { recording: fix.recording };
  return p;
}

export interface MqttTransportOptions {
  url: string;
  topicPrefix?: string;
  /** Device tokens (the MQTT password; username = uniqueId). */
  tokens?: ReadonlyMap<string, string>;
  qos?: 0 | 1;
}

/**
 * One MQTT connection per device (the embedded broker authenticates each
 * device by its uniqueId and token), opened on the device's first fix.
 */
export async function mqttTransport(opts: MqttTransportOptions): Promise<Transport> {
  const egress = createClientEgress({ allow: [opts.url], tool: 'kotwal field simulate' });
  const clients = new Map<string, Promise<MqttClient>>();
  const qos = opts.qos ?? 1;
  const clientFor = (uniqueId: string) => {
    let c = clients.get(uniqueId);
    if (!c) {
      const token = opts.tokens?.get(uniqueId);
      c = egress.connectMqtt(opts.url, {
        clientId: `kotwal-sim-${uniqueId}`,
        username: uniqueId,
        ...(token ? { password: token } : {}),
        reconnectPeriod: 2000,
        connectTimeout: 10_000,
        clean: true,
        // The first connection fails fast (a broker that is down or refuses the device); later drops reconnect.
      });
      // A failed connection is retried on the next fix.
      c.catch(() => clients.delete(uniqueId));
      clients.set(uniqueId, c);
    }
    return c;
  };
  return {
    name: 'mqtt',
    async prepare(uniqueIds) {
      // 50 connections at a time; a device that cannot connect is counted as failed when it sends.
      let next = 0;
      const worker = async () => {
        while (next < uniqueIds.length) await clientFor(uniqueIds[next++]).catch(() => undefined);
      };
      await Promise.all(Array.from({ length: Math.min(50, uniqueIds.length) }, worker));
    },
    async send(fix) {
      const client = await clientFor(fix.uniqueId);
      await client.publishAsync(mqttPositionTopic(fix.uniqueId, opts.topicPrefix), JSON.stringify(mqttPayload(fix)), { qos });
      return { status: 0, ok: true };
    },
    async close() {
      const all = await Promise.allSettled([...clients.values()]);
      await Promise.all(all.map((r) => (r.status === 'fulfilled' ? r.value.endAsync(true).catch(() => undefined) : Promise.resolve())));
      clients.clear();
      egress.close();
    },
  };
}
