/**
 * The node's Ed25519 checkpoint signing key: a PKCS#8 PEM file outside the
 * database (default `<data dir>/keys/ledger-signing-key.pem`), created on
 * first start with mode 0600 in a 0700 directory, and loaded afterwards.
 * Public keys are accepted as SPKI PEM, as a private PEM (its public half),
 * or as the base64 of the raw 32 bytes.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: LedgerPublicKey;
}

export interface LedgerPublicKey {
  key: KeyObject;
  /** Raw 32-byte Ed25519 public key, base64. */
  base64: string;
  /** Hex SHA-256 of the raw public key, first 8 bytes. */
  keyId: string;
  /** SPKI PEM. */
  pem: string;
}

export class SigningKeyError extends Error {
  override name = 'SigningKeyError';
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function describePublicKey(key: KeyObject): LedgerPublicKey {
  if (key.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'a symmetric key'}`);
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ format: 'der', type: 'spki' });
  const raw = der.subarray(der.length - 32);
  return {
    key: pub,
    base64: raw.toString('base64'),
    keyId: keyIdOf(raw),
    pem: pub.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** Hex SHA-256 of the raw public key, first 8 bytes (the Checkpoint keyId). */
export function keyIdOf(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

/** Parses a public key given as SPKI PEM, private PEM or base64 of the raw 32 bytes. */
export function parsePublicKey(text: string | KeyObject): LedgerPublicKey {
  if (typeof text !== 'string') return describePublicKey(text);
  const t = text.trim();
  try {
    if (t.includes('-----BEGIN')) {
      const key = t.includes('PRIVATE KEY') ? createPrivateKey(t) : createPublicKey(t);
      return describePublicKey(key);
    }
    const raw = Buffer.from(t, 'base64');
    if (raw.length !== 32 || raw.toString('base64').replace(/=+$/, '') !== t.replace(/=+$/, '')) {
      throw new SigningKeyError('a raw public key must be the base64 of 32 bytes');
    }
    return describePublicKey(createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' }));
  } catch (err) {
    if (err instanceof SigningKeyError) throw err;
    throw new SigningKeyError(`not an Ed25519 public key: ${(err as Error).message}`);
  }
}

/** Reads a public key from a file (PEM or base64 raw). */
export function readPublicKeyFile(file: string): LedgerPublicKey {
  return parsePublicKey(readFileSync(file, 'utf8'));
}

function writeNewKey(file: string): boolean {
  const dir = path.dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  let fd: number;
  try {
    // 'wx': never overwrite a key another process created a moment ago.
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(file, 0o600);
  return true;
}

/** Loads the signing key, creating it on first start. Never logs key material. */
export function loadOrCreateSigningKey(file: string, logger?: Logger): SigningKey {
  let created = false;
  if (!existsSync(file)) created = writeNewKey(file);
  const st = statSync(file);
  if (!st.isFile()) throw new SigningKeyError(`ledger signing key ${file} is not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    logger?.warn({ path: file, mode: (st.mode & 0o777).toString(8) }, 'the ledger signing key is readable by other users; run chmod 600 on it');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SigningKeyError(`ledger signing key ${file} cannot be read as a PEM private key: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new SigningKeyError(`ledger signing key ${file} is a ${privateKey.asymmetricKeyType ?? 'non-asymmetric'} key; an Ed25519 key is required`);
  }
  const publicKey = describePublicKey(privateKey);
  if (created) logger?.info({ path: file, keyId: publicKey.keyId }, 'created the ledger signing key');
  return { privateKey, publicKey };
}

export function signBody(key: SigningKey, body: string): Buffer {
  return sign(null, Buffer.from(body, 'utf8'), key.privateKey);
}

export function verifyBody(key: LedgerPublicKey, body: string, signature: Uint8Array): boolean {
  try {
    return verify(null, Buffer.from(body, 'utf8'), key.key, signature);
  } catch {
    return false;
  }
}
