/**
 * SQL for the ledger's own tables (ledger_state, ledger_entries,
 * ledger_details, ledger_queue, ledger_tree, ledger_checkpoints). Every
 * multi-row write is one statement over unnest()ed arrays, whatever the
 * batch size. Same SQL on PGlite and PostgreSQL.
 */
import { parseCheckpointBody, type Checkpoint, type LedgerEntriesQuery } from '@kotwal/contracts';
import type { Queryable } from '#core/db/index.ts';
import { ENTRY_COLUMNS, type EntryRow, type PreparedEntry } from './entries.ts';
import { CompactRange, nodeKey, type NodeRef, type TreeNode } from './merkle.ts';

export interface LedgerState {
  treeSize: number;
  /** Size of the latest checkpoint, or null before the first. */
  checkpointSize: number | null;
  /** Epoch milliseconds of the latest checkpoint, or null. */
  checkpointAt: number | null;
}

export class LedgerNotMigratedError extends Error {
  override name = 'LedgerNotMigratedError';
}

export async function readState(q: Queryable, forUpdate: boolean): Promise<LedgerState> {
  const r = await q.query<{ tree_size: number; checkpoint_size: number | null; checkpoint_ms: number | null }>(
    `SELECT tree_size, checkpoint_size, (extract(epoch FROM checkpoint_at) * 1000)::int8 AS checkpoint_ms
       FROM ledger_state WHERE id = 1${forUpdate ? ' FOR UPDATE' : ''}`,
  );
  const row = r.rows[0];
  if (!row) throw new LedgerNotMigratedError('ledger_state has no row: the ledger migrations have not run');
  return { treeSize: row.tree_size, checkpointSize: row.checkpoint_size, checkpointAt: row.checkpoint_ms };
}

export async function writeState(q: Queryable, treeSize: number, checkpoint?: { size: number; at: string }): Promise<void> {
  if (checkpoint) {
    await q.query('UPDATE ledger_state SET tree_size = $1, checkpoint_size = $2, checkpoint_at = $3 WHERE id = 1', [treeSize, checkpoint.size, checkpoint.at]);
  } else {
    await q.query('UPDATE ledger_state SET tree_size = $1 WHERE id = 1', [treeSize]);
  }
}

export class LedgerTreeDamagedError extends Error {
  override name = 'LedgerTreeDamagedError';
}

