/**
 * The oversight bundle end to end: a source node replicates a dataset to a
 * replica under an approved transfer (signed batches, signed receipts), a
 * break-glass grant is approved, used and revoked, a witness countersigns a
 * checkpoint; the bundle is exported and verifies offline; then single
 * tamperings (a manifest, an approval signature, a receipt, a cosignature, a
 * grant's action count, the ledger) each make it fail, naming what failed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseEd25519PrivateKey,
  parseEd25519PublicKey,
  publicKeyId,
  signCosignature,
  signHash,
  type Grant,
  type Peer,
  type Transfer,
  type TransferCreated,
} from '@kotwal/contracts';
import { startTestServer, type TestServer } from '#test/app.ts';
import { adminSession, authHeaders, userSession, type Session } from '#test/auth-helpers.ts';
import { TEST_DATASET, officialKey, seedItems, testDatasetModule, type OfficialKey } from '../test-support.ts';
import { exportOversight } from './export.ts';
import { OVERSIGHT_FILES } from './format.ts';
import { verifyOversight } from './verify.ts';

const ROWS = 120;

let source: TestServer;
let replica: TestServer;
let admin: Session;
let support: Session;
let keys: OfficialKey[];
let dir: string;
let bundle: string;
let transferId: string;
let grant: Grant;
let nodePem: string;

async function api<T>(t: TestServer, s: Session | null, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown): Promise<{ status: number; body: T }> {
  const res = await t.app.inject({ method, url, headers: s ? authHeaders(s) : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json<T>() };
}

/** A copy of the bundle with one file changed. */
function tampered(name: string, file: string, change: (text: string) => string): string {
  const copy = path.join(dir, name);
  cpSync(bundle, copy, { recursive: true });
  const p = path.join(copy, file);
  const before = readFileSync(p, 'utf8');
  const after = change(before);
  assert.notEqual(after, before, `${name}: the tampering changed nothing`);
  writeFileSync(p, after);
  return copy;
}

function editJsonl<T>(text: string, pick: (x: T) => boolean, edit: (x: T) => T): string {
  let done = false;
  return text
    .split('\n')
    .map((line) => {
      if (!line || done) return line;
      const x = JSON.parse(line) as T;
      if (!pick(x)) return line;
      done = true;
      return JSON.stringify(edit(x));
    })
    .join('\n');
}

