/**
 * The egress policy: which purpose allows which destination. Decided before
 * any socket is opened; transfer and peer purposes are read from the
 * database at call time, so a revocation (or a removed peer) stops flow at
 * once, across processes.
 *
 * - integration: a host:port configured as DATABASE_URL, NATS_URL, MQTT_URL
 *   (name 'database' | 'nats' | 'mqtt': that one only) or any
 *   KOTWAL_EGRESS_ALLOW entry (any other name).
 * - replica-source: the origin (scheme, host, port) and path prefix of
 *   KOTWAL_REPLICA_OF.
 * - peer-verify: GET <address>/api/v1/node of an active sov_peers row.
 * - transfer: the manifest's destination address (same scheme, host, port,
 *   under its path) while the sov_transfers row is 'approved' or
 *   'executing' and expires_at > now(). Once revoked, only the revocation
 *   notice (POST <address>/api/v1/replication/.../revoke|revocation|revocations)
 *   may still go, until the transfer's expiry.
 */
import type { KotwalConfig } from '#core/config/index.ts';
import type { EgressPurpose } from '#core/context.ts';
import type { Queryable } from '#core/db/index.ts';
import { baseOf, configuredIntegrations, describeDestination, sameDestination, type Destination, type ParsedDestination } from './destination.ts';

export type Decision = { allowed: true; note?: string } | { allowed: false; reason: string };

