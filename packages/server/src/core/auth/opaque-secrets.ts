/**
 * Bearer secrets the server hands out once and stores only as SHA-256:
 * session cookies, API tokens, CSRF tokens. They carry 256 bits of entropy,
 * so a fast hash is the right tool (no salt or stretching needed).
 */
import { createHash, randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'kotwal_session';
export const API_TOKEN_PREFIX = 'kwt_';

/** 32 random bytes, base64url (43 characters). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A new API token secret: `kwt_<43 base64url characters>`. */
export function newApiTokenSecret(): string {
  return `${API_TOKEN_PREFIX}${randomSecret(32)}`;
}

/** True when the text has the shape of a token we could have issued (cheap pre-check). */
export function isApiTokenShaped(value: string): boolean {
  return /^kwt_[A-Za-z0-9_-]{43}$/.test(value);
}

/** True when the text has the shape of a session cookie we could have set. */
export function isSessionSecretShaped(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}
