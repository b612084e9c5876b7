import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { passwordPolicyViolations } from '@kotwal/contracts';
import { generateOneTimePassword, hashPassword, needsRehash, newPasswordViolations, verifyPassword } from './passwords.ts';

describe('password hashing', () => {
  it('hashes to a PHC-style scrypt string with a per-user salt and verifies', async () => {
    const a = await hashPassword('Correct-Horse-Battery-9');
    const b = await hashPassword('Correct-Horse-Battery-9');
    assert.match(a, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/);
    assert.notEqual(a, b, 'two hashes of one password differ (random salt)');
    assert.equal(await verifyPassword('Correct-Horse-Battery-9', a), true);
    assert.equal(await verifyPassword('Correct-Horse-Battery-8', a), false);
    assert.equal(await verifyPassword('', a), false);
  });

  it('refuses malformed or tampered hashes without throwing', async () => {
    assert.equal(await verifyPassword('x', 'plaintext'), false);
    assert.equal(await verifyPassword('x', '$scrypt$ln=30,r=8,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=='), false);
    assert.equal(await verifyPassword('x', '$argon2id$v=19$m=65536,t=3,p=4$abc$def'), false);
  });

  it('verifies hashes made with other parameters and says when to re-hash', async () => {
    const weak = await hashPassword('Another-Secret-42', { ln: 10, r: 8, p: 1 });
    assert.equal(await verifyPassword('Another-Secret-42', weak), true);
    assert.equal(needsRehash(weak), true);
    assert.equal(needsRehash(await hashPassword('Another-Secret-42')), false);
  });

  it('normalises Unicode so the same visible password verifies', async () => {
    const composed = 'Caf\u00e9-Strong-Pass-1';
    const decomposed = 'Cafe\u0301-Strong-Pass-1';
    assert.equal(await verifyPassword(decomposed, await hashPassword(composed)), true);
  });
});

describe('password policy', () => {
  it('lists every violation', () => {
    assert.deepEqual(newPasswordViolations('short', 'asha'), [
      'must be at least 12 characters',
      'must mix at least three of lower-case, upper-case, digits and symbols',
    ]);
    assert.ok(newPasswordViolations('Asha-Password-1', 'asha').includes('must not contain the username'));
    assert.deepEqual(newPasswordViolations('Correct-Horse-Battery-9', 'asha'), []);
  });

  it('refuses the current password as the new one', () => {
    assert.deepEqual(newPasswordViolations('Correct-Horse-Battery-9', 'asha', 'Correct-Horse-Battery-9'), ['must differ from the current password']);
  });

  it('generates one-time passwords that satisfy the policy', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const pw = generateOneTimePassword('admin');
      assert.deepEqual(passwordPolicyViolations(pw, 'admin'), [], pw);
      assert.match(pw, /^\S+$/, 'no whitespace: it is parsed from "one-time password: <pw>"');
      seen.add(pw);
    }
    assert.equal(seen.size, 200);
  });
});
