/**
 * `kotwal oversight export`: writes the oversight bundle (format.ts) from
 * the database. The records are read first; then the ledger is sequenced
 * and a checkpoint signed, so every entry that recorded them is in the
 * ledger bundle written after (a node still serving on PostgreSQL may add
 * entries meanwhile; they are exported too).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReplicationReceipt } from '@kotwal/contracts';
import type { CoreContext } from '#core/context.ts';
import type { Queryable } from '#core/db/index.ts';
import { checkpointFilePath, exportBundle, type Ledger } from '#core/ledger/index.ts';
import {
  LEDGER_DIR,
  OVERSIGHT_FILES,
  OVERSIGHT_FORMAT,
  type HistoryItem,
  type LedgerRef,
  type OversightApproval,
  type OversightApprover,
  type OversightBatch,
  type OversightCosignature,
  type OversightGrant,
  type OversightManifest,
  type OversightPeer,
  type OversightPolicy,
  type OversightTransfer,
  type OversightWitness,
  type RecordFile,
} from './format.ts';

export interface OversightExportResult {
  dir: string;
  counts: Record<RecordFile, number>;
  ledgerEntries: number;
  checkpoints: number;
  keyId: string;
}

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
const isoNN = (d: Date): string => new Date(d).toISOString();

/** The first (or last) entry of an action per resource (and actor), for many resources at once. */
async function links(q: Queryable, action: string, resources: readonly string[], last = false): Promise<Map<string, LedgerRef>> {
  const out = new Map<string, LedgerRef>();
  for (let i = 0; i < resources.length; i += 5000) {
    const part = resources.slice(i, i + 5000);
    const r = await q.query<{ resource: string; seq: number }>(
      `SELECT resource, ${last ? 'max' : 'min'}(seq) AS seq FROM ledger_entries WHERE action = $1 AND resource = ANY($2::text[]) GROUP BY resource`,
      [action, part],
    );
    for (const x of r.rows) out.set(x.resource, { seq: Number(x.seq), action, resource: x.resource });
  }
  return out;
}

/** Entries of an action on one resource, by actor (cosignatures: one per witness per checkpoint). */
async function linksByActor(q: Queryable, action: string, resources: readonly string[]): Promise<Map<string, LedgerRef>> {
  const out = new Map<string, LedgerRef>();
  if (!resources.length) return out;
  const r = await q.query<{ resource: string; actor_id: string; seq: number }>(
    `SELECT resource, actor_id, min(seq) AS seq FROM ledger_entries WHERE action = $1 AND resource = ANY($2::text[]) GROUP BY resource, actor_id`,
    [action, [...resources]],
  );
  for (const x of r.rows) out.set(`${x.resource} ${x.actor_id}`, { seq: Number(x.seq), action, resource: x.resource, actorId: x.actor_id });
  return out;
}

async function histories(q: Queryable, resources: readonly string[]): Promise<Map<string, HistoryItem[]>> {
  const out = new Map<string, HistoryItem[]>();
  for (let i = 0; i < resources.length; i += 5000) {
    const r = await q.query<{ resource: string; seq: number; at: Date; action: string; outcome: string }>(
      `SELECT resource, seq, at, action, outcome FROM ledger_entries WHERE resource = ANY($1::text[]) ORDER BY seq`,
      [resources.slice(i, i + 5000)],
    );
    for (const x of r.rows) {
      const list = out.get(x.resource) ?? [];
      list.push({ seq: Number(x.seq), at: isoNN(x.at), action: x.action, outcome: x.outcome });
      out.set(x.resource, list);
    }
  }
  return out;
}

interface ApprovalRow {
  id: string;
  subject_kind: string;
  subject_id: string;
  public_key: string;
  key_id: string;
  approver_name: string;
  signature: string;
  signed_form: string;
  at: Date;
}

async function approvalsBySubject(q: Queryable, kind: 'transfer' | 'grant'): Promise<Map<string, OversightApproval[]>> {
  const rows = (
    await q.query<ApprovalRow>(
      `SELECT id, subject_kind, subject_id, public_key, key_id, approver_name, signature, signed_form, at FROM sov_approvals WHERE subject_kind = $1 ORDER BY at, id`,
      [kind],
    )
  ).rows;
  const prefix = kind === 'transfer' ? 'transfers' : 'grants';
  const res = (a: ApprovalRow) => `${kind}:${a.subject_id}/approval/${a.key_id}`;
  const seqs = await links(q, `${prefix}.approval.recorded`, rows.map(res));
  const out = new Map<string, OversightApproval[]>();
  for (const a of rows) {
    const list = out.get(a.subject_id) ?? [];
    list.push({
      id: a.id,
      publicKey: a.public_key,
      keyId: a.key_id,
      approverName: a.approver_name,
      signature: a.signature,
      signedForm: a.signed_form,
      at: isoNN(a.at),
      ledger: seqs.get(res(a)) ?? null,
    });
    out.set(a.subject_id, list);
  }
  return out;
}