describe('oversight bundle', () => {
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-oversight-'));
    source = await startTestServer({
      modules: [testDatasetModule()],
      serveConsole: false,
      env: { KOTWAL_NODE_NAME: 'punjab-1', KOTWAL_JURISDICTION: 'PK-PB', KOTWAL_REPLICATION_BATCH: '50' },
    });
    replica = await startTestServer({
      modules: [testDatasetModule()],
      serveConsole: false,
      env: { KOTWAL_NODE_NAME: 'punjab-dr', KOTWAL_JURISDICTION: 'PK-PB', KOTWAL_REPLICA_OF: source.baseUrl },
    });
    admin = await adminSession(source);
    support = await userSession(source, admin, 'vendor-support', []);
    await seedItems(source.ctx.db, ROWS);
    keys = [officialKey(), officialKey(), officialKey()];
    nodePem = source.ledger.publicKey().pem;

    // A replication transfer approved by 2 of 3 and executed to completion.
    const peer = await api<Peer>(source, admin, 'POST', '/api/v1/transfers/peers', {
      name: 'punjab-dr',
      address: replica.baseUrl,
      publicKey: replica.ctx.node.publicKey,
      jurisdiction: 'PK-PB',
    });
    assert.equal(peer.status, 201, JSON.stringify(peer.body));
    assert.equal((await api(source, admin, 'PUT', '/api/v1/transfers/policy', { dataset: TEST_DATASET, threshold: 2 })).status, 200);
    for (const [i, k] of keys.entries()) {
      const r = await api(source, admin, 'POST', '/api/v1/transfers/approvers', { dataset: TEST_DATASET, publicKey: k.publicKey, name: `Official ${i + 1}` });
      assert.equal(r.status, 201);
    }
    const t = await api<TransferCreated>(source, admin, 'POST', '/api/v1/transfers', {
      dataset: TEST_DATASET,
      destinationNode: 'punjab-dr',
      destinationJurisdiction: 'PK-PB',
      purpose: 'disaster-recovery copy',
      legalBasis: 'Punjab Police data retention order 2026',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    transferId = t.body.id;
    for (const k of [keys[0], keys[2]]) {
      const a = await api<Transfer>(source, null, 'POST', `/api/v1/transfers/${transferId}/approvals`, {
        publicKey: k.publicKey,
        signature: k.sign(t.body.manifestHash),
      });
      assert.equal(a.status, 201, JSON.stringify(a.body));
    }
    assert.equal((await api(source, admin, 'POST', `/api/v1/transfers/${transferId}/execute`)).status, 202);
    await source.sovereignty.sender.settled(transferId);
    const done = await api<Transfer>(source, admin, 'GET', `/api/v1/transfers/${transferId}`);
    assert.equal(done.body.status, 'completed', JSON.stringify(done.body.error));

    // A break-glass grant: approved, used, revoked.
    for (const [i, k] of keys.entries()) {
      assert.equal((await api(source, admin, 'POST', '/api/v1/grants/approvers', { publicKey: k.publicKey, name: `Break-glass ${i + 1}` })).status, 201);
    }
    assert.equal((await api(source, admin, 'PUT', '/api/v1/grants/policy', { threshold: 2, maxMinutes: 60 })).status, 200);
    const g = await api<Grant>(source, admin, 'POST', '/api/v1/grants', {
      grantee: 'vendor-support',
      role: 'auditor',
      reason: 'upgrade check',
      durationMinutes: 20,
    });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    for (const k of [keys[1], keys[2]]) {
      await api(source, null, 'POST', `/api/v1/grants/${g.body.id}/approvals`, { publicKey: k.publicKey, signature: k.sign(g.body.manifestHash) });
    }
    assert.equal((await api(source, support, 'GET', '/api/v1/users')).status, 200);
    assert.equal((await api(source, support, 'GET', '/api/v1/ledger/checkpoints/latest')).status, 200);
    grant = (await api<Grant>(source, admin, 'POST', `/api/v1/grants/${g.body.id}/revoke`, { reason: 'done' })).body;
    assert.equal(grant.status, 'revoked');

    // A witness countersigns a checkpoint.
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const wSecret = parseEd25519PrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const wPub = parseEd25519PublicKey(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    assert.equal((await api(source, admin, 'POST', '/api/v1/ledger/witnesses', { name: 'Ombudsman', publicKey: wPub })).status, 201);
    const cp = await source.ledger.checkpointNow();
    const ts = Math.floor(Date.now() / 1000);
    const cos = await api(source, null, 'POST', '/api/v1/ledger/cosignatures', {
      treeSize: cp.treeSize,
      publicKey: wPub,
      timestamp: ts,
      signature: signCosignature(cp.body, ts, wSecret),
    });
    assert.equal(cos.status, 201);

    bundle = path.join(dir, 'bundle');
    await exportOversight(source.ctx, source.ledger, bundle);
  });

  after(async () => {
    await replica?.close();
    await source?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports every record with the ledger entry that recorded it, and verifies offline', async () => {
    const r = await verifyOversight(bundle, { publicKey: nodePem });
    assert.equal(r.firstFailure, null, JSON.stringify(r.problems, null, 2));
    assert.ok(r.ok);
    assert.equal(r.counts.transfers, 1);
    assert.ok(r.counts.batches >= 3);
    assert.equal(r.counts.grants, 1);
    assert.equal(r.counts.peers, 1);
    assert.equal(r.counts.approvers, 6);
    assert.equal(r.counts.policies, 2);
    assert.equal(r.counts.witnesses, 1);
    assert.equal(r.counts.cosignatures, 1);
    assert.equal(r.checked.manifests, 2);
    assert.equal(r.checked.approvalSignatures, 4);
    assert.equal(r.checked.receipts, r.counts.batches);
    assert.ok(r.checked.ledgerEntries > 10 && r.checked.ledgerDetails > 10);

    const transfers = readFileSync(path.join(bundle, OVERSIGHT_FILES.transfers), 'utf8').trim().split('\n');
    const t = JSON.parse(transfers[0]) as { ledger: { seq: number; action: string }; history: { action: string }[]; approvals: { ledger: { seq: number } }[] };
    assert.equal(t.ledger.action, 'transfers.transfer.requested');
    assert.ok(t.approvals.every((a) => Number.isInteger(a.ledger.seq)));
    assert.deepEqual(
      t.history.map((h) => h.action).filter((a) => a !== 'transfers.execute.refused'),
      ['transfers.transfer.requested', 'transfers.transfer.approved', 'transfers.transfer.executed', 'transfers.transfer.completed'],
    );
    const g = JSON.parse(readFileSync(path.join(bundle, OVERSIGHT_FILES.grants), 'utf8').trim()) as { actions: number; history: { action: string }[] };
    assert.equal(g.actions, 2);
    assert.deepEqual(
      g.history.map((h) => h.action),
      ['grants.grant.requested', 'grants.grant.activated', 'grant.action', 'grant.action', 'grants.grant.revoked'],
    );
  });

  it('fails on a tampered manifest, naming the transfer', async () => {
    const copy = tampered('manifest', OVERSIGHT_FILES.transfers, (text) =>
      editJsonl<{ manifest: string }>(
        text,
        () => true,
        (x) => ({ ...x, manifest: x.manifest.replace('disaster-recovery copy', 'disaster-recovery copy, and analytics') }),
      ),
    );
    const r = await verifyOversight(copy, { publicKey: nodePem });
    assert.equal(r.ok, false);
    assert.match(r.firstFailure ?? '', new RegExp(`^transfer ${transferId}: the manifest text hashes to [0-9a-f]{64}, not the recorded manifest hash`));
  });

  it('fails on a tampered approval signature, naming the approval', async () => {
    const forged = signHash('ab'.repeat(32), keys[1].secret);
    const copy = tampered('approval', OVERSIGHT_FILES.grants, (text) =>
      editJsonl<{ approvals: { signature: string }[] }>(
        text,
        () => true,
        (x) => ({ ...x, approvals: [{ ...x.approvals[0], signature: forged }, ...x.approvals.slice(1)] }),
      ),
    );
    const r = await verifyOversight(copy, { publicKey: nodePem });
    assert.equal(r.ok, false);
    assert.match(
      r.firstFailure ?? '',
      new RegExp(
        `^grant ${grant.id} approval by ${publicKeyId(keys[1].publicKey)} \\(Break-glass 2\\): the signature does not verify over manifest hash ${grant.manifestHash}`,
      ),
    );
    assert.ok(r.problems.some((p) => /activated with 1 valid approval of the 2/.test(p.message)));
  });

  it('fails on a tampered receipt, naming the batch', async () => {
    const copy = tampered('receipt', OVERSIGHT_FILES.batches, (text) =>
      editJsonl<{ seq: number; receipt: { records: number } }>(
        text,
        (x) => x.seq === 2,
        (x) => ({ ...x, receipt: { ...x.receipt, records: x.receipt.records - 1 } }),
      ),
    );
    const r = await verifyOversight(copy, { publicKey: nodePem });
    assert.equal(r.ok, false);
    assert.match(r.firstFailure ?? '', new RegExp(`^batch ${transferId}#2: the receipt signature does not verify with the destination punjab-dr's key`));
  });

  it('fails on a tampered cosignature, an understated grant action count, and a ledger with an entry removed', async () => {
    let copy = tampered('cosignature', OVERSIGHT_FILES.cosignatures, (text) =>
      editJsonl<{ timestamp: number }>(
        text,
        () => true,
        (x) => ({ ...x, timestamp: x.timestamp + 1 }),
      ),
    );
    let r = await verifyOversight(copy, { publicKey: nodePem });
    assert.match(r.firstFailure ?? '', /^cosignature of checkpoint \d+ by Ombudsman \(.*\): the cosignature does not verify/);

    copy = tampered('actions', OVERSIGHT_FILES.grants, (text) =>
      editJsonl<{ actions: number }>(
        text,
        () => true,
        (x) => ({ ...x, actions: 1 }),
      ),
    );
    r = await verifyOversight(copy, { publicKey: nodePem });
    assert.match(r.firstFailure ?? '', /^grant .*: 1 request was made under it by the node's count, but the ledger bundle holds 2 grant.action entries/);

    copy = tampered('ledger', path.join('ledger', 'entries.jsonl'), (text) => {
      const lines = text.split('\n');
      lines.splice(5, 1);
      return lines.join('\n');
    });
    r = await verifyOversight(copy, { publicKey: nodePem });
    assert.match(r.firstFailure ?? '', /^ledger bundle: /);

    // A key the auditor trusts that did not sign the ledger.
    const { publicKey } = generateKeyPairSync('ed25519');
    r = await verifyOversight(bundle, { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    assert.equal(r.ok, false);
    assert.match(r.firstFailure ?? '', /^ledger bundle: /);
  });

  it('kotwal oversight verify: exit 0 on the bundle, 1 naming the first failure on a tampered copy', async () => {
    const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
    const runner = `
import { Command } from 'commander';
import { oversightCommand } from ${JSON.stringify(cli)};
const program = new Command('kotwal').exitOverride();
program.addCommand(oversightCommand({ withContext: async () => { throw new Error('no database here'); } }));
try { await program.parseAsync(process.argv); } catch (err) { if (err && typeof err.exitCode === 'number') process.exitCode = err.exitCode; else throw err; }
`;
    const keyFile = path.join(dir, 'node.pub.pem');
    writeFileSync(keyFile, nodePem);
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', runner, 'kotwal', ...args], {
          cwd: path.dirname(cli),
          env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'silent' },
        });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout }));
      });
    const ok = await run(['oversight', 'verify', bundle, '--public-key', keyFile]);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /^oversight bundle verified \(node punjab-1, PK-PB/);
    const bad = await run(['oversight', 'verify', path.join(dir, 'receipt'), '--public-key', keyFile]);
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stdout, /first failure: batch .*#2: the receipt signature does not verify/);
  });
});
