/**
 * Node identity: name, jurisdiction and Ed25519 key (the ledger's), signed
 * by that key, served at GET /api/v1/node; and fetching a peer's identity
 * through the egress gateway and checking it against what is expected.
 */
import Value from 'typebox/value';
import { NodeIdentity, parseEd25519PublicKey, publicKeyId } from '@kotwal/contracts';
import type { CoreContext, EgressPurpose } from '#core/context.ts';
import { identityHash, signHashWith, verifyIdentity, type UnsignedIdentity } from './replication-format.ts';

export const NODE_PATH = '/api/v1/node';

export function ownIdentity(ctx: CoreContext, version: string, now: Date): NodeIdentity {
  const unsigned: UnsignedIdentity = {
    name: ctx.node.name,
    jurisdiction: ctx.node.jurisdiction,
    publicKey: ctx.node.publicKey,
    keyId: ctx.node.keyId,
    mode: ctx.config.replicaOf ? 'replica' : 'primary',
    replicaOf: ctx.config.replicaOf,
    version,
    at: now.toISOString(),
  };
  return { ...unsigned, signature: signHashWith((d) => ctx.node.sign(d), identityHash(unsigned)) };
}

/** Why a fetched identity could not be used (unreachable, malformed, unsigned). */
export class IdentityFetchError extends Error {
  override name = 'IdentityFetchError';
  constructor(
    /** unreachable: no usable answer (status, not JSON); invalid: an answer that fails the proof. */
    readonly kind: 'unreachable' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

/**
 * GETs <address>/api/v1/node through the egress gateway and checks that the
 * identity is well formed and signed by the key it states. The caller
 * compares name, key and jurisdiction with what it expects.
 */
export async function fetchIdentity(ctx: CoreContext, address: string, purpose: EgressPurpose): Promise<NodeIdentity> {
  const url = `${address.replace(/\/+$/, '')}${NODE_PATH}`;
  const res = await ctx.egress.request(
    url,
    { method: 'GET', headers: { accept: 'application/json' }, timeoutMs: 10_000, maxResponseBytes: 64 * 1024 },
    purpose,
  );
  if (res.status !== 200) throw new IdentityFetchError('unreachable', `${url} answered ${res.status}`);
  let body: unknown;
  try {
    body = res.json<unknown>();
  } catch {
    throw new IdentityFetchError('unreachable', `${url} did not answer JSON`);
  }
  if (!Value.Check(NodeIdentity, body)) throw new IdentityFetchError('invalid', `${url} did not answer a node identity`);
  const identity = body;
  let key: string;
  try {
    key = parseEd25519PublicKey(identity.publicKey);
  } catch {
    throw new IdentityFetchError('invalid', `${url} states a public key that is not an Ed25519 key`);
  }
  if (identity.keyId !== publicKeyId(key)) throw new IdentityFetchError('invalid', `${url} states the key id ${identity.keyId}, which is not its key's`);
  if (key !== identity.publicKey || !verifyIdentity(identity)) {
    throw new IdentityFetchError('invalid', `the identity at ${url} is not signed by the key it states (${identity.publicKey})`);
  }
  return identity;
}

/** Differences between a peer's signed identity and what is expected of it; empty when it matches. */
export function identityMismatches(
  identity: Pick<NodeIdentity, 'name' | 'publicKey' | 'jurisdiction'>,
  expected: { name: string; publicKey: string | null; jurisdiction: string },
): string[] {
  const out: string[] = [];
  if (identity.name !== expected.name) out.push(`it names itself "${identity.name}", not "${expected.name}"`);
  if (expected.publicKey !== null && identity.publicKey !== expected.publicKey) {
    out.push(`it proves the key ${identity.publicKey}, not the registered ${expected.publicKey}`);
  }
  if (identity.jurisdiction !== expected.jurisdiction) out.push(`it claims the jurisdiction ${identity.jurisdiction}, not ${expected.jurisdiction}`);
  return out;
}
