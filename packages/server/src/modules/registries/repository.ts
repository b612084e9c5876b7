/**
 * SQL for the registries' own tables (reg_*). The import pipeline keeps its
 * bulk staging SQL in import/.
 */
import type { Queryable } from '#core/db/index.ts';
import type { RegistryName } from '@kotwal/contracts';

export interface RecordRow {
  registry: RegistryName;
  key: string;
  data: Record<string, unknown>;
  updated_at: Date;
}

export interface LinkRow {
  cnic: string;
  registry: RegistryName;
  key: string;
  rel: string;
}

export interface PersonRow {
  cnic: string;
  name: string;
  name_urdu: string | null;
  father_name: string;
  father_name_urdu: string | null;
  gender: string;
  birth_year: number | null;
  district: string;
}

export interface AccessRow {
  cnic: string;
  seq: string | number;
  at: Date;
  actor_type: string;
  actor_id: string;
  actor_name: string | null;
  action: string;
  outcome: string;
  purpose: string | null;
  case_ref: string | null;
  covert: boolean;
  disclosable_after: Date | null;
}

export interface BlockRow {
  id: string;
  user_id: string;
  username: string | null;
  reason: string;
  blocked_at: Date;
  released_at: Date | null;
  released_by: string | null;
}

export interface AlertRow {
  id: string;
  kind: 'canary' | 'anomaly';
  severity: 'high' | 'medium';
  user_id: string;
  username: string | null;
  subject: string | null;
  detail: string;
  raised_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
}

export interface CanaryRow {
  cnic: string;
  note: string;
  created_at: Date;
  created_by: string;
}

const RECORD_COLS = 'registry, key, data, updated_at';
const PERSON_COLS = 'cnic, name, name_urdu, father_name, father_name_urdu, gender, birth_year, district';

export async function getRecord(db: Queryable, registry: RegistryName, key: string): Promise<RecordRow | null> {
  const r = await db.query<RecordRow>(`SELECT ${RECORD_COLS} FROM reg_records WHERE registry = $1 AND key = $2`, [registry, key]);
  return r.rows[0] ?? null;
}

export async function getIdentities(db: Queryable, cnics: readonly string[]): Promise<RecordRow[]> {
  if (!cnics.length) return [];
  const r = await db.query<RecordRow>(`SELECT ${RECORD_COLS} FROM reg_records WHERE registry = 'identity' AND key = ANY($1::text[])`, [cnics]);
  return r.rows;
}

/** Every record (other than the identity card) that names the person, with how. */
export async function recordsNaming(db: Queryable, cnic: string): Promise<(RecordRow & { rel: string })[]> {
  const r = await db.query<RecordRow & { rel: string }>(
    `SELECT r.registry, r.key, r.data, r.updated_at, l.rel
       FROM reg_links l JOIN reg_records r ON r.registry = l.registry AND r.key = l.key
      WHERE l.cnic = $1 AND l.registry <> 'identity'
      ORDER BY r.registry, r.key
      LIMIT 2000`,
    [cnic],
  );
  return r.rows;
}

/** The persons linked to the given records. */
export async function linksOf(db: Queryable, records: readonly { registry: string; key: string }[]): Promise<LinkRow[]> {
  if (!records.length) return [];
  const r = await db.query<LinkRow>(
    `SELECT l.cnic, l.registry, l.key, l.rel
       FROM reg_links l
       JOIN unnest($1::text[], $2::text[]) AS q(registry, key) ON l.registry = q.registry AND l.key = q.key
      WHERE l.registry <> 'identity'`,
    [records.map((x) => x.registry), records.map((x) => x.key)],
  );
  return r.rows;
}

export async function personsByCnic(db: Queryable, cnics: readonly string[]): Promise<PersonRow[]> {
  if (!cnics.length) return [];
  const r = await db.query<PersonRow>(`SELECT ${PERSON_COLS} FROM reg_persons WHERE cnic = ANY($1::text[])`, [cnics]);
  return r.rows;
}

