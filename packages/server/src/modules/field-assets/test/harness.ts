/**
 * Test harness for field-assets: the real app (PGlite, or PostgreSQL when
 * KOTWAL_TEST_DATABASE_URL is set) with the OsmAnd listener and the MQTT
 * broker on free ports; with KOTWAL_TEST_MQTT_URL set, the external broker
 * (Mosquitto) with a topic prefix of the test's own.
 */
import { randomBytes } from 'node:crypto';
import type { FieldAssetKind } from '@kotwal/contracts';
import { buildTestApp, type TestApp } from '#test/app.ts';
import { adminSession, authHeaders, issueToken, userSession, type Session } from '#test/auth-helpers.ts';
import { fieldAssetsPorts, fieldAssetsRuntime } from '../index.ts';
import type { FieldAssetsRuntime } from '../runtime.ts';
import type { Principal } from '#core/context.ts';

export const testMqttUrl = process.env['KOTWAL_TEST_MQTT_URL'] || null;
export const BASE = '/api/v1/field-assets';

export interface FieldTestApp {
  t: TestApp;
  /** A user with admin and supervisor roles (all field-assets permissions, covert included). */
  admin: Session;
  adminHeaders: Record<string, string>;
  /** Bearer token with field-assets.read and .write (no covert). */
  opsHeaders: Record<string, string>;
  osmand: string;
  mqttPort: number | null;
  prefix: string;
  rt: FieldAssetsRuntime;
  close(): Promise<void>;
}

/** A principal for tests that register devices without signing in (as a CLI would). */
export const SYSTEM_PRINCIPAL: Principal = {
  kind: 'user',
  id: 'test-system',
  name: 'test-system',
  permissions: new Set(['field-assets.read', 'field-assets.write', 'field-assets.covert']),
  state: 'active',
  sessionId: null,
  csrfToken: null,
};

export async function fieldTestApp(opts: { env?: Record<string, string>; external?: boolean; users?: boolean } = {}): Promise<FieldTestApp> {
  const prefix = `kotwal-test-${randomBytes(4).toString('hex')}/field-assets`;
  const useExternal = opts.external ?? Boolean(testMqttUrl);
  const t = await buildTestApp({
    env: {
      OSMAND_PORT: '0',
      MQTT_PORT: '0',
      MQTT_TOPIC_PREFIX: prefix,
      ...(useExternal && testMqttUrl ? { MQTT_URL: testMqttUrl } : {}),
      ...(opts.env ?? {}),
    },
  });
  try {
    // The chief holds field-assets.* (covert included, so MFA) and may issue tokens.
    const admin = opts.users === false ? null : await userSession(t, await adminSession(t), 'chief', ['admin', 'supervisor']);
    const token = admin ? await issueToken(t, admin, ['field-assets.read', 'field-assets.write'], 'field-ops') : '';
    const ports = fieldAssetsPorts(t.ctx);
    const rt = fieldAssetsRuntime(t.ctx);
    if (!ports.osmand || !rt) throw new Error('the OsmAnd listener did not start');
    return {
      t,
      admin: admin as Session,
      adminHeaders: admin ? authHeaders(admin) : {},
      opsHeaders: { authorization: `Bearer ${token}` },
      osmand: `http://127.0.0.1:${ports.osmand}`,
      mqttPort: ports.mqtt,
      prefix,
      rt,
      close: () => t.close(),
    };
  } catch (err) {
    await t.close();
    throw err;
  }
}

export async function createDevice(f: FieldTestApp, body: Record<string, unknown>, headers = f.adminHeaders): Promise<{ id: string; uniqueId: string }> {
  const r = await f.t.app.inject({ method: 'POST', url: `${BASE}/devices`, headers, payload: body });
  if (r.statusCode !== 201) throw new Error(`create device: ${r.statusCode} ${r.body}`);
  return r.json();
}

/** Sends one OsmAnd request (query string) and returns status and body. */
export async function osmand(
  f: FieldTestApp,
  params: Record<string, string | number>,
  init: { method?: string } = {},
): Promise<{ status: number; body: string }> {
  const q = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${f.osmand}/?${q.toString()}`, { method: init.method ?? 'POST' });
  return { status: res.status, body: await res.text() };
}

export const secondsAgo = (s: number): number => Math.floor(Date.now() / 1000) - s;

/** Registers a device through the service (no HTTP session needed). */
export async function registerDevice(
  f: FieldTestApp,
  body: { uniqueId: string; name: string; kind: FieldAssetKind; speedLimitKph?: number },
): Promise<{ id: string; uniqueId: string }> {
  return f.rt.service.createDevice({ principal: SYSTEM_PRINCIPAL, requestId: null }, body);
}

/** Rows of fa_events for a device, oldest first. */
export async function eventsOf(
  f: FieldTestApp,
  deviceId: string,
): Promise<{ kind: string; geofence_id: string | null; related_device_id: string | null; details: Record<string, unknown> }[]> {
  return (
    await f.t.ctx.db.query<{ kind: string; geofence_id: string | null; related_device_id: string | null; details: Record<string, unknown> }>(
      'SELECT kind, geofence_id, related_device_id, details FROM fa_events WHERE device_id = $1 ORDER BY at, created_at',
      [deviceId],
    )
  ).rows;
}

export async function positionCount(f: FieldTestApp, deviceId: string): Promise<number> {
  return (await f.t.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM fa_positions WHERE device_id = $1', [deviceId])).rows[0]?.n ?? 0;
}

export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
