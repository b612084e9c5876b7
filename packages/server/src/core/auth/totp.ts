/**
 * TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s steps, one step of clock drift
 * either way) with the otpauth library, and one-time recovery codes.
 *
 * Replay protection lives with the caller: `matchTotp` returns the time-step
 * the code belongs to, and the caller accepts it only when that step is
 * later than the last one accepted for the user (stored in totp_last_step).
 */
import { createHash, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

export const TOTP_ISSUER = 'Kotwal';
export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
export const TOTP_WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;

function totpFor(secretBase32: string, label = 'user'): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A fresh 160-bit secret, base32 (RFC 4648, no padding). */
export function generateTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI an authenticator app scans (issuer "Kotwal", label = username). */
export function totpUri(secretBase32: string, username: string): string {
  return totpFor(secretBase32, username).toString();
}

/** The time-step (counter) a timestamp falls in. */
export function totpStep(timestampMs: number): number {
  return Math.floor(timestampMs / 1000 / TOTP_PERIOD);
}

/** The code for a timestamp (tests, and the CLI's self-check). */
export function totpCode(secretBase32: string, timestampMs: number): string {
  return totpFor(secretBase32).generate({ timestamp: timestampMs });
}

/**
 * The time-step a six-digit code is valid for (within ±1 step of now), or
 * null when it matches none. Comparison inside otpauth is constant-time.
 */
export function matchTotp(secretBase32: string, code: string, timestampMs: number): number | null {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const delta = totpFor(secretBase32).validate({ token: code, timestamp: timestampMs, window: TOTP_WINDOW });
  return delta === null ? null : totpStep(timestampMs) + delta;
}

/** True when the string looks like a TOTP code (as opposed to a recovery code). */
export function isTotpShaped(code: string): boolean {
  return /^[0-9]{6}$/.test(code.trim());
}

// Crockford-style alphabet without look-alikes (no 0/O, 1/I/L, U).
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstvwxyz23456789';
const RECOVERY_GROUPS = 4;
const RECOVERY_GROUP_LEN = 4;

/** Ten recovery codes like `k7pm-3xq2-w9ab-rt4h` (about 78 bits each). */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) {
    const groups: string[] = [];
    for (let g = 0; g < RECOVERY_GROUPS; g++) {
      let s = '';
      for (let i = 0; i < RECOVERY_GROUP_LEN; i++) s += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
      groups.push(s);
    }
    codes.add(groups.join('-'));
  }
  return [...codes];
}

/** Canonical form: lower-case, separators and spaces removed. */
export function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

/**
 * SHA-256 bound to the user: codes carry ~78 bits of entropy, so a fast hash
 * is enough, and the user id stops one precomputation serving every account.
 */
export function hashRecoveryCode(userId: string, code: string): string {
  return createHash('sha256')
    .update(`kotwal-recovery:${userId}:${normaliseRecoveryCode(code)}`)
    .digest('hex');
}

/** True when the text could be a recovery code (so it is worth a lookup). */
export function isRecoveryShaped(code: string): boolean {
  const n = normaliseRecoveryCode(code);
  return n.length === RECOVERY_GROUPS * RECOVERY_GROUP_LEN && [...n].every((c) => RECOVERY_ALPHABET.includes(c));
}
