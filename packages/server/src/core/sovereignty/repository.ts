/**
 * SQL of core/sovereignty's own tables (sov_*). Times are read as epoch
 * milliseconds so PGlite and PostgreSQL hand back the same values.
 */
import type { Queryable } from '#core/db/index.ts';

const ms = (col: string, as = col): string => `(extract(epoch FROM ${col}) * 1000)::int8 AS ${as}`;

// ---------------------------------------------------------------- peers

export interface PeerRow {
  id: string;
  name: string;
  address: string;
  public_key: string;
  key_id: string;
  jurisdiction: string;
  status: 'active' | 'removed';
  created_ms: number;
  created_by: string;
  verified_ms: number | null;
}

const PEER_COLUMNS = `id, name, address, public_key, key_id, jurisdiction, status, ${ms('created_at', 'created_ms')}, created_by, ${ms('last_verified_at', 'verified_ms')}`;

export async function insertPeer(
  q: Queryable,
  p: { id: string; name: string; address: string; publicKey: string; keyId: string; jurisdiction: string; now: Date; by: string },
): Promise<void> {
  await q.query(
    `INSERT INTO sov_peers (id, name, address, public_key, key_id, jurisdiction, status, created_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8)`,
    [p.id, p.name, p.address, p.publicKey, p.keyId, p.jurisdiction, p.now, p.by],
  );
}

export async function findPeer(q: Queryable, id: string): Promise<PeerRow | null> {
  return (await q.query<PeerRow>(`SELECT ${PEER_COLUMNS} FROM sov_peers WHERE id = $1`, [id])).rows[0] ?? null;
}

export async function findActivePeerByName(q: Queryable, name: string): Promise<PeerRow | null> {
  return (await q.query<PeerRow>(`SELECT ${PEER_COLUMNS} FROM sov_peers WHERE name = $1 AND status = 'active'`, [name])).rows[0] ?? null;
}

export async function listPeers(q: Queryable): Promise<PeerRow[]> {
  return (await q.query<PeerRow>(`SELECT ${PEER_COLUMNS} FROM sov_peers WHERE status = 'active' ORDER BY name`)).rows;
}

export async function setPeerStatus(q: Queryable, id: string, status: 'active' | 'removed'): Promise<boolean> {
  return (await q.query(`UPDATE sov_peers SET status = $2 WHERE id = $1 AND status <> $2`, [id, status])).rowCount > 0;
}

export async function markPeerVerified(q: Queryable, id: string, at: Date): Promise<void> {
  await q.query('UPDATE sov_peers SET last_verified_at = $2 WHERE id = $1', [id, at]);
}

// ---------------------------------------------------------------- approvers

export interface ApproverRow {
  id: string;
  scope: string;
  name: string;
  public_key: string;
  key_id: string;
  created_ms: number;
  created_by: string;
  removed_ms: number | null;
}

const APPROVER_COLUMNS = `id, scope, name, public_key, key_id, ${ms('created_at', 'created_ms')}, created_by, ${ms('removed_at', 'removed_ms')}`;