export interface CandidateFilter {
  keys: string[];
  district: string | null;
  yearFrom: number | null;
  yearTo: number | null;
  gender: string | null;
  limit: number;
}

/** Persons whose keys contain every key of the query (GIN), with the filters. */
export async function searchCandidates(db: Queryable, f: CandidateFilter): Promise<PersonRow[]> {
  const where = ['name_keys @> $1::text[]'];
  const params: unknown[] = [f.keys];
  if (f.district) {
    params.push(f.district);
    where.push(`district = $${params.length}`);
  }
  if (f.yearFrom !== null) {
    params.push(f.yearFrom);
    where.push(`birth_year >= $${params.length}`);
  }
  if (f.yearTo !== null) {
    params.push(f.yearTo);
    where.push(`birth_year <= $${params.length}`);
  }
  if (f.gender) {
    params.push(f.gender);
    where.push(`gender = $${params.length}`);
  }
  params.push(f.limit);
  const r = await db.query<PersonRow>(`SELECT ${PERSON_COLS} FROM reg_persons WHERE ${where.join(' AND ')} LIMIT $${params.length}`, params);
  return r.rows;
}

/** Persons with the same father's name in the same district (siblings, as registries record families). */
export async function relativesOf(db: Queryable, p: PersonRow, fatherKeys: string[], limit: number): Promise<PersonRow[]> {
  if (!fatherKeys.length) return [];
  const r = await db.query<PersonRow>(
    `SELECT ${PERSON_COLS} FROM reg_persons
      WHERE name_keys @> $1::text[] AND district = $2 AND father_name = $3 AND cnic <> $4
      ORDER BY birth_year NULLS LAST, cnic
      LIMIT $5`,
    [fatherKeys, p.district, p.father_name, p.cnic, limit],
  );
  return r.rows;
}

export async function insertAccess(db: Queryable, rows: readonly Omit<AccessRow, 'seq'>[], seq: number): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `INSERT INTO reg_access (cnic, seq, at, actor_type, actor_id, actor_name, action, outcome, purpose, case_ref, covert, disclosable_after)
     SELECT cnic, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM unnest($1::text[]) AS u(cnic)
     ON CONFLICT DO NOTHING`,
    [
      rows.map((r) => r.cnic),
      seq,
      rows[0].at,
      rows[0].actor_type,
      rows[0].actor_id,
      rows[0].actor_name,
      rows[0].action,
      rows[0].outcome,
      rows[0].purpose,
      rows[0].case_ref,
      rows[0].covert,
      rows[0].disclosable_after,
    ],
  );
}

export async function accessLog(db: Queryable, cnic: string, limit: number): Promise<AccessRow[]> {
  const r = await db.query<AccessRow>(
    `SELECT cnic, seq, at, actor_type, actor_id, actor_name, action, outcome, purpose, case_ref, covert, disclosable_after
       FROM reg_access WHERE cnic = $1 ORDER BY seq DESC LIMIT $2`,
    [cnic, limit],
  );
  return r.rows;
}

