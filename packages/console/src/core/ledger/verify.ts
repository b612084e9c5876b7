/**
 * In-browser verification of the ledger, with the contracts' pure RFC 9162
 * and Ed25519 functions. Nothing here trusts the server's word: the entry's
 * leaf hash is recomputed from its fields, the root comes from the signed
 * checkpoint body, and the signature is checked against the node's key.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  entryBytes,
  fromBase64,
  fromHex,
  leafHash,
  parseCheckpointBody,
  toBase64,
  toHex,
  verifyCheckpointSignature,
  verifyInclusion,
  type Checkpoint,
  type CheckpointBody,
  type InclusionProof,
  type LedgerEntry,
  type LedgerEntryFields,
} from '@kotwal/contracts';

export interface Check {
  id: string;
  label: string;
  ok: boolean;
  detail: string;
}

export interface CheckpointVerification {
  ok: boolean;
  /** The checkpoint as signed (parsed from its body), when the body parses. */
  signed: CheckpointBody | null;
  checks: Check[];
}

export interface KeyExpectations {
  /** The key GET /api/v1/ledger/public-key publishes (base64 raw Ed25519). */
  publishedKey?: string | null;
  /** A key this browser was told to trust (pinned by an auditor). */
  pinnedKey?: string | null;
  /** The node name the checkpoint origin should equal. */
  expectedOrigin?: string | null;
}

/** Hex SHA-256 of the raw public key, first 8 bytes: the node's key id. */
export function keyIdOf(publicKeyB64: string): string {
  return toHex(sha256(fromBase64(publicKeyB64))).slice(0, 16);
}

export function verifyCheckpoint(cp: Checkpoint, expect: KeyExpectations = {}): CheckpointVerification {
  const checks: Check[] = [];
  const sigOk = verifyCheckpointSignature(cp.body, cp.signature, cp.publicKey);
  checks.push({
    id: 'signature',
    label: 'Ed25519 signature',
    ok: sigOk,
    detail: sigOk
      ? 'the signature over the checkpoint body verifies with the node key'
      : 'the signature does NOT verify with the node key: the checkpoint is forged or altered',
  });

  let signed: CheckpointBody | null = null;
  try {
    signed = parseCheckpointBody(cp.body);
  } catch (err) {
    checks.push({ id: 'body', label: 'Signed body', ok: false, detail: `the signed body does not parse: ${(err as Error).message}` });
  }
  if (signed) {
    const mismatches: string[] = [];
    if (signed.treeSize !== cp.treeSize) mismatches.push(`tree size ${cp.treeSize} shown, ${signed.treeSize} signed`);
    if (signed.rootHash.toLowerCase() !== cp.rootHash.toLowerCase()) mismatches.push('root hash differs from the signed one');
    if (signed.timestamp !== cp.timestamp) mismatches.push('time differs from the signed one');
    if (signed.origin !== cp.origin) mismatches.push('origin differs from the signed one');
    checks.push({
      id: 'body',
      label: 'Signed body matches',
      ok: mismatches.length === 0,
      detail: mismatches.length === 0 ? 'tree size, root hash, time and origin are the ones that were signed' : mismatches.join('; '),
    });
    if (expect.expectedOrigin) {
      const ok = signed.origin === expect.expectedOrigin;
      checks.push({
        id: 'origin',
        label: 'Origin',
        ok,
        detail: ok ? `signed by node ${signed.origin}` : `signed for origin "${signed.origin}", but this node is "${expect.expectedOrigin}"`,
      });
    }
  }

  let keyId: string;
  try {
    keyId = keyIdOf(cp.publicKey);
  } catch {
    keyId = '';
  }
  const keyIdOk = keyId !== '' && keyId === cp.keyId.toLowerCase();
  checks.push({
    id: 'key-id',
    label: 'Key id',
    ok: keyIdOk,
    detail: keyIdOk
      ? `key id ${keyId} is the SHA-256 of the public key`
      : `key id ${cp.keyId} does not belong to the public key (computed ${keyId || 'nothing'})`,
  });

  if (expect.publishedKey) {
    const ok = expect.publishedKey === cp.publicKey;
    checks.push({
      id: 'published-key',
      label: 'Published key',
      ok,
      detail: ok ? 'the checkpoint key is the key this node publishes' : 'the checkpoint was signed with a key other than the one this node publishes',
    });
  }
  if (expect.pinnedKey) {
    const ok = expect.pinnedKey === cp.publicKey;
    checks.push({
      id: 'pinned-key',
      label: 'Pinned key',
      ok,
      detail: ok ? 'the key is the one pinned in this browser' : 'the key is NOT the one pinned in this browser: the node key changed or someone else signed',
    });
  }
  return { ok: checks.every((c) => c.ok), signed, checks };
}

export function entryFields(e: LedgerEntry): LedgerEntryFields {
  return {
    seq: e.seq,
    at: e.at,
    actorType: e.actorType,
    actorId: e.actorId,
    action: e.action,
    resource: e.resource,
    purpose: e.purpose,
    caseRef: e.caseRef,
    outcome: e.outcome,
    requestId: e.requestId,
    detailsHash: e.detailsHash,
  };
}