export async function insertApprover(
  q: Queryable,
  a: { id: string; scope: string; name: string; publicKey: string; keyId: string; now: Date; by: string },
): Promise<void> {
  await q.query(`INSERT INTO sov_approvers (id, scope, name, public_key, key_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
    a.id,
    a.scope,
    a.name,
    a.publicKey,
    a.keyId,
    a.now,
    a.by,
  ]);
}

export async function findApprover(q: Queryable, id: string): Promise<ApproverRow | null> {
  return (await q.query<ApproverRow>(`SELECT ${APPROVER_COLUMNS} FROM sov_approvers WHERE id = $1`, [id])).rows[0] ?? null;
}

/** Active approvers of one scope, or of every dataset scope (not break-glass) when scope is null. */
export async function listActiveApprovers(q: Queryable, scope: string | null): Promise<ApproverRow[]> {
  if (scope !== null) {
    return (
      await q.query<ApproverRow>(`SELECT ${APPROVER_COLUMNS} FROM sov_approvers WHERE scope = $1 AND removed_at IS NULL ORDER BY created_at, id`, [scope])
    ).rows;
  }
  return (
    await q.query<ApproverRow>(
      `SELECT ${APPROVER_COLUMNS} FROM sov_approvers WHERE scope <> 'break-glass' AND removed_at IS NULL ORDER BY scope, created_at, id`,
    )
  ).rows;
}

/** Every designation (active or removed) of a key, newest first. */
export async function approversByKey(q: Queryable, publicKey: string): Promise<ApproverRow[]> {
  return (await q.query<ApproverRow>(`SELECT ${APPROVER_COLUMNS} FROM sov_approvers WHERE public_key = $1 ORDER BY created_at DESC`, [publicKey])).rows;
}

export async function removeApprover(q: Queryable, id: string, at: Date, by: string): Promise<boolean> {
  return (await q.query('UPDATE sov_approvers SET removed_at = $2, removed_by = $3 WHERE id = $1 AND removed_at IS NULL', [id, at, by])).rowCount > 0;
}

export async function countActiveApprovers(q: Queryable): Promise<Map<string, number>> {
  const r = await q.query<{ scope: string; n: number }>(`SELECT scope, count(*)::int AS n FROM sov_approvers WHERE removed_at IS NULL GROUP BY scope`);
  return new Map(r.rows.map((x) => [x.scope, Number(x.n)]));
}

// ---------------------------------------------------------------- policies

export interface PolicyRow {
  scope: string;
  threshold: number;
  allowed_jurisdictions: string[];
  allowed_destinations: string[];
  updated_ms: number;
  updated_by: string;
}

const POLICY_COLUMNS = `scope, threshold, allowed_jurisdictions, allowed_destinations, ${ms('updated_at', 'updated_ms')}, updated_by`;

export async function upsertPolicy(
  q: Queryable,
  p: { scope: string; threshold: number; allowedJurisdictions: string[]; allowedDestinations: string[]; now: Date; by: string },
): Promise<void> {
  await q.query(
    `INSERT INTO sov_policies (scope, threshold, allowed_jurisdictions, allowed_destinations, updated_at, updated_by)
     VALUES ($1, $2, $3::text[], $4::text[], $5, $6)
     ON CONFLICT (scope) DO UPDATE SET threshold = EXCLUDED.threshold, allowed_jurisdictions = EXCLUDED.allowed_jurisdictions,
       allowed_destinations = EXCLUDED.allowed_destinations, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
    [p.scope, p.threshold, p.allowedJurisdictions, p.allowedDestinations, p.now, p.by],
  );
}

export async function findPolicy(q: Queryable, scope: string): Promise<PolicyRow | null> {
  return (await q.query<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM sov_policies WHERE scope = $1`, [scope])).rows[0] ?? null;
}

export async function listPolicies(q: Queryable): Promise<PolicyRow[]> {
  return (await q.query<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM sov_policies`)).rows;
}

// ---------------------------------------------------------------- transfers

export interface TransferRow {
  id: string;
  dataset: string;
  kind: string;
  destination_node: string | null;
  manifest: string;
  manifest_hash: string;
  status: string;
  refusal_type: string | null;
  refusal_detail: string | null;
  expires_ms: number;
  created_ms: number;
  created_by: string;
  executed_ms: number | null;
  completed_ms: number | null;
  revoked_ms: number | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  error: string | null;
  batches_sent: number;
  batches_acknowledged: number;
  records_sent: number;
  records_acknowledged: number;
  last_batch_hash: string | null;
  last_checkpoint_size: number | null;
  cursor: string | null;
}

const TRANSFER_COLUMNS = `id, dataset, kind, destination_node, manifest, manifest_hash, status, refusal_type, refusal_detail, ${ms('expires_at', 'expires_ms')},
  ${ms('created_at', 'created_ms')}, created_by, ${ms('executed_at', 'executed_ms')}, ${ms('completed_at', 'completed_ms')}, ${ms('revoked_at', 'revoked_ms')},
  revoked_by, revoke_reason, error, batches_sent, batches_acknowledged, records_sent, records_acknowledged, last_batch_hash, last_checkpoint_size, cursor`;

export async function insertTransfer(
  q: Queryable,
  t: {
    id: string;
    dataset: string;
    kind: string;
    destinationNode: string;
    manifest: string;
    manifestHash: string;
    status: string;
    refusalType: string | null;
    refusalDetail: string | null;
    expiresAt: Date;
    now: Date;
    by: string;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO sov_transfers (id, dataset, kind, destination_node, manifest, manifest_hash, status, refusal_type, refusal_detail, expires_at, created_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [t.id, t.dataset, t.kind, t.destinationNode, t.manifest, t.manifestHash, t.status, t.refusalType, t.refusalDetail, t.expiresAt, t.now, t.by],
  );
}

export async function findTransfer(q: Queryable, id: string, forUpdate = false): Promise<TransferRow | null> {
  return (await q.query<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM sov_transfers WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id])).rows[0] ?? null;
}

