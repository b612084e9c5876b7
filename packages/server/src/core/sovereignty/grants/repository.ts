/**
 * SQL of break-glass grants: sov_grants (own table), and the shared
 * sovereignty tables read with scope 'break-glass' (sov_approvers,
 * sov_policies) or subject_kind 'grant' (sov_approvals).
 */
import type { Queryable } from '#core/db/index.ts';

export const BREAK_GLASS = 'break-glass';

export interface GrantRow {
  id: string;
  manifest: string;
  manifest_hash: string;
  status: 'pending-approval' | 'active' | 'expired' | 'revoked';
  grantee_id: string;
  grantee_username: string;
  role: string;
  permissions: string[];
  reason: string;
  ticket: string | null;
  duration_minutes: number;
  requested_at: Date;
  requested_by: string;
  requested_by_name: string;
  approval_deadline: Date;
  activated_at: Date | null;
  expires_at: Date | null;
  ended_at: Date | null;
  end_reason: 'expired' | 'not-approved' | 'revoked' | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  actions: number;
  last_action_at: Date | null;
}

const GRANT_COLUMNS = `id, manifest, manifest_hash, status, grantee_id, grantee_username, role, permissions, reason, ticket, duration_minutes,
  requested_at, requested_by, requested_by_name, approval_deadline, activated_at, expires_at, ended_at, end_reason, revoked_by, revoke_reason,
  actions, last_action_at`;

export async function insertGrant(
  q: Queryable,
  g: Pick<
    GrantRow,
    | 'id'
    | 'manifest'
    | 'manifest_hash'
    | 'grantee_id'
    | 'grantee_username'
    | 'role'
    | 'permissions'
    | 'reason'
    | 'ticket'
    | 'duration_minutes'
    | 'requested_at'
    | 'requested_by'
    | 'requested_by_name'
    | 'approval_deadline'
  >,
): Promise<void> {
  await q.query(
    `INSERT INTO sov_grants (id, manifest, manifest_hash, status, grantee_id, grantee_username, role, permissions, reason, ticket, duration_minutes,
       requested_at, requested_by, requested_by_name, approval_deadline)
     VALUES ($1, $2, $3, 'pending-approval', $4, $5, $6, $7::text[], $8, $9, $10, $11, $12, $13, $14)`,
    [
      g.id,
      g.manifest,
      g.manifest_hash,
      g.grantee_id,
      g.grantee_username,
      g.role,
      g.permissions,
      g.reason,
      g.ticket,
      g.duration_minutes,
      g.requested_at,
      g.requested_by,
      g.requested_by_name,
      g.approval_deadline,
    ],
  );
}

