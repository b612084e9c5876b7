/**
 * The demonstration with two real processes on loopback: a source
 * (`kotwal serve`) and a replica (`kotwal serve --replica-of URL`) on their
 * own data directories (PGlite) or databases (PostgreSQL: a database each,
 * created and dropped here). Officials' keys from `kotwal keys generate`,
 * approvals with `kotwal transfers approve`, then execution of a
 * `field-assets/devices` transfer, the records checked on the replica, the
 * receipts on the source and the receipt entries in both ledgers.
 *
 * The test talks HTTP through a client-mode egress gateway, like the CLI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { FieldDevice, LedgerEntryList, NodeIdentity, Transfer, TransferCreated } from '@kotwal/contracts';
import { createClientEgress, type ClientEgress } from '#core/egress/index.ts';
import { totpFor, STRONG_PASSWORD } from '../../../test/auth-helpers.ts';
import { testDatabaseUrl } from '../../../test/db.ts';
import { verifyIdentity } from './replication-format.ts';

const root = path.resolve(import.meta.dirname, '../../../../..');
const bin = path.join(root, 'packages/server/bin/kotwal.mjs');
const DEVICES = 30;

interface Node {
  proc: ChildProcess;
  url: string;
  otp: string;
  dataDir: string;
  database: string | null;
  stderr: string[];
}

interface HttpSession {
  cookie: string;
  csrf: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, NODE_NO_WARNINGS: '1', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function createDatabase(): Promise<string | null> {
  if (!testDatabaseUrl) return null;
  const name = `kotwal_spawn_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: testDatabaseUrl });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return name;
}

async function dropDatabase(name: string | null): Promise<void> {
  if (!name || !testDatabaseUrl) return;
  const c = new pg.Client({ connectionString: testDatabaseUrl });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}

function databaseUrl(name: string): string {
  const u = new URL(testDatabaseUrl!);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A port free now (the two nodes start side by side, so the replica is told the source's URL before it listens). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Starts `kotwal serve` and waits for its address and the admin's one-time password. */
