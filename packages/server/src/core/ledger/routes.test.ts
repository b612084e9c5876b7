import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROBLEM_TYPES,
  fromHex,
  verifyCheckpointSignature,
  verifyConsistency,
  verifyInclusion,
  type Checkpoint,
  type ConsistencyProof,
  type InclusionProof,
  type LedgerEntry,
  type LedgerEntryList,
  type Problem,
} from '@kotwal/contracts';
import { buildTestApp, type TestApp } from '#test/app.ts';
import { adminSession, authHeaders, userSession, type Session } from '#test/auth-helpers.ts';
import type { CheckpointList, LedgerDetails, LedgerPublicKey } from '@kotwal/contracts';
import { verifyDatabase } from './verify.ts';

describe('ledger routes', () => {
  let t: TestApp;
  let admin: Session;
  let auditor: Session;

  before(async () => {
    t = await buildTestApp();
    admin = await adminSession(t);
    auditor = await userSession(t, admin, 'audrey', ['auditor']);
    await t.ledger.flush();
  });
  after(async () => t.close());

  const get = async <T>(url: string, who: Session | null = admin): Promise<{ status: number; body: T }> => {
    const res = await t.app.inject({ method: 'GET', url, headers: who ? authHeaders(who) : {} });
    return { status: res.statusCode, body: res.json<T>() };
  };

  const actions = async (action: string): Promise<LedgerEntry[]> => {
    await t.ledger.flush();
    return (await t.ledger.listEntries({ action, limit: 1000 })).items;
  };

  it('lists entries with filters and paging, and ledgers the read', async () => {
    const all = await get<LedgerEntryList>('/api/v1/ledger/entries?limit=1000');
    assert.equal(all.status, 200);
    assert.ok(all.body.items.length > 5);
    assert.equal(all.body.items.length, all.body.treeSize, 'the page holds exactly the entries below its tree size');
    assert.deepEqual(
      all.body.items.map((e) => e.seq),
      Array.from({ length: all.body.treeSize }, (_, i) => i),
    );

    const auth = await get<LedgerEntryList>('/api/v1/ledger/entries?action=auth.*&limit=1000');
    assert.ok(auth.body.items.length > 0 && auth.body.items.every((e) => e.action.startsWith('auth.')));
    const page = await get<LedgerEntryList>('/api/v1/ledger/entries?limit=2&from=1');
    assert.deepEqual(
      page.body.items.map((e) => e.seq),
      [1, 2],
    );
    assert.equal(page.body.next, 3);
    const desc = await get<LedgerEntryList>('/api/v1/ledger/entries?order=desc&limit=3&outcome=allowed', auditor);
    assert.equal(desc.status, 200);
    assert.ok(desc.body.items[0].seq > desc.body.items[2].seq);

    const reads = await actions('ledger.entries.read');
    assert.ok(reads.length >= 4);
    assert.ok(reads.some((e) => e.actorType === 'user' && e.resource === 'ledger:entries'));
  });

  it('refuses bad parameters and anonymous callers with problem details naming the field', async () => {
    const bad = await get<Problem>('/api/v1/ledger/entries?since=yesterday');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.type, PROBLEM_TYPES.validation);
    const unknown = await get<Problem>('/api/v1/ledger/entries?colour=red');
    assert.equal(unknown.status, 400);
    const anon = await get<Problem>('/api/v1/ledger/entries', null);
    assert.equal(anon.status, 401);
    const missing = await get<Problem>('/api/v1/ledger/entries/99999');
    assert.equal(missing.status, 404);
    assert.match(missing.body.detail!, /seq 99999/);
    assert.equal(missing.body.errors?.[0]?.field, 'seq');
  });

  it('reads one entry, and details only with ledger.details.read (that read is ledgered)', async () => {
    const withDetails = (await t.ledger.listEntries({ limit: 1000 })).items.find((e) => e.detailsHash !== null)!;
    const one = await get<LedgerEntry>(`/api/v1/ledger/entries/${withDetails.seq}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, withDetails);

    const d = await get<LedgerDetails>(`/api/v1/ledger/entries/${withDetails.seq}/details`);
    assert.equal(d.status, 200);
    assert.equal(d.body.state, 'present');
    assert.equal(d.body.hashMatches, true);
    assert.equal(d.body.detailsHash, withDetails.detailsHash);
    const refused = await get<Problem>(`/api/v1/ledger/entries/${withDetails.seq}/details`, auditor);
    assert.equal(refused.status, 403);
    const none = (await t.ledger.listEntries({ limit: 1000 })).items.find((e) => e.detailsHash === null)!;
    const noDetails = await get<Problem>(`/api/v1/ledger/entries/${none.seq}/details`);
    assert.equal(noDetails.status, 404);
    assert.match(noDetails.body.detail!, /no details record/);

    const reads = await actions('ledger.details.read');
    assert.equal(reads.length, 1);
    assert.equal(reads[0].resource, `ledger:entry/${withDetails.seq}`);
  });

  it('serves checkpoints signed by the public key it publishes', async () => {
    const key = await get<LedgerPublicKey>('/api/v1/ledger/public-key', auditor);
    assert.equal(key.status, 200);
    assert.equal(key.body.algorithm, 'Ed25519');
    const latest = await get<Checkpoint>('/api/v1/ledger/checkpoints/latest', auditor);
    assert.equal(latest.status, 200);
    assert.equal(latest.body.keyId, key.body.keyId);
    assert.ok(verifyCheckpointSignature(latest.body.body, latest.body.signature, key.body.publicKey));
    const list = await get<CheckpointList>('/api/v1/ledger/checkpoints?limit=2');
    assert.equal(list.status, 200);
    assert.ok(list.body.items.length >= 1);
    assert.ok(list.body.items.every((c) => verifyCheckpointSignature(c.body, c.signature, key.body.publicKey)));
    const at = await get<Checkpoint>(`/api/v1/ledger/checkpoints/${latest.body.treeSize}`);
    assert.equal(at.status, 200);
    assert.equal(at.body.rootHash, latest.body.rootHash);
    assert.equal((await get<Problem>('/api/v1/ledger/checkpoints/123456')).status, 404);
  });

  it('serves inclusion and consistency proofs that verify against signed checkpoints', async () => {
    await t.ledger.flush();
    const seq = (await t.ledger.treeSize()) - 1;
    const key = (await get<LedgerPublicKey>('/api/v1/ledger/public-key')).body;
    const inc = await get<InclusionProof>(`/api/v1/ledger/proofs/inclusion?seq=${seq}`, auditor);
    assert.equal(inc.status, 200);
    const cp = (await get<Checkpoint>(`/api/v1/ledger/checkpoints/${inc.body.treeSize}`)).body;
    assert.ok(verifyCheckpointSignature(cp.body, cp.signature, key.publicKey));
    const entry = (await get<LedgerEntry>(`/api/v1/ledger/entries/${seq}`)).body;
    assert.equal(inc.body.leafHash, entry.leafHash);
    assert.ok(verifyInclusion(seq, cp.treeSize, fromHex(entry.leafHash), inc.body.proof.map(fromHex), fromHex(cp.rootHash)));

    const older = (await get<CheckpointList>('/api/v1/ledger/checkpoints?limit=1000')).body.items.at(-1)!;
    const latest = (await get<Checkpoint>('/api/v1/ledger/checkpoints/latest')).body;
    const cons = await get<ConsistencyProof>(`/api/v1/ledger/proofs/consistency?from=${older.treeSize}&to=${latest.treeSize}`);
    assert.equal(cons.status, 200);
    assert.ok(verifyConsistency(older.treeSize, latest.treeSize, fromHex(older.rootHash), fromHex(latest.rootHash), cons.body.proof.map(fromHex)));

    const beyond = await get<Problem>(`/api/v1/ledger/proofs/inclusion?seq=${seq}&treeSize=${latest.treeSize + 1000}`);
    assert.equal(beyond.status, 400);
    assert.equal(beyond.body.errors?.[0]?.field, 'treeSize');
    const noEntry = await get<Problem>('/api/v1/ledger/proofs/inclusion?seq=999999');
    assert.equal(noEntry.status, 404);
    assert.equal(noEntry.body.errors?.[0]?.field, 'seq');
    const reversed = await get<Problem>('/api/v1/ledger/proofs/consistency?from=5&to=2');
    assert.equal(reversed.status, 400);
    assert.equal(reversed.body.errors?.[0]?.field, 'from');
    const zero = await get<Problem>('/api/v1/ledger/proofs/inclusion?seq=0&treeSize=0');
    assert.equal(zero.status, 400);
  });

  it('everything the routes did verifies', async () => {
    await t.ledger.checkpointNow();
    const report = await verifyDatabase(t.ctx.db, { publicKey: t.ledger.publicKey().pem, checkpointFile: t.ledger.checkpointFile });
    assert.equal(report.ok, true, JSON.stringify(report.problems));
  });
});
