/**
 * Encryption at rest for secrets the server must read back (TOTP seeds):
 * AES-256-GCM under a 32-byte key kept in a file outside the database
 * (config.secretsKeyPath), created on first start with mode 0600 in a 0700
 * directory. A database dump alone does not reveal any TOTP secret.
 *
 * Ciphertext format: `v1.<base64url(iv[12] || ciphertext || tag[16])>`. The
 * caller passes a context string (e.g. `totp:<userId>`) that is bound as
 * additional authenticated data, so a ciphertext copied to another user's
 * row does not decrypt.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const SECRETS_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

export class SecretsKeyError extends Error {
  override name = 'SecretsKeyError';
}

export interface SecretBox {
  encrypt(plaintext: string, context: string): string;
  /** Throws when the ciphertext was altered, moved to another context or made with another key. */
  decrypt(ciphertext: string, context: string): string;
  /** Short fingerprint of the key (first 8 hex of its SHA-256), for diagnostics. */
  readonly fingerprint: string;
}

/** Reads the key file, creating it (0600, directory 0700) when absent. */
export function loadOrCreateSecretsKey(file: string): Buffer {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(SECRETS_KEY_BYTES), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SecretsKeyError(`cannot create the secrets key ${file}: ${(err as Error).message}`);
    }
  }
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch (err) {
    throw new SecretsKeyError(`cannot read the secrets key ${file}: ${(err as Error).message}`);
  }
  if (key.length !== SECRETS_KEY_BYTES) {
    throw new SecretsKeyError(`the secrets key ${file} must hold exactly ${SECRETS_KEY_BYTES} bytes, it holds ${key.length}`);
  }
  // Tighten permissions if someone loosened them (best effort on POSIX).
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return key;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== SECRETS_KEY_BYTES) throw new SecretsKeyError(`secrets key must be ${SECRETS_KEY_BYTES} bytes`);
  const k = Buffer.from(key);
  return {
    fingerprint: createHash('sha256').update(k).digest('hex').slice(0, 8),
    encrypt(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', k, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
    },
    decrypt(ciphertext, context) {
      const dot = ciphertext.indexOf('.');
      if (dot < 0 || ciphertext.slice(0, dot) !== VERSION) throw new SecretsKeyError('unknown ciphertext format');
      const raw = Buffer.from(ciphertext.slice(dot + 1), 'base64url');
      if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretsKeyError('ciphertext too short');
      const decipher = createDecipheriv('aes-256-gcm', k, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretsKeyError('ciphertext failed authentication (wrong key, context or altered data)');
      }
    },
  };
}
