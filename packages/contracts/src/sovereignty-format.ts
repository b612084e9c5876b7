/**
 * The signed objects of sovereignty (transfer manifests, break-glass grants,
 * replication batches and receipts) and how they are hashed and signed.
 * Shared by the server, the CLI, the console (signing in the browser) and
 * the offline oversight verifier, so all of them compute the same bytes.
 *
 * Hashing: SHA-256 over the UTF-8 of the canonical JSON (RFC 8785 JCS for
 * the values we use: objects with sorted keys, no insignificant whitespace,
 * strings escaped as JSON.stringify does, integers only). An official signs
 * the 32 raw bytes of that hash with Ed25519; the ASCII hex text of the hash
 * is accepted as the signed message too (tools that sign "the hash" as text).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromBase64, fromHex, toBase64, toHex } from './ledger-format.ts';

const encoder = new TextEncoder();

export type CanonicalValue = string | number | boolean | null | CanonicalValue[] | { [key: string]: CanonicalValue | undefined };

/** RFC 8785-style canonical JSON: sorted keys, undefined members left out, finite integers only. */
export function canonicalJson(value: CanonicalValue | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`canonical JSON: ${value} is not a safe integer`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

/** Hex SHA-256 of the canonical JSON of value. */
export function canonicalHash(value: CanonicalValue): string {
  return toHex(sha256(encoder.encode(canonicalJson(value))));
}

/** Hex SHA-256 of bytes or UTF-8 text. */
export function sha256HexBytes(data: Uint8Array | string): string {
  return toHex(sha256(typeof data === 'string' ? encoder.encode(data) : data));
}

/** Hex SHA-256 of the raw public key, first 8 bytes (as the ledger's keyId). */
export function publicKeyId(publicKeyB64: string): string {
  return toHex(sha256(fromBase64(publicKeyB64))).slice(0, 16);
}

export const HASH_HEX = /^[0-9a-f]{64}$/;

/**
 * Verifies an Ed25519 signature over a hash: the 32 raw bytes (canonical) or
 * the ASCII hex text. Returns which form matched, or null.
 */
export function verifyHashSignature(hashHex: string, signatureB64: string, publicKeyB64: string): 'raw' | 'hex-text' | null {
  if (!HASH_HEX.test(hashHex)) return null;
  let sig: Uint8Array;
  let pub: Uint8Array;
  try {
    sig = fromBase64(signatureB64);
    pub = fromBase64(publicKeyB64);
  } catch {
    return null;
  }
  if (sig.length !== 64 || pub.length !== 32) return null;
  try {
    if (ed25519.verify(sig, fromHex(hashHex), pub)) return 'raw';
    if (ed25519.verify(sig, encoder.encode(hashHex), pub)) return 'hex-text';
  } catch {
    return null;
  }
  return null;
}

/** Signs the 32 raw bytes of a hex hash with a raw 32-byte Ed25519 secret key; base64 signature. */
export function signHash(hashHex: string, secretKey: Uint8Array): string {
  if (!HASH_HEX.test(hashHex)) throw new Error('expected a hex SHA-256 hash');
  return toBase64(ed25519.sign(fromHex(hashHex), secretKey));
}

/** Base64 raw public key of a raw 32-byte Ed25519 secret key. */
export function publicKeyOfSecret(secretKey: Uint8Array): string {
  return toBase64(ed25519.getPublicKey(secretKey));
}

const PKCS8_ED25519_PREFIX = fromHex('302e020100300506032b657004220420');
const SPKI_ED25519_PREFIX = fromHex('302a300506032b6570032100');

function pemBody(pem: string, label: string): Uint8Array | null {
  const m = new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`).exec(pem);
  if (!m?.[1]) return null;
  return fromBase64(m[1].replace(/\s+/g, ''));
}

/**
 * The raw 32-byte secret of an Ed25519 private key given as PKCS#8 PEM (as
 * `kotwal keys generate` writes it), or as base64 of the raw 32 bytes.
 */
export function parseEd25519PrivateKey(text: string): Uint8Array {
  const t = text.trim();
  if (t.includes('-----BEGIN')) {
    const der = pemBody(t, 'PRIVATE KEY');
    if (!der) throw new Error('not a PKCS#8 "PRIVATE KEY" PEM');
    if (der.length !== 48 || toHex(der.subarray(0, 16)) !== toHex(PKCS8_ED25519_PREFIX)) throw new Error('not an Ed25519 PKCS#8 private key');
    return der.subarray(16);
  }
  const raw = fromBase64(t);
  if (raw.length !== 32) throw new Error('a raw Ed25519 private key is the base64 of 32 bytes');
  return raw;
}

/** Base64 raw 32-byte public key from SPKI PEM or base64 raw; throws on anything else. */
export function parseEd25519PublicKey(text: string): string {
  const t = text.trim();
  if (t.includes('-----BEGIN')) {
    const der = pemBody(t, 'PUBLIC KEY');
    if (!der || der.length !== 44 || toHex(der.subarray(0, 12)) !== toHex(SPKI_ED25519_PREFIX)) throw new Error('not an Ed25519 SPKI public key');
    return toBase64(der.subarray(12));
  }
  let raw: Uint8Array;
  try {
    raw = fromBase64(t);
  } catch {
    throw new Error('a public key is SPKI PEM or the base64 of the raw 32 bytes');
  }
  if (raw.length !== 32) throw new Error('a raw Ed25519 public key is the base64 of 32 bytes');
  return toBase64(raw);
}

// ---------------------------------------------------------------------------
// Transfer manifests

export type TransferKind = 'replication' | 'export' | 'evidence-share';

/**
 * What officials sign (by its hash). Every fact that decides whether data may
 * flow is inside it: dataset and filter, both ends with their jurisdictions
 * and keys, purpose, legal basis, expiry and the approver set with its
 * threshold as they stood when the transfer was requested.
 */
export interface TransferManifest {
  [key: string]: CanonicalValue | undefined;
  version: 1;
  id: string;
  kind: TransferKind;
  dataset: string;
  /** Field = value filters the dataset understands (empty: the whole dataset). */
  filter: { [field: string]: string };
  /** Evidence items or record keys, for item-wise shares (empty: by dataset and filter). */
  items: string[];
  source: { node: string; jurisdiction: string; publicKey: string };
  destination: { node: string; jurisdiction: string; publicKey: string | null; address: string | null };
  purpose: string;
  legalBasis: string;
  expiresAt: string;
  requestedAt: string;
  requestedBy: string;
  approvers: { threshold: number; publicKeys: string[] };
}

export function manifestHash(m: TransferManifest): string {
  return canonicalHash(m);
}

// ---------------------------------------------------------------------------
// Break-glass grants

export interface GrantManifest {
  [key: string]: CanonicalValue | undefined;
  version: 1;
  id: string;
  node: string;
  /** User id and name of the support account the grant is for. */
  grantee: { id: string; username: string };
  role: string;
  reason: string;
  ticket: string | null;
  durationMinutes: number;
  requestedAt: string;
  requestedBy: string;
  approvers: { threshold: number; publicKeys: string[] };
}

export function grantManifestHash(m: GrantManifest): string {
  return canonicalHash(m);
}

// ---------------------------------------------------------------------------
// Witness cosignatures (C2SP tlog-cosignature style: the witness signs a
// header naming the time, then the checkpoint body it checked).

export function cosignedMessage(checkpointBody: string, timestampSeconds: number): string {
  return `cosignature/v1\ntime ${timestampSeconds}\n${checkpointBody}`;
}

export function verifyCosignature(checkpointBody: string, timestampSeconds: number, signatureB64: string, publicKeyB64: string): boolean {
  try {
    return ed25519.verify(fromBase64(signatureB64), encoder.encode(cosignedMessage(checkpointBody, timestampSeconds)), fromBase64(publicKeyB64));
  } catch {
    return false;
  }
}

export function signCosignature(checkpointBody: string, timestampSeconds: number, secretKey: Uint8Array): string {
  return toBase64(ed25519.sign(encoder.encode(cosignedMessage(checkpointBody, timestampSeconds)), secretKey));
}
