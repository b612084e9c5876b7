import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { generateRecoveryCodes, generateTotpSecret, hashRecoveryCode, isRecoveryShaped, isTotpShaped, matchTotp, totpCode, totpStep, totpUri } from './totp.ts';

const T0 = Date.UTC(2026, 0, 15, 9, 0, 10);

describe('TOTP', () => {
  it('makes 160-bit base32 secrets and an otpauth URI with issuer Kotwal and the username', () => {
    const secret = generateTotpSecret();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const uri = totpUri(secret, 'asha');
    const parsed = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
    assert.equal(parsed.issuer, 'Kotwal');
    assert.equal(parsed.label, 'asha');
    assert.equal(parsed.algorithm, 'SHA1');
    assert.equal(parsed.digits, 6);
    assert.equal(parsed.period, 30);
    assert.equal(parsed.secret.base32, secret);
  });

  it('accepts the current code and one step of drift either way, and says which step', () => {
    const secret = generateTotpSecret();
    const step = totpStep(T0);
    assert.equal(matchTotp(secret, totpCode(secret, T0), T0), step);
    assert.equal(matchTotp(secret, totpCode(secret, T0 - 30_000), T0), step - 1);
    assert.equal(matchTotp(secret, totpCode(secret, T0 + 30_000), T0), step + 1);
    assert.equal(matchTotp(secret, totpCode(secret, T0 - 60_000), T0), null);
    assert.equal(matchTotp(secret, totpCode(secret, T0 + 60_000), T0), null);
  });

  it('matches RFC 6238 test vector (SHA-1, 8 digits truncated to our 6)', () => {
    // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s -> 94287082.
    const secret = OTPAuth.Secret.fromLatin1('12345678901234567890').base32;
    assert.equal(totpCode(secret, 59_000), '287082');
  });

  it('refuses wrong, malformed and other users\u2019 codes', () => {
    const a = generateTotpSecret();
    const b = generateTotpSecret();
    const code = totpCode(a, T0);
    // Another secret's code only matches by a one-in-a-million coincidence.
    if (![-1, 0, 1].some((d) => totpCode(b, T0 + d * 30_000) === code)) assert.equal(matchTotp(b, code, T0), null);
    assert.equal(matchTotp(a, '12345', T0), null);
    assert.equal(matchTotp(a, 'abcdef', T0), null);
    assert.equal(matchTotp(a, `${code} `, T0), null);
  });
});

describe('recovery codes', () => {
  it('makes ten distinct, readable codes', () => {
    const codes = generateRecoveryCodes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const c of codes) {
      assert.match(c, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
      assert.equal(isRecoveryShaped(c), true);
      assert.equal(isTotpShaped(c), false);
    }
  });

  it('hashes per user, ignoring case and separators', () => {
    const [code] = generateRecoveryCodes(1);
    const h = hashRecoveryCode('u1', code);
    assert.match(h, /^[0-9a-f]{64}$/);
    assert.equal(hashRecoveryCode('u1', code.toUpperCase().replace(/-/g, ' ')), h);
    assert.notEqual(hashRecoveryCode('u2', code), h);
  });
});