/** The entry's leaf hash recomputed from its fields. */
export function recomputeLeafHash(e: LedgerEntry): string {
  return toHex(leafHash(entryBytes(entryFields(e))));
}

export type InclusionStatus = 'verified' | 'failed' | 'pending';

export interface InclusionVerification {
  status: InclusionStatus;
  /** The signed tree size the proof was checked against. */
  treeSize: number | null;
  checks: Check[];
}

/** Is the entry covered by this checkpoint, i.e. can a proof against it exist? */
export function coveredBy(e: LedgerEntry, cpv: CheckpointVerification): boolean {
  return cpv.signed !== null && e.seq < cpv.signed.treeSize;
}

/**
 * Verifies that `entry` is in the tree the checkpoint signed. `proof` is the
 * server's inclusion proof at the checkpoint's tree size (null when the
 * entry is newer than the checkpoint).
 */
export function verifyEntryInclusion(entry: LedgerEntry, cpv: CheckpointVerification, proof: InclusionProof | null): InclusionVerification {
  const checks: Check[] = [];
  const signed = cpv.signed;

  checks.push({
    id: 'checkpoint',
    label: 'Signed checkpoint',
    ok: cpv.ok,
    detail: cpv.ok
      ? `checkpoint of tree size ${signed?.treeSize ?? '?'} verifies`
      : `the checkpoint does not verify (${cpv.checks
          .filter((c) => !c.ok)
          .map((c) => c.label.toLowerCase())
          .join(', ')})`,
  });

  let recomputed: string;
  try {
    recomputed = recomputeLeafHash(entry);
  } catch (err) {
    recomputed = '';
    checks.push({ id: 'leaf', label: 'Leaf hash', ok: false, detail: `cannot encode the entry: ${(err as Error).message}` });
  }
  if (recomputed) {
    const ok = recomputed === entry.leafHash.toLowerCase();
    checks.push({
      id: 'leaf',
      label: 'Leaf hash',
      ok,
      detail: ok
        ? `SHA-256(0x00 || entry bytes) recomputed in this browser equals ${recomputed}`
        : `the entry's fields hash to ${recomputed}, not to the listed ${entry.leafHash}: the entry as shown was altered`,
    });
  }

  if (!signed || entry.seq >= signed.treeSize) {
    checks.push({
      id: 'covered',
      label: 'Covered by a checkpoint',
      ok: false,
      detail: signed
        ? `entry ${entry.seq} is newer than the latest signed checkpoint (tree size ${signed.treeSize}); the next checkpoint will cover it`
        : 'there is no usable signed checkpoint',
    });
    const failed = checks.some((c) => !c.ok && c.id !== 'covered');
    return { status: failed ? 'failed' : 'pending', treeSize: signed?.treeSize ?? null, checks };
  }

  if (!proof) {
    checks.push({ id: 'proof', label: 'Inclusion proof', ok: false, detail: 'no proof was received' });
    return { status: 'failed', treeSize: signed.treeSize, checks };
  }

  const metaProblems: string[] = [];
  if (proof.seq !== entry.seq) metaProblems.push(`proof is for entry ${proof.seq}`);
  if (proof.treeSize !== signed.treeSize) metaProblems.push(`proof is for tree size ${proof.treeSize}, not ${signed.treeSize}`);
  if (recomputed && proof.leafHash.toLowerCase() !== recomputed) metaProblems.push('the proof names a different leaf hash');
  if (metaProblems.length) checks.push({ id: 'proof-meta', label: 'Proof matches the entry', ok: false, detail: metaProblems.join('; ') });

  let included = false;
  let why: string;
  try {
    const path = proof.proof.map((h) => fromHex(h));
    if (path.some((p) => p.length !== 32)) throw new Error('a proof hash is not 32 bytes');
    included = recomputed !== '' && verifyInclusion(entry.seq, signed.treeSize, fromHex(recomputed), path, fromHex(signed.rootHash));
    why = included
      ? `the ${path.length}-hash audit path from the recomputed leaf leads to the signed root ${signed.rootHash}`
      : `the ${path.length}-hash audit path does NOT lead to the signed root ${signed.rootHash}`;
  } catch (err) {
    why = `the proof is malformed: ${(err as Error).message}`;
  }
  checks.push({ id: 'inclusion', label: 'RFC 9162 inclusion', ok: included, detail: why });

  return { status: checks.every((c) => c.ok) ? 'verified' : 'failed', treeSize: signed.treeSize, checks };
}

/** Reads the node key from GET /api/v1/ledger/public-key: base64 raw key, or PEM (SPKI). */
export function publishedKeyFrom(body: unknown): string | null {
  const pick = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
  let candidate: string | null = pick(body);
  if (!candidate && body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    candidate = pick(o['publicKey']) ?? pick(o['base64']) ?? pick(o['key']) ?? pick(o['pem']);
  }
  if (!candidate) return null;
  const t = candidate.trim();
  if (t.includes('-----BEGIN')) {
    const b64 = t.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
    try {
      const der = fromBase64(b64);
      // SPKI for Ed25519: 12-byte header, then the 32-byte key.
      if (der.length !== 44) return null;
      return toBase64(der.subarray(12));
    } catch {
      return null;
    }
  }
  return t;
}
