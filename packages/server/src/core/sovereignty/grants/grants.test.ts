import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  PROBLEM_TYPES,
  grantManifestHash,
  parseEd25519PrivateKey,
  parseEd25519PublicKey,
  publicKeyId,
  signHash,
  toBase64,
  type Approver,
  type Grant,
  type GrantForSigning,
  type GrantList,
  type GrantManifest,
  type GrantPolicy,
  type LedgerEntry,
} from '@kotwal/contracts';
import { ed25519 } from '@noble/curves/ed25519.js';
import { buildTestApp, type TestApp } from '#test/app.ts';
import { adminSession, authHeaders, totpFor, userSession, type Session } from '#test/auth-helpers.ts';
import { approveGrant, GrantApprovalRefused } from './cli.ts';

interface Official {
  name: string;
  secret: Uint8Array;
  publicKey: string;
  keyId: string;
  file: string;
}

function official(dir: string, name: string): Official {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const file = path.join(dir, `${name}.pem`);
  writeFileSync(file, pem, { mode: 0o600 });
  const pub = parseEd25519PublicKey(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  return { name, secret: parseEd25519PrivateKey(pem), publicKey: pub, keyId: publicKeyId(pub), file };
}

describe('break-glass grants', () => {
  let t: TestApp;
  let admin: Session;
  let auditor: Session;
  let support: Session;
  let other: Session;
  let baseUrl: string;
  let dir: string;
  let o1: Official;
  let o2: Official;
  let o3: Official;
  let late: Official;
  let stranger: Official;
  let grant: Grant;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-grants-'));
    t = await buildTestApp();
    admin = await adminSession(t);
    auditor = await userSession(t, admin, 'audrey', ['auditor']);
    // Support accounts hold no role at all: nothing until a grant is active.
    support = await userSession(t, admin, 'vendor-support', []);
    other = await userSession(t, admin, 'vendor-two', []);
    baseUrl = await t.http.listen({ port: 0, host: '127.0.0.1' });
    [o1, o2, o3, late, stranger] = ['ig-operations', 'dig-it', 'data-owner', 'late', 'stranger'].map((n) => official(dir, n));
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, who: Session | null, payload?: unknown) =>
    t.app.inject({ method, url, headers: who ? authHeaders(who) : {}, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });

  const detail = (r: { json: <T>() => T }) => r.json<{ detail: string; type: string }>();

  const approve = (id: string, o: Official, hash: string, who: Session | null = null) =>
    call('POST', `/api/v1/grants/${id}/approvals`, who, { publicKey: o.publicKey, signature: signHash(hash, o.secret) });

  const entries = async (action: string, resource?: string): Promise<LedgerEntry[]> => {
    await t.ledger.flush();
    return (await t.ledger.listEntries({ action, ...(resource ? { resource } : {}), limit: 1000 })).items;
  };

  const details = async (seq: number): Promise<Record<string, unknown>> => (await t.ledger.getDetails(seq)).details as Record<string, unknown>;

  it('refuses any grant until officials and a policy are configured', async () => {
    let r = await call('POST', '/api/v1/grants', admin, { grantee: 'vendor-support', role: 'auditor', reason: 'ticket', durationMinutes: 30 });
    assert.equal(r.statusCode, 409);
    assert.match(detail(r).detail, /no break-glass policy/);

    for (const o of [o1, o2, o3]) {
      r = await call('POST', '/api/v1/grants/approvers', admin, { publicKey: o.publicKey, name: o.name });
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.json<Approver>().scope, 'break-glass');
    }
    r = await call('POST', '/api/v1/grants/approvers', admin, { publicKey: o1.publicKey, name: 'again' });
    assert.equal(r.statusCode, 409);
    r = await call('PUT', '/api/v1/grants/policy', admin, { threshold: 4, maxMinutes: 60 });
    assert.equal(r.statusCode, 200, r.body);
    r = await call('POST', '/api/v1/grants', admin, { grantee: 'vendor-support', role: 'auditor', reason: 'ticket', durationMinutes: 30 });
    assert.equal(r.statusCode, 409);
    assert.match(detail(r).detail, /needs 4 approvals but only 3 break-glass approvers are designated/);
    r = await call('PUT', '/api/v1/grants/policy', admin, { threshold: 2 });
    assert.deepEqual({ ...r.json<GrantPolicy>(), updatedAt: '' }, { threshold: 2, maxMinutes: 60, approvers: 3, updatedAt: '', updatedBy: 'admin' });
    // Setting approvers and policy is grants.manage; the auditor only reads.
    assert.equal((await call('PUT', '/api/v1/grants/policy', auditor, { threshold: 1 })).statusCode, 403);
    assert.equal((await call('GET', '/api/v1/grants/approvers', auditor)).statusCode, 200);
  });

  it('refuses a grant for oneself, unknown accounts and roles, and durations above the policy', async () => {
    let r = await call('POST', '/api/v1/grants', admin, { grantee: 'admin', role: 'auditor', reason: 'x', durationMinutes: 30 });
    assert.equal(r.statusCode, 403);
    assert.match(detail(r).detail, /a grant for oneself is refused/);
    assert.equal((await entries('grants.grant.refused')).length, 1);
    r = await call('POST', '/api/v1/grants', admin, { grantee: 'nobody', role: 'auditor', reason: 'x', durationMinutes: 30 });
    assert.equal(r.statusCode, 400);
    assert.match(detail(r).detail, /^grantee: there is no account "nobody"/);
    r = await call('POST', '/api/v1/grants', admin, { grantee: 'vendor-support', role: 'god', reason: 'x', durationMinutes: 30 });
    assert.equal(r.statusCode, 400);
    assert.match(detail(r).detail, /^role: there is no role "god"/);
    r = await call('POST', '/api/v1/grants', admin, { grantee: 'vendor-support', role: 'auditor', reason: 'x', durationMinutes: 90 });
    assert.equal(r.statusCode, 400);
    assert.match(detail(r).detail, /^durationMinutes: 90 is more than the policy's maximum of 60 minutes/);
    // Requesting is grants.request.
    r = await call('POST', '/api/v1/grants', auditor, { grantee: 'vendor-support', role: 'auditor', reason: 'x', durationMinutes: 30 });
    assert.equal(r.statusCode, 403);
  });

  it('requests a grant: a manifest naming the approvers and threshold of now, hash recomputable from the public manifest', async () => {
    // Before any grant the support account holds nothing.
    assert.equal((await call('GET', '/api/v1/users', support)).statusCode, 403);
    const r = await call('POST', '/api/v1/grants', admin, {
      grantee: 'Vendor-Support',
      role: 'auditor',
      reason: 'database index rebuild after upgrade',
      ticket: 'INC-2041',
      durationMinutes: 30,
    });
    assert.equal(r.statusCode, 201, r.body);
    grant = r.json<Grant>();
    assert.equal(grant.status, 'pending-approval');
    assert.equal(grant.approvalsNeeded, 2);
    assert.equal(grant.grantee.username, 'vendor-support');
    assert.equal(grant.expiresAt, null);

    const m = await call('GET', `/api/v1/grants/${grant.id}/manifest`, null);
    assert.equal(m.statusCode, 200);
    const signing = m.json<GrantForSigning>();
    assert.equal(grantManifestHash(signing.manifest as GrantManifest), grant.manifestHash);
    assert.deepEqual(signing.manifest.approvers, { threshold: 2, publicKeys: [o1, o2, o3].map((o) => o.publicKey).sort() });
    assert.equal(signing.manifest.node, t.ctx.node.name);
    assert.equal(signing.manifest.requestedBy, 'admin');

    const again = await call('POST', '/api/v1/grants', admin, { grantee: 'vendor-support', role: 'auditor', reason: 'x', durationMinutes: 30 });
    assert.equal(again.statusCode, 409);
    assert.match(detail(again).detail, /already has a pending-approval grant/);
    const [req] = await entries('grants.grant.requested', `grant:${grant.id}`);
    assert.equal((await details(req.seq))['manifestHash'], grant.manifestHash);
  });

  it('refuses approvals by undesignated or late keys, bad, misdirected and reused signatures, the requester, each ledgered', async () => {
    const before = (await entries('grants.approval.refused')).length;
    let r = await approve(grant.id, stranger, grant.manifestHash);
    assert.equal(r.statusCode, 403);
    assert.equal(detail(r).type, PROBLEM_TYPES.approverNotDesignated);
    assert.match(detail(r).detail, /is not a designated break-glass approver/);

    // Designated after the request: not in this manifest.
    assert.equal((await call('POST', '/api/v1/grants/approvers', admin, { publicKey: late.publicKey, name: late.name })).statusCode, 201);
    r = await approve(grant.id, late, grant.manifestHash);
    assert.equal(r.statusCode, 403);
    assert.match(detail(r).detail, /after grant .* was requested/);

    // A signature over another hash, and a forged one.
    r = await approve(grant.id, o1, 'ab'.repeat(32));
    assert.equal(r.statusCode, 422);
    assert.equal(detail(r).type, PROBLEM_TYPES.signatureInvalid);
    assert.match(detail(r).detail, new RegExp(`does not verify over manifest hash ${grant.manifestHash}`));
    r = await call('POST', `/api/v1/grants/${grant.id}/approvals`, null, { publicKey: o1.publicKey, signature: toBase64(new Uint8Array(64)) });
    assert.equal(r.statusCode, 422);

    // The requester may not approve, even with an official's valid signature.
    r = await approve(grant.id, o2, grant.manifestHash, admin);
    assert.equal(r.statusCode, 403);
    assert.match(detail(r).detail, /the requester of grant .* may not approve it/);

    // First valid approval; the same signature again, then the same key with another valid signature (hex-text form).
    r = await approve(grant.id, o1, grant.manifestHash);
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json<Grant>().status, 'pending-approval');
    assert.equal(r.json<Grant>().approvalsNeeded, 1);
    r = await approve(grant.id, o1, grant.manifestHash);
    assert.equal(r.statusCode, 409);
    assert.equal(detail(r).type, PROBLEM_TYPES.approvalDuplicate);
    assert.match(detail(r).detail, /this signature was already used for grant/);
    const hexText = toBase64(ed25519.sign(new TextEncoder().encode(grant.manifestHash), o1.secret));
    r = await call('POST', `/api/v1/grants/${grant.id}/approvals`, null, { publicKey: o1.publicKey, signature: hexText });
    assert.equal(r.statusCode, 409);
    assert.match(detail(r).detail, new RegExp(`the key ${o1.keyId} \\(ig-operations\\) already approved this grant`));

    // A signature made for this grant, replayed on another grant, names where it belongs.
    const g2 = await call('POST', '/api/v1/grants', admin, { grantee: 'vendor-two', role: 'auditor', reason: 'other', durationMinutes: 15 });
    assert.equal(g2.statusCode, 201, g2.body);
    r = await call('POST', `/api/v1/grants/${g2.json<Grant>().id}/approvals`, null, {
      publicKey: o1.publicKey,
      signature: signHash(grant.manifestHash, o1.secret),
    });
    assert.equal(r.statusCode, 422);
    assert.match(detail(r).detail, new RegExp(`it was signed for grant ${grant.id}`));
    assert.equal((await call('POST', `/api/v1/grants/${g2.json<Grant>().id}/revoke`, admin, {})).statusCode, 200);

    const refusals = (await entries('grants.approval.refused')).slice(before);
    assert.equal(refusals.length, 8);
    assert.ok(refusals.every((e) => e.outcome === 'denied' && e.actorId.startsWith('approver:')));
    assert.match(String((await details(refusals[0].seq))['reason']), /not a designated break-glass approver/);
  });

  it('the M-th approval (kotwal grants approve) activates the grant: the grantee holds the role, every request is ledgered and counted', async () => {
    const lines: string[] = [];
    const g = await approveGrant({ key: o2.file, url: baseUrl, id: grant.id, log: (l) => lines.push(l) });
    assert.equal(g.status, 'active');
    assert.ok(lines.join('').includes('manifest hash (recomputed): ' + grant.manifestHash));
    assert.equal(g.approvals.length, 2);
    const minutes = (Date.parse(g.expiresAt!) - Date.parse(g.activatedAt!)) / 60_000;
    assert.equal(minutes, 30);
    const ev = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_outbox WHERE name = 'core.grant.activated'`);
    assert.equal(ev.rows[0].n, 1);

    // Now the support account reads users (auditor's users.read), and each request is ledgered.
    const actionsBefore = (await entries('grant.action', `grant:${grant.id}`)).length;
    assert.equal((await call('GET', '/api/v1/users', support)).statusCode, 200);
    assert.equal((await call('GET', '/api/v1/ledger/entries?limit=1', support)).statusCode, 200);
    assert.equal((await call('POST', '/api/v1/users', support, { username: 'sneaky', roles: ['admin'] })).statusCode, 403);
    const acts = (await entries('grant.action', `grant:${grant.id}`)).slice(actionsBefore);
    assert.equal(acts.length, 3);
    assert.deepEqual(
      acts.map((e) => e.outcome),
      ['allowed', 'allowed', 'denied'],
    );
    const d = await details(acts[0].seq);
    assert.deepEqual({ method: d['method'], route: d['route'], status: d['status'] }, { method: 'GET', route: '/api/v1/users', status: 200 });
    assert.equal(acts[0].actorId, g.grantee.id);
    const now = await call('GET', `/api/v1/grants/${grant.id}`, auditor);
    assert.equal(now.json<Grant>().actions, actionsBefore + 3);

    // A third approval is recorded but changes nothing; a CLI refusal exits with the server's reason.
    await assert.rejects(approveGrant({ key: o2.file, url: baseUrl, id: grant.id, log: () => undefined }), (err: Error) => {
      return err instanceof GrantApprovalRefused && /approval-duplicate/.test(err.message);
    });
    // Other users are unaffected.
    assert.equal((await call('GET', '/api/v1/users', other)).statusCode, 403);
  });

  it('the approver tool refuses to sign a manifest whose hash differs from the one the server states', async () => {
    const m = (await call('GET', `/api/v1/grants/${grant.id}/manifest`, null)).json<GrantForSigning>();
    const forged = { ...m, manifest: { ...m.manifest, durationMinutes: 600 } };
    const server = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(forged));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await assert.rejects(
        approveGrant({ key: o3.file, url, id: grant.id, log: () => undefined }),
        (err: Error) => err instanceof GrantApprovalRefused && /does not hash to the manifestHash the server states/.test(err.message),
      );
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('revocation ends the grant at once; approvals after it are refused', async () => {
    const r = await call('POST', `/api/v1/grants/${grant.id}/revoke`, admin, { reason: 'work done' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json<Grant>().status, 'revoked');
    assert.equal((await call('GET', '/api/v1/users', support)).statusCode, 403);
    const late3 = await approve(grant.id, o3, grant.manifestHash);
    assert.equal(late3.statusCode, 409);
    assert.equal(detail(late3).type, PROBLEM_TYPES.transferRevoked);
    assert.match(detail(late3).detail, /was revoked at .* by admin: work done/);
    const [rev] = await entries('grants.grant.revoked', `grant:${grant.id}`);
    assert.equal((await details(rev.seq))['reason'], 'revoked');
    const ended = await t.ctx.db.query<{ payload: { reason: string } }>(`SELECT payload FROM event_outbox WHERE name = 'core.grant.ended'`);
    assert.ok(ended.rows.some((e) => e.payload.reason === 'revoked'));
    assert.equal((await call('POST', `/api/v1/grants/${grant.id}/revoke`, admin, {})).statusCode, 409);
  });

  it('expires by itself: on the grantee\u2019s next request, by the sweeper, and unapproved after the approval window', async () => {
    const activate = async (grantee: string): Promise<Grant> => {
      const r = await call('POST', '/api/v1/grants', admin, { grantee, role: 'auditor', reason: 'expiry test', durationMinutes: 10 });
      assert.equal(r.statusCode, 201, r.body);
      const g = r.json<Grant>();
      assert.equal((await approve(g.id, o1, g.manifestHash)).statusCode, 201);
      const a = await approve(g.id, o3, g.manifestHash);
      assert.equal(a.json<Grant>().status, 'active');
      return g;
    };
    // 1. Found past its time on a request.
    const g1 = await activate('vendor-support');
    assert.equal((await call('GET', '/api/v1/users', support)).statusCode, 200);
    await t.ctx.db.query(`UPDATE sov_grants SET expires_at = now() - interval '1 second' WHERE id = $1`, [g1.id]);
    assert.equal((await call('GET', '/api/v1/users', support)).statusCode, 403);
    assert.equal((await call('GET', `/api/v1/grants/${g1.id}`, auditor)).json<Grant>().status, 'expired');
    const [exp] = await entries('grants.grant.expired', `grant:${g1.id}`);
    assert.equal((await details(exp.seq))['reason'], 'expired');

    // 2. The sweeper, with nobody calling.
    const g2 = await activate('vendor-support');
    await t.ctx.db.query(`UPDATE sov_grants SET expires_at = now() - interval '1 second' WHERE id = $1`, [g2.id]);
    // 3. A request nobody approved in time.
    const r = await call('POST', '/api/v1/grants', admin, { grantee: 'vendor-two', role: 'auditor', reason: 'never approved', durationMinutes: 10 });
    const g3 = r.json<Grant>();
    await t.ctx.db.query(`UPDATE sov_grants SET approval_deadline = now() - interval '1 second' WHERE id = $1`, [g3.id]);
    assert.equal(await t.grants.sweep(), 2);
    assert.equal((await call('GET', `/api/v1/grants/${g2.id}`, auditor)).json<Grant>().status, 'expired');
    assert.equal((await call('GET', `/api/v1/grants/${g3.id}`, auditor)).json<Grant>().status, 'expired');
    const late3 = await approve(g3.id, o1, g3.manifestHash);
    assert.equal(late3.statusCode, 410);
    assert.match(detail(late3).detail, /expired unapproved/);
    const [e3] = await entries('grants.grant.expired', `grant:${g3.id}`);
    assert.equal((await details(e3.seq))['reason'], 'not-approved');
    const ended = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_outbox WHERE name = 'core.grant.ended'`);
    assert.ok(ended.rows[0].n >= 4);
  });

  it('a role that requires MFA applies only once the grantee has enrolled MFA', async () => {
    const r = await call('POST', '/api/v1/grants', admin, { grantee: 'vendor-support', role: 'admin', reason: 'restore accounts', durationMinutes: 10 });
    assert.equal(r.statusCode, 201, r.body);
    const g = r.json<Grant>();
    await approve(g.id, o1, g.manifestHash);
    assert.equal((await approve(g.id, o2, g.manifestHash)).json<Grant>().status, 'active');
    const refused = await call('GET', '/api/v1/users', support);
    assert.equal(refused.statusCode, 403);
    assert.equal(detail(refused).type, PROBLEM_TYPES.mfaEnrollmentRequired);
    const e = await call('POST', '/api/v1/auth/mfa/enroll', support);
    assert.equal(e.statusCode, 200, e.body);
    const v = await call('POST', '/api/v1/auth/mfa/verify', support, { code: totpFor(e.json<{ secret: string }>().secret) });
    assert.equal(v.statusCode, 200, v.body);
    assert.equal((await call('GET', '/api/v1/users', support)).statusCode, 200);
    const list = await call('GET', '/api/v1/grants?status=active', auditor);
    assert.deepEqual(
      list.json<GrantList>().items.map((x) => x.id),
      [g.id],
    );
    const acts = await entries('grant.action', `grant:${g.id}`);
    assert.ok(acts.length >= 4, 'the refused request and the enrolment were made under the grant and ledgered too');
  });
});
