/**
 * Hashes of the replication wire objects (batches, receipts, revocation
 * notices, node identities), computed the same way on both nodes.
 *
 * Records are module JSON and may hold fractional numbers (coordinates),
 * which the manifest's canonical JSON (integers only) refuses; records are
 * hashed over a canonical JSON that sorts keys and writes numbers as
 * ECMAScript does (RFC 8785 number form), so a record parsed from the wire
 * hashes as it did on the source.
 */
import { createHash } from 'node:crypto';
import {
  canonicalHash,
  fromHex,
  verifyHashSignature,
  type BatchRecord,
  type CanonicalValue,
  type NodeIdentity,
  type ReplicationReceipt,
  type RevocationNotice,
} from '@kotwal/contracts';

/** Canonical JSON of any JSON value: sorted keys, finite numbers in ECMAScript form. */
export function recordJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error('a record holds a non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => recordJson(v)).join(',')}]`;
      const o = value as Record<string, unknown>;
      const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${recordJson(o[k])}`).join(',')}}`;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      break;
  }
  throw new Error(`a record holds a ${typeof value}, which JSON cannot carry`);
}

/** Hex SHA-256 of the canonical JSON of the batch's records (in order). */
export function recordsHash(records: readonly BatchRecord[]): string {
  const h = createHash('sha256');
  h.update('[');
  records.forEach((r, i) => {
    if (i) h.update(',');
    h.update(recordJson({ key: r.key, record: r.record }));
  });
  h.update(']');
  return h.digest('hex');
}

export interface BatchHashInput {
  transferId: string;
  manifestHash: string;
  seq: number;
  prevBatchHash: string | null;
  recordsHash: string;
}

export function batchHash(b: BatchHashInput): string {
  return canonicalHash({ transferId: b.transferId, manifestHash: b.manifestHash, seq: b.seq, prevBatchHash: b.prevBatchHash, recordsHash: b.recordsHash });
}

/** The details record of the source's `transfers.batch.sent` entry (its JSON text is what is hashed into the entry). */
export interface BatchSentDetails {
  transferId: string;
  seq: number;
  batchHash: string;
  records: number;
}

export function batchSentDetailsText(d: BatchSentDetails): string {
  // The same key order the ledger's JSON.stringify of this object gives.
  return JSON.stringify({ transferId: d.transferId, seq: d.seq, batchHash: d.batchHash, records: d.records });
}

export type UnsignedReceipt = Omit<ReplicationReceipt, 'signature'>;

export function receiptHash(r: UnsignedReceipt): string {
  return canonicalHash({
    transferId: r.transferId,
    batchSeq: r.batchSeq,
    batchHash: r.batchHash,
    records: r.records,
    receivedAt: r.receivedAt,
    replicaNode: r.replicaNode,
    replicaLedgerSeq: r.replicaLedgerSeq,
    sourceTreeSize: r.sourceTreeSize,
  });
}

export function verifyReceipt(r: ReplicationReceipt, publicKeyB64: string): boolean {
  return verifyHashSignature(receiptHash(r), r.signature, publicKeyB64) === 'raw';
}

export type UnsignedRevocation = Pick<RevocationNotice, 'transferId' | 'manifestHash' | 'revokedAt' | 'reason'>;

export function revocationHash(n: UnsignedRevocation): string {
  return canonicalHash({ kind: 'revocation', transferId: n.transferId, manifestHash: n.manifestHash, revokedAt: n.revokedAt, reason: n.reason });
}

export type UnsignedIdentity = Omit<NodeIdentity, 'signature'>;

export function identityHash(i: UnsignedIdentity): string {
  const v: { [k: string]: CanonicalValue } = {
    name: i.name,
    jurisdiction: i.jurisdiction,
    publicKey: i.publicKey,
    keyId: i.keyId,
    mode: i.mode,
    replicaOf: i.replicaOf,
    version: i.version,
    at: i.at,
  };
  return canonicalHash(v);
}

/** Whether a node identity is signed by the key it states (raw hash bytes). */
export function verifyIdentity(i: NodeIdentity): boolean {
  return verifyHashSignature(identityHash(i), i.signature, i.publicKey) === 'raw';
}

/** Signs a hex hash's 32 raw bytes with the node key. */
export function signHashWith(sign: (data: Uint8Array) => string, hashHex: string): string {
  return sign(fromHex(hashHex));
}
