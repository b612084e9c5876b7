/**
 * Rows to API shapes (contracts schemas). Secrets and hashes never leave
 * through here: no password hash, TOTP secret, token hash or session id.
 */
import {
  ALL_PERMISSIONS,
  PERMISSIONS,
  permissionsRequireMfa,
  type ApiToken,
  type Me,
  type PermissionCatalogue,
  type Role,
  type SessionState,
  type User,
} from '@kotwal/contracts';
import type { ApiTokenRow, RoleRow, UserRow } from './repository.ts';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function presentUser(row: UserRow, now: Date): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    roles: [...row.roles],
    disabled: row.disabled,
    mfaEnabled: row.mfa_enabled,
    mustChangePassword: row.must_change_password,
    lockedUntil: row.locked_until && row.locked_until > now ? row.locked_until.toISOString() : null,
    lastLoginAt: iso(row.last_login_at),
    createdAt: row.created_at.toISOString(),
  };
}

export interface MeInput {
  id: string;
  username: string;
  displayName: string | null;
  roles: readonly string[];
  /** Effective permissions once obligations are met. */
  permissions: readonly string[];
  mfaEnabled: boolean;
  state: SessionState;
  sessionExpiresAt: Date | null;
}

export function presentMe(m: MeInput): Me {
  const me: Me = {
    id: m.id,
    username: m.username,
    displayName: m.displayName,
    roles: [...m.roles],
    permissions: [...m.permissions].sort(),
    mfaEnabled: m.mfaEnabled,
    mfaRequired: permissionsRequireMfa(m.permissions),
    state: m.state,
  };
  if (m.sessionExpiresAt) me.sessionExpiresAt = m.sessionExpiresAt.toISOString();
  return me;
}

export function presentRole(row: RoleRow): Role {
  return {
    name: row.name,
    description: row.description,
    permissions: [...row.permissions],
    builtIn: row.built_in,
    requiresMfa: permissionsRequireMfa(row.permissions),
  };
}

export function presentApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    permissions: [...row.permissions],
    createdBy: row.created_by_username,
    createdAt: row.created_at.toISOString(),
    expiresAt: iso(row.expires_at),
    revokedAt: iso(row.revoked_at),
    lastUsedAt: iso(row.last_used_at),
  };
}

export function presentPermissionCatalogue(): PermissionCatalogue {
  return {
    items: ALL_PERMISSIONS.map((name) => ({
      name,
      description: PERMISSIONS[name].description,
      requiresMfa: PERMISSIONS[name].requiresMfa,
      system: PERMISSIONS[name].system,
    })),
  };
}