export interface PolicyEnv {
  config: Pick<KotwalConfig, 'databaseUrl' | 'natsUrl' | 'mqttUrl' | 'egressAllow' | 'replicaOf'>;
  /** Where sov_transfers and sov_peers are read; without it transfer and peer purposes are refused. */
  db?: Queryable | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const NODE_IDENTITY_PATH = '/api/v1/node';
const REVOCATION_NOTICE = /^\/api\/v1\/replication\/(?:[^/]+\/)*(?:revoke|revocation|revocations)$/;

const refuse = (reason: string): Decision => ({ allowed: false, reason });

/** True when `dest` is on `base`'s scheme, host and port, and its path is under base's path prefix. */
function under(dest: ParsedDestination, address: string): { ok: true; rest: string } | { ok: false; why: string } {
  let base;
  try {
    base = baseOf(address);
  } catch (err) {
    return { ok: false, why: `the registered address "${address}" is not a URL (${(err as Error).message})` };
  }
  if (base.dest.protocol !== dest.protocol || !sameDestination(base.dest, dest)) {
    return { ok: false, why: `${dest.protocol}//${describeDestination(dest)} is not ${base.dest.protocol}//${describeDestination(base.dest)}` };
  }
  const p = dest.url.pathname;
  if (base.prefix && p !== base.prefix && !p.startsWith(`${base.prefix}/`)) return { ok: false, why: `the path ${p} is not under ${base.prefix}/` };
  return { ok: true, rest: p.slice(base.prefix.length) || '/' };
}

function integrationDecision(dest: Destination, name: string, env: PolicyEnv): Decision {
  const all = configuredIntegrations(env.config);
  const known = name === 'database' || name === 'nats' || name === 'mqtt';
  const candidates = known ? all.filter((i) => i.name === name) : all.filter((i) => i.name === 'egress-allow');
  if (candidates.some((i) => sameDestination(i, dest))) return { allowed: true };
  const where = known ? ({ database: 'DATABASE_URL', nats: 'NATS_URL', mqtt: 'MQTT_URL' } as const)[name] : 'KOTWAL_EGRESS_ALLOW';
  const configured = candidates.map(describeDestination);
  return refuse(
    `${describeDestination(dest)} is not a configured integration for "${name}" (${where}${configured.length ? ` allows ${configured.join(', ')}` : ' is not set'})`,
  );
}

async function peerDecision(dest: ParsedDestination, method: string, peerId: string, db: Queryable): Promise<Decision> {
  if (!UUID.test(peerId)) return refuse(`peer id "${peerId.slice(0, 60)}" is not a UUID`);
  if (method !== 'GET') return refuse(`peer verification may only GET ${NODE_IDENTITY_PATH}, not ${method}`);
  const r = await db.query<{ name: string; address: string; status: string }>('SELECT name, address, status FROM sov_peers WHERE id = $1', [peerId]);
  const peer = r.rows[0];
  if (!peer) return refuse(`peer ${peerId} is not registered`);
  if (peer.status !== 'active') return refuse(`peer ${peer.name} (${peerId}) is ${peer.status}`);
  const u = under(dest, peer.address);
  if (!u.ok) return refuse(`peer ${peer.name} is registered at ${peer.address}: ${u.why}`);
  if (u.rest !== NODE_IDENTITY_PATH || dest.url.search) return refuse(`peer verification may only GET ${NODE_IDENTITY_PATH} (without a query), not ${u.rest}`);
  return { allowed: true };
}

async function transferDecision(dest: ParsedDestination, method: string, transferId: string, db: Queryable): Promise<Decision> {
  if (!UUID.test(transferId)) return refuse(`transfer id "${transferId.slice(0, 60)}" is not a UUID`);
  const r = await db.query<{ status: string; manifest: string; expires_at: Date | string; live: boolean; refusal_detail: string | null }>(
    'SELECT status, manifest, expires_at, expires_at > now() AS live, refusal_detail FROM sov_transfers WHERE id = $1',
    [transferId],
  );
  const t = r.rows[0];
  if (!t) return refuse(`transfer ${transferId} does not exist`);
  const expiresAt = new Date(t.expires_at).toISOString();
  let manifest: { destination?: { address?: unknown } };
  try {
    manifest = JSON.parse(t.manifest) as { destination?: { address?: unknown } };
  } catch {
    return refuse(`transfer ${transferId}: its stored manifest is not valid JSON`);
  }
  const address = typeof manifest.destination?.address === 'string' ? manifest.destination.address : null;
  const revocationNotice = t.status === 'revoked' && method === 'POST';
  if (t.status !== 'approved' && t.status !== 'executing' && !revocationNotice) {
    const why = t.status === 'refused' && t.refusal_detail ? ` (${t.refusal_detail})` : '';
    return refuse(`transfer ${transferId} is ${t.status}${why}; data flows only while a transfer is approved or executing`);
  }
  if (!t.live) return refuse(`transfer ${transferId} expired at ${expiresAt}`);
  if (!address) return refuse(`transfer ${transferId} has no destination address (an export): nothing of it leaves over the network`);
  const u = under(dest, address);
  if (!u.ok) return refuse(`transfer ${transferId} goes only to ${address}: ${u.why}`);
  if (revocationNotice) {
    if (!REVOCATION_NOTICE.test(u.rest)) return refuse(`transfer ${transferId} is revoked; only its revocation notice may still be sent`);
    return { allowed: true, note: 'revocation notice' };
  }
  return { allowed: true };
}

/** Decides whether `purpose` allows an HTTP(S) `method` to `dest`. Never opens a connection. */
export async function decide(dest: ParsedDestination, method: string, purpose: EgressPurpose, env: PolicyEnv): Promise<Decision> {
  if (dest.protocol !== 'http:' && dest.protocol !== 'https:')
    return refuse(`only http and https go through the gateway's request(), not ${dest.protocol.slice(0, -1)}`);
  switch (purpose.kind) {
    case 'integration':
      return integrationDecision(dest, purpose.name, env);
    case 'replica-source': {
      if (!env.config.replicaOf) return refuse('this node is not a replica (KOTWAL_REPLICA_OF is not set)');
      const u = under(dest, env.config.replicaOf);
      return u.ok ? { allowed: true } : refuse(`the replica source is ${env.config.replicaOf}: ${u.why}`);
    }
    case 'peer-verify':
      if (!env.db) return refuse('no database to check the peer registration');
      return peerDecision(dest, method, purpose.peerId, env.db);
    case 'transfer':
      if (!env.db) return refuse('no database to check the transfer');
      return transferDecision(dest, method, purpose.transferId, env.db);
    default: {
      const unknown: never = purpose;
      return refuse(`unknown purpose ${JSON.stringify(unknown)}`);
    }
  }
}
