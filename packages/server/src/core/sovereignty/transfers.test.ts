/**
 * Transfers end to end, in process: a source node (punjab-1, PK-PB) and a
 * replica (sindh-dr, PK-SD, started with KOTWAL_REPLICA_OF = the source)
 * both listening on loopback, talking through their egress gateways. Node
 * identity, peers, approvers, policy, M-of-N approvals and every refusal the
 * issue names, execution to completion with receipts in both ledgers, and
 * revocation stopping the flow.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  PROBLEM_TYPES,
  manifestHash,
  parseEd25519PrivateKey,
  parseEd25519PublicKey,
  publicKeyId,
  publicKeyOfSecret,
  verifyHashSignature,
  type NodeIdentity,
  type Peer,
  type ReplicationReceipt,
  type Transfer,
  type TransferCreated,
  type TransferManifest,
} from '@kotwal/contracts';
import { startTestServer, type TestServer } from '../../../test/app.ts';
import { adminSession, authHeaders, type Session } from '../../../test/auth-helpers.ts';
import { approveTransfer, generateKeyFiles, keysCommand, SovereigntyCliRefusal, transfersCommand } from './cli.ts';
import { identityHash, verifyIdentity, verifyReceipt } from './replication-format.ts';
import { BATCH_PATH } from './sender.ts';
import { EgressRequestError } from '#core/egress/index.ts';
import { TEST_DATASET, itemRows, officialKey, seedItems, testDatasetModule, type OfficialKey } from './test-support.ts';

const SOURCE_ROWS = 600;

interface Problem {
  type: string;
  detail: string;
  status: number;
}

let source: TestServer;
let replica: TestServer;
let admin: Session;
let replicaAdmin: Session;
let keys: OfficialKey[];
let outsider: OfficialKey;
let replicaPeer: Peer;

async function api<T = unknown>(t: TestServer, s: Session | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  const res = await t.app.inject({ method, url, headers: s ? authHeaders(s) : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json<T>(), problem: res.json<Problem>() };
}

async function approve(id: string, key: OfficialKey, signature?: string) {
  const m = await api<{ manifestHash: string }>(source, null, 'GET', `/api/v1/transfers/${id}/manifest`);
  return api<Transfer>(source, null, 'POST', `/api/v1/transfers/${id}/approvals`, {
    publicKey: key.publicKey,
    signature: signature ?? key.sign(m.body.manifestHash),
  });
}

async function requestTransfer(body: Record<string, unknown> = {}) {
  return api<TransferCreated>(source, admin, 'POST', '/api/v1/transfers', {
    dataset: TEST_DATASET,
    destinationNode: 'sindh-dr',
    destinationJurisdiction: 'PK-SD',
    purpose: 'disaster-recovery copy for the Sindh control room',
    legalBasis: 'Inter-provincial data sharing agreement 2026, clause 4',
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    ...body,
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Ledger entries (with their details) of one node, by action and resource prefix. */
async function entries(t: TestServer, action: string, resource?: string) {
  await t.ledger.flush();
  const page = await t.ledger.listEntries({ action, ...(resource ? { resource } : {}), limit: 1000 });
  const out = [];
  for (const e of page.items) {
    const d = e.detailsHash ? await t.ledger.getDetails(e.seq) : null;
    out.push({ ...e, details: (d?.details ?? null) as Record<string, unknown> | null });
  }
  return out;
}

/** The refusal an action left in the ledger: outcome denied and the precise reason. */
async function assertRefusalLedgered(t: TestServer, action: string, resource: string, type: string, reason: RegExp) {
  const found = (await entries(t, action, `${resource}*`)).filter((e) => e.outcome === 'denied' && e.details?.['type'] === type);
  assert.ok(
    found.some((e) => reason.test(String(e.details?.['reason']))),
    `no denied ${action} on ${resource} of type ${type} matching ${reason}: ${JSON.stringify(found.map((e) => e.details))}`,
  );
}