/** Reads every record of the bundle (no ledger sequencing needed: links are resolved later). */
async function readRecords(q: Queryable) {
  const transfers = (
    await q.query<{
      id: string;
      kind: string;
      dataset: string;
      status: string;
      manifest: string;
      manifest_hash: string;
      refusal_type: string | null;
      refusal_detail: string | null;
      expires_at: Date;
      created_at: Date;
      created_by: string;
      executed_at: Date | null;
      completed_at: Date | null;
      revoked_at: Date | null;
      revoked_by: string | null;
      revoke_reason: string | null;
      error: string | null;
      batches_sent: number;
      batches_acknowledged: number;
      records_sent: number;
      records_acknowledged: number;
    }>(
      `SELECT id, kind, dataset, status, manifest, manifest_hash, refusal_type, refusal_detail, expires_at, created_at, created_by, executed_at, completed_at,
              revoked_at, revoked_by, revoke_reason, error, batches_sent, batches_acknowledged, records_sent, records_acknowledged
         FROM sov_transfers ORDER BY created_at, id`,
    )
  ).rows;
  const batches = (
    await q.query<{
      transfer_id: string;
      seq: number;
      batch_hash: string;
      prev_hash: string | null;
      records: number;
      ledger_seq: number | null;
      checkpoint_size: number | null;
      sent_at: Date;
      receipt: string | null;
      receipt_signature: string | null;
      received_at: Date | null;
      replica_ledger_seq: number | null;
    }>(
      `SELECT transfer_id, seq, batch_hash, prev_hash, records, ledger_seq, checkpoint_size, sent_at, receipt, receipt_signature, received_at, replica_ledger_seq
         FROM sov_batches ORDER BY transfer_id, seq`,
    )
  ).rows;
  const peers = (
    await q.query<{
      id: string;
      name: string;
      address: string;
      public_key: string;
      key_id: string;
      jurisdiction: string;
      status: string;
      created_at: Date;
      created_by: string;
      last_verified_at: Date | null;
    }>(`SELECT id, name, address, public_key, key_id, jurisdiction, status, created_at, created_by, last_verified_at FROM sov_peers ORDER BY created_at, id`)
  ).rows;
  const approvers = (
    await q.query<{
      id: string;
      scope: string;
      name: string;
      public_key: string;
      key_id: string;
      created_at: Date;
      created_by: string;
      removed_at: Date | null;
      removed_by: string | null;
    }>(`SELECT id, scope, name, public_key, key_id, created_at, created_by, removed_at, removed_by FROM sov_approvers ORDER BY created_at, id`)
  ).rows;
  const policies = (
    await q.query<{
      scope: string;
      threshold: number;
      allowed_jurisdictions: string[];
      allowed_destinations: string[];
      max_minutes: number | null;
      updated_at: Date;
      updated_by: string;
    }>(`SELECT scope, threshold, allowed_jurisdictions, allowed_destinations, max_minutes, updated_at, updated_by FROM sov_policies ORDER BY scope`)
  ).rows;
  const grants = (
    await q.query<{
      id: string;
      status: string;
      manifest: string;
      manifest_hash: string;
      grantee_id: string;
      grantee_username: string;
      role: string;
      permissions: string[];
      reason: string;
      ticket: string | null;
      duration_minutes: number;
      requested_at: Date;
      requested_by_name: string;
      approval_deadline: Date;
      activated_at: Date | null;
      expires_at: Date | null;
      ended_at: Date | null;
      end_reason: string | null;
      revoked_by: string | null;
      revoke_reason: string | null;
      actions: number;
    }>(
      `SELECT id, status, manifest, manifest_hash, grantee_id, grantee_username, role, permissions, reason, ticket, duration_minutes, requested_at,
              requested_by_name, approval_deadline, activated_at, expires_at, ended_at, end_reason, revoked_by, revoke_reason, actions
         FROM sov_grants ORDER BY requested_at, id`,
    )
  ).rows;
  const witnesses = (
    await q.query<{ id: string; name: string; public_key: string; key_id: string; created_at: Date; created_by: string; removed_at: Date | null }>(
      `SELECT id, name, public_key, key_id, created_at, created_by, removed_at FROM ledger_witnesses ORDER BY created_at, id`,
    )
  ).rows;
  const cosignatures = (
    await q.query<{
      tree_size: number;
      witness_id: string;
      name: string;
      public_key: string;
      key_id: string;
      timestamp: number;
      signature: string;
      received_at: Date;
    }>(
      `SELECT c.tree_size, c.witness_id, w.name, w.public_key, w.key_id, c.timestamp, c.signature, c.received_at
         FROM ledger_cosignatures c JOIN ledger_witnesses w ON w.id = c.witness_id ORDER BY c.tree_size, c.received_at, w.name`,
    )
  ).rows;
  return { transfers, batches, peers, approvers, policies, grants, witnesses, cosignatures };
}

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function writeJsonl(file: string, items: readonly unknown[]): void {
  writeFileSync(file, items.map((x) => `${JSON.stringify(x)}\n`).join(''));
}

