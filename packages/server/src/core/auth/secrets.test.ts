import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSecretBox, loadOrCreateSecretsKey, SecretsKeyError } from './secrets.ts';

describe('secrets key and encryption at rest', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-secrets-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a 32-byte key file with mode 0600 in a 0700 directory, then reuses it', () => {
    const file = path.join(dir, 'keys', 'secrets.key');
    const key = loadOrCreateSecretsKey(file);
    assert.equal(key.length, 32);
    if (process.platform !== 'win32') {
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    }
    assert.deepEqual(loadOrCreateSecretsKey(file), key);
    assert.deepEqual(readFileSync(file), key);
  });

  it('refuses a key file of the wrong size', () => {
    const file = path.join(dir, 'bad.key');
    writeFileSync(file, 'too short', { mode: 0o600 });
    assert.throws(() => loadOrCreateSecretsKey(file), SecretsKeyError);
  });

  it('round-trips with AES-256-GCM, with a fresh IV each time', () => {
    const box = createSecretBox(loadOrCreateSecretsKey(path.join(dir, 'k2')));
    const a = box.encrypt('JBSWY3DPEHPK3PXP', 'totp:u1');
    const b = box.encrypt('JBSWY3DPEHPK3PXP', 'totp:u1');
    assert.notEqual(a, b);
    assert.match(a, /^v1\.[A-Za-z0-9_-]+$/);
    assert.ok(!a.includes('JBSWY3DP'));
    assert.equal(box.decrypt(a, 'totp:u1'), 'JBSWY3DPEHPK3PXP');
  });

  it('refuses another context, another key and altered ciphertext', () => {
    const box = createSecretBox(loadOrCreateSecretsKey(path.join(dir, 'k3')));
    const other = createSecretBox(loadOrCreateSecretsKey(path.join(dir, 'k4')));
    const c = box.encrypt('secret', 'totp:u1');
    assert.throws(() => box.decrypt(c, 'totp:u2'), SecretsKeyError);
    assert.throws(() => other.decrypt(c, 'totp:u1'), SecretsKeyError);
    const raw = Buffer.from(c.slice(3), 'base64url');
    raw[14] = raw[14] ^ 1;
    assert.throws(() => box.decrypt(`v1.${raw.toString('base64url')}`, 'totp:u1'), SecretsKeyError);
    assert.throws(() => box.decrypt('v9.abc', 'totp:u1'), SecretsKeyError);
  });
});