export async function countWithheld(db: Queryable, cnic: string, now: Date): Promise<number> {
  const r = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM reg_access WHERE cnic = $1 AND covert AND disclosable_after > $2`, [cnic, now]);
  return Number(r.rows[0]?.n ?? 0);
}

export async function openBlocks(db: Queryable): Promise<BlockRow[]> {
  const r = await db.query<BlockRow>(`SELECT * FROM reg_blocks WHERE released_at IS NULL`);
  return r.rows;
}

export async function listBlocks(db: Queryable, limit: number): Promise<BlockRow[]> {
  const r = await db.query<BlockRow>(`SELECT * FROM reg_blocks ORDER BY (released_at IS NULL) DESC, blocked_at DESC LIMIT $1`, [limit]);
  return r.rows;
}

/** Inserts a block unless the user already has an open one; returns the open block. */
export async function insertBlock(
  db: Queryable,
  b: { id: string; userId: string; username: string | null; reason: string; at: Date },
): Promise<{ block: BlockRow; created: boolean }> {
  const r = await db.query<BlockRow>(
    `INSERT INTO reg_blocks (id, user_id, username, reason, blocked_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (user_id) WHERE released_at IS NULL DO NOTHING RETURNING *`,
    [b.id, b.userId, b.username, b.reason, b.at],
  );
  if (r.rows[0]) return { block: r.rows[0], created: true };
  const existing = await db.query<BlockRow>(`SELECT * FROM reg_blocks WHERE user_id = $1 AND released_at IS NULL`, [b.userId]);
  return { block: existing.rows[0], created: false };
}

export async function releaseBlock(db: Queryable, id: string, by: string, note: string, at: Date): Promise<BlockRow | null> {
  const r = await db.query<BlockRow>(
    `UPDATE reg_blocks SET released_at = $2, released_by = $3, release_note = $4 WHERE id = $1 AND released_at IS NULL RETURNING *`,
    [id, at, by, note],
  );
  return r.rows[0] ?? null;
}

export async function getBlock(db: Queryable, id: string): Promise<BlockRow | null> {
  const r = await db.query<BlockRow>(`SELECT * FROM reg_blocks WHERE id = $1`, [id]);
  return r.rows[0] ?? null;
}

export async function insertAlert(db: Queryable, a: Omit<AlertRow, 'acknowledged_at' | 'acknowledged_by'>): Promise<void> {
  await db.query(`INSERT INTO reg_alerts (id, kind, severity, user_id, username, subject, detail, raised_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
    a.id,
    a.kind,
    a.severity,
    a.user_id,
    a.username,
    a.subject,
    a.detail,
    a.raised_at,
  ]);
}

export async function listAlerts(db: Queryable, limit: number): Promise<AlertRow[]> {
  const r = await db.query<AlertRow>(`SELECT * FROM reg_alerts ORDER BY (acknowledged_at IS NULL) DESC, raised_at DESC LIMIT $1`, [limit]);
  return r.rows;
}

export async function acknowledgeAlert(db: Queryable, id: string, by: string, at: Date): Promise<AlertRow | null> {
  const r = await db.query<AlertRow>(`UPDATE reg_alerts SET acknowledged_at = $2, acknowledged_by = $3 WHERE id = $1 AND acknowledged_at IS NULL RETURNING *`, [
    id,
    at,
    by,
  ]);
  if (r.rows[0]) return r.rows[0];
  const e = await db.query<AlertRow>(`SELECT * FROM reg_alerts WHERE id = $1`, [id]);
  return e.rows[0] ?? null;
}

export async function listCanaries(db: Queryable): Promise<CanaryRow[]> {
  const r = await db.query<CanaryRow>(`SELECT * FROM reg_canaries ORDER BY created_at DESC`);
  return r.rows;
}

export async function insertCanary(db: Queryable, c: CanaryRow): Promise<boolean> {
  const r = await db.query(`INSERT INTO reg_canaries (cnic, note, created_at, created_by) VALUES ($1, $2, $3, $4) ON CONFLICT (cnic) DO NOTHING`, [
    c.cnic,
    c.note,
    c.created_at,
    c.created_by,
  ]);
  return (r.rowCount ?? 0) > 0;
}

export async function registryCounts(db: Queryable): Promise<{ registry: string; records: number }[]> {
  const r = await db.query<{ registry: string; n: string | number }>(`SELECT registry, count(*) AS n FROM reg_records GROUP BY registry`);
  return r.rows.map((x) => ({ registry: x.registry, records: Number(x.n) }));
}

export async function lastImports(db: Queryable): Promise<{ registry: string; at: Date }[]> {
  const r = await db.query<{ registry: string; at: Date }>(
    `SELECT registry, max(finished_at) AS at FROM reg_imports WHERE status = 'completed' GROUP BY registry`,
  );
  return r.rows;
}