export async function findGrant(q: Queryable, id: string, forUpdate = false): Promise<GrantRow | null> {
  const r = await q.query<GrantRow>(`SELECT ${GRANT_COLUMNS} FROM sov_grants WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ?? null;
}

export async function listGrants(q: Queryable, opts: { status?: string | undefined; limit: number }): Promise<GrantRow[]> {
  const r = await q.query<GrantRow>(`SELECT ${GRANT_COLUMNS} FROM sov_grants WHERE ($1::text IS NULL OR status = $1) ORDER BY requested_at DESC, id LIMIT $2`, [
    opts.status ?? null,
    opts.limit,
  ]);
  return r.rows;
}

export async function allGrants(q: Queryable): Promise<GrantRow[]> {
  return (await q.query<GrantRow>(`SELECT ${GRANT_COLUMNS} FROM sov_grants ORDER BY requested_at, id`)).rows;
}

export async function liveGrantOf(q: Queryable, granteeId: string): Promise<GrantRow | null> {
  const r = await q.query<GrantRow>(`SELECT ${GRANT_COLUMNS} FROM sov_grants WHERE grantee_id = $1 AND status IN ('pending-approval', 'active') LIMIT 1`, [
    granteeId,
  ]);
  return r.rows[0] ?? null;
}

/** What the authenticator needs about a user's active grant, and whether this session passed MFA. */
export interface ActiveGrantRow {
  id: string;
  role: string;
  manifest_hash: string;
  expires_at: Date;
  permissions: string[];
  role_permissions: string[] | null;
  mfa_passed: boolean | null;
}

export async function activeGrantFor(q: Queryable, userId: string, sessionId: string | null): Promise<ActiveGrantRow | null> {
  const r = await q.query<ActiveGrantRow>(
    `SELECT g.id, g.role, g.manifest_hash, g.expires_at, g.permissions, r.permissions AS role_permissions,
            (SELECT s.mfa_passed FROM sessions s WHERE s.id = $2) AS mfa_passed
       FROM sov_grants g LEFT JOIN roles r ON r.name = g.role
      WHERE g.grantee_id = $1 AND g.status = 'active'
      LIMIT 1`,
    [userId, sessionId],
  );
  return r.rows[0] ?? null;
}

export async function activateGrant(q: Queryable, id: string, at: Date, expiresAt: Date): Promise<boolean> {
  const r = await q.query(
    `UPDATE sov_grants SET status = 'active', activated_at = $2, expires_at = $3 WHERE id = $1 AND status = 'pending-approval' RETURNING id`,
    [id, at, expiresAt],
  );
  return r.rows.length === 1;
}

/** Ends a live grant; false when it had already ended (so the caller records it once). */
export async function endGrant(
  q: Queryable,
  id: string,
  to: 'expired' | 'revoked',
  reason: 'expired' | 'not-approved' | 'revoked',
  at: Date,
  by: string | null = null,
  note: string | null = null,
): Promise<GrantRow | null> {
  const r = await q.query<{ id: string }>(
    `UPDATE sov_grants SET status = $2, end_reason = $3, ended_at = $4, revoked_by = $5, revoke_reason = $6
      WHERE id = $1 AND status IN ('pending-approval', 'active') RETURNING id`,
    [id, to, reason, at, by, note],
  );
  return r.rows.length ? findGrant(q, id) : null;
}

/** Live grants whose time is up: active past expires_at, pending past the approval deadline. */
export async function grantsDue(q: Queryable, now: Date): Promise<{ id: string; status: string }[]> {
  const r = await q.query<{ id: string; status: string }>(
    `SELECT id, status FROM sov_grants
      WHERE (status = 'active' AND expires_at <= $1) OR (status = 'pending-approval' AND approval_deadline <= $1)
      ORDER BY requested_at LIMIT 500`,
    [now],
  );
  return r.rows;
}

export async function countAction(q: Queryable, id: string, at: Date): Promise<void> {
  await q.query('UPDATE sov_grants SET actions = actions + 1, last_action_at = $2 WHERE id = $1', [id, at]);
}

// ---- approvals (sov_approvals, subject_kind 'grant') -------------------------------------

export interface ApprovalRow {
  id: string;
  subject_kind: 'transfer' | 'grant';
  subject_id: string;
  public_key: string;
  key_id: string;
  approver_name: string;
  signature: string;
  signed_form: 'raw' | 'hex-text';
  at: Date;
}

const APPROVAL_COLUMNS = 'id, subject_kind, subject_id, public_key, key_id, approver_name, signature, signed_form, at';

export async function approvalsOfGrant(q: Queryable, grantId: string): Promise<ApprovalRow[]> {
  return (
    await q.query<ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM sov_approvals WHERE subject_kind = 'grant' AND subject_id = $1 ORDER BY at, id`, [grantId])
  ).rows;
}