/** Fetches perfect subtree hashes (level 0 from ledger_entries) in at most two queries. */
export async function fetchNodes(q: Queryable, refs: readonly NodeRef[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const leaves = [...new Set(refs.filter((r) => r.level === 0).map((r) => r.index))];
  const inner = refs.filter((r) => r.level > 0);
  if (leaves.length) {
    const r = await q.query<{ seq: number; leaf_hash: Uint8Array }>('SELECT seq, leaf_hash FROM ledger_entries WHERE seq = ANY($1::bigint[])', [leaves]);
    for (const row of r.rows) out.set(nodeKey(0, row.seq), Buffer.from(row.leaf_hash));
  }
  if (inner.length) {
    const r = await q.query<{ level: number; idx: number; hash: Uint8Array }>(
      'SELECT t.level, t.idx, t.hash FROM ledger_tree t JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON t.level = w.level AND t.idx = w.idx',
      [inner.map((r) => r.level), inner.map((r) => r.index)],
    );
    for (const row of r.rows) out.set(nodeKey(row.level, row.idx), Buffer.from(row.hash));
  }
  for (const ref of refs) {
    if (!out.has(nodeKey(ref.level, ref.index))) {
      throw new LedgerTreeDamagedError(
        ref.level === 0
          ? `ledger entry ${ref.index} is missing; run "kotwal ledger verify"`
          : `ledger_tree lacks node level ${ref.level} index ${ref.index}; the tree index is damaged; run "kotwal ledger verify"`,
      );
    }
  }
  return out;
}

/** The compact range of the tree at `size`, from the stored subtrees. */
export async function loadCompactRange(q: Queryable, size: number): Promise<CompactRange> {
  const shape = CompactRange.shape(size);
  const hashes = await fetchNodes(q, shape);
  return new CompactRange(
    size,
    shape.map((r) => ({ ...r, hash: hashes.get(nodeKey(r.level, r.index))! })),
  );
}

const QUEUE_COLUMNS = 'at, actor_type, actor_id, action, resource, purpose, case_ref, outcome, request_id, details, details_hash';

/** Queues several entries with multi-row INSERTs (in order: the queue id fixes the sequence). */
export async function enqueueMany(q: Queryable, ps: readonly PreparedEntry[]): Promise<void> {
  for (let i = 0; i < ps.length; i += 500) {
    const chunk = ps.slice(i, i + 500);
    const params: unknown[] = [];
    const rows = chunk.map((p) => {
      const base = params.length;
      params.push(p.at, p.actorType, p.actorId, p.action, p.resource, p.purpose, p.caseRef, p.outcome, p.requestId, p.details, p.detailsHash);
      return `(${Array.from({ length: 11 }, (_, k) => `$${base + k + 1}`).join(', ')})`;
    });
    await q.query(`INSERT INTO ledger_queue (${QUEUE_COLUMNS}) VALUES ${rows.join(', ')}`, params);
  }
}

export async function enqueue(q: Queryable, p: PreparedEntry): Promise<void> {
  await q.query(`INSERT INTO ledger_queue (${QUEUE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, [
    p.at,
    p.actorType,
    p.actorId,
    p.action,
    p.resource,
    p.purpose,
    p.caseRef,
    p.outcome,
    p.requestId,
    p.details,
    p.detailsHash,
  ]);
}

interface QueueRow {
  id: number;
  at_us: number;
  actor_type: PreparedEntry['actorType'];
  actor_id: string;
  action: string;
  resource: string;
  purpose: string | null;
  case_ref: string | null;
  outcome: PreparedEntry['outcome'];
  request_id: string | null;
  details: string | null;
  details_hash: string | null;
}

/** Removes up to `limit` committed queue rows, oldest first, and returns them. */
export async function drainQueue(q: Queryable, limit: number): Promise<PreparedEntry[]> {
  const r = await q.query<QueueRow>(
    `DELETE FROM ledger_queue WHERE id IN (SELECT id FROM ledger_queue ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING id, (extract(epoch FROM at) * 1000000)::int8 AS at_us, actor_type, actor_id, action, resource, purpose, case_ref, outcome, request_id, details, details_hash`,
    [limit],
  );
  return r.rows
    .sort((a, b) => a.id - b.id)
    .map((row) => ({
      at: new Date(Math.floor(row.at_us / 1000)).toISOString(),
      actorType: row.actor_type,
      actorId: row.actor_id,
      action: row.action,
      resource: row.resource,
      purpose: row.purpose,
      caseRef: row.case_ref,
      outcome: row.outcome,
      requestId: row.request_id,
      details: row.details,
      detailsHash: row.details_hash,
    }));
}

export async function queueLength(q: Queryable): Promise<number> {
  const r = await q.query<{ n: number }>('SELECT count(*)::int8 AS n FROM ledger_queue');
  return r.rows[0]?.n ?? 0;
}

/** Inserts sequenced entries, their details and the subtrees they complete: three statements. */
export async function insertSequenced(
  q: Queryable,
  firstSeq: number,
  entries: readonly PreparedEntry[],
  leaves: readonly Buffer[],
  nodes: readonly TreeNode[],
): Promise<void> {
  if (entries.length === 0) return;
  const cols: unknown[][] = Array.from({ length: 12 }, () => []);
  entries.forEach((e, i) => {
    cols[0].push(firstSeq + i);
    cols[1].push(e.at);
    cols[2].push(e.actorType);
    cols[3].push(e.actorId);
    cols[4].push(e.action);
    cols[5].push(e.resource);
    cols[6].push(e.purpose);
    cols[7].push(e.caseRef);
    cols[8].push(e.outcome);
    cols[9].push(e.requestId);
    cols[10].push(e.detailsHash);
    cols[11].push(leaves[i]);
  });
  await q.query(
    `INSERT INTO ledger_entries (seq, at, actor_type, actor_id, action, resource, purpose, case_ref, outcome, request_id, details_hash, leaf_hash)
     SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bytea[])`,
    cols,
  );
  const dSeq: number[] = [];
  const dText: string[] = [];
  entries.forEach((e, i) => {
    if (e.details !== null) {
      dSeq.push(firstSeq + i);
      dText.push(e.details);
    }
  });
  if (dSeq.length) {
    await q.query('INSERT INTO ledger_details (seq, details) SELECT * FROM unnest($1::bigint[], $2::text[])', [dSeq, dText]);
  }
  if (nodes.length) {
    await q.query('INSERT INTO ledger_tree (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])', [
      nodes.map((n) => n.level),
      nodes.map((n) => n.index),
      nodes.map((n) => n.hash),
    ]);
  }
}

export interface StoredCheckpoint {
  treeSize: number;
  rootHash: Buffer;
  timestamp: string;
  body: string;
  signature: Buffer;
  keyId: string;
  publicKey: string;
}

export async function insertCheckpoint(q: Queryable, c: StoredCheckpoint): Promise<void> {
  await q.query('INSERT INTO ledger_checkpoints (tree_size, root_hash, timestamp, body, signature, key_id, public_key) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    c.treeSize,
    c.rootHash,
    c.timestamp,
    c.body,
    c.signature,
    c.keyId,
    c.publicKey,
  ]);
}

export interface CheckpointRow {
  tree_size: number;
  root_hash: Uint8Array;
  body: string;
  signature: Uint8Array;
  key_id: string;
  public_key: string;
}

export const CHECKPOINT_COLUMNS = 'tree_size, root_hash, body, signature, key_id, public_key';

/** API shape of a stored checkpoint; origin and timestamp come from the signed body. */
export function checkpointOfRow(r: CheckpointRow): Checkpoint {
  let origin = '';
  let timestamp = '';
  try {
    const b = parseCheckpointBody(r.body);
    origin = b.origin;
    timestamp = b.timestamp;
  } catch {
    // A malformed body is reported by verification; show what the row holds.
  }
  return {
    origin,
    treeSize: r.tree_size,
    rootHash: Buffer.from(r.root_hash).toString('hex'),
    timestamp,
    body: r.body,
    signature: Buffer.from(r.signature).toString('base64'),
    publicKey: r.public_key,
    keyId: r.key_id,
  };
}

export async function latestCheckpointRow(q: Queryable): Promise<CheckpointRow | null> {
  const r = await q.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1`);
  return r.rows[0] ?? null;
}

export async function checkpointRowAt(q: Queryable, size: number): Promise<CheckpointRow | null> {
  const r = await q.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints WHERE tree_size = $1`, [size]);
  return r.rows[0] ?? null;
}

export async function listCheckpointRows(q: Queryable, opts: { limit: number; before?: number | undefined }): Promise<CheckpointRow[]> {
  const r = await q.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints WHERE ($1::int8 IS NULL OR tree_size < $1) ORDER BY tree_size DESC LIMIT $2`,
    [opts.before ?? null, opts.limit],
  );
  return r.rows;
}

