/**
 * What the auth use cases share: who is acting (Actor), where the request
 * came from (RequestMeta), the clock, the secret box, the ledger helper and
 * the problems they raise.
 */
import { PROBLEM_TYPES, ROLE_NAME_PATTERN, USERNAME_PATTERN, isPermission, permissionsRequireMfa, type Permission, type SessionState } from '@kotwal/contracts';
import type { CoreContext, LedgerAppend, Principal } from '#core/context.ts';
import type { Queryable } from '#core/db/index.ts';
import { HttpProblem, type FieldError } from '#core/http/problem.ts';
import type { SecretBox } from './secrets.ts';

/** Who performs an administrative change. */
export type Actor =
  | { type: 'user'; id: string; name: string; permissions: ReadonlySet<Permission> }
  | { type: 'token'; id: string; name: string; permissions: ReadonlySet<Permission> }
  /** The command line or the server itself; `id` like `cli:alice` or `system`. */
  | { type: 'system'; id: string; name: string };

export function actorFromPrincipal(p: Principal): Actor {
  return { type: p.kind, id: p.id, name: p.name, permissions: p.permissions };
}

export function systemActor(id: string): Actor {
  return { type: 'system', id, name: id };
}

/** Where a request came from; recorded in the ledger's details, never sealed. */
export interface RequestMeta {
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

export const NO_REQUEST: RequestMeta = { requestId: null, ip: null, userAgent: null };

export interface AuthDeps {
  ctx: CoreContext;
  now: () => Date;
  /** Loaded on first use: the key file is created on first start. */
  secrets: () => SecretBox;
}

/** The ledger fields that say who acted. */
export function actorFields(actor: Actor): Pick<LedgerAppend, 'actorType' | 'actorId'> {
  return { actorType: actor.type, actorId: actor.id };
}

export function entry(
  actor: Pick<LedgerAppend, 'actorType' | 'actorId'>,
  action: string,
  resource: string,
  outcome: LedgerAppend['outcome'],
  meta: RequestMeta,
  details: Record<string, unknown> = {},
): LedgerAppend {
  const d: Record<string, unknown> = { ...details };
  if (meta.ip) d['ip'] = meta.ip;
  if (meta.userAgent) d['userAgent'] = meta.userAgent;
  return { ...actor, action, resource, outcome, requestId: meta.requestId, details: Object.keys(d).length ? d : null };
}

export function anonymousActor(meta: RequestMeta): Pick<LedgerAppend, 'actorType' | 'actorId'> {
  return { actorType: 'anonymous', actorId: meta.ip ?? 'unknown' };
}

// ---- problems ---------------------------------------------------------------

const recordedProblems = new WeakSet<object>();

/** Marks a problem whose refusal the service has already written to the ledger. */
export function recorded<P extends HttpProblem>(p: P): P {
  recordedProblems.add(p);
  return p;
}

export function wasRecorded(err: unknown): boolean {
  return typeof err === 'object' && err !== null && recordedProblems.has(err);
}

export const authProblems = {
  invalidCredentials: () => new HttpProblem(401, PROBLEM_TYPES.invalidCredentials, 'Invalid credentials', 'the username or password is incorrect'),
  accountLocked: (until: Date, now: Date) =>
    new HttpProblem(
      423,
      PROBLEM_TYPES.accountLocked,
      'Account locked',
      `too many failed sign-ins; the account is locked until ${until.toISOString()}`,
      undefined,
      { 'retry-after': String(Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000))) },
    ),
  /** 403, not 401: the session is fine, the password typed to confirm a change is not. */
  wrongCurrentPassword: () => new HttpProblem(403, PROBLEM_TYPES.invalidCredentials, 'Invalid credentials', 'the current password is incorrect'),
  accountDisabled: () => new HttpProblem(403, PROBLEM_TYPES.accountDisabled, 'Account disabled', 'this account is disabled; ask an administrator'),
  mfaRequired: () =>
    new HttpProblem(401, PROBLEM_TYPES.mfaRequired, 'MFA code required', 'send the six-digit code from your authenticator app (or a recovery code) in "totp"'),
  mfaInvalid: (detail = 'the code is wrong, expired or was already used', status = 401) =>
    new HttpProblem(status, PROBLEM_TYPES.mfaInvalid, 'MFA code invalid', detail),
  sessionExpired: (detail: string) => new HttpProblem(401, PROBLEM_TYPES.sessionExpired, 'Session expired', detail),
  unauthenticated: (detail: string) => new HttpProblem(401, PROBLEM_TYPES.unauthenticated, 'Authentication required', detail),
  passwordPolicy: (violations: string[]) =>
    new HttpProblem(
      400,
      PROBLEM_TYPES.passwordPolicy,
      'Password does not meet the policy',
      `the new password ${violations.join('; ')}`,
      violations.map((message) => ({ field: '/newPassword', message })),
    ),
  validation: (detail: string, errors?: FieldError[]) => new HttpProblem(400, PROBLEM_TYPES.validation, 'Invalid request', detail, errors),
  forbidden: (detail: string) => new HttpProblem(403, PROBLEM_TYPES.forbidden, 'Forbidden', detail),
  notFound: (detail: string) => new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', detail),
  conflict: (detail: string) => new HttpProblem(409, PROBLEM_TYPES.conflict, 'Conflict', detail),
};

// ---- permissions and session state --------------------------------------------

/** Catalogue permissions among the names, sorted and unique. */
export function knownPermissions(names: readonly string[]): Permission[] {
  return [...new Set(names.filter(isPermission))].sort();
}

/**
 * What a signed-in user holds once their obligations are met: their roles'
 * permissions plus `auth.self` (everyone may use their own session: read it,
 * change their password, enrol MFA, sign out).
 */
export function effectivePermissions(rolePermissions: readonly string[]): Permission[] {
  return knownPermissions(['auth.self', ...rolePermissions]);
}

export function sessionStateOf(
  user: { must_change_password: boolean; mfa_enabled: boolean },
  rolePermissions: readonly string[],
  mfaPassed: boolean,
): SessionState {
  if (user.must_change_password) return 'password-change-required';
  if (permissionsRequireMfa(rolePermissions) && !(user.mfa_enabled && mfaPassed)) return 'mfa-enrollment-required';
  return 'active';
}

export const USERNAME_RE = new RegExp(USERNAME_PATTERN);
export const ROLE_NAME_RE = new RegExp(ROLE_NAME_PATTERN);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** PostgreSQL unique_violation, on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

export type Tx = Queryable;
