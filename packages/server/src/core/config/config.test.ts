import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from './index.ts';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({}, { cwd: '/srv/kotwal' });
    assert.equal(c.port, 8080);
    assert.equal(c.dataDir, '/srv/kotwal/data');
    assert.equal(c.databaseUrl, null);
    assert.equal(c.natsUrl, null);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.sessionIdleMinutes, 30);
    assert.equal(c.lockoutThreshold, 5);
    assert.equal(c.lockoutMinutes, 10);
    assert.equal(c.signingKeyPath, '/srv/kotwal/data/keys/ledger-signing-key.pem');
  });

  it('reads the environment', () => {
    const c = loadConfig({
      PORT: '9090',
      KOTWAL_DATA_DIR: '/var/lib/kotwal',
      DATABASE_URL: 'postgres://u@db/kotwal',
      NATS_URL: 'nats://n:4222',
      LOG_LEVEL: 'debug',
    });
    assert.equal(c.port, 9090);
    assert.equal(c.dataDir, '/var/lib/kotwal');
    assert.equal(c.databaseUrl, 'postgres://u@db/kotwal');
    assert.equal(c.natsUrl, 'nats://n:4222');
    assert.equal(c.logLevel, 'debug');
  });

  it('names every bad variable in one error', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', KOTWAL_COOKIE_SECURE: 'maybe' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /PORT must be a whole number, got "eighty"/);
        assert.match(err.message, /DATABASE_URL must use postgres: or postgresql:/);
        assert.match(err.message, /LOG_LEVEL must be one of/);
        assert.match(err.message, /KOTWAL_COOKIE_SECURE must be true or false/);
        return true;
      },
    );
    assert.throws(() => loadConfig({ PORT: '70000' }), /PORT must be between 0 and 65535/);
  });

  it('reads the tile servers the console may load from as origins only', () => {
    assert.deepEqual(loadConfig({}).tileOrigins, []);
    assert.deepEqual(loadConfig({ KOTWAL_TILE_ORIGINS: 'https://tiles.police.example, http://10.1.2.3:8081/' }).tileOrigins, [
      'https://tiles.police.example',
      'http://10.1.2.3:8081',
    ]);
    assert.throws(() => loadConfig({ KOTWAL_TILE_ORIGINS: 'https://tiles.example/{z}/{x}/{y}.png' }), /KOTWAL_TILE_ORIGINS: ".*" is not an origin/);
    assert.throws(() => loadConfig({ KOTWAL_TILE_ORIGINS: "'unsafe-inline'" }), /is not an origin/);
  });

  it('reads an optional JSON file, with the environment winning', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-config-'));
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ port: 7000, LOG_LEVEL: 'warn', nodeName: 'lahore-c3' }));
    const c = loadConfig({ LOG_LEVEL: 'error' }, { configFile: file });
    assert.equal(c.port, 7000);
    assert.equal(c.logLevel, 'error');
    assert.equal(c.nodeName, 'lahore-c3');
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    assert.throws(() => loadConfig({}, { configFile: file }), /unknown key "prot"/);
    writeFileSync(file, '{ not json');
    assert.throws(() => loadConfig({}, { configFile: file }), /is not valid JSON/);
    assert.throws(() => loadConfig({}, { configFile: path.join(dir, 'missing.json') }), /ENOENT/);
  });
});
