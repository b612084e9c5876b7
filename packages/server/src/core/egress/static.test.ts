/**
 * Static proof that only core/egress opens outbound connections: every .ts
 * file of packages/server/src and packages/contracts/src is parsed with the
 * TypeScript compiler API and checked against the rule in
 * test/static-check.ts. Test files (*.test.ts), test/ folders and bench/
 * folders are not product code and are not scanned (tests open clients to
 * prove things; bench drives load). The checker itself is tested on small
 * fixtures first, so the product scan can fail.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkSource, ruleFor, scanProduct } from './test/static-check.ts';

const packagesDir = path.resolve(import.meta.dirname, '../../../..');
const egressDir = path.resolve(import.meta.dirname);

function violations(text: string): string[] {
  return checkSource('fixture.ts', text).map((v) => `${v.line}: ${v.message}`);
}

function assertFails(text: string, pattern: RegExp, line?: number): void {
  const v = checkSource('fixture.ts', text);
  assert.ok(v.length > 0, `expected a violation for:\n${text}`);
  assert.ok(
    v.some((x) => pattern.test(x.message) && (line === undefined || x.line === line)),
    `expected ${pattern}${line ? ` on line ${line}` : ''} for:\n${text}\ngot: ${JSON.stringify(v)}`,
  );
}

function assertPasses(text: string): void {
  assert.deepEqual(violations(text), [], `expected no violation for:\n${text}`);
}

describe('static egress check: the checker fails on network clients', () => {
  it('database, NATS, MQTT and HTTP client packages', () => {
    assertFails(`import pg from 'pg';`, /"pg": PostgreSQL client/, 1);
    assertFails(`\n\nimport { Pool } from 'pg';`, /imports Pool from "pg"/, 3);
    assertFails(`import { connect } from '@nats-io/transport-node';`, /NATS client/);
    assertFails(`import { connect } from 'nats';`, /NATS client/);
    assertFails(`import mqtt from 'mqtt';\nmqtt.connect('mqtt://x');`, /"mqtt": MQTT client/, 1);
    assertFails(`import { connectAsync } from 'mqtt';`, /MQTT client/);
    assertFails(`import { request } from 'undici';`, /HTTP client/);
    assertFails(`import 'pg';`, /imports "pg"/);
    assertFails(`import dgram from 'node:dgram';`, /UDP/);
    assertFails(`import { lookup } from 'node:dns';`, /DNS/);
    assertFails(`import { Pushgateway } from 'prom-client';`, /Pushgateway/);
    assertFails(`import client from 'prom-client';\nnew client.Pushgateway('http://x');`, /client\.Pushgateway/, 2);
  });

  it('client members of node:net, node:tls, node:http, node:https, node:http2', () => {
    assertFails(`import net from 'node:net';\nconst s = net.connect(80, 'example.org');`, /net\.connect .*servers only/, 2);
    assertFails(`import { createConnection } from 'net';`, /imports createConnection from "net"/);
    assertFails(`import { Socket } from 'node:net';\nnew Socket();`, /imports Socket/);
    assertFails(`import * as http from 'node:http';\nhttp.request('http://x');`, /http\.request/, 2);
    assertFails(`import http from 'http';\nhttp.get('http://x');`, /http\.get/);
    assertFails(`import http from 'node:http';\nconst a = new http.Agent();`, /http\.Agent/);
    assertFails(`import { request } from 'node:https';`, /imports request from "node:https"/);
    assertFails(`import https from 'node:https';\nhttps.request(new URL('https://x'));`, /https\.request/);
    assertFails(`import tls from 'node:tls';\ntls.connect(443, 'x');`, /tls\.connect/);
    assertFails(`import { connect } from 'node:http2';`, /http2/);
    assertFails(`import net = require('node:net');\nnet.createConnection(1);`, /net\.createConnection/);
  });

  it('the module object passed around, re-exports and dynamic loading', () => {
    assertFails(`import net from 'node:net';\nexport const lib = net;`, /whole "node:net" module/, 2);
    assertFails(`import * as http from 'node:http';\nconst { request } = http;`, /whole "node:http" module/);
    assertFails(`import http from 'node:http';\nconst r = http['request'];`, /whole "node:http" module/);
    assertFails(`import net from 'node:net';\nexport { net };`, /whole "node:net" module/);
    assertFails(`export { request } from 'node:http';`, /imports request from "node:http"/);
    assertFails(`export * from 'pg';`, /re-exports all of "pg"/);
    assertFails(`const m = await import('mqtt');`, /import\(\) of "mqtt"/);
    assertFails(`const m = await import('node:http');`, /dynamic import cannot be followed/);
    assertFails(`const pg = require('pg');`, /require\(\) of "pg"/);
    assertFails(`const name = 'pg';\nconst m = await import(name);`, /computed specifier/, 2);
  });

  it('the ws client, and global fetch / WebSocket / XMLHttpRequest / EventSource', () => {
    assertFails(`import WebSocket from 'ws';\nnew WebSocket('ws://x');`, /default export of "ws"/);
    assertFails(`import { WebSocket } from 'ws';`, /imports WebSocket from "ws"/);
    assertFails(`const r = await fetch('https://example.org');`, /fetch\(\): the global network client/, 1);
    assertFails(`\nconst r = await globalThis.fetch('https://example.org');`, /globalThis\.fetch/, 2);
    assertFails(`const f = fetch;\nawait f('x');`, /fetch: the global/);
    assertFails(`call({ fetch });`, /fetch: the global/);
    assertFails(`const w = new WebSocket('wss://x');`, /new WebSocket\(\)/);
    assertFails(`const x = new XMLHttpRequest();`, /new XMLHttpRequest\(\)/);
    assertFails(`const e = new EventSource('https://x');`, /new EventSource\(\)/);
    assertFails(`navigator.sendBeacon('https://x', 'd');`, /sendBeacon/);
  });

  it('an unreviewed package fails until someone reviews it', () => {
    assertFails(`import leftPad from 'left-pad';`, /"left-pad" is not a reviewed package/);
    assert.equal(ruleFor('./local.ts'), null);
    assert.equal(ruleFor('#core/db/index.ts'), null);
    assert.deepEqual(ruleFor('node:fs'), { kind: 'reviewed' });
  });
});

describe('static egress check: servers, types and look-alikes pass', () => {
  it('servers: http.createServer, net.createServer, ws WebSocketServer, aedes, fastify', () => {
    assertPasses(`import http from 'node:http';\nconst s = http.createServer((req, res) => res.end());\nclass My extends http.Server {}`);
    assertPasses(
      `import net from 'node:net';\nimport type { AddressInfo } from 'node:net';\nconst s = net.createServer();\nlet c: net.Socket | null = null;\nconst set = new Set<net.Socket>();`,
    );
    assertPasses(`import { createServer } from 'node:https';\nimport tls from 'node:tls';\ntls.createServer({});`);
    assertPasses(`import { WebSocketServer } from 'ws';\nimport type WebSocket from 'ws';\nlet w: WebSocket;`);
    assertPasses(`import { Aedes } from 'aedes';\nimport Fastify from 'fastify';\nimport websocket from '@fastify/websocket';`);
  });

  it('type-only imports of client packages, and libraries that take an existing connection', () => {
    assertPasses(
      `import type { Pool, PoolClient } from 'pg';\nimport { type MqttClient } from 'mqtt';\nimport type { NatsConnection } from '@nats-io/transport-node';`,
    );
    assertPasses(`import { jetstream, jetstreamManager } from '@nats-io/jetstream';`);
    assertPasses(`import { PGlite } from '@electric-sql/pglite';\nimport { from } from 'pg-copy-streams';`);
    assertPasses(`import client from 'prom-client';\nconst h = new client.Histogram({ name: 'x', help: 'y' });`);
    assertPasses(`import { Registry } from 'prom-client';`);
  });

  it('fetch in comments, strings, as a method or property name, as a type, or bound by the file', () => {
    assertPasses(`// fetch('https://x') is not called here\nconst s = "fetch('x')";\nconst t = \`new WebSocket(\`;`);
    assertPasses(`const o = { fetch: 1 };\nclass C { fetch() { return 1; } }\nobj.fetch(1);\nthis.fetch?.();`);
    assertPasses(`type F = typeof fetch;\nlet w: WebSocket | null = null;\ninterface I { fetch(): void }`);
    assertPasses(`import { fetch } from './own-client.ts';\nawait fetch('x');`);
    assertPasses(`function run(fetch: (u: string) => void) { fetch('x'); }`);
  });
});

describe('static egress check: the product', () => {
  it('scans test-free product files only, skipping core/egress', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-static-'));
    try {
      mkdirSync(path.join(dir, 'src/test'), { recursive: true });
      mkdirSync(path.join(dir, 'src/bench'), { recursive: true });
      mkdirSync(path.join(dir, 'src/egress'), { recursive: true });
      writeFileSync(path.join(dir, 'src/a.ts'), `import pg from 'pg';\n`);
      writeFileSync(path.join(dir, 'src/a.test.ts'), `import pg from 'pg';\n`);
      writeFileSync(path.join(dir, 'src/test/harness.ts'), `await fetch('x');\n`);
      writeFileSync(path.join(dir, 'src/bench/load.ts'), `await fetch('x');\n`);
      writeFileSync(path.join(dir, 'src/egress/gateway.ts'), `import https from 'node:https';\nhttps.request('x');\n`);
      const r = scanProduct({ roots: [path.join(dir, 'src')], allowedDirs: [path.join(dir, 'src/egress')] });
      assert.deepEqual(
        r.files.map((f) => path.relative(dir, f)),
        ['src/a.ts'],
      );
      assert.deepEqual(
        r.violations.map((v) => `${path.relative(dir, v.file)}:${v.line}`),
        ['src/a.ts:1'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no file outside core/egress in packages/server/src or packages/contracts/src opens a network connection', () => {
    const roots = [path.join(packagesDir, 'server/src'), path.join(packagesDir, 'contracts/src')];
    const { files, violations: found } = scanProduct({ roots, allowedDirs: [egressDir] });
    // The scan really covers the product, including the files that were rewired through core/egress.
    const rel = files.map((f) => path.relative(packagesDir, f));
    for (const f of [
      'server/src/app.ts',
      'server/src/core/db/index.ts',
      'server/src/core/events/nats.ts',
      'server/src/modules/field-assets/listeners.ts',
      'server/src/modules/field-assets/simulator/transports.ts',
      'server/src/modules/field-assets/simulator/register.ts',
      'contracts/src/index.ts',
    ])
      assert.ok(rel.includes(f), `${f} is scanned`);
    assert.ok(!rel.some((f) => f.startsWith('server/src/core/egress/')), 'core/egress is the allowed place');
    assert.ok(!rel.some((f) => f.endsWith('.test.ts') || f.split('/').includes('test')), 'tests are not product code');
    assert.deepEqual(
      found.map((v) => `${path.relative(packagesDir, v.file)}:${v.line}: ${v.message}`),
      [],
      'network clients outside core/egress',
    );
  });
});
