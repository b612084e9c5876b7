/**
 * Password hashing with scrypt (node:crypto) in a PHC-style string:
 * `$scrypt$ln=15,r=8,p=1$<salt b64>$<hash b64>`. The parameters travel with
 * the hash, so they can be raised later and old hashes still verify (and are
 * re-hashed at the next successful login). Comparison is constant-time.
 */
import { randomBytes, randomInt, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { PASSWORD_POLICY, passwordPolicyViolations } from '@kotwal/contracts';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  r: number;
  p: number;
}

/** N = 2^15, r = 8, p = 1: about 32 MiB and tens of milliseconds per hash. */
export const DEFAULT_SCRYPT: ScryptParams = { ln: 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PHC_RE = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize('NFC'), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function optionsOf(params: ScryptParams): ScryptOptions {
  const N = 2 ** params.ln;
  // scrypt needs 128 * N * r bytes; leave headroom over Node's 32 MiB default.
  return { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, optionsOf(params));
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): ParsedHash | null {
  const m = PHC_RE.exec(stored);
  if (!m) return null;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // Refuse absurd parameters from a tampered row rather than exhausting memory.
  if (params.ln < 1 || params.ln > 22 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return null;
  const salt = Buffer.from(m[4], 'base64');
  const key = Buffer.from(m[5], 'base64');
  if (salt.length < 8 || key.length < 16) return null;
  return { params, salt, key };
}

/** True when the password matches the stored hash. Never throws for a bad hash: returns false. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await scrypt(password, parsed.salt, parsed.key.length, optionsOf(parsed.params));
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** True when the stored hash uses weaker parameters than the current default. */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  return parsed.params.ln < params.ln || parsed.params.r < params.r || parsed.params.p < params.p;
}

let dummyHash: Promise<string> | null = null;

/** Computes the dummy hash ahead of the first unknown-user sign-in (so that one is not slower). */
export async function prepareDummyHash(): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(18).toString('base64'));
  await dummyHash;
}

/**
 * Spends the same work as a real verification, for unknown users, so that
 * response time does not reveal whether a username exists.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(18).toString('base64'));
  await verifyPassword(password, await dummyHash);
}

/** Policy violations for a new password, including "same as the current one". */
export function newPasswordViolations(newPassword: string, username: string, currentPassword?: string): string[] {
  const out = passwordPolicyViolations(newPassword, username);
  if (currentPassword !== undefined && newPassword === currentPassword) out.push('must differ from the current password');
  return out;
}

const LOWER = 'abcdefghijkmnpqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const SYMBOLS = '-_.!@#%+=';

/**
 * A random one-time password that satisfies the policy: 20 characters from
 * an unambiguous alphabet (about 118 bits), with every character class present.
 */
export function generateOneTimePassword(username = ''): string {
  const all = LOWER + UPPER + DIGITS + SYMBOLS;
  for (;;) {
    const chars = [LOWER, UPPER, DIGITS, SYMBOLS].map((set) => set[randomInt(set.length)]);
    while (chars.length < Math.max(20, PASSWORD_POLICY.minLength)) chars.push(all[randomInt(all.length)]);
    // Fisher-Yates so the guaranteed classes are not always first.
    for (let i = chars.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [chars[i], chars[j]] = [chars[j], chars[i]];
    }
    const pw = chars.join('');
    if (passwordPolicyViolations(pw, username).length === 0) return pw;
  }
}