export async function findTransferByManifestHash(q: Queryable, hash: string): Promise<TransferRow | null> {
  return (await q.query<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM sov_transfers WHERE manifest_hash = $1`, [hash])).rows[0] ?? null;
}

export async function listTransfers(
  q: Queryable,
  f: { status?: string | undefined; dataset?: string | undefined; before?: Date | undefined; limit: number },
): Promise<TransferRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.status) {
    params.push(f.status);
    where.push(`status = $${params.length}`);
  }
  if (f.dataset) {
    params.push(f.dataset);
    where.push(`dataset = $${params.length}`);
  }
  if (f.before) {
    params.push(f.before);
    where.push(`created_at < $${params.length}`);
  }
  params.push(f.limit);
  return (
    await q.query<TransferRow>(
      `SELECT ${TRANSFER_COLUMNS} FROM sov_transfers ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT $${params.length}`,
      params,
    )
  ).rows;
}

/** Transfers whose manifest names a key as an approver (to say which transfer a signature was made for). */
export async function transfersNamingKey(q: Queryable, publicKey: string, excludeId: string, limit: number): Promise<{ id: string; manifest_hash: string }[]> {
  return (
    await q.query<{ id: string; manifest_hash: string }>(
      `SELECT id, manifest_hash FROM sov_transfers WHERE id <> $1 AND position($2 in manifest) > 0 ORDER BY created_at DESC LIMIT $3`,
      [excludeId, publicKey, limit],
    )
  ).rows;
}

export async function setTransferStatus(
  q: Queryable,
  id: string,
  status: string,
  extra: { executedAt?: Date; completedAt?: Date; revokedAt?: Date; revokedBy?: string; revokeReason?: string | null; error?: string | null } = {},
): Promise<void> {
  await q.query(
    `UPDATE sov_transfers SET status = $2,
       executed_at = COALESCE($3, executed_at), completed_at = COALESCE($4, completed_at),
       revoked_at = COALESCE($5, revoked_at), revoked_by = COALESCE($6, revoked_by), revoke_reason = COALESCE($7, revoke_reason),
       error = COALESCE($8, error)
     WHERE id = $1`,
    [
      id,
      status,
      extra.executedAt ?? null,
      extra.completedAt ?? null,
      extra.revokedAt ?? null,
      extra.revokedBy ?? null,
      extra.revokeReason ?? null,
      extra.error ?? null,
    ],
  );
}

/** Transfers past their expiry still able to move (pending, approved, executing). */
export async function dueForExpiry(q: Queryable, now: Date): Promise<TransferRow[]> {
  return (
    await q.query<TransferRow>(
      `SELECT ${TRANSFER_COLUMNS} FROM sov_transfers WHERE expires_at <= $1 AND status IN ('pending-approval', 'approved', 'executing') ORDER BY expires_at LIMIT 500`,
      [now],
    )
  ).rows;
}

export async function executingTransfers(q: Queryable): Promise<TransferRow[]> {
  return (await q.query<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM sov_transfers WHERE status = 'executing' ORDER BY executed_at`)).rows;
}

/** The newest source tree size a destination node has acknowledged (from its receipts). */
export async function acknowledgedTreeSize(q: Queryable, destinationNode: string): Promise<number | null> {
  const r = await q.query<{ n: number | null }>(`SELECT max(last_checkpoint_size) AS n FROM sov_transfers WHERE destination_node = $1`, [destinationNode]);
  const n = r.rows[0]?.n;
  return n === null || n === undefined ? null : Number(n);
}

// ---------------------------------------------------------------- approvals

export interface ApprovalRow {
  id: string;
  subject_kind: string;
  subject_id: string;
  public_key: string;
  key_id: string;
  approver_name: string;
  signature: string;
  signed_form: 'raw' | 'hex-text';
  at_ms: number;
}

const APPROVAL_COLUMNS = `id, subject_kind, subject_id, public_key, key_id, approver_name, signature, signed_form, ${ms('at', 'at_ms')}`;