describe('sovereignty: transfers between two nodes', () => {
  before(async () => {
    source = await startTestServer({
      modules: [testDatasetModule()],
      serveConsole: false,
      env: { KOTWAL_NODE_NAME: 'punjab-1', KOTWAL_JURISDICTION: 'PK-PB', KOTWAL_REPLICATION_BATCH: '50' },
    });
    replica = await startTestServer({
      modules: [testDatasetModule()],
      serveConsole: false,
      env: { KOTWAL_NODE_NAME: 'sindh-dr', KOTWAL_JURISDICTION: 'PK-SD', KOTWAL_REPLICA_OF: source.baseUrl },
    });
    admin = await adminSession(source);
    replicaAdmin = await adminSession(replica);
    await seedItems(source.ctx.db, SOURCE_ROWS);
    keys = [officialKey(), officialKey(), officialKey()];
    outsider = officialKey();
  });

  after(async () => {
    await replica?.close();
    await source?.close();
  });

  it('serves a signed node identity; the replica pins its source', async () => {
    const id = await api<NodeIdentity>(source, null, 'GET', '/api/v1/node');
    assert.equal(id.status, 200);
    assert.equal(id.body.name, 'punjab-1');
    assert.equal(id.body.jurisdiction, 'PK-PB');
    assert.equal(id.body.mode, 'primary');
    assert.equal(id.body.publicKey, source.ctx.node.publicKey);
    assert.ok(verifyIdentity(id.body));
    assert.ok(!verifyIdentity({ ...id.body, jurisdiction: 'AE-DU' }), 'a changed field breaks the signature');
    const r = await api<NodeIdentity>(replica, null, 'GET', '/api/v1/node');
    assert.equal(r.body.mode, 'replica');
    assert.equal(r.body.replicaOf, source.baseUrl);
    const pinned = await waitFor(
      'the pin',
      async () => (await replica.ctx.db.query<{ public_key: string }>('SELECT public_key FROM sov_replica_source')).rows[0],
    );
    assert.equal(pinned.public_key, source.ctx.node.publicKey);
  });

  it('registers a peer only when it proves the key and jurisdiction registered', async () => {
    const wrongJurisdiction = await api(source, admin, 'POST', '/api/v1/transfers/peers', {
      name: 'sindh-dr',
      address: replica.baseUrl,
      publicKey: replica.ctx.node.publicKey,
      jurisdiction: 'PK-PB',
    });
    assert.equal(wrongJurisdiction.status, 409);
    assert.equal(wrongJurisdiction.problem.type, PROBLEM_TYPES.peerMismatch);
    assert.match(wrongJurisdiction.problem.detail, /claims the jurisdiction PK-SD, not PK-PB/);
    const wrongKey = await api(source, admin, 'POST', '/api/v1/transfers/peers', {
      name: 'sindh-dr',
      address: replica.baseUrl,
      publicKey: outsider.publicKey,
      jurisdiction: 'PK-SD',
    });
    assert.equal(wrongKey.status, 409);
    assert.match(wrongKey.problem.detail, /proves the key .* not the registered/);
    const refused = await entries(source, 'transfers.peer.refused');
    assert.equal(refused.length, 2);
    assert.ok(refused.every((e) => e.outcome === 'denied'));

    const ok = await api<Peer>(source, admin, 'POST', '/api/v1/transfers/peers', {
      name: 'sindh-dr',
      address: `${replica.baseUrl}/`,
      publicKey: replica.ctx.node.publicKey,
      jurisdiction: 'PK-SD',
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.address, replica.baseUrl);
    assert.ok(ok.body.lastVerifiedAt);
    replicaPeer = ok.body;
    const list = await api<{ items: Peer[] }>(source, admin, 'GET', '/api/v1/transfers/peers');
    assert.deepEqual(
      list.body.items.map((p) => p.name),
      ['sindh-dr'],
    );
  });

  it('lists datasets, designates approvers and sets the policy', async () => {
    const ds = await api<{ items: { name: string; records: number; policy: unknown }[] }>(source, admin, 'GET', '/api/v1/transfers/datasets');
    assert.equal(ds.status, 200);
    const item = ds.body.items.find((d) => d.name === TEST_DATASET);
    assert.equal(item?.records, SOURCE_ROWS);
    assert.equal(item?.policy, null);

    const noPolicy = await requestTransfer();
    assert.equal(noPolicy.status, 409);
    assert.match(noPolicy.problem.detail, /no transfer policy/);

    const policy = await api<{ threshold: number; allowedJurisdictions: string[] }>(source, admin, 'PUT', '/api/v1/transfers/policy', {
      dataset: TEST_DATASET,
      threshold: 2,
    });
    assert.equal(policy.status, 200);
    assert.deepEqual(policy.body.allowedJurisdictions, ['PK-PB'], 'the default is the node\u2019s own jurisdiction');

    const tooFew = await requestTransfer();
    assert.equal(tooFew.status, 409);
    assert.match(tooFew.problem.detail, /needs 2 approvals but only 0 approvers are designated/);

    for (const [i, k] of keys.entries()) {
      const r = await api(source, admin, 'POST', '/api/v1/transfers/approvers', { dataset: TEST_DATASET, publicKey: k.publicKey, name: `Official ${i + 1}` });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const dup = await api(source, admin, 'POST', '/api/v1/transfers/approvers', { dataset: TEST_DATASET, publicKey: keys[0].publicKey, name: 'again' });
    assert.equal(dup.status, 409);
    const unknown = await api(source, admin, 'POST', '/api/v1/transfers/approvers', { dataset: 'nope/items', publicKey: keys[0].publicKey, name: 'x' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.problem.detail, /no dataset "nope\/items"/);
    const listed = await api<{ items: unknown[] }>(source, admin, 'GET', `/api/v1/transfers/approvers?dataset=${encodeURIComponent(TEST_DATASET)}`);
    assert.equal(listed.body.items.length, 3);
  });

  it('refuses a destination outside the policy whatever the approvals; allows it once the policy names the node', async () => {
    const t = await requestTransfer();
    assert.equal(t.status, 201);
    assert.equal(t.body.status, 'refused');
    for (const k of keys) assert.equal((await approve(t.body.id, k)).status, 201, 'approvals are still verified and recorded');
    const got = await api<Transfer>(source, admin, 'GET', `/api/v1/transfers/${t.body.id}`);
    assert.equal(got.body.status, 'refused');
    assert.equal(got.body.approvals.length, 3);
    assert.equal(got.body.approvalsNeeded, 0);
    assert.equal(got.body.refusal?.type, PROBLEM_TYPES.destinationNotAllowed);
    const exec = await api(source, admin, 'POST', `/api/v1/transfers/${t.body.id}/execute`);
    assert.equal(exec.status, 403);
    assert.equal(exec.problem.type, PROBLEM_TYPES.destinationNotAllowed);
    assert.match(exec.problem.detail, /PK-SD is outside the policy of sovtest\/items .*whatever the approvals/);
    await assertRefusalLedgered(
      source,
      'transfers.execute.refused',
      `transfer:${t.body.id}`,
      PROBLEM_TYPES.destinationNotAllowed,
      /PK-SD is outside the policy/,
    );
    await assertRefusalLedgered(source, 'transfers.transfer.refused', `transfer:${t.body.id}`, PROBLEM_TYPES.destinationNotAllowed, /outside the policy/);

    const named = await api(source, admin, 'PUT', '/api/v1/transfers/policy', { dataset: TEST_DATASET, threshold: 2, allowedDestinations: ['sindh-dr'] });
    assert.equal(named.status, 200);
    const t2 = await requestTransfer();
    assert.equal(t2.body.status, 'pending-approval');
  });

  it('refuses a transfer naming another jurisdiction than its registered peer', async () => {
    await api(source, admin, 'PUT', '/api/v1/transfers/policy', { dataset: TEST_DATASET, threshold: 2, allowedJurisdictions: ['PK-PB', 'PK-SD', 'PK-KP'] });
    const t = await requestTransfer({ destinationJurisdiction: 'PK-KP' });
    assert.equal(t.body.status, 'refused');
    const got = await api<Transfer>(source, admin, 'GET', `/api/v1/transfers/${t.body.id}`);
    assert.equal(got.body.refusal?.type, PROBLEM_TYPES.peerMismatch);
    assert.match(got.body.refusal?.detail ?? '', /sindh-dr is in PK-SD, not PK-KP/);
    await approve(t.body.id, keys[0]);
    await approve(t.body.id, keys[1]);
    const exec = await api(source, admin, 'POST', `/api/v1/transfers/${t.body.id}/execute`);
    assert.equal(exec.status, 403);
    assert.equal(exec.problem.type, PROBLEM_TYPES.peerMismatch);
  });

  it('validates a request: unknown dataset, unregistered destination, past expiry', async () => {
    const ds = await requestTransfer({ dataset: 'nope/items' });
    assert.equal(ds.status, 400);
    assert.match(JSON.stringify(ds.body), /\/dataset/);
    const node = await requestTransfer({ destinationNode: 'dubai-1', destinationJurisdiction: 'AE-DU' });
    assert.equal(node.status, 400);
    assert.match(node.problem.detail, /"dubai-1" is not a registered peer/);
    const past = await requestTransfer({ expiresAt: new Date(Date.now() - 1000).toISOString() });
    assert.equal(past.status, 400);
    assert.match(JSON.stringify(past.body), /\/expiresAt/);
  });

  it('refuses forged, reused, misdirected and undesignated signatures, each ledgered with its reason', async () => {
    const a = await requestTransfer();
    const b = await requestTransfer();
    assert.equal(a.body.status, 'pending-approval');
    const id = a.body.id;
    const res = `transfer:${id}`;

    // Forged: a signature by the right key over something else.
    const forged = await approve(id, keys[0], keys[0].sign('0'.repeat(64)));
    assert.equal(forged.status, 422);
    assert.equal(forged.problem.type, PROBLEM_TYPES.signatureInvalid);
    assert.match(forged.problem.detail, new RegExp(`does not verify over manifest hash ${a.body.manifestHash}`));
    await assertRefusalLedgered(source, 'transfers.approval.refused', res, PROBLEM_TYPES.signatureInvalid, /does not verify over manifest hash/);

    // Garbage that is not even a signature.
    const garbage = await approve(id, keys[0], Buffer.from('not a signature').toString('base64'));
    assert.equal(garbage.status, 422);

    // A signature made for another transfer's manifest.
    const elsewhere = await approve(id, keys[0], keys[0].sign(b.body.manifestHash));
    assert.equal(elsewhere.status, 422);
    assert.match(elsewhere.problem.detail, new RegExp(`signed for transfer ${b.body.id}`));

    // Valid once; the same signature again is a reuse; the same key again is a duplicate.
    const sig = keys[0].sign(a.body.manifestHash);
    assert.equal((await approve(id, keys[0], sig)).status, 201);
    const again = await approve(id, keys[0], sig);
    assert.equal(again.status, 409);
    assert.equal(again.problem.type, PROBLEM_TYPES.approvalDuplicate);
    assert.match(again.problem.detail, new RegExp(`this signature was already used for transfer ${id}`));
    const sameKeyHexForm = await approve(id, keys[0], (await import('@kotwal/contracts')).signHash(a.body.manifestHash, keys[0].secret));
    assert.equal(sameKeyHexForm.status, 409, 'Ed25519 is deterministic: the same signature');

    // A signature already used on transfer a, presented for transfer b.
    const reusedElsewhere = await approve(b.body.id, keys[0], sig);
    assert.equal(reusedElsewhere.status, 422);
    assert.match(reusedElsewhere.problem.detail, new RegExp(`signed for transfer ${id}`));

    // Not designated at all; designated for another dataset; designated after the request.
    const none = await approve(id, outsider);
    assert.equal(none.status, 403);
    assert.equal(none.problem.type, PROBLEM_TYPES.approverNotDesignated);
    assert.match(none.problem.detail, /is not a designated approver of sovtest\/items \(nor of any dataset\)/);
    await assertRefusalLedgered(source, 'transfers.approval.refused', res, PROBLEM_TYPES.approverNotDesignated, /not a designated approver/);
    const late = officialKey();
    await api(source, admin, 'POST', '/api/v1/transfers/approvers', { dataset: TEST_DATASET, publicKey: late.publicKey, name: 'Late official' });
    const tooLate = await approve(id, late);
    assert.equal(tooLate.status, 403);
    assert.match(tooLate.problem.detail, /designated for sovtest\/items at .* after this transfer was requested/);

    // The approval via the hex-text form is accepted and recorded as such.
    const hexForm = await api<Transfer>(source, null, 'POST', `/api/v1/transfers/${id}/approvals`, {
      publicKey: keys[1].publicKey,
      signature: Buffer.from((await import('@noble/curves/ed25519.js')).ed25519.sign(new TextEncoder().encode(a.body.manifestHash), keys[1].secret)).toString(
        'base64',
      ),
    });
    assert.equal(hexForm.status, 201);
    assert.equal(hexForm.body.status, 'approved');
    assert.deepEqual(hexForm.body.approvals.map((x) => x.signedForm).sort(), ['hex-text', 'raw']);
    const approved = await entries(source, 'transfers.transfer.approved', res);
    assert.equal(approved.length, 1);
    const recorded = await entries(source, 'transfers.approval.recorded', `${res}/approval/*`);
    assert.equal(recorded.length, 2);
    const t = await api<Transfer>(source, admin, 'GET', `/api/v1/transfers/${id}`);
    assert.ok(t.body.approvals.every((x) => typeof x.ledgerSeq === 'number'));
  });

  it('refuses approvals and execution of expired and revoked transfers', async () => {
    const exp = await requestTransfer({ expiresAt: new Date(Date.now() + 2500).toISOString() });
    assert.equal((await approve(exp.body.id, keys[0])).status, 201);
    assert.equal((await approve(exp.body.id, keys[1])).status, 201);
    const batch = await source.sovereignty.sender.buildNextBatch(exp.body.id, { after: null, limit: 5 });
    await new Promise((r) => setTimeout(r, 2700));
    const late = await approve(exp.body.id, keys[2]);
    assert.equal(late.status, 410);
    assert.equal(late.problem.type, PROBLEM_TYPES.transferExpired);
    const exec = await api(source, admin, 'POST', `/api/v1/transfers/${exp.body.id}/execute`);
    assert.equal(exec.status, 410);
    assert.match(exec.problem.detail, /expired at/);
    await assertRefusalLedgered(source, 'transfers.execute.refused', `transfer:${exp.body.id}`, PROBLEM_TYPES.transferExpired, /expired at/);
    const got = await api<Transfer>(source, admin, 'GET', `/api/v1/transfers/${exp.body.id}`);
    assert.equal(got.body.status, 'expired');
    assert.equal((await entries(source, 'transfers.transfer.expired', `transfer:${exp.body.id}`)).length, 1);
    // The replica refuses a batch of an expired transfer, however well signed.
    const atReplica = await api(replica, null, 'POST', '/api/v1/replication/batches', batch);
    assert.equal(atReplica.status, 410);
    assert.equal(atReplica.problem.type, PROBLEM_TYPES.transferExpired);
    await assertRefusalLedgered(replica, 'replication.batch.refused', `transfer:${exp.body.id}`, PROBLEM_TYPES.transferExpired, /expired at/);

    const rev = await requestTransfer();
    await approve(rev.body.id, keys[0]);
    const revoked = await api<Transfer>(source, admin, 'POST', `/api/v1/transfers/${rev.body.id}/revoke`, { reason: 'agreement suspended' });
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.status, 'revoked');
    const afterRevoke = await approve(rev.body.id, keys[1]);
    assert.equal(afterRevoke.status, 409);
    assert.equal(afterRevoke.problem.type, PROBLEM_TYPES.transferRevoked);
    assert.match(afterRevoke.problem.detail, /revoked at .*agreement suspended/);
    const execRevoked = await api(source, admin, 'POST', `/api/v1/transfers/${rev.body.id}/execute`);
    assert.equal(execRevoked.status, 409);
    assert.equal(execRevoked.problem.type, PROBLEM_TYPES.transferRevoked);
    await assertRefusalLedgered(source, 'transfers.approval.refused', `transfer:${rev.body.id}`, PROBLEM_TYPES.transferRevoked, /revoked at/);
  });

  it('refuses execution without M approvals', async () => {
    const t = await requestTransfer();
    await approve(t.body.id, keys[0]);
    const exec = await api(source, admin, 'POST', `/api/v1/transfers/${t.body.id}/execute`);
    assert.equal(exec.status, 403);
    assert.equal(exec.problem.type, PROBLEM_TYPES.approvalsMissing);
    assert.match(exec.problem.detail, /1 valid approval of the 2 needed/);
  });

  it('executes an approved replication: the replica holds exactly the records, receipts in both ledgers', async () => {
    const t = await requestTransfer();
    await approve(t.body.id, keys[0]);
    const second = await approve(t.body.id, keys[2]);
    assert.equal(second.body.status, 'approved');
    const exec = await api<Transfer>(source, admin, 'POST', `/api/v1/transfers/${t.body.id}/execute`);
    assert.equal(exec.status, 202, JSON.stringify(exec.body));
    assert.equal(exec.body.status, 'executing');
    await source.sovereignty.sender.settled(t.body.id);
    const done = await api<Transfer>(source, admin, 'GET', `/api/v1/transfers/${t.body.id}`);
    assert.equal(done.body.status, 'completed', JSON.stringify(done.body.error));
    assert.equal(done.body.progress.recordsAcknowledged, SOURCE_ROWS);
    assert.equal(done.body.progress.batchesAcknowledged, Math.ceil(SOURCE_ROWS / 50) + (SOURCE_ROWS % 50 === 0 ? 1 : 0));

    assert.deepEqual(await itemRows(replica.ctx.db), await itemRows(source.ctx.db));

    // Receipts: stored on the source, each verifying with the replica's key.
    const batches = await source.ctx.db.query<{ seq: number; receipt: string }>('SELECT seq, receipt FROM sov_batches WHERE transfer_id = $1 ORDER BY seq', [
      t.body.id,
    ]);
    assert.equal(batches.rows.length, done.body.progress.batchesAcknowledged);
    for (const b of batches.rows) assert.ok(verifyReceipt(JSON.parse(b.receipt) as ReplicationReceipt, replica.ctx.node.publicKey), `receipt ${b.seq}`);
    assert.ok(done.body.receipts.length > 0 && done.body.receipts.every((r) => r.signature && typeof r.replicaLedgerSeq === 'number'));

    // Both ledgers.
    const sent = await entries(source, 'transfers.batch.sent', `transfer:${t.body.id}/*`);
    const recorded = await entries(source, 'transfers.receipt.recorded', `transfer:${t.body.id}/*`);
    const received = await entries(replica, 'replication.batch.received', `transfer:${t.body.id}/*`);
    assert.equal(sent.length, batches.rows.length);
    assert.equal(recorded.length, batches.rows.length);
    assert.equal(received.length, batches.rows.length);
    const replicaSeqs = new Set(received.map((e) => e.seq));
    for (const r of recorded) assert.ok(replicaSeqs.has(Number(r.details?.['replicaLedgerSeq'])), 'the receipt names the replica\u2019s own entry');
    assert.equal((await entries(source, 'transfers.transfer.completed', `transfer:${t.body.id}`)).length, 1);
    assert.equal((await entries(replica, 'replication.transfer.completed', `transfer:${t.body.id}`)).length, 1);
    const inbound = await replica.ctx.db.query<{ status: string; records: number }>('SELECT status, records FROM sov_inbound WHERE transfer_id = $1', [
      t.body.id,
    ]);
    assert.deepEqual(inbound.rows[0], { status: 'completed', records: SOURCE_ROWS });
    // Every push went through the egress gateway, ledgered as allowed for this transfer.
    const egress = await entries(source, 'egress.allowed');
    assert.ok(egress.some((e) => JSON.stringify(e.details).includes(t.body.id)));
    void replicaAdmin;
  });

  it('sends a batch again when its answer is lost, and records the receipt the replica repeats', async () => {
    await seedItems(source.ctx.db, 120, 'lost-');
    const t = await requestTransfer({ filter: { keyPrefix: 'lost-' } });
    await approve(t.body.id, keys[0]);
    await approve(t.body.id, keys[1]);
    // The network loses the replica's answer to the second batch: the replica took it, the source never heard.
    const egress = source.ctx.egress;
    const real = egress.request.bind(egress);
    let batches = 0;
    egress.request = async (url, init, purpose, actor) => {
      const res = await real(url, init, purpose, actor);
      if (url.endsWith(BATCH_PATH) && ++batches === 2) throw new EgressRequestError('socket hang up (answer lost in the test)', url, 'network');
      return res;
    };
    try {
      const exec = await api<Transfer>(source, admin, 'POST', `/api/v1/transfers/${t.body.id}/execute`);
      assert.equal(exec.status, 202, JSON.stringify(exec.body));
      await source.sovereignty.sender.settled(t.body.id);
    } finally {
      egress.request = real;
    }
    const done = await api<Transfer>(source, admin, 'GET', `/api/v1/transfers/${t.body.id}`);
    assert.equal(done.body.status, 'completed', JSON.stringify(done.body.error));
    assert.equal(done.body.progress.recordsAcknowledged, 120);
    assert.equal(done.body.progress.batchesAcknowledged, 3);
    const lost = await replica.ctx.db.query<{ key: string }>("SELECT key FROM sovtest_items WHERE key LIKE 'lost-%' ORDER BY key");
    assert.equal(lost.rows.length, 120, 'every record once');
    // The replica refused the resend as a replay (ledgered) and repeated its receipt; the source recorded that receipt.
    await assertRefusalLedgered(replica, 'replication.batch.refused', `transfer:${t.body.id}`, PROBLEM_TYPES.batchReplayed, /its signed receipt is repeated/);
    assert.equal((await entries(replica, 'replication.batch.received', `transfer:${t.body.id}/*`)).length, 3, 'batch 2 stored once');
    const recorded = await entries(source, 'transfers.receipt.recorded', `transfer:${t.body.id}/batch/2`);
    assert.equal(recorded.length, 1);
    const row = await source.ctx.db.query<{ receipt: string }>('SELECT receipt FROM sov_batches WHERE transfer_id = $1 AND seq = 2', [t.body.id]);
    assert.ok(verifyReceipt(JSON.parse(row.rows[0].receipt) as ReplicationReceipt, replica.ctx.node.publicKey));
  });

  it('stops the flow at once on revocation; the replica refuses further batches', async () => {
    await source.ctx.db.query('DELETE FROM sovtest_items');
    await seedItems(source.ctx.db, 3000, 'rev-');
    const t = await requestTransfer({ filter: { keyPrefix: 'rev-' } });
    await approve(t.body.id, keys[0]);
    await approve(t.body.id, keys[1]);
    const exec = await api(source, admin, 'POST', `/api/v1/transfers/${t.body.id}/execute`);
    assert.equal(exec.status, 202);
    await waitFor(
      'a first receipt',
      async () => (await api<Transfer>(source, admin, 'GET', `/api/v1/transfers/${t.body.id}`)).body.progress.batchesAcknowledged > 0,
    );
    const rev = await api<Transfer>(source, admin, 'POST', `/api/v1/transfers/${t.body.id}/revoke`, { reason: 'stop now' });
    assert.equal(rev.status, 200);
    await source.sovereignty.sender.settled(t.body.id);
    const final = await api<Transfer>(source, admin, 'GET', `/api/v1/transfers/${t.body.id}`);
    assert.equal(final.body.status, 'revoked');
    assert.ok(final.body.progress.recordsAcknowledged < 3000, `stopped after ${final.body.progress.recordsAcknowledged} records`);
    const onReplica = await replica.ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM sovtest_items WHERE key LIKE 'rev-%'");
    assert.equal(onReplica.rows[0].n, final.body.progress.recordsAcknowledged);
    const inbound = await replica.ctx.db.query<{ status: string }>('SELECT status FROM sov_inbound WHERE transfer_id = $1', [t.body.id]);
    assert.equal(inbound.rows[0].status, 'revoked');
    assert.equal((await entries(replica, 'replication.transfer.revoked', `transfer:${t.body.id}`)).length, 1);
    assert.equal((await entries(source, 'transfers.revocation.notified', `transfer:${t.body.id}`)).length, 1);
    // A batch the source built before the revocation is refused by the replica.
    const next = await source.sovereignty.sender.buildNextBatch(t.body.id, { after: null, limit: 5 });
    const refused = await api(replica, null, 'POST', '/api/v1/replication/batches', { ...next, seq: final.body.progress.batchesAcknowledged + 1 });
    assert.equal(refused.status, 409);
    assert.equal(refused.problem.type, PROBLEM_TYPES.transferRevoked);
    // And the gateway lets nothing more of it leave.
    await assert.rejects(
      source.ctx.egress.request(`${replica.baseUrl}/api/v1/replication/batches`, { method: 'POST', body: '{}' }, { kind: 'transfer', transferId: t.body.id }),
      /revoked/,
    );
  });

  describe('a replica verifies every batch', () => {
    let id: string;
    let hash: string;
    let first: Awaited<ReturnType<typeof source.sovereignty.sender.buildNextBatch>>;

    before(async () => {
      await source.ctx.db.query('DELETE FROM sovtest_items');
      await seedItems(source.ctx.db, 40, 'tamper-');
      const t = await requestTransfer({ filter: { keyPrefix: 'tamper-' } });
      id = t.body.id;
      hash = t.body.manifestHash;
      await approve(id, keys[0]);
      await approve(id, keys[1]);
      // From the source checkpoint the replica last verified (the transfers above left one).
      first = await source.sovereignty.sender.buildNextBatch(id, { after: null, limit: 10 });
    });

    const post = (batch: unknown) => api<ReplicationReceipt>(replica, null, 'POST', '/api/v1/replication/batches', batch);
    const clone = <T>(x: T): T => structuredClone(x);

    it('refuses tampered records, hashes, proofs and checkpoints of a first batch', async () => {
      const records = clone(first);
      (records.records[3].record as Record<string, unknown>)['name'] = 'altered';
      let r = await post(records);
      assert.equal(r.status, 422);
      assert.equal(r.problem.type, PROBLEM_TYPES.batchChainMismatch);
      assert.match(r.problem.detail, /the records were altered/);

      const prev = clone(first);
      prev.prevBatchHash = 'a'.repeat(64);
      r = await post(prev);
      assert.equal(r.status, 422);
      assert.match(r.problem.detail, /prevBatchHash a{64} is not the hash of the last batch received \(null: this is the first batch\)/);

      const proof = clone(first);
      proof.inclusionProof.proof = proof.inclusionProof.proof.length ? proof.inclusionProof.proof.map(() => 'b'.repeat(64)) : ['b'.repeat(64)];
      r = await post(proof);
      assert.equal(r.status, 422);
      assert.match(r.problem.detail, /not included in the source's signed checkpoint/);

      const cpSig = clone(first);
      cpSig.checkpoint.signature = first.signature;
      r = await post(cpSig);
      assert.equal(r.status, 422);
      assert.match(r.problem.detail, /checkpoint .* is not signed by the source's pinned key/);

      const entry = clone(first);
      entry.ledgerEntry.at = new Date(0).toISOString();
      r = await post(entry);
      assert.equal(r.status, 422);
      assert.match(r.problem.detail, /does not hash to its leafHash/);

      const details = clone(first);
      details.details = details.details.replace('"records":10', '"records":11');
      r = await post(details);
      assert.equal(r.status, 422);
      assert.match(r.problem.detail, /ledger details do not name this batch/);

      const forged = clone(first);
      forged.signature = outsider.sign(first.batchHash);
      r = await post(forged);
      assert.equal(r.status, 422);
      assert.equal(r.problem.type, PROBLEM_TYPES.signatureInvalid);
      assert.match(r.problem.detail, /batch signature does not verify/);

      await assertRefusalLedgered(replica, 'replication.batch.refused', `transfer:${id}`, PROBLEM_TYPES.batchChainMismatch, /records were altered/);
      const count = await replica.ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM sovtest_items WHERE key LIKE 'tamper-%'");
      assert.equal(count.rows[0].n, 0, 'nothing of a refused batch is kept');
    });

    it('refuses a batch for another destination or jurisdiction, or without M approvals', async () => {
      const other = clone(first);
      other.manifest.destination.jurisdiction = 'AE-DU';
      let r = await post(other);
      assert.equal(r.status, 403);
      assert.equal(r.problem.type, PROBLEM_TYPES.batchNotAuthorised);
      assert.match(r.problem.detail, /for sindh-dr in AE-DU; this node is sindh-dr in PK-SD/);

      const node = clone(first);
      node.manifest.destination.node = 'dubai-1';
      r = await post(node);
      assert.equal(r.status, 403);
      assert.match(r.problem.detail, /for dubai-1 in PK-SD/);

      const fewer = clone(first);
      fewer.approvals = fewer.approvals.slice(0, 1);
      r = await post(fewer);
      assert.equal(r.status, 403);
      assert.match(r.problem.detail, /1 valid approval of the 2 needed/);

      const swapped = clone(first);
      swapped.approvals[1] = { publicKey: outsider.publicKey, signature: outsider.sign(hash) };
      r = await post(swapped);
      assert.equal(r.status, 403);
      assert.match(r.problem.detail, /not an approver the manifest names/);
      await assertRefusalLedgered(replica, 'replication.batch.refused', `transfer:${id}`, PROBLEM_TYPES.batchNotAuthorised, /this node is sindh-dr in PK-SD/);
    });

    it('accepts the genuine batch with a signed receipt, then refuses its replay and a broken chain', async () => {
      const ok = await post(first);
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.ok(verifyReceipt(ok.body, replica.ctx.node.publicKey));
      assert.equal(ok.body.records, 10);
      assert.equal(ok.body.batchHash, first.batchHash);

      const replay = await post(first);
      assert.equal(replay.status, 409);
      assert.equal(replay.problem.type, PROBLEM_TYPES.batchReplayed);
      assert.match(replay.problem.detail, /batch 1 of transfer .* was already received \(the last received is 1/);
      // Nothing is written twice, but the batch last accepted, sent again, is answered with the receipt it got (a source whose answer was lost).
      assert.deepEqual((replay.body as unknown as { receipt: unknown }).receipt, ok.body, 'the receipt repeated');
      const tampered = clone(first);
      tampered.batchHash = 'ab'.repeat(32);
      const other = await post(tampered);
      assert.equal(other.status, 409);
      assert.equal((other.body as unknown as { receipt?: unknown }).receipt, undefined, 'no receipt for another batch claiming the same number');
      await assertRefusalLedgered(replica, 'replication.batch.refused', `transfer:${id}`, PROBLEM_TYPES.batchReplayed, /already received/);

      // The next batch without a consistency proof from the checkpoint the replica verified.
      const second = await source.sovereignty.sender.buildNextBatch(id, { after: first.records[9].key, limit: 10, consistencyFrom: null });
      let r = await post(second);
      assert.equal(r.status, 422);
      assert.match(
        r.problem.detail,
        new RegExp(`no consistency proof from the source checkpoint already verified \\(tree size ${first.checkpoint.treeSize}\\)`),
      );

      // A skipped sequence number.
      const skipped = clone(second);
      skipped.seq = 3;
      r = await post(skipped);
      assert.equal(r.status, 422);
      assert.match(r.problem.detail, /batch 3 does not follow the last batch received \(1\)/);

      // With a consistency proof that does not hold.
      const third = await source.sovereignty.sender.buildNextBatch(id, { after: first.records[9].key, limit: 10, consistencyFrom: ok.body.sourceTreeSize });
      assert.equal(third.seq, 3, 'the source chains on from its own last batch');
      const fixed = clone(third);
      fixed.seq = 2;
      fixed.prevBatchHash = first.batchHash;
      r = await post(fixed);
      assert.equal(r.status, 422, 'seq and prevBatchHash are inside batchHash: changing them breaks it');
      assert.match(r.problem.detail, /batchHash .* is not the hash of this batch/);
    });

    it('refuses a batch whose checkpoint is not consistent with the source checkpoint it verified', async () => {
      const t = await requestTransfer({ filter: { keyPrefix: 'tamper-' } });
      await approve(t.body.id, keys[0]);
      await approve(t.body.id, keys[1]);
      const b = await source.sovereignty.sender.buildNextBatch(t.body.id, { after: null, limit: 5, consistencyFrom: 1 });
      const r = await post(b);
      assert.equal(r.status, 422);
      assert.match(r.problem.detail, /the consistency proof is from 1 to \d+; this replica needs one from \d+ to/);
      const bad = clone(b);
      const stored = await replica.ctx.db.query<{ tree_size: number }>('SELECT tree_size FROM sov_source_checkpoints');
      const proof = await source.ledger.consistencyProof(stored.rows[0].tree_size, b.checkpoint.treeSize);
      bad.consistencyProof = { ...proof, proof: proof.proof.map(() => 'c'.repeat(64)) };
      const r2 = await post(bad);
      assert.equal(r2.status, 422);
      assert.match(r2.problem.detail, /is not consistent with the one verified at \d+ \(the ledger was rewritten\)/);
      const good = clone(b);
      good.consistencyProof = proof;
      const r3 = await post(good);
      assert.equal(r3.status, 201, JSON.stringify(r3.body));
    });

    it('a node that is not a replica accepts no batch', async () => {
      const r = await api(source, null, 'POST', '/api/v1/replication/batches', first);
      assert.equal(r.status, 403);
      assert.equal(r.problem.type, PROBLEM_TYPES.batchNotAuthorised);
      assert.match(r.problem.detail, /this node is not a replica/);
    });
  });

  describe('a peer that changes its claims after registration', () => {
    let fake: Server;
    let fakeUrl: string;
    const fakeKey = officialKey();
    let claim = { jurisdiction: 'PK-SD', publicKey: fakeKey.publicKey };

    before(async () => {
      fake = createServer((req, res) => {
        if (req.url !== '/api/v1/node') {
          res.writeHead(404).end();
          return;
        }
        const unsigned = {
          name: 'sindh-2',
          jurisdiction: claim.jurisdiction,
          publicKey: claim.publicKey,
          keyId: publicKeyId(claim.publicKey),
          mode: 'primary' as const,
          replicaOf: null,
          version: '0',
          at: new Date().toISOString(),
        };
        const signer = claim.publicKey === fakeKey.publicKey ? fakeKey : outsider;
        const body = { ...unsigned, signature: signer.sign(identityHash(unsigned)) };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
      fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise((r) => fake.close(r));
    });

    it('is refused at execute when it claims another jurisdiction or key', async () => {
      const reg = await api<Peer>(source, admin, 'POST', '/api/v1/transfers/peers', {
        name: 'sindh-2',
        address: fakeUrl,
        publicKey: fakeKey.publicKey,
        jurisdiction: 'PK-SD',
      });
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
      assert.ok(reg.body.lastVerifiedAt);
      const t = await requestTransfer({ destinationNode: 'sindh-2' });
      assert.equal(t.body.status, 'pending-approval');
      await approve(t.body.id, keys[0]);
      await approve(t.body.id, keys[1]);

      claim = { jurisdiction: 'AE-DU', publicKey: fakeKey.publicKey };
      let exec = await api(source, admin, 'POST', `/api/v1/transfers/${t.body.id}/execute`);
      assert.equal(exec.status, 403);
      assert.equal(exec.problem.type, PROBLEM_TYPES.peerMismatch);
      assert.match(exec.problem.detail, /claims the jurisdiction AE-DU, not PK-SD/);
      await assertRefusalLedgered(source, 'transfers.execute.refused', `transfer:${t.body.id}`, PROBLEM_TYPES.peerMismatch, /claims the jurisdiction AE-DU/);

      claim = { jurisdiction: 'PK-SD', publicKey: outsider.publicKey };
      exec = await api(source, admin, 'POST', `/api/v1/transfers/${t.body.id}/execute`);
      assert.equal(exec.status, 403);
      assert.match(exec.problem.detail, /proves the key .* not the registered/);
      const still = await api<Transfer>(source, admin, 'GET', `/api/v1/transfers/${t.body.id}`);
      assert.equal(still.body.status, 'approved', 'nothing left');
      assert.equal(still.body.progress.batchesSent, 0);
      void replicaPeer;
    });
  });

  it('writes an approved export as a signed bundle on the node, not over the network', async () => {
    await source.ctx.db.query('DELETE FROM sovtest_items');
    await seedItems(source.ctx.db, 120, 'exp-');
    const t = await requestTransfer({ kind: 'export', destinationNode: 'court-archive', destinationJurisdiction: 'PK-PB', filter: { keyPrefix: 'exp-' } });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    await approve(t.body.id, keys[0]);
    await approve(t.body.id, keys[1]);
    const exec = await api<Transfer>(source, admin, 'POST', `/api/v1/transfers/${t.body.id}/execute`);
    assert.equal(exec.status, 202, JSON.stringify(exec.body));
    await source.sovereignty.sender.settled(t.body.id);
    const done = await api<Transfer>(source, admin, 'GET', `/api/v1/transfers/${t.body.id}`);
    assert.equal(done.body.status, 'completed', String(done.body.error));
    const dir = path.join(source.dataDir, 'exports', t.body.id);
    const lines = readFileSync(path.join(dir, 'records.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 120);
    assert.equal(statSync(path.join(dir, 'records.jsonl')).mode & 0o777, 0o600);
    assert.equal(manifestHash(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as TransferManifest), t.body.manifestHash);
    const sig = JSON.parse(readFileSync(path.join(dir, 'signature.json'), 'utf8')) as {
      statementHash: string;
      signature: string;
      records: number;
      recordsSha256: string;
    };
    assert.equal(sig.records, 120);
    assert.equal(
      sig.recordsSha256,
      createHash('sha256')
        .update(`${lines.join('\n')}\n`)
        .digest('hex'),
    );
    assert.ok(verifyHashSignature(sig.statementHash, sig.signature, source.ctx.node.publicKey));
    assert.equal((await entries(source, 'transfers.export.written', `transfer:${t.body.id}`)).length, 1);
    // An export has no destination address: the gateway lets nothing of it out.
    await assert.rejects(
      source.ctx.egress.request(`${replica.baseUrl}/api/v1/replication/batches`, { method: 'POST', body: '{}' }, { kind: 'transfer', transferId: t.body.id }),
      /export|completed/,
    );
  });

  it('the sweeper marks transfers past their expiry, ledgered', async () => {
    const t = await requestTransfer({ expiresAt: new Date(Date.now() + 1200).toISOString() });
    await new Promise((r) => setTimeout(r, 1400));
    // The node's own sweeper (every 15 s) may have got there first: either way the transfer is expired once.
    await source.sovereignty.transfers.sweepExpired();
    assert.equal(await source.sovereignty.transfers.sweepExpired(), 0, 'nothing left to expire: a second sweep does nothing');
    const got = await api<Transfer>(source, admin, 'GET', `/api/v1/transfers/${t.body.id}`);
    assert.equal(got.body.status, 'expired');
    assert.equal((await entries(source, 'transfers.transfer.expired', `transfer:${t.body.id}`)).length, 1);
  });

  it('a replica refuses a source that presents another key than the one it pinned', async () => {
    const pinned = await replica.ctx.db.query<{ public_key: string; key_id: string }>('SELECT public_key, key_id FROM sov_replica_source');
    // As if the pin had been taken from another key: the source's real key now differs from it.
    await replica.ctx.db.query('UPDATE sov_replica_source SET public_key = $1, key_id = $2', [outsider.publicKey, publicKeyId(outsider.publicKey)]);
    try {
      const after = await replica.sovereignty.replica.pin();
      assert.equal(after?.public_key, outsider.publicKey, 'the pin is not replaced');
      const changed = await entries(replica, 'replication.source.key-changed');
      assert.ok(changed.some((e) => e.outcome === 'denied' && /the new key is refused/.test(String(e.details?.['reason']))));
      const t = await requestTransfer();
      await approve(t.body.id, keys[0]);
      await approve(t.body.id, keys[1]);
      const b = await source.sovereignty.sender.buildNextBatch(t.body.id, { after: null, limit: 3 });
      const r = await api(replica, null, 'POST', '/api/v1/replication/batches', b);
      assert.equal(r.status, 403);
      assert.match(r.problem.detail, /this replica's pinned source is punjab-1 \(key /);
    } finally {
      await replica.ctx.db.query('UPDATE sov_replica_source SET public_key = $1, key_id = $2', [pinned.rows[0].public_key, pinned.rows[0].key_id]);
      await replica.sovereignty.replica.pin();
    }
  });

  describe('kotwal keys generate and kotwal transfers approve (in process)', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-cli-keys-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** Runs a command's action in process, capturing its output and exit status. */
    const runCommand = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const so = process.stdout.write.bind(process.stdout);
      const se = process.stderr.write.bind(process.stderr);
      process.stdout.write = (c: string) => (out.push(String(c)), true);
      process.stderr.write = (c: string) => (err.push(String(c)), true);
      const before = process.exitCode;
      process.exitCode = undefined;
      try {
        const [cmd, ...rest] = args;
        const c = cmd === 'keys' ? keysCommand() : transfersCommand();
        c.exitOverride();
        await c.parseAsync(rest, { from: 'user' });
        return { code: process.exitCode ?? 0, stdout: out.join(''), stderr: err.join('') };
      } finally {
        process.stdout.write = so;
        process.stderr.write = se;
        process.exitCode = before;
      }
    };

    it('writes a key pair (0600, .pub) and refuses to overwrite it', async () => {
      const file = path.join(dir, 'official.pem');
      const r = await runCommand(['keys', 'generate', '--out', file]);
      assert.equal(r.code, 0);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(parseEd25519PublicKey(readFileSync(`${file}.pub`, 'utf8')), r.stdout.trim());
      assert.equal(publicKeyOfSecret(parseEd25519PrivateKey(readFileSync(file, 'utf8'))), r.stdout.trim());
      assert.throws(() => generateKeyFiles(file), /already exists: refusing to overwrite/);
    });

    it('signs and submits; a refusal exits 1 with the server\u2019s reason', async () => {
      const file = path.join(dir, 'designated.pem');
      const k = generateKeyFiles(file);
      await api(source, admin, 'POST', '/api/v1/transfers/approvers', { dataset: TEST_DATASET, publicKey: k.publicKey, name: 'CLI official' });
      const t = await requestTransfer();
      const ok = await runCommand(['transfers', 'approve', '--key', file, '--url', source.baseUrl, t.body.id]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /approved: transfer .* is pending-approval \(1 of 2 approvals\)/);
      assert.match(ok.stderr, new RegExp(`hash {9}${t.body.manifestHash}`));
      const dup = await runCommand(['transfers', 'approve', '--key', file, '--url', source.baseUrl, t.body.id]);
      assert.equal(dup.code, 1);
      assert.match(dup.stderr, /approval refused: 409 approval-duplicate: this signature was already used for transfer/);
      const stranger = generateKeyFiles(path.join(dir, 'stranger.pem'));
      const no = await runCommand(['transfers', 'approve', '--key', stranger.privateKeyFile, '--url', source.baseUrl, t.body.id]);
      assert.equal(no.code, 1);
      assert.match(no.stderr, /is not among this manifest's approvers/);
      assert.match(no.stderr, /403 approver-not-designated/);
    });

    it('refuses to sign a manifest that does not hash to the hash the server states', async () => {
      const t = await requestTransfer();
      const real = await api<{ manifest: TransferManifest; manifestHash: string; id: string; status: string }>(
        source,
        null,
        'GET',
        `/api/v1/transfers/${t.body.id}/manifest`,
      );
      let posted = 0;
      const liar = createServer((req, res) => {
        if (req.method === 'POST') posted++;
        const body = { ...real.body, manifest: { ...real.body.manifest, destination: { ...real.body.manifest.destination, jurisdiction: 'PK-PB' } } };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
      try {
        const k = generateKeyFiles(path.join(dir, 'careful.pem'));
        await assert.rejects(
          approveTransfer({ key: k.privateKeyFile, url: `http://127.0.0.1:${(liar.address() as AddressInfo).port}`, id: t.body.id, log: () => undefined }),
          (e: Error) => e instanceof SovereigntyCliRefusal && /does not hash to the manifestHash the server states .*not signing/.test(e.message),
        );
        assert.equal(posted, 0, 'nothing was signed or sent');
      } finally {
        await new Promise((r) => liar.close(r));
      }
    });
  });

  it('the manifest an official fetches hashes to its manifestHash', async () => {
    const t = await requestTransfer();
    const m = await api<{ manifest: TransferManifest; manifestHash: string }>(source, null, 'GET', `/api/v1/transfers/${t.body.id}/manifest`);
    assert.equal(manifestHash(m.body.manifest), m.body.manifestHash);
    assert.equal(m.body.manifestHash, t.body.manifestHash);
    assert.ok(verifyHashSignature(m.body.manifestHash, keys[0].sign(m.body.manifestHash), keys[0].publicKey));
  });
});