export async function allCheckpointRows(q: Queryable): Promise<CheckpointRow[]> {
  const r = await q.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY tree_size`);
  return r.rows;
}

export async function entryRow(q: Queryable, seq: number): Promise<EntryRow | null> {
  const r = await q.query<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE seq = $1`, [seq]);
  return r.rows[0] ?? null;
}

export interface DetailsRow {
  details: string | null;
  erased_ms: number | null;
}

export async function detailsRow(q: Queryable, seq: number): Promise<DetailsRow | null> {
  const r = await q.query<DetailsRow>('SELECT details, (extract(epoch FROM erased_at) * 1000)::int8 AS erased_ms FROM ledger_details WHERE seq = $1', [seq]);
  return r.rows[0] ?? null;
}

/** Erases a details record; false when there is none left to erase. */
export async function eraseDetailsRow(q: Queryable, seq: number): Promise<boolean> {
  const r = await q.query('UPDATE ledger_details SET details = NULL, erased_at = now() WHERE seq = $1 AND details IS NOT NULL', [seq]);
  return r.rowCount > 0;
}

/** LIKE pattern for a prefix, with the wildcards in it escaped. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface EntryFilter extends Omit<LedgerEntriesQuery, 'since' | 'until'> {
  since?: Date | undefined;
  until?: Date | undefined;
}

/**
 * One page of entries below `treeSize`, matching the filter, in seq order;
 * returns limit + 1 rows at most so the caller knows whether there is a next page.
 */
export async function listEntryRows(q: Queryable, f: EntryFilter, treeSize: number, limit: number): Promise<EntryRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  const desc = f.order === 'desc';
  where.push(`seq < ${p(treeSize)}`);
  if (f.from !== undefined) where.push(`seq ${desc ? '<=' : '>='} ${p(f.from)}`);
  if (f.actor !== undefined) where.push(`actor_id = ${p(f.actor)}`);
  for (const col of ['action', 'resource'] as const) {
    const v = f[col];
    if (v === undefined) continue;
    if (v.endsWith('*')) {
      const prefix = v.slice(0, -1);
      if (prefix.length) where.push(`${col} LIKE ${p(likePrefix(prefix))} ESCAPE '\\'`);
    } else {
      where.push(`${col} = ${p(v)}`);
    }
  }
  if (f.outcome !== undefined) where.push(`outcome = ${p(f.outcome)}`);
  if (f.since !== undefined) where.push(`at >= ${p(f.since.toISOString())}::timestamptz`);
  if (f.until !== undefined) where.push(`at < ${p(f.until.toISOString())}::timestamptz`);
  const r = await q.query<EntryRow>(
    `SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE ${where.join(' AND ')} ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ${p(limit + 1)}`,
    params,
  );
  return r.rows;
}
