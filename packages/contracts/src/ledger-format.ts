/**
 * The ledger's wire format and RFC 9162 proof verification, shared by the
 * server, the console (in-browser verification) and offline verifiers.
 * Pure functions; hashing with @noble/hashes so the same code runs in Node
 * and in a browser.
 *
 * Entry bytes: the UTF-8 of a JSON array in a fixed order. The sequence
 * number is inside the sealed bytes, so reordering rows is detected.
 * Personal data never enters the sealed bytes: only the SHA-256 of the
 * separate details record does (lawful erasure keeps the tree intact).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519 } from '@noble/curves/ed25519.js';

export const LEDGER_FORMAT_VERSION = 'kotwal-ledger-v1';

export type LedgerActorType = 'user' | 'token' | 'device' | 'system' | 'anonymous';
export type LedgerOutcome = 'allowed' | 'denied';

export interface LedgerEntryFields {
  seq: number;
  /** ISO 8601 UTC with milliseconds, e.g. 2026-11-23T09:00:00.000Z */
  at: string;
  actorType: LedgerActorType;
  actorId: string;
  action: string;
  resource: string;
  purpose: string | null;
  caseRef: string | null;
  outcome: LedgerOutcome;
  requestId: string | null;
  /** Lower-case hex SHA-256 of the details record's exact text, or null. */
  detailsHash: string | null;
}

const encoder = new TextEncoder();

export function entryBytes(e: LedgerEntryFields): Uint8Array {
  return encoder.encode(
    JSON.stringify([
      LEDGER_FORMAT_VERSION,
      e.seq,
      e.at,
      e.actorType,
      e.actorId,
      e.action,
      e.resource,
      e.purpose,
      e.caseRef,
      e.outcome,
      e.requestId,
      e.detailsHash,
    ]),
  );
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new Error('invalid hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function sha256Hex(text: string): string {
  return toHex(sha256(encoder.encode(text)));
}

/** RFC 9162 leaf hash: SHA-256(0x00 || entry). */
export function leafHash(entry: Uint8Array): Uint8Array {
  const buf = new Uint8Array(entry.length + 1);
  buf[0] = 0;
  buf.set(entry, 1);
  return sha256(buf);
}

/** RFC 9162 interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 33);
  return sha256(buf);
}

export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

/** Largest power of two strictly less than n (n > 1). */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Root of a list of leaf hashes (reference implementation, O(n)). */
export function rootFromLeaves(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyRoot();
  let level: Uint8Array[] = [...leaves];
  // Bottom-up pairing gives the same root as RFC 9162's split at the
  // largest power of two: the odd node at the right edge is carried up.
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const l = level[i];
      const r = level[i + 1];
      next.push(r ? nodeHash(l, r) : l);
    }
    level = next;
  }
  return level[0];
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/** RFC 9162 section 2.1.3.2: verify an inclusion proof. */
export function verifyInclusion(leafIndex: number, treeSize: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (leafIndex < 0 || leafIndex >= treeSize) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        do {
          fn = half(fn);
          sn = half(sn);
        } while (!isOdd(fn) && fn !== 0);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(r, root);
}

/** RFC 9162 section 2.1.4.2: verify a consistency proof between two tree sizes. */
export function verifyConsistency(firstSize: number, secondSize: number, firstRoot: Uint8Array, secondRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (firstSize < 0 || secondSize < firstSize) return false;
  if (firstSize === secondSize) return proof.length === 0 && equalBytes(firstRoot, secondRoot);
  if (firstSize === 0) return proof.length === 0;
  let path = [...proof];
  if (Number.isInteger(Math.log2(firstSize))) path = [firstRoot, ...path];
  if (path.length === 0) return false;
  let fn = firstSize - 1;
  let sn = secondSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        do {
          fn = half(fn);
          sn = half(sn);
        } while (!isOdd(fn) && fn !== 0);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(fr, firstRoot) && equalBytes(sr, secondRoot);
}

/**
 * Checkpoints follow the C2SP tlog-checkpoint body: origin, tree size, base64
 * root hash, then one extension line with the signing time. The Ed25519
 * signature covers the exact body bytes.
 */
export interface CheckpointBody {
  origin: string;
  treeSize: number;
  rootHash: string; // hex
  timestamp: string; // ISO 8601
}

export function checkpointBody(c: CheckpointBody): string {
  return `${c.origin}\n${c.treeSize}\n${toBase64(fromHex(c.rootHash))}\ntimestamp ${c.timestamp}\n`;
}

export function parseCheckpointBody(body: string): CheckpointBody {
  const lines = body.split('\n');
  if (lines.length !== 5 || lines[4] !== '') throw new Error('checkpoint body must have 4 lines and a final newline');
  const [origin, size, root, ts] = lines as [string, string, string, string];
  if (!/^\d+$/.test(size)) throw new Error('checkpoint tree size is not a decimal number');
  if (!ts.startsWith('timestamp ')) throw new Error('checkpoint lacks its timestamp line');
  return { origin, treeSize: Number(size), rootHash: toHex(fromBase64(root)), timestamp: ts.slice('timestamp '.length) };
}

export function verifyCheckpointSignature(body: string, signatureB64: string, publicKeyB64: string): boolean {
  try {
    return ed25519.verify(fromBase64(signatureB64), encoder.encode(body), fromBase64(publicKeyB64));
  } catch {
    return false;
  }
}