export async function approvalsOf(q: Queryable, transferId: string): Promise<ApprovalRow[]> {
  return (
    await q.query<ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM sov_approvals WHERE subject_kind = 'transfer' AND subject_id = $1 ORDER BY at, id`, [
      transferId,
    ])
  ).rows;
}

export async function approvalsOfMany(q: Queryable, ids: readonly string[]): Promise<ApprovalRow[]> {
  if (!ids.length) return [];
  return (
    await q.query<ApprovalRow>(
      `SELECT ${APPROVAL_COLUMNS} FROM sov_approvals WHERE subject_kind = 'transfer' AND subject_id = ANY($1::uuid[]) ORDER BY at, id`,
      [[...ids]],
    )
  ).rows;
}

// ---------------------------------------------------------------- batches (source side)

export interface BatchRow {
  transfer_id: string;
  seq: number;
  batch_hash: string;
  prev_hash: string | null;
  records: number;
  ledger_seq: number | null;
  checkpoint_size: number | null;
  sent_ms: number;
  receipt: string | null;
  receipt_signature: string | null;
  received_ms: number | null;
  replica_ledger_seq: number | null;
}

const BATCH_COLUMNS = `transfer_id, seq, batch_hash, prev_hash, records, ledger_seq, checkpoint_size, ${ms('sent_at', 'sent_ms')}, receipt, receipt_signature,
  ${ms('received_at', 'received_ms')}, replica_ledger_seq`;

export async function insertBatch(
  q: Queryable,
  b: { transferId: string; seq: number; batchHash: string; prevHash: string | null; records: number; ledgerSeq: number; checkpointSize: number; sentAt: Date },
): Promise<void> {
  await q.query(
    `INSERT INTO sov_batches (transfer_id, seq, batch_hash, prev_hash, records, ledger_seq, checkpoint_size, sent_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [b.transferId, b.seq, b.batchHash, b.prevHash, b.records, b.ledgerSeq, b.checkpointSize, b.sentAt],
  );
  await q.query(`UPDATE sov_transfers SET batches_sent = batches_sent + 1, records_sent = records_sent + $2, last_batch_hash = $3 WHERE id = $1`, [
    b.transferId,
    b.records,
    b.batchHash,
  ]);
}

export async function recordReceipt(
  q: Queryable,
  r: {
    transferId: string;
    seq: number;
    receipt: string;
    signature: string;
    receivedAt: Date;
    replicaLedgerSeq: number | null;
    records: number;
    sourceTreeSize: number;
    cursor: string | null;
  },
): Promise<void> {
  await q.query(`UPDATE sov_batches SET receipt = $3, receipt_signature = $4, received_at = $5, replica_ledger_seq = $6 WHERE transfer_id = $1 AND seq = $2`, [
    r.transferId,
    r.seq,
    r.receipt,
    r.signature,
    r.receivedAt,
    r.replicaLedgerSeq,
  ]);
  await q.query(
    `UPDATE sov_transfers SET batches_acknowledged = batches_acknowledged + 1, records_acknowledged = records_acknowledged + $2,
        last_checkpoint_size = GREATEST(COALESCE(last_checkpoint_size, 0), $3), cursor = COALESCE($4, cursor)
      WHERE id = $1`,
    [r.transferId, r.records, r.sourceTreeSize, r.cursor],
  );
}

export async function receiptsOf(q: Queryable, transferId: string, limit: number): Promise<BatchRow[]> {
  return (
    await q.query<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM sov_batches WHERE transfer_id = $1 AND receipt IS NOT NULL ORDER BY seq DESC LIMIT $2`, [
      transferId,
      limit,
    ])
  ).rows;
}

// ---------------------------------------------------------------- replica side

export interface InboundRow {
  transfer_id: string;
  source_node: string;
  source_key: string;
  dataset: string;
  manifest: string;
  manifest_hash: string;
  approvals: string;
  expires_ms: number;
  status: 'receiving' | 'completed' | 'revoked' | 'expired';
  last_seq: number;
  last_batch_hash: string | null;
  records: number;
  revoked_ms: number | null;
  /** The signed receipt of batch last_seq (canonical JSON), once answered. */
  last_receipt: string | null;
}

const INBOUND_COLUMNS = `transfer_id, source_node, source_key, dataset, manifest, manifest_hash, approvals, ${ms('expires_at', 'expires_ms')}, status, last_seq,
  last_batch_hash, records, ${ms('revoked_at', 'revoked_ms')}, last_receipt`;

export async function findInbound(q: Queryable, transferId: string, forUpdate = false): Promise<InboundRow | null> {
  return (
    (await q.query<InboundRow>(`SELECT ${INBOUND_COLUMNS} FROM sov_inbound WHERE transfer_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [transferId])).rows[0] ??
    null
  );
}