async function serve(name: string, jurisdiction: string, port: number, extraArgs: string[] = []): Promise<Node> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `kotwal-${name}-`));
  const database = await createDatabase();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_NO_WARNINGS: '1',
    KOTWAL_DATA_DIR: dataDir,
    KOTWAL_NODE_NAME: name,
    KOTWAL_JURISDICTION: jurisdiction,
    PORT: String(port),
    HOST: '127.0.0.1',
    OSMAND_PORT: '0',
    MQTT_PORT: '0',
    LOG_LEVEL: 'warn',
    KOTWAL_RATE_LIMIT: '100000',
    KOTWAL_REPLICATION_BATCH: '7',
  };
  delete env['DATABASE_URL'];
  delete env['NATS_URL'];
  if (database) env['DATABASE_URL'] = databaseUrl(database);
  const proc = spawn(process.execPath, [bin, 'serve', ...extraArgs], { cwd: root, env });
  const stderr: string[] = [];
  proc.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  let out = '';
  const started = await new Promise<{ url: string; otp: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out} ${stderr.join('')}`)), 120_000);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /serving on (http:\/\/\S+)/.exec(out)?.[1];
      const otp = /one-time password: (\S+)/.exec(out)?.[1];
      if (url && otp) {
        clearTimeout(timer);
        resolve({ url, otp });
      }
    });
    proc.on('exit', (code) => reject(new Error(`${name} exited with ${code}: ${stderr.join('')}`)));
  });
  return { proc, ...started, dataDir, database, stderr };
}

async function stop(n: Node | undefined): Promise<void> {
  if (!n) return;
  if (n.proc.exitCode === null) {
    const exited = new Promise((r) => n.proc.on('exit', r));
    n.proc.kill('SIGTERM');
    await exited;
  }
  rmSync(n.dataDir, { recursive: true, force: true });
  await dropDatabase(n.database);
}

describe('replication between two kotwal processes', () => {
  let source: Node;
  let replica: Node;
  let http: ClientEgress;
  let keyDir: string;

  const call = async <T>(base: string, s: HttpSession | null, method: string, url: string, body?: unknown) => {
    const res = await http.request(`${base}${url}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(s ? { cookie: s.cookie, 'x-csrf-token': s.csrf } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, headers: res.headers, body: (res.body.length ? res.json<T>() : null) as T };
  };

  /** The first admin signs in over HTTP: one-time password, new password, MFA enrolment. */
  const signIn = async (base: string, otp: string, username = 'admin'): Promise<HttpSession> => {
    const login = async (password: string, totp?: string) => {
      const r = await call<{ csrfToken: string }>(base, null, 'POST', '/api/v1/auth/login', { username, password, ...(totp ? { totp } : {}) });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const cookie = (r.headers['set-cookie'] ?? '').split(/,(?=\s*kotwal_)/)[0].split(';')[0];
      return { cookie, csrf: r.body.csrfToken };
    };
    let s = await login(otp);
    const pw = await call(base, s, 'POST', '/api/v1/auth/password', { currentPassword: otp, newPassword: STRONG_PASSWORD });
    assert.equal(pw.status, 200, JSON.stringify(pw.body));
    let session = await call<{ csrfToken: string; user: { state: string } }>(base, s, 'GET', '/api/v1/auth/session');
    if (session.status !== 200) s = await login(STRONG_PASSWORD);
    else s = { ...s, csrf: session.body.csrfToken };
    session = await call<{ csrfToken: string; user: { state: string } }>(base, s, 'GET', '/api/v1/auth/session');
    if (session.body.user.state !== 'mfa-enrollment-required') return s;
    const enroll = await call<{ secret: string }>(base, s, 'POST', '/api/v1/auth/mfa/enroll');
    assert.equal(enroll.status, 200, JSON.stringify(enroll.body));
    const verify = await call(base, s, 'POST', '/api/v1/auth/mfa/verify', { code: totpFor(enroll.body.secret) });
    assert.equal(verify.status, 200, JSON.stringify(verify.body));
    session = await call<{ csrfToken: string; user: { state: string } }>(base, s, 'GET', '/api/v1/auth/session');
    return { ...s, csrf: session.body.csrfToken };
  };

  before(async () => {
    keyDir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-keys-'));
    const [sp, rp] = [await freePort(), await freePort()];
    // Side by side: the replica pins its source as soon as the source answers.
    [source, replica] = await Promise.all([serve('punjab-1', 'PK-PB', sp), serve('punjab-dr', 'PK-PB', rp, ['--replica-of', `http://127.0.0.1:${sp}`])]);
    http = createClientEgress({ allow: [source.url, replica.url], tool: 'the replication spawn test' });
  });

  after(async () => {
    http?.close();
    await stop(replica);
    await stop(source);
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  it('replicates an approved transfer of field-assets/devices, with receipts in both ledgers', async () => {
    const admin = await signIn(source.url, source.otp);
    const replicaAdmin = await signIn(replica.url, replica.otp);

    // Devices on the source, registered by a supervisor (who manages field assets); an operator reads them on the replica.
    const user = async (base: string, s: HttpSession, username: string, role: string) => {
      const r = await call<{ oneTimePassword: string }>(base, s, 'POST', '/api/v1/users', { username, roles: [role] });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return signIn(base, r.body.oneTimePassword, username);
    };
    const supervisor = await user(source.url, admin, 'fleet-supervisor', 'supervisor');
    const replicaOperator = await user(replica.url, replicaAdmin, 'dr-operator', 'operator');
    for (let i = 0; i < DEVICES; i++) {
      const r = await call(source.url, supervisor, 'POST', '/api/v1/field-assets/devices', {
        uniqueId: `35${String(100000000000 + i)}`,
        name: `PRU-${i}`,
        kind: i % 3 ? 'patrol-vehicle' : 'handheld',
        unit: `Unit ${i % 4}`,
        speedLimitKph: i % 2 ? 80.5 : null,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }

    // The replica proves itself and is registered as a peer.
    const id = await call<NodeIdentity>(source.url, null, 'GET', '/api/v1/node');
    const rid = await call<NodeIdentity>(replica.url, null, 'GET', '/api/v1/node');
    assert.ok(verifyIdentity(rid.body));
    assert.equal(rid.body.mode, 'replica');
    const peer = await call(source.url, admin, 'POST', '/api/v1/transfers/peers', {
      name: rid.body.name,
      address: replica.url,
      publicKey: rid.body.publicKey,
      jurisdiction: rid.body.jurisdiction,
    });
    assert.equal(peer.status, 201, JSON.stringify(peer.body));

    // Three officials' keys from `kotwal keys generate`; 2 of 3.
    const files = [1, 2, 3].map((i) => path.join(keyDir, `official-${i}.pem`));
    const generated = await Promise.all(files.map((f) => run(['keys', 'generate', '--out', f])));
    const publicKeys = generated.map((g, i) => {
      assert.equal(g.code, 0, g.stderr);
      assert.equal(statSync(files[i]).mode & 0o777, 0o600);
      return g.stdout.trim();
    });
    for (const [i, k] of publicKeys.entries()) {
      const a = await call(source.url, admin, 'POST', '/api/v1/transfers/approvers', {
        dataset: 'field-assets/devices',
        publicKey: k,
        name: `Official ${i + 1}`,
      });
      assert.equal(a.status, 201, JSON.stringify(a.body));
    }
    const policy = await call(source.url, admin, 'PUT', '/api/v1/transfers/policy', { dataset: 'field-assets/devices', threshold: 2 });
    assert.equal(policy.status, 200);

    const t = await call<TransferCreated>(source.url, admin, 'POST', '/api/v1/transfers', {
      dataset: 'field-assets/devices',
      destinationNode: 'punjab-dr',
      destinationJurisdiction: 'PK-PB',
      purpose: 'disaster-recovery replica of the device registry',
      legalBasis: 'Punjab Safe Cities Authority standing order 12/2026',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    assert.equal(t.body.status, 'pending-approval');

    // Two officials approve with the CLI, side by side (refusals and exit status 1: cli.test.ts, in process).
    const approvals = await Promise.all([files[0], files[2]].map((f) => run(['transfers', 'approve', '--key', f, '--url', source.url, t.body.id])));
    for (const a of approvals) {
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /approved: transfer .* is (pending-approval|approved) \([12] of 2 approvals\)/);
      assert.match(a.stderr, /dataset {6}field-assets\/devices/);
    }
    assert.ok(approvals.some((a) => /is approved \(2 of 2 approvals\)/.test(a.stdout)));

    const exec = await call<Transfer>(source.url, admin, 'POST', `/api/v1/transfers/${t.body.id}/execute`);
    assert.equal(exec.status, 202, JSON.stringify(exec.body));
    let done: Transfer | null = null;
    for (let i = 0; i < 600 && !done; i++) {
      const g = await call<Transfer>(source.url, admin, 'GET', `/api/v1/transfers/${t.body.id}`);
      if (g.body.status !== 'executing') done = g.body;
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(done?.status, 'completed', JSON.stringify(done));
    assert.equal(done.progress.recordsAcknowledged, DEVICES);
    const batches = Math.ceil(DEVICES / 7) + (DEVICES % 7 === 0 ? 1 : 0);
    assert.equal(done.progress.batchesAcknowledged, batches);
    assert.equal(done.receipts.length, batches);

    // The replica holds exactly the source's devices.
    const devices = async (base: string, s: HttpSession) => {
      const r = await call<{ items: FieldDevice[] }>(base, s, 'GET', '/api/v1/field-assets/devices?limit=1000');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.items
        .map((d) => ({ id: d.id, uniqueId: d.uniqueId, name: d.name, kind: d.kind, unit: d.unit, status: d.status, speedLimitKph: d.speedLimitKph }))
        .sort((a, b) => a.id.localeCompare(b.id));
    };
    const onReplica = await devices(replica.url, replicaOperator);
    assert.equal(onReplica.length, DEVICES);
    assert.deepEqual(onReplica, await devices(source.url, supervisor));

    // Receipt entries in both ledgers, the source's naming the replica's.
    const q = (action: string) => `/api/v1/ledger/entries?action=${action}&resource=${encodeURIComponent(`transfer:${t.body.id}/*`)}&limit=1000`;
    const recorded = await call<LedgerEntryList>(source.url, admin, 'GET', q('transfers.receipt.recorded'));
    const received = await call<LedgerEntryList>(replica.url, replicaAdmin, 'GET', q('replication.batch.received'));
    assert.equal(recorded.body.items.length, batches);
    assert.equal(received.body.items.length, batches);
    assert.deepEqual(
      done.receipts.map((r) => r.replicaLedgerSeq).sort((a, b) => Number(a) - Number(b)),
      received.body.items.map((e) => e.seq),
    );
    assert.ok(received.body.items.every((e) => e.actorId === `node:${id.body.name}`));
  });
});