export async function approvalsOfGrants(q: Queryable, ids: readonly string[]): Promise<ApprovalRow[]> {
  if (!ids.length) return [];
  return (
    await q.query<ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM sov_approvals WHERE subject_kind = 'grant' AND subject_id = ANY($1::uuid[]) ORDER BY at, id`, [
      [...ids],
    ])
  ).rows;
}

/** Manifests (grants and transfers) that name a key, to tell an approver which one a misdirected signature was for. */
export async function manifestsNamingKey(
  q: Queryable,
  publicKey: string,
  excludeId: string,
  limit: number,
): Promise<{ kind: 'grant' | 'transfer'; id: string; manifest_hash: string }[]> {
  const r = await q.query<{ kind: 'grant' | 'transfer'; id: string; manifest_hash: string }>(
    `(SELECT 'grant' AS kind, id::text AS id, manifest_hash FROM sov_grants WHERE id <> $2::uuid AND strpos(manifest, $1) > 0 ORDER BY requested_at DESC LIMIT $3)
     UNION ALL
     (SELECT 'transfer' AS kind, id::text AS id, manifest_hash FROM sov_transfers WHERE strpos(manifest, $1) > 0 ORDER BY created_at DESC LIMIT $3)`,
    [publicKey, excludeId, limit],
  );
  return r.rows;
}

// ---- approvers and policy (scope 'break-glass') ----------------------------------------

export interface ApproverRow {
  id: string;
  scope: string;
  name: string;
  public_key: string;
  key_id: string;
  created_at: Date;
  created_by: string;
  removed_at: Date | null;
}

const APPROVER_COLUMNS = 'id, scope, name, public_key, key_id, created_at, created_by, removed_at';

export async function listApprovers(q: Queryable, activeOnly: boolean): Promise<ApproverRow[]> {
  return (
    await q.query<ApproverRow>(
      `SELECT ${APPROVER_COLUMNS} FROM sov_approvers WHERE scope = '${BREAK_GLASS}' ${activeOnly ? 'AND removed_at IS NULL' : ''} ORDER BY removed_at IS NOT NULL, created_at, id`,
    )
  ).rows;
}

export async function approversByKey(q: Queryable, publicKey: string): Promise<ApproverRow[]> {
  return (await q.query<ApproverRow>(`SELECT ${APPROVER_COLUMNS} FROM sov_approvers WHERE public_key = $1 ORDER BY created_at`, [publicKey])).rows;
}

export async function findApprover(q: Queryable, id: string): Promise<ApproverRow | null> {
  return (await q.query<ApproverRow>(`SELECT ${APPROVER_COLUMNS} FROM sov_approvers WHERE id = $1`, [id])).rows[0] ?? null;
}

export async function insertApprover(q: Queryable, a: Pick<ApproverRow, 'id' | 'name' | 'public_key' | 'key_id' | 'created_at' | 'created_by'>): Promise<void> {
  await q.query(`INSERT INTO sov_approvers (id, scope, name, public_key, key_id, created_at, created_by) VALUES ($1, '${BREAK_GLASS}', $2, $3, $4, $5, $6)`, [
    a.id,
    a.name,
    a.public_key,
    a.key_id,
    a.created_at,
    a.created_by,
  ]);
}

export async function removeApprover(q: Queryable, id: string, at: Date, by: string): Promise<boolean> {
  const r = await q.query(`UPDATE sov_approvers SET removed_at = $2, removed_by = $3 WHERE id = $1 AND removed_at IS NULL RETURNING id`, [id, at, by]);
  return r.rows.length === 1;
}

export interface PolicyRow {
  threshold: number;
  max_minutes: number | null;
  updated_at: Date;
  updated_by: string;
}

export async function findPolicy(q: Queryable): Promise<PolicyRow | null> {
  return (await q.query<PolicyRow>(`SELECT threshold, max_minutes, updated_at, updated_by FROM sov_policies WHERE scope = '${BREAK_GLASS}'`)).rows[0] ?? null;
}

export async function upsertPolicy(q: Queryable, p: { threshold: number; maxMinutes: number; at: Date; by: string }): Promise<void> {
  await q.query(
    `INSERT INTO sov_policies (scope, threshold, max_minutes, updated_at, updated_by) VALUES ('${BREAK_GLASS}', $1, $2, $3, $4)
     ON CONFLICT (scope) DO UPDATE SET threshold = EXCLUDED.threshold, max_minutes = EXCLUDED.max_minutes, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
    [p.threshold, p.maxMinutes, p.at, p.by],
  );
}

// ---- users and roles (read only) ----------------------------------------------------------

export async function findUserByUsername(q: Queryable, username: string): Promise<{ id: string; username: string; disabled: boolean } | null> {
  return (
    (await q.query<{ id: string; username: string; disabled: boolean }>('SELECT id, username, disabled FROM users WHERE username = $1', [username])).rows[0] ??
    null
  );
}

export async function findRole(q: Queryable, name: string): Promise<{ name: string; permissions: string[] } | null> {
  return (await q.query<{ name: string; permissions: string[] }>('SELECT name, permissions FROM roles WHERE name = $1', [name])).rows[0] ?? null;
}
