import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  PROBLEM_TYPES,
  parseEd25519PrivateKey,
  parseEd25519PublicKey,
  publicKeyId,
  signCosignature,
  verifyCosignature,
  type Checkpoint,
  type Cosignature,
  type CosignatureList,
  type WitnessWithLatest,
  type WitnessWithLatestList,
} from '@kotwal/contracts';
import { buildTestApp, type TestApp } from '#test/app.ts';
import { adminSession, authHeaders, issueToken, userSession, type Session } from '#test/auth-helpers.ts';
import { runWitness, WitnessCheckFailed, type WitnessState } from './witness-cli.ts';

interface TestKey {
  pem: string;
  secret: Uint8Array;
  publicKey: string;
  keyId: string;
  file: string;
}

function newKey(dir: string, name: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pub = parseEd25519PublicKey(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const file = path.join(dir, `${name}.pem`);
  writeFileSync(file, pem, { mode: 0o600 });
  return { pem, secret: parseEd25519PrivateKey(pem), publicKey: pub, keyId: publicKeyId(pub), file };
}

describe('ledger witnesses', () => {
  let t: TestApp;
  let admin: Session;
  let auditor: Session;
  let dir: string;
  let baseUrl: string;
  let token: string;
  let w1: TestKey;
  let w2: TestKey;
  let stranger: TestKey;
  let witness1: WitnessWithLatest;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-witness-'));
    t = await buildTestApp();
    admin = await adminSession(t);
    auditor = await userSession(t, admin, 'audrey', ['auditor']);
    token = await issueToken(t, admin, ['ledger.read'], 'ombudsman-witness');
    baseUrl = await t.http.listen({ port: 0, host: '127.0.0.1' });
    w1 = newKey(dir, 'ombudsman');
    w2 = newKey(dir, 'owner');
    stranger = newKey(dir, 'stranger');
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (url: string, payload: unknown, who: Session | null = admin) =>
    t.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers: who ? authHeaders(who) : {} });

  const refusals = async (): Promise<{ reason: string; reasonCode: string }[]> => {
    await t.ledger.flush();
    const r = await t.ctx.db.query<{ details: string }>(
      `SELECT d.details FROM ledger_entries e JOIN ledger_details d ON d.seq = e.seq WHERE e.action = 'ledger.cosignature.refused' ORDER BY e.seq`,
    );
    return r.rows.map((x) => JSON.parse(x.details) as { reason: string; reasonCode: string });
  };

  const latest = async (): Promise<Checkpoint> => t.ledger.checkpointNow();

  it('registers witnesses (witnesses.manage) and refuses malformed or duplicate keys', async () => {
    let r = await post('/api/v1/ledger/witnesses', { name: 'Provincial Ombudsman', publicKey: w1.publicKey });
    assert.equal(r.statusCode, 201, r.body);
    witness1 = r.json<WitnessWithLatest>();
    assert.equal(witness1.keyId, w1.keyId);
    assert.equal(witness1.lastCosignature, null);

    // SPKI PEM accepted as well; stored as base64 raw.
    const { publicKey } = generateKeyPairSync('ed25519');
    r = await post('/api/v1/ledger/witnesses', { name: 'Data owner (NADRA)', publicKey: w2.publicKey });
    assert.equal(r.statusCode, 201, r.body);
    r = await post('/api/v1/ledger/witnesses', { name: 'pem', publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json<WitnessWithLatest>().publicKey, parseEd25519PublicKey(publicKey.export({ type: 'spki', format: 'pem' }).toString()));

    r = await post('/api/v1/ledger/witnesses', { name: 'again', publicKey: w1.publicKey });
    assert.equal(r.statusCode, 409);
    assert.match(r.json<{ detail: string }>().detail, /already registered as witness "Provincial Ombudsman"/);
    r = await post('/api/v1/ledger/witnesses', { name: 'bad', publicKey: 'not-a-key' });
    assert.equal(r.statusCode, 400);
    assert.match(r.json<{ detail: string }>().detail, /publicKey/);

    // An auditor reads the list but cannot register.
    r = await post('/api/v1/ledger/witnesses', { name: 'x', publicKey: stranger.publicKey }, auditor);
    assert.equal(r.statusCode, 403);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/ledger/witnesses', headers: authHeaders(auditor) });
    assert.equal(list.statusCode, 200);
    assert.equal(list.json<WitnessWithLatestList>().items.length, 3);
  });

  it('accepts a valid countersignature (public route), ledgers it and emits core.ledger.cosigned', async () => {
    const cp = await latest();
    const ts = Math.floor(Date.now() / 1000);
    const signature = signCosignature(cp.body, ts, w1.secret);
    const r = await post('/api/v1/ledger/cosignatures', { treeSize: cp.treeSize, publicKey: w1.publicKey, timestamp: ts, signature }, null);
    assert.equal(r.statusCode, 201, r.body);
    const c = r.json<Cosignature>();
    assert.equal(c.witness, 'Provincial Ombudsman');
    assert.ok(verifyCosignature(cp.body, c.timestamp, c.signature, c.publicKey));

    const list = await t.app.inject({ method: 'GET', url: `/api/v1/ledger/checkpoints/${cp.treeSize}/cosignatures`, headers: authHeaders(auditor) });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list.json<CosignatureList>().items.map((x) => x.keyId),
      [w1.keyId],
    );
    const ws = await t.app.inject({ method: 'GET', url: '/api/v1/ledger/witnesses', headers: authHeaders(auditor) });
    const me = ws.json<WitnessWithLatestList>().items.find((w) => w.keyId === w1.keyId)!;
    assert.equal(me.lastCosignedTreeSize, cp.treeSize);
    assert.equal(me.lastCosignature?.signature, signature);

    await t.ledger.flush();
    const entries = (await t.ledger.listEntries({ action: 'ledger.cosignature.recorded' })).items;
    assert.equal(entries.length, 1);
    assert.equal(entries[0].actorId, `witness:${w1.keyId}`);
    assert.equal(entries[0].resource, `ledger:checkpoints/${cp.treeSize}`);
    const ev = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_outbox WHERE name = 'core.ledger.cosigned'`);
    assert.equal(ev.rows[0].n, 1);
  });

  it('refuses unknown keys, unknown checkpoints, skewed timestamps, bad and repeated signatures, each ledgered with its reason', async () => {
    const cp = await latest();
    const ts = Math.floor(Date.now() / 1000);
    const body = (key: TestKey, over: Partial<{ treeSize: number; timestamp: number; signature: string }> = {}) => ({
      treeSize: over.treeSize ?? cp.treeSize,
      publicKey: key.publicKey,
      timestamp: over.timestamp ?? ts,
      signature: over.signature ?? signCosignature(cp.body, over.timestamp ?? ts, key.secret),
    });
    const before = (await refusals()).length;

    let r = await post('/api/v1/ledger/cosignatures', body(stranger), null);
    assert.equal(r.statusCode, 403);
    assert.match(r.json<{ detail: string }>().detail, new RegExp(`key ${stranger.keyId} is not a registered witness`));

    r = await post('/api/v1/ledger/cosignatures', body(w2, { treeSize: cp.treeSize + 1000 }), null);
    assert.equal(r.statusCode, 404);
    assert.match(r.json<{ detail: string }>().detail, /no checkpoint at tree size/);

    r = await post('/api/v1/ledger/cosignatures', body(w2, { timestamp: ts - 3600 }), null);
    assert.equal(r.statusCode, 400);
    assert.match(r.json<{ detail: string }>().detail, /is 36\d\d s behind this node's clock/);

    // Signed by another key, and over another checkpoint.
    r = await post('/api/v1/ledger/cosignatures', body(w2, { signature: signCosignature(cp.body, ts, stranger.secret) }), null);
    assert.equal(r.statusCode, 422);
    assert.equal(r.json<{ type: string }>().type, PROBLEM_TYPES.signatureInvalid);
    const older = (await t.ledger.listCheckpoints({ limit: 5 })).find((c) => c.treeSize < cp.treeSize)!;
    r = await post('/api/v1/ledger/cosignatures', body(w2, { signature: signCosignature(older.body, ts, w2.secret) }), null);
    assert.equal(r.statusCode, 422);
    assert.match(r.json<{ detail: string }>().detail, new RegExp(`checkpoint at tree size ${cp.treeSize}`));

    // Twice the same checkpoint.
    r = await post('/api/v1/ledger/cosignatures', body(w2), null);
    assert.equal(r.statusCode, 201, r.body);
    r = await post('/api/v1/ledger/cosignatures', body(w2, { timestamp: ts + 1 }), null);
    assert.equal(r.statusCode, 409);
    assert.match(r.json<{ detail: string }>().detail, /already countersigned the checkpoint/);

    const codes = (await refusals()).slice(before).map((x) => x.reasonCode);
    assert.deepEqual(codes, ['unknown-witness', 'unknown-checkpoint', 'timestamp-skew', 'signature-invalid', 'signature-invalid', 'already-cosigned']);
    // Not written twice by the generic error handler.
    await t.ledger.flush();
    const generic = (await t.ledger.listEntries({ action: 'http.request.rejected', resource: 'http:POST /api/v1/ledger/cosignatures' })).items;
    assert.equal(generic.length, 0);
  });

  it('the witness tool pins the key, verifies consistency, countersigns and keeps its state', async () => {
    const state = path.join(dir, 'ombudsman-state.json');
    const lines: string[] = [];
    const print = (l: string) => lines.push(l);
    // First run: pins the node key; the latest checkpoint was cosigned by the earlier test, so make a new one.
    await t.ledger.append({ actorType: 'system', actorId: 'test', action: 'test.entry', resource: 'test', outcome: 'allowed' });
    await latest();
    const first = await runWitness({ url: baseUrl, keyFile: w1.file, stateFile: state, token, print });
    assert.equal(first.previousTreeSize, null);
    assert.ok(first.cosignature);
    const s1 = JSON.parse(readFileSync(state, 'utf8')) as WitnessState;
    assert.equal(s1.nodePublicKey, t.ctx.node.publicKey);
    assert.equal(s1.treeSize, first.treeSize);
    assert.ok(lines.some((l) => l.startsWith('node key:') && l.includes('pinned now')));

    // The ledger grows: the second run proves consistency from the remembered root.
    for (let i = 0; i < 5; i++) await t.ledger.append({ actorType: 'system', actorId: 'test', action: 'test.entry', resource: 'test', outcome: 'allowed' });
    await latest();
    lines.length = 0;
    const second = await runWitness({ url: baseUrl, keyFile: w1.file, stateFile: state, token, print });
    assert.equal(second.previousTreeSize, first.treeSize);
    assert.ok(second.treeSize > first.treeSize);
    assert.ok(
      lines.some((l) => l.startsWith('consistency:') && l.includes('verified')),
      lines.join('\n'),
    );
    const cos = await t.app.inject({ method: 'GET', url: `/api/v1/ledger/checkpoints/${second.treeSize}/cosignatures`, headers: authHeaders(auditor) });
    assert.ok(cos.json<CosignatureList>().items.some((c) => c.keyId === w1.keyId));
  });

  it('reports a rollback, a fork or a changed node key, and countersigns none of them', async () => {
    const good = path.join(dir, 'ombudsman-state.json');
    const base = JSON.parse(readFileSync(good, 'utf8')) as WitnessState;
    const count = async () => (await t.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_cosignatures')).rows[0].n;
    const n0 = await count();
    const variant = (name: string, change: Partial<WitnessState>): string => {
      const f = path.join(dir, name);
      writeFileSync(f, JSON.stringify({ ...base, ...change }));
      return f;
    };
    const run = (stateFile: string) => runWitness({ url: baseUrl, keyFile: w1.file, stateFile, token, print: () => undefined });

    // Rollback: the witness saw a larger tree than the node now shows.
    const rolled = variant('rollback.json', { treeSize: base.treeSize + 10_000 });
    await assert.rejects(run(rolled), (err: Error) => err instanceof WitnessCheckFailed && /ROLLBACK/.test(err.message));
    // Fork: the remembered root at that size is not the one the node's history leads to.
    const forked = variant('fork.json', { rootHash: 'ab'.repeat(32), treeSize: base.treeSize - 1 });
    await assert.rejects(run(forked), (err: Error) => err instanceof WitnessCheckFailed && /FORK/.test(err.message));
    // The node presents another key than the one pinned.
    const other = newKey(dir, 'impostor');
    const changed = variant('key.json', { nodePublicKey: other.publicKey, nodeKeyId: other.keyId });
    await assert.rejects(run(changed), (err: Error) => err instanceof WitnessCheckFailed && /key CHANGED/.test(err.message));

    assert.equal(await count(), n0, 'nothing was countersigned');
    // The state files were left as they were.
    assert.equal((JSON.parse(readFileSync(rolled, 'utf8')) as WitnessState).treeSize, base.treeSize + 10_000);
  });

  it('refuses cosignatures of a removed witness', async () => {
    const r = await t.app.inject({ method: 'DELETE', url: `/api/v1/ledger/witnesses/${witness1.id}`, headers: authHeaders(admin) });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json<WitnessWithLatest>().status, 'removed');
    await t.ledger.append({ actorType: 'system', actorId: 'test', action: 'test.entry', resource: 'test', outcome: 'allowed' });
    const cp = await latest();
    const ts = Math.floor(Date.now() / 1000);
    const p = await post(
      '/api/v1/ledger/cosignatures',
      { treeSize: cp.treeSize, publicKey: w1.publicKey, timestamp: ts, signature: signCosignature(cp.body, ts, w1.secret) },
      null,
    );
    assert.equal(p.statusCode, 403);
    assert.match(p.json<{ detail: string }>().detail, /removed at/);
  });
});
