/**
 * Signing and checking in the browser, with the contracts' functions only
 * (the same bytes as the server, the CLI and the offline verifier):
 *
 * - an official's private key (PKCS#8 PEM from `kotwal keys generate`, or
 *   base64 raw) is read from a file or a paste, kept in memory for one
 *   signature and wiped; it is never sent anywhere;
 * - a manifest's hash is recomputed here from the manifest the server
 *   returned, and only that recomputed hash is signed;
 * - each recorded approval's signature is verified here against that hash
 *   and the approver set the manifest names.
 */
import {
  canonicalHash,
  canonicalJson,
  grantManifestHash,
  manifestHash,
  parseEd25519PrivateKey,
  parseEd25519PublicKey,
  publicKeyId,
  publicKeyOfSecret,
  signHash,
  verifyCosignature,
  verifyHashSignature,
  type Checkpoint,
  type Cosignature,
  type GrantForSigning,
  type NodeIdentity,
  type Transfer,
  type TransferApproval,
  type Witness,
} from '@kotwal/contracts';

export interface LoadedKey {
  /** Raw 32-byte Ed25519 secret: wipe with `forgetKey` once used. */
  secret: Uint8Array;
  publicKey: string;
  keyId: string;
}

/** Parses a private key text; throws an Error whose message says what is wrong with it. */
export function loadPrivateKey(text: string): LoadedKey {
  const t = text.trim();
  if (!t) throw new Error('no key given');
  if (t.includes('PUBLIC KEY')) throw new Error('this is a public key (.pub); choose the private key file');
  let secret: Uint8Array;
  try {
    secret = parseEd25519PrivateKey(t);
  } catch (err) {
    throw new Error(err instanceof Error ? err.message : 'not an Ed25519 private key', { cause: err });
  }
  // Our own copy, so wiping it does not depend on what the parser shares.
  const own = new Uint8Array(secret);
  secret.fill(0);
  const publicKey = publicKeyOfSecret(own);
  return { secret: own, publicKey, keyId: publicKeyId(publicKey) };
}

export function forgetKey(key: LoadedKey | null): void {
  key?.secret.fill(0);
}

/** Signs the 32 raw bytes of the hash (what the server and the CLI expect). */
export function signWith(key: LoadedKey, hashHex: string): string {
  return signHash(hashHex, key.secret);
}

/** A public key as base64 raw, from SPKI PEM or base64; null when it is neither. */
export function normalisePublicKey(text: string): string | null {
  try {
    return parseEd25519PublicKey(text);
  } catch {
    return null;
  }
}

export function keyIdOf(publicKeyB64: string): string {
  try {
    return publicKeyId(publicKeyB64);
  } catch {
    return '?';
  }
}

export type Manifest = Transfer['manifest'];

export interface ManifestCheck {
  /** The canonical JSON the browser hashed. */
  canonical: string;
  recomputed: string;
  matches: boolean;
}

export function checkTransferManifest(t: { manifest: Manifest; manifestHash: string }): ManifestCheck {
  const recomputed = manifestHash(t.manifest);
  return { canonical: canonicalJson(t.manifest), recomputed, matches: recomputed === t.manifestHash };
}

export type GrantManifest = GrantForSigning['manifest'];

export function checkGrantManifest(manifest: GrantManifest, serverHash: string): ManifestCheck {
  const recomputed = grantManifestHash(manifest);
  return { canonical: canonicalJson(manifest), recomputed, matches: recomputed === serverHash };
}

export interface ApprovalCheck {
  approval: TransferApproval;
  /** Which form of the hash the signature verifies over, in this browser; null when it does not. */
  verifiedAs: 'raw' | 'hex-text' | null;
  /** The key is in the approver set the signed manifest names. */
  designated: boolean;
  /** The key id recomputed from the key. */
  keyIdMatches: boolean;
}

/** Verifies each recorded approval against the recomputed hash and the manifest's approver keys. */
export function checkApprovals(hashHex: string, approvals: readonly TransferApproval[], designatedKeys: readonly string[]): ApprovalCheck[] {
  const set = new Set(designatedKeys);
  return approvals.map((a) => ({
    approval: a,
    verifiedAs: verifyHashSignature(hashHex, a.signature, a.publicKey),
    designated: set.has(a.publicKey),
    keyIdMatches: keyIdOf(a.publicKey) === a.keyId,
  }));
}

/** Distinct designated keys whose approvals verify: what counts toward M. */
export function validApprovalCount(checks: readonly ApprovalCheck[]): number {
  return new Set(checks.filter((c) => c.verifiedAs && c.designated).map((c) => c.approval.publicKey)).size;
}

/** The node's identity: its signature over the canonical hash of the other fields (raw hash bytes). */
export function verifyNodeIdentity(n: NodeIdentity): boolean {
  const { signature, ...rest } = n;
  return verifyHashSignature(canonicalHash(rest), signature, n.publicKey) === 'raw';
}

export interface CosignatureCheck {
  cosignature: Cosignature;
  valid: boolean;
  /** The key belongs to a registered witness (by that name). */
  registered: boolean;
}

export function checkCosignatures(checkpoint: Checkpoint, cosignatures: readonly Cosignature[], witnesses: readonly Witness[]): CosignatureCheck[] {
  const keys = new Set(witnesses.map((w) => w.publicKey));
  return cosignatures.map((c) => ({
    cosignature: c,
    valid: verifyCosignature(checkpoint.body, c.timestamp, c.signature, c.publicKey),
    registered: keys.has(c.publicKey),
  }));
}