export async function insertInbound(
  q: Queryable,
  i: {
    transferId: string;
    sourceNode: string;
    sourceKey: string;
    dataset: string;
    manifest: string;
    manifestHash: string;
    approvals: string;
    expiresAt: Date;
    status: string;
    now: Date;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO sov_inbound (transfer_id, source_node, source_key, dataset, manifest, manifest_hash, approvals, expires_at, status, first_at, last_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
    [i.transferId, i.sourceNode, i.sourceKey, i.dataset, i.manifest, i.manifestHash, i.approvals, i.expiresAt, i.status, i.now],
  );
}

/** Keeps the receipt of the last batch accepted (only while that batch is still the last). */
export async function saveInboundReceipt(q: Queryable, transferId: string, seq: number, receipt: string): Promise<void> {
  await q.query('UPDATE sov_inbound SET last_receipt = $3 WHERE transfer_id = $1 AND last_seq = $2', [transferId, seq, receipt]);
}

/** Advances the chain if it is still at seq-1; false when another delivery moved it. */
export async function advanceInbound(
  q: Queryable,
  a: { transferId: string; seq: number; batchHash: string; records: number; now: Date; completed: boolean },
): Promise<boolean> {
  const r = await q.query(
    `UPDATE sov_inbound SET last_seq = $2, last_batch_hash = $3, records = records + $4, last_at = $5,
        status = CASE WHEN $6::boolean THEN 'completed' ELSE status END
      WHERE transfer_id = $1 AND last_seq = $2 - 1 AND status = 'receiving'`,
    [a.transferId, a.seq, a.batchHash, a.records, a.now, a.completed],
  );
  return r.rowCount > 0;
}

export async function revokeInbound(q: Queryable, transferId: string, at: Date, reason: string | null): Promise<boolean> {
  return (
    (
      await q.query(
        `UPDATE sov_inbound SET status = 'revoked', revoked_at = $2, revoke_reason = $3, last_at = $2 WHERE transfer_id = $1 AND status <> 'revoked'`,
        [transferId, at, reason],
      )
    ).rowCount > 0
  );
}

export interface SourceCheckpointRow {
  source_key: string;
  tree_size: number;
  root_hash: string;
  body: string;
  signature: string;
}

export async function findSourceCheckpoint(q: Queryable, sourceKey: string): Promise<SourceCheckpointRow | null> {
  return (
    (
      await q.query<SourceCheckpointRow>(`SELECT source_key, tree_size, root_hash, body, signature FROM sov_source_checkpoints WHERE source_key = $1`, [
        sourceKey,
      ])
    ).rows[0] ?? null
  );
}

/** Stores the newest verified source checkpoint (never moves backwards). */
export async function saveSourceCheckpoint(
  q: Queryable,
  c: { sourceKey: string; treeSize: number; rootHash: string; body: string; signature: string; at: Date },
): Promise<void> {
  await q.query(
    `INSERT INTO sov_source_checkpoints (source_key, tree_size, root_hash, body, signature, at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (source_key) DO UPDATE SET tree_size = EXCLUDED.tree_size, root_hash = EXCLUDED.root_hash, body = EXCLUDED.body,
       signature = EXCLUDED.signature, at = EXCLUDED.at
     WHERE sov_source_checkpoints.tree_size < EXCLUDED.tree_size`,
    [c.sourceKey, c.treeSize, c.rootHash, c.body, c.signature, c.at],
  );
}

export interface ReplicaSourceRow {
  url: string;
  node: string;
  jurisdiction: string;
  public_key: string;
  key_id: string;
  pinned_ms: number;
}

export async function findReplicaSource(q: Queryable): Promise<ReplicaSourceRow | null> {
  return (
    (
      await q.query<ReplicaSourceRow>(
        `SELECT url, node, jurisdiction, public_key, key_id, ${ms('pinned_at', 'pinned_ms')} FROM sov_replica_source WHERE id = 1`,
      )
    ).rows[0] ?? null
  );
}

export async function pinReplicaSource(
  q: Queryable,
  s: { url: string; node: string; jurisdiction: string; publicKey: string; keyId: string; now: Date },
): Promise<void> {
  await q.query(
    `INSERT INTO sov_replica_source (id, url, node, jurisdiction, public_key, key_id, pinned_at, last_seen_at) VALUES (1, $1, $2, $3, $4, $5, $6, $6)`,
    [s.url, s.node, s.jurisdiction, s.publicKey, s.keyId, s.now],
  );
}

export async function touchReplicaSource(q: Queryable, now: Date): Promise<void> {
  await q.query('UPDATE sov_replica_source SET last_seen_at = $1 WHERE id = 1', [now]);
}