export interface OversightExportOptions {
  force?: boolean;
  onProgress?: (message: string) => void;
}

/** Writes the oversight bundle to outDir (new or empty). */
export async function exportOversight(ctx: CoreContext, ledger: Ledger, outDir: string, opts: OversightExportOptions = {}): Promise<OversightExportResult> {
  if (existsSync(outDir) && readdirSync(outDir).length > 0 && !opts.force) throw new Error(`${outDir} is not empty; choose a new directory (or --force)`);
  mkdirSync(outDir, { recursive: true });
  const db = ctx.db;
  const say = opts.onProgress ?? (() => undefined);

  say('reading transfers, batches, peers, approvers, policies, grants, witnesses and cosignatures');
  const r = await readRecords(db);
  // Every entry that recorded them is sequenced, and a checkpoint covers it.
  say('sequencing the ledger and signing a checkpoint');
  const checkpoint = await ledger.checkpointNow();

  const transferApprovals = await approvalsBySubject(db, 'transfer');
  const grantApprovals = await approvalsBySubject(db, 'grant');
  const tRes = r.transfers.map((t) => `transfer:${t.id}`);
  const gRes = r.grants.map((g) => `grant:${g.id}`);
  const pRes = r.peers.map((p) => `peer:${p.id}`);
  const [tReq, gReq, pReg, hist] = await Promise.all([
    links(db, 'transfers.transfer.requested', tRes),
    links(db, 'grants.grant.requested', gRes),
    links(db, 'transfers.peer.registered', pRes),
    histories(db, [...tRes, ...gRes, ...pRes]),
  ]);
  const bRes = r.batches.map((b) => `transfer:${b.transfer_id}/batch/${b.seq}`);
  const receiptLinks = await links(db, 'transfers.receipt.recorded', bRes);
  const aRes = r.approvers.map((a) => `approver:${a.id}`);
  const [dsDesignated, bgDesignated, dsRemoved, bgRemoved] = await Promise.all([
    links(db, 'transfers.approver.designated', aRes),
    links(db, 'grants.approver.designated', aRes),
    links(db, 'transfers.approver.removed', aRes),
    links(db, 'grants.approver.removed', aRes),
  ]);
  const polRes = r.policies.map((p) => `policy:${p.scope}`);
  const [dsPolicy, bgPolicy] = await Promise.all([links(db, 'transfers.policy.set', polRes, true), links(db, 'grants.policy.set', polRes, true)]);
  const wReg = await links(
    db,
    'ledger.witness.registered',
    r.witnesses.map((w) => `witness:${w.id}`),
  );
  const cosLinks = await linksByActor(db, 'ledger.cosignature.recorded', [...new Set(r.cosignatures.map((c) => `ledger:checkpoints/${c.tree_size}`))]);

  const transfers: OversightTransfer[] = r.transfers.map((t) => ({
    id: t.id,
    kind: t.kind,
    dataset: t.dataset,
    status: t.status,
    manifest: t.manifest,
    manifestHash: t.manifest_hash,
    refusal: t.refusal_type ? { type: t.refusal_type, detail: t.refusal_detail ?? '' } : null,
    expiresAt: isoNN(t.expires_at),
    createdAt: isoNN(t.created_at),
    createdBy: t.created_by,
    executedAt: iso(t.executed_at),
    completedAt: iso(t.completed_at),
    revokedAt: iso(t.revoked_at),
    revokedBy: t.revoked_by,
    revokeReason: t.revoke_reason,
    error: t.error,
    progress: {
      batchesSent: Number(t.batches_sent),
      batchesAcknowledged: Number(t.batches_acknowledged),
      recordsSent: Number(t.records_sent),
      recordsAcknowledged: Number(t.records_acknowledged),
    },
    approvals: transferApprovals.get(t.id) ?? [],
    ledger: tReq.get(`transfer:${t.id}`) ?? null,
    history: hist.get(`transfer:${t.id}`) ?? [],
  }));
  const batches: OversightBatch[] = r.batches.map((b) => ({
    transferId: b.transfer_id,
    seq: Number(b.seq),
    batchHash: b.batch_hash,
    prevHash: b.prev_hash,
    records: Number(b.records),
    checkpointSize: b.checkpoint_size === null ? null : Number(b.checkpoint_size),
    sentAt: isoNN(b.sent_at),
    receipt: b.receipt ? (JSON.parse(b.receipt) as ReplicationReceipt) : null,
    receivedAt: iso(b.received_at),
    replicaLedgerSeq: b.replica_ledger_seq === null ? null : Number(b.replica_ledger_seq),
    ledger: b.ledger_seq === null ? null : { seq: Number(b.ledger_seq), action: 'transfers.batch.sent', resource: `transfer:${b.transfer_id}/batch/${b.seq}` },
    receiptLedger: receiptLinks.get(`transfer:${b.transfer_id}/batch/${b.seq}`) ?? null,
  }));
  const peers: OversightPeer[] = r.peers.map((p) => ({
    id: p.id,
    name: p.name,
    address: p.address,
    publicKey: p.public_key,
    keyId: p.key_id,
    jurisdiction: p.jurisdiction,
    status: p.status,
    createdAt: isoNN(p.created_at),
    createdBy: p.created_by,
    lastVerifiedAt: iso(p.last_verified_at),
    ledger: pReg.get(`peer:${p.id}`) ?? null,
    history: hist.get(`peer:${p.id}`) ?? [],
  }));
  const approvers: OversightApprover[] = r.approvers.map((a) => {
    const bg = a.scope === 'break-glass';
    return {
      id: a.id,
      scope: a.scope,
      name: a.name,
      publicKey: a.public_key,
      keyId: a.key_id,
      createdAt: isoNN(a.created_at),
      createdBy: a.created_by,
      removedAt: iso(a.removed_at),
      removedBy: a.removed_by,
      ledger: (bg ? bgDesignated : dsDesignated).get(`approver:${a.id}`) ?? null,
      removedLedger: a.removed_at ? ((bg ? bgRemoved : dsRemoved).get(`approver:${a.id}`) ?? null) : null,
    };
  });
  const policies: OversightPolicy[] = r.policies.map((p) => ({
    scope: p.scope,
    threshold: p.threshold,
    allowedJurisdictions: p.allowed_jurisdictions,
    allowedDestinations: p.allowed_destinations,
    maxMinutes: p.max_minutes,
    updatedAt: isoNN(p.updated_at),
    updatedBy: p.updated_by,
    ledger: (p.scope === 'break-glass' ? bgPolicy : dsPolicy).get(`policy:${p.scope}`) ?? null,
  }));
  const grants: OversightGrant[] = r.grants.map((g) => ({
    id: g.id,
    status: g.status,
    manifest: g.manifest,
    manifestHash: g.manifest_hash,
    granteeId: g.grantee_id,
    grantee: g.grantee_username,
    role: g.role,
    permissions: g.permissions,
    reason: g.reason,
    ticket: g.ticket,
    durationMinutes: g.duration_minutes,
    requestedAt: isoNN(g.requested_at),
    requestedBy: g.requested_by_name,
    approvalDeadline: isoNN(g.approval_deadline),
    activatedAt: iso(g.activated_at),
    expiresAt: iso(g.expires_at),
    endedAt: iso(g.ended_at),
    endReason: g.end_reason,
    revokedBy: g.revoked_by,
    revokeReason: g.revoke_reason,
    actions: Number(g.actions),
    approvals: grantApprovals.get(g.id) ?? [],
    ledger: gReq.get(`grant:${g.id}`) ?? null,
    history: hist.get(`grant:${g.id}`) ?? [],
  }));
  const witnesses: OversightWitness[] = r.witnesses.map((w) => ({
    id: w.id,
    name: w.name,
    publicKey: w.public_key,
    keyId: w.key_id,
    createdAt: isoNN(w.created_at),
    createdBy: w.created_by,
    removedAt: iso(w.removed_at),
    ledger: wReg.get(`witness:${w.id}`) ?? null,
  }));
  const cosignatures: OversightCosignature[] = r.cosignatures.map((c) => ({
    treeSize: Number(c.tree_size),
    witnessId: c.witness_id,
    witness: c.name,
    publicKey: c.public_key,
    keyId: c.key_id,
    timestamp: Number(c.timestamp),
    signature: c.signature,
    receivedAt: isoNN(c.received_at),
    ledger: cosLinks.get(`ledger:checkpoints/${c.tree_size} witness:${c.key_id}`) ?? null,
  }));

  // The details records of every cited entry (not the grant.action ones: counted, not cited).
  const cited = new Set<number>();
  const cite = (l: LedgerRef | null) => {
    if (l) cited.add(l.seq);
  };
  for (const t of transfers) [t.ledger, ...t.approvals.map((a) => a.ledger)].forEach(cite);
  for (const b of batches) [b.ledger, b.receiptLedger].forEach(cite);
  for (const g of grants) [g.ledger, ...g.approvals.map((a) => a.ledger)].forEach(cite);
  for (const x of [...peers, ...policies, ...witnesses, ...cosignatures]) cite(x.ledger);
  for (const a of approvers) [a.ledger, a.removedLedger].forEach(cite);
  const seqs = [...cited].sort((a, b) => a - b);
  const details: { seq: number; details: string }[] = [];
  for (let i = 0; i < seqs.length; i += 5000) {
    const rows = await db.query<{ seq: number; details: string }>(
      'SELECT seq, details FROM ledger_details WHERE seq = ANY($1::int8[]) AND details IS NOT NULL ORDER BY seq',
      [seqs.slice(i, i + 5000)],
    );
    for (const x of rows.rows) details.push({ seq: Number(x.seq), details: x.details });
  }

  // The ledger bundle: entries and checkpoints up to now (at least the checkpoint above).
  say('exporting the ledger bundle');
  const pub = ledger.publicKey();
  const lb = await exportBundle(db, path.join(outDir, LEDGER_DIR), { publicKey: pub.pem, checkpointFile: checkpointFilePath(ctx.config.dataDir) });

  const f = (name: string) => path.join(outDir, name);
  const records: Record<RecordFile, unknown[]> = { transfers, batches, peers, approvers, policies, grants, witnesses, cosignatures, details };
  const files: Record<string, string> = {};
  for (const [k, items] of Object.entries(records) as [RecordFile, unknown[]][]) {
    writeJsonl(f(OVERSIGHT_FILES[k]), items);
    files[OVERSIGHT_FILES[k]] = sha256File(f(OVERSIGHT_FILES[k]));
  }
  const counts = Object.fromEntries(Object.entries(records).map(([k, v]) => [k, v.length])) as Record<RecordFile, number>;
  const manifest: OversightManifest = {
    format: OVERSIGHT_FORMAT,
    exportedAt: new Date().toISOString(),
    node: { name: ctx.node.name, jurisdiction: ctx.node.jurisdiction, publicKey: ctx.node.publicKey, keyId: ctx.node.keyId },
    ledger: { entries: lb.entries, checkpoints: lb.checkpoints, latestTreeSize: checkpoint.treeSize },
    counts,
    files,
  };
  writeFileSync(f(OVERSIGHT_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(f(OVERSIGHT_FILES.readme), readme(manifest));
  return { dir: outDir, counts, ledgerEntries: lb.entries, checkpoints: lb.checkpoints, keyId: lb.keyId };
}

function readme(m: OversightManifest): string {
  return `Kotwal oversight bundle (${m.format})

Node ${m.node.name} (${m.node.jurisdiction}), ledger key id ${m.node.keyId}. Exported ${m.exportedAt}.
Transfers ${m.counts.transfers}, batches ${m.counts.batches}, peers ${m.counts.peers}, approvers ${m.counts.approvers},
policies ${m.counts.policies}, grants ${m.counts.grants}, witnesses ${m.counts.witnesses}, cosignatures ${m.counts.cosignatures}.

Verify it offline, with no database:

  npx kotwal oversight verify <this directory> --public-key node.pub.pem

(--public-key: the node's ledger key as the data owner gave it to you; without
it the bundle's own ledger/public-key.pem is trusted, so compare the key id.)

The verifier checks: the ledger bundle (every leaf, every signed checkpoint);
every manifest hash recomputed from the manifest text; every approval
signature against the manifest's approver keys, and that executed transfers
and activated grants had the threshold of valid signatures; every receipt
signature against the destination's key; every cosignature against the
witness key and the signed checkpoint; and that the ledger entry each record
cites is in the ledger bundle, with its details hash. It names the first
thing that fails.
`;
}
