/**
 * `--register`: creates the simulated devices through the public API with
 * an API token (permission field-assets.write), as an integration would.
 * A device that already exists (409) is reused. With `tokens`, each device
 * is issued a device token (POST /devices/{id}/token), which replaces any
 * earlier one: MQTT on the embedded broker needs it.
 */
import type { FieldCreateDeviceRequest, FieldDevice, FieldDeviceList, FieldDeviceTokenResponse } from '@kotwal/contracts';
import { createClientEgress, type ClientEgress } from '#core/egress/index.ts';
import type { SimDevice } from './model.ts';

export class ApiRequestError extends Error {
  override name = 'ApiRequestError';
}

async function call<T>(
  egress: ClientEgress,
  api: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T | null }> {
  let res;
  try {
    // Through the client-mode gateway: only the --api origin; redirects are not followed.
    res = await egress.request(new URL(path, api).toString(), {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new ApiRequestError(`cannot reach the API at ${api}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  const ok = res.status >= 200 && res.status < 300;
  if (!ok && res.status !== 409) {
    const p = parsed as { title?: string; detail?: string } | null;
    throw new ApiRequestError(`${method} ${path}: HTTP ${res.status}${p?.title ? ` ${p.title}` : ''}${p?.detail ? `: ${p.detail}` : ''}`);
  }
  return { status: res.status, body: parsed as T };
}

export interface RegisterOptions {
  api: string;
  token: string;
  /** Issue a device token for each (MQTT passwords). */
  issueTokens: boolean;
  concurrency?: number;
}

export interface Registered {
  created: number;
  existing: number;
  /** uniqueId -> device token (when issued). */
  tokens: Map<string, string>;
}

async function findByUniqueId(egress: ClientEgress, opts: RegisterOptions, uniqueId: string): Promise<FieldDevice> {
  const r = await call<FieldDeviceList>(egress, opts.api, opts.token, 'GET', `/api/v1/field-assets/devices?q=${encodeURIComponent(uniqueId)}&limit=50`);
  const d = r.body?.items.find((x) => x.uniqueId === uniqueId);
  if (!d) throw new ApiRequestError(`device ${uniqueId} exists (409) but the token cannot see it`);
  return d;
}

export async function registerFleet(fleet: readonly SimDevice[], opts: RegisterOptions): Promise<Registered> {
  const out: Registered = { created: 0, existing: 0, tokens: new Map() };
  const egress = createClientEgress({ allow: [opts.api], tool: 'kotwal field simulate --register', maxSockets: opts.concurrency ?? 8 });
  let next = 0;
  const worker = async () => {
    while (next < fleet.length) {
      const d = fleet[next++];
      const req: FieldCreateDeviceRequest = { uniqueId: d.uniqueId, name: d.name, kind: d.kind, unit: 'Simulator' };
      const r = await call<FieldDevice>(egress, opts.api, opts.token, 'POST', '/api/v1/field-assets/devices', req);
      let device: FieldDevice;
      if (r.status === 409) {
        out.existing++;
        device = await findByUniqueId(egress, opts, d.uniqueId);
      } else {
        out.created++;
        if (!r.body) throw new ApiRequestError('POST /api/v1/field-assets/devices answered without a body');
        device = r.body;
      }
      if (opts.issueTokens) {
        const t = await call<FieldDeviceTokenResponse>(egress, opts.api, opts.token, 'POST', `/api/v1/field-assets/devices/${device.id}/token`);
        if (!t.body?.token) throw new ApiRequestError(`no token issued for ${d.uniqueId}`);
        out.tokens.set(d.uniqueId, t.body.token);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, fleet.length) }, worker));
  } finally {
    egress.close();
  }
  return out;
}
