/**
 * SQL for core.auth's own tables (users, roles, user_roles, sessions,
 * api_tokens, mfa_recovery_codes, totp_last_step), nothing else. Every
 * function takes the Queryable to run on, so callers choose the transaction.
 */
import type { Queryable } from '#core/db/index.ts';

export interface UserRow {
  id: string;
  username: string;
  display_name: string | null;
  password_hash: string;
  must_change_password: boolean;
  mfa_secret_enc: string | null;
  mfa_enabled: boolean;
  mfa_pending_secret_enc: string | null;
  disabled: boolean;
  failed_logins: number;
  locked_until: Date | null;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** Role names, sorted. */
  roles: string[];
  /** Union of the roles' permissions, sorted (may include names no longer in the catalogue). */
  permissions: string[];
}

export interface RoleRow {
  name: string;
  description: string;
  permissions: string[];
  built_in: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface SessionRow {
  id: string;
  user_id: string;
  csrf_token: string;
  mfa_passed: boolean;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

export interface ApiTokenRow {
  id: string;
  name: string;
  permissions: string[];
  created_by: string;
  created_by_username: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface TokenAuthRow extends ApiTokenRow {
  creator_disabled: boolean;
  /** The creator's current permissions: a token never holds more than its issuer. */
  creator_permissions: string[];
}

/** Why a session ended; shown to the client as the detail of session-expired. */
export type SessionEndReason =
  'logout' | 'idle' | 'expired' | 'password-changed' | 'password-reset' | 'mfa-reset' | 'mfa-enabled' | 'disabled' | 'locked' | 'replaced';

const ROLES_OF = `COALESCE((SELECT array_agg(ur.role_name ORDER BY ur.role_name) FROM user_roles ur WHERE ur.user_id = u.id), '{}'::text[])`;
const PERMISSIONS_OF = `COALESCE((SELECT array_agg(DISTINCT p.perm ORDER BY p.perm)
    FROM user_roles ur JOIN roles r ON r.name = ur.role_name, unnest(r.permissions) AS p(perm)
   WHERE ur.user_id = u.id), '{}'::text[])`;
const USER_COLUMNS = `u.id, u.username, u.display_name, u.password_hash, u.must_change_password, u.mfa_secret_enc,
  u.mfa_enabled, u.mfa_pending_secret_enc, u.disabled, u.failed_logins, u.locked_until, u.last_login_at,
  u.created_at, u.updated_at, ${ROLES_OF} AS roles, ${PERMISSIONS_OF} AS permissions`;

// ---- users -----------------------------------------------------------------

export async function countUsers(q: Queryable): Promise<number> {
  const r = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
  return r.rows[0]?.n ?? 0;
}

export async function findUserByUsername(q: Queryable, username: string, opts: { forUpdate?: boolean } = {}): Promise<UserRow | null> {
  if (opts.forUpdate) await q.query('SELECT 1 FROM users WHERE username = $1 FOR UPDATE', [username]);
  const r = await q.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.username = $1`, [username]);
  return r.rows[0] ?? null;
}

export async function findUserById(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<UserRow | null> {
  if (opts.forUpdate) await q.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [id]);
  const r = await q.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [id]);
  return r.rows[0] ?? null;
}

export async function listUsers(q: Queryable): Promise<UserRow[]> {
  const r = await q.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u ORDER BY u.username`);
  return r.rows;
}

export async function insertUser(
  q: Queryable,
  u: { id: string; username: string; displayName: string | null; passwordHash: string; mustChangePassword: boolean; now: Date },
): Promise<void> {
  await q.query(
    `INSERT INTO users (id, username, display_name, password_hash, must_change_password, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6)`,
    [u.id, u.username, u.displayName, u.passwordHash, u.mustChangePassword, u.now],
  );
}

export async function setUserRoles(q: Queryable, userId: string, roles: readonly string[], now: Date): Promise<void> {
  await q.query('DELETE FROM user_roles WHERE user_id = $1 AND NOT (role_name = ANY($2::text[]))', [userId, [...roles]]);
  if (roles.length) {
    await q.query(
      `INSERT INTO user_roles (user_id, role_name, granted_at)
       SELECT $1, r, $3 FROM unnest($2::text[]) AS t(r) ON CONFLICT DO NOTHING`,
      [userId, [...roles], now],
    );
  }
}

export async function updateUserProfile(q: Queryable, userId: string, patch: { displayName?: string | null; disabled?: boolean }, now: Date): Promise<void> {
  const sets: string[] = [];
  const params: unknown[] = [userId, now];
  if (patch.displayName !== undefined) {
    params.push(patch.displayName);
    sets.push(`display_name = $${params.length}`);
  }
  if (patch.disabled !== undefined) {
    params.push(patch.disabled);
    sets.push(`disabled = $${params.length}`);
    // Re-enabling clears a lockout too: the administrator has looked at the account.
    if (!patch.disabled) sets.push('failed_logins = 0', 'locked_until = NULL');
  }
  if (!sets.length) return;
  await q.query(`UPDATE users SET ${sets.join(', ')}, updated_at = $2 WHERE id = $1`, params);
}

export async function setPassword(q: Queryable, userId: string, passwordHash: string, mustChange: boolean, now: Date): Promise<void> {
  await q.query(
    `UPDATE users SET password_hash = $2, must_change_password = $3, failed_logins = 0, locked_until = NULL, updated_at = $4
      WHERE id = $1`,
    [userId, passwordHash, mustChange, now],
  );
}

/** Replaces the hash only (re-hash with stronger parameters at login). */
export async function rehashPassword(q: Queryable, userId: string, passwordHash: string): Promise<void> {
  await q.query('UPDATE users SET password_hash = $2 WHERE id = $1', [userId, passwordHash]);
}

/** Counts a failed attempt; returns the new count. */
export async function incrementFailedLogins(q: Queryable, userId: string, now: Date): Promise<number> {
  const r = await q.query<{ failed_logins: number }>(
    'UPDATE users SET failed_logins = failed_logins + 1, updated_at = $2 WHERE id = $1 RETURNING failed_logins',
    [userId, now],
  );
  return r.rows[0]?.failed_logins ?? 0;
}

export async function lockUser(q: Queryable, userId: string, until: Date, now: Date): Promise<void> {
  await q.query('UPDATE users SET locked_until = $2, failed_logins = 0, updated_at = $3 WHERE id = $1', [userId, until, now]);
}

export async function recordSuccessfulLogin(q: Queryable, userId: string, now: Date): Promise<void> {
  await q.query('UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1', [userId, now]);
}

// ---- MFA -------------------------------------------------------------------

export async function setPendingMfaSecret(q: Queryable, userId: string, secretEnc: string, now: Date): Promise<void> {
  await q.query('UPDATE users SET mfa_pending_secret_enc = $2, updated_at = $3 WHERE id = $1', [userId, secretEnc, now]);
}

export async function enableMfa(q: Queryable, userId: string, secretEnc: string, now: Date): Promise<void> {
  await q.query(`UPDATE users SET mfa_secret_enc = $2, mfa_enabled = true, mfa_pending_secret_enc = NULL, updated_at = $3 WHERE id = $1`, [
    userId,
    secretEnc,
    now,
  ]);
}

export async function clearMfa(q: Queryable, userId: string, now: Date): Promise<void> {
  await q.query(`UPDATE users SET mfa_secret_enc = NULL, mfa_enabled = false, mfa_pending_secret_enc = NULL, updated_at = $2 WHERE id = $1`, [userId, now]);
  await q.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
  await q.query('DELETE FROM totp_last_step WHERE user_id = $1', [userId]);
}

/**
 * Records `step` as the last accepted TOTP step, only if it is later than the
 * one stored. Returns false for a replay (same or earlier step). Atomic, so
 * two concurrent logins with one code cannot both succeed.
 */
export async function claimTotpStep(q: Queryable, userId: string, step: number, now: Date): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO totp_last_step (user_id, last_step, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (user_id) DO UPDATE SET last_step = EXCLUDED.last_step, updated_at = EXCLUDED.updated_at
      WHERE totp_last_step.last_step < EXCLUDED.last_step
     RETURNING last_step`,
    [userId, step, now],
  );
  return r.rows.length === 1;
}

export async function replaceRecoveryCodes(q: Queryable, userId: string, hashes: readonly string[], now: Date): Promise<void> {
  await q.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
  await q.query('INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) SELECT $1, h, $3 FROM unnest($2::text[]) AS t(h)', [userId, [...hashes], now]);
}

/** Marks an unused recovery code used; false when it is unknown or already used. */
export async function consumeRecoveryCode(q: Queryable, userId: string, codeHash: string, now: Date): Promise<boolean> {
  const r = await q.query('UPDATE mfa_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING code_hash', [
    userId,
    codeHash,
    now,
  ]);
  return r.rows.length === 1;
}

export async function countUnusedRecoveryCodes(q: Queryable, userId: string): Promise<number> {
  const r = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL', [userId]);
  return r.rows[0]?.n ?? 0;
}

// ---- roles -----------------------------------------------------------------

const ROLE_COLUMNS = 'name, description, permissions, built_in, created_at, updated_at';

export async function listRoles(q: Queryable): Promise<RoleRow[]> {
  const r = await q.query<RoleRow>(`SELECT ${ROLE_COLUMNS} FROM roles ORDER BY built_in DESC, name`);
  return r.rows;
}

export async function findRole(q: Queryable, name: string, opts: { forUpdate?: boolean } = {}): Promise<RoleRow | null> {
  const r = await q.query<RoleRow>(`SELECT ${ROLE_COLUMNS} FROM roles WHERE name = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [name]);
  return r.rows[0] ?? null;
}

export async function findRoles(q: Queryable, names: readonly string[]): Promise<RoleRow[]> {
  const r = await q.query<RoleRow>(`SELECT ${ROLE_COLUMNS} FROM roles WHERE name = ANY($1::text[])`, [[...names]]);
  return r.rows;
}

export async function upsertRole(
  q: Queryable,
  role: { name: string; description: string; permissions: readonly string[]; builtIn: boolean },
  now: Date,
): Promise<void> {
  await q.query(
    `INSERT INTO roles (name, description, permissions, built_in, created_at, updated_at) VALUES ($1, $2, $3::text[], $4, $5, $5)
     ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, permissions = EXCLUDED.permissions,
       built_in = EXCLUDED.built_in, updated_at = EXCLUDED.updated_at`,
    [role.name, role.description, [...role.permissions], role.builtIn, now],
  );
}

export async function markRoleCustom(q: Queryable, name: string, now: Date): Promise<void> {
  await q.query('UPDATE roles SET built_in = false, updated_at = $2 WHERE name = $1', [name, now]);
}

export async function deleteRole(q: Queryable, name: string): Promise<void> {
  await q.query('DELETE FROM roles WHERE name = $1', [name]);
}

export async function countRoleHolders(q: Queryable, name: string): Promise<number> {
  const r = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM user_roles WHERE role_name = $1', [name]);
  return r.rows[0]?.n ?? 0;
}

// ---- sessions --------------------------------------------------------------

export async function insertSession(
  q: Queryable,
  s: { id: string; userId: string; csrfToken: string; mfaPassed: boolean; now: Date; expiresAt: Date; ip: string | null; userAgent: string | null },
): Promise<void> {
  await q.query(
    `INSERT INTO sessions (id, user_id, csrf_token, mfa_passed, created_at, last_seen_at, expires_at, ip, user_agent)
     VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)`,
    [s.id, s.userId, s.csrfToken, s.mfaPassed, s.now, s.expiresAt, s.ip, s.userAgent],
  );
}

export interface SessionWithUserRow extends SessionRow {
  username: string;
  display_name: string | null;
  disabled: boolean;
  must_change_password: boolean;
  mfa_enabled: boolean;
  roles: string[];
  permissions: string[];
}

export async function findSessionWithUser(q: Queryable, id: string): Promise<SessionWithUserRow | null> {
  const r = await q.query<SessionWithUserRow>(
    `SELECT s.id, s.user_id, s.csrf_token, s.mfa_passed, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, s.revoked_reason,
            u.username, u.display_name, u.disabled, u.must_change_password, u.mfa_enabled,
            ${ROLES_OF} AS roles, ${PERMISSIONS_OF} AS permissions
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = $1`,
    [id],
  );
  return r.rows[0] ?? null;
}

export async function touchSession(q: Queryable, id: string, now: Date): Promise<void> {
  await q.query('UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND revoked_at IS NULL AND last_seen_at < $2', [id, now]);
}

export async function setSessionMfaPassed(q: Queryable, id: string): Promise<void> {
  await q.query('UPDATE sessions SET mfa_passed = true WHERE id = $1', [id]);
}

/** Ends one session; false when it had already ended (so the caller records it once). */
export async function revokeSession(q: Queryable, id: string, reason: SessionEndReason, now: Date): Promise<boolean> {
  const r = await q.query('UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING id', [id, now, reason]);
  return r.rows.length === 1;
}

/** Ends every live session of a user except `keep`; returns how many ended. */
export async function revokeUserSessions(q: Queryable, userId: string, reason: SessionEndReason, now: Date, keep: string | null = null): Promise<number> {
  const r = await q.query(
    `UPDATE sessions SET revoked_at = $2, revoked_reason = $3
      WHERE user_id = $1 AND revoked_at IS NULL AND ($4::text IS NULL OR id <> $4::text) RETURNING id`,
    [userId, now, reason, keep],
  );
  return r.rows.length;
}

/** Deletes sessions that ended (or expired) before `before`. */
export async function purgeSessions(q: Queryable, before: Date): Promise<number> {
  const r = await q.query('DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1 RETURNING id', [before]);
  return r.rows.length;
}

// ---- API tokens ------------------------------------------------------------

const TOKEN_COLUMNS = `t.id, t.name, t.permissions, t.created_by, u.username AS created_by_username, t.created_at, t.expires_at,
  t.revoked_at, t.last_used_at`;

export async function insertApiToken(
  q: Queryable,
  t: { id: string; name: string; tokenHash: string; permissions: readonly string[]; createdBy: string; now: Date; expiresAt: Date | null },
): Promise<void> {
  await q.query(
    `INSERT INTO api_tokens (id, name, token_hash, permissions, created_by, created_at, expires_at)
     VALUES ($1, $2, $3, $4::text[], $5, $6, $7)`,
    [t.id, t.name, t.tokenHash, [...t.permissions], t.createdBy, t.now, t.expiresAt],
  );
}

export async function listApiTokens(q: Queryable): Promise<ApiTokenRow[]> {
  const r = await q.query<ApiTokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.created_by ORDER BY t.created_at DESC, t.id`);
  return r.rows;
}

export async function findApiToken(q: Queryable, id: string): Promise<ApiTokenRow | null> {
  const r = await q.query<ApiTokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.created_by WHERE t.id = $1`, [id]);
  return r.rows[0] ?? null;
}

export async function findApiTokenForAuth(q: Queryable, tokenHash: string): Promise<TokenAuthRow | null> {
  const r = await q.query<TokenAuthRow>(
    `SELECT ${TOKEN_COLUMNS}, u.disabled AS creator_disabled, ${PERMISSIONS_OF} AS creator_permissions
       FROM api_tokens t JOIN users u ON u.id = t.created_by
      WHERE t.token_hash = $1`,
    [tokenHash],
  );
  return r.rows[0] ?? null;
}

export async function revokeApiToken(q: Queryable, id: string, now: Date): Promise<boolean> {
  const r = await q.query('UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id', [id, now]);
  return r.rows.length === 1;
}

export async function touchApiToken(q: Queryable, id: string, now: Date, notSince: Date): Promise<void> {
  await q.query('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)', [id, now, notSince]);
}
