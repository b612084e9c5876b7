/**
 * Use cases of one's own session: sign in (password, lockout, TOTP or a
 * recovery code), sign out, resume, change password, enrol MFA. Every
 * attempt, allowed or refused, is written to the ledger.
 */
import {
  isPermission,
  type LoginRequest,
  type LoginResponse,
  type MfaEnrollResponse,
  type MfaVerifyRequest,
  type MfaVerifyResponse,
  type PasswordChangeRequest,
  type Permission,
} from '@kotwal/contracts';
import type { LedgerAppend, Principal } from '#core/context.ts';
import type { AuthOutcome } from '#core/http/server.ts';
import { burnPasswordCheck, hashPassword, needsRehash, newPasswordViolations, verifyPassword } from './passwords.ts';
import { isApiTokenShaped, isSessionSecretShaped, randomSecret, sha256Hex } from './opaque-secrets.ts';
import { generateRecoveryCodes, generateTotpSecret, hashRecoveryCode, isRecoveryShaped, isTotpShaped, matchTotp, totpUri } from './totp.ts';
import * as repo from './repository.ts';
import type { SessionEndReason, SessionWithUserRow, UserRow } from './repository.ts';
import { presentMe } from './presenters.ts';
import {
  anonymousActor,
  authProblems,
  effectivePermissions,
  entry,
  recorded,
  sessionStateOf,
  type AuthDeps,
  type RequestMeta,
  type Tx,
} from './service-support.ts';

export interface LoginMeta extends RequestMeta {
  /** The session cookie the client already held, if any: it is ended (replaced). */
  presentedSessionSecret?: string | null;
}

export interface LoginResult {
  response: LoginResponse;
  /** The cookie secret to set, shown once; the database keeps only its SHA-256. */
  sessionSecret: string;
  expiresAt: Date;
}

export interface SessionService {
  login(input: LoginRequest, meta: LoginMeta): Promise<LoginResult>;
  logout(principal: Principal, meta: RequestMeta): Promise<void>;
  currentSession(principal: Principal): Promise<LoginResponse>;
  changePassword(principal: Principal, input: PasswordChangeRequest, meta: RequestMeta): Promise<LoginResponse>;
  enrollMfa(principal: Principal, meta: RequestMeta): Promise<MfaEnrollResponse>;
  verifyMfa(principal: Principal, input: MfaVerifyRequest, meta: RequestMeta): Promise<MfaVerifyResponse>;
  /** Resolves a session cookie; never throws for bad credentials. */
  authenticateSession(secret: string, meta: RequestMeta): Promise<AuthOutcome>;
  /** Resolves an API token; never throws for bad credentials. */
  authenticateToken(secret: string, meta: RequestMeta): Promise<AuthOutcome>;
}

const TOKEN_TOUCH_MS = 60_000;
const PURGE_EVERY_MS = 60 * 60_000;
const PURGE_AFTER_MS = 30 * 24 * 60 * 60_000;
const MAX_USER_AGENT = 512;

const SESSION_END_DETAIL: Record<SessionEndReason, string> = {
  logout: 'the session was signed out; sign in again',
  idle: 'the session expired after inactivity; sign in again',
  expired: 'the session reached its maximum lifetime; sign in again',
  'password-changed': 'the password was changed in another session; sign in again',
  'password-reset': 'an administrator reset the password; sign in with the new one-time password',
  'mfa-reset': 'an administrator reset MFA for this account; sign in again',
  'mfa-enabled': 'MFA was enabled in another session; sign in again with a code',
  disabled: 'the account was disabled',
  locked: 'too many wrong passwords: the account was locked; sign in again when the lock ends',
  replaced: 'a newer sign-in replaced this session; sign in again',
};

type SecondFactor = 'totp' | 'recovery-code';
type FailureReason = 'wrong-password' | 'wrong-current-password' | 'mfa-invalid' | 'mfa-replayed';

export function createSessionService(deps: AuthDeps): SessionService {
  const { ctx } = deps;
  const { config } = ctx;
  const idleMs = config.sessionIdleMinutes * 60_000;
  const maxMs = config.sessionMaxHours * 3_600_000;
  // Writes to last_seen_at are throttled, but often enough that idle expiry stays accurate.
  const touchMs = Math.min(60_000, Math.floor(idleMs / 4));
  let lastPurge = 0;

  const totpContext = (userId: string) => `totp:${userId}`;

  /**
   * Counts a failed attempt (locking the account at the threshold) in the
   * caller's transaction and records it. Returns the lock's end, if it locked.
   */
  async function countFailure(
    tx: Tx,
    user: UserRow,
    reason: FailureReason,
    meta: RequestMeta,
    now: Date,
    recordAs: { action: string; actor: Pick<LedgerAppend, 'actorType' | 'actorId'> } = { action: 'auth.login.failed', actor: anonymousActor(meta) },
  ): Promise<Date | null> {
    const failures = await repo.incrementFailedLogins(tx, user.id, now);
    await ctx.ledger.appendInTx(
      tx,
      entry(recordAs.actor, recordAs.action, `user:${user.id}`, 'denied', meta, { reason, username: user.username, failedLogins: failures }),
    );
    if (failures < config.lockoutThreshold) return null;
    const until = new Date(now.getTime() + config.lockoutMinutes * 60_000);
    await repo.lockUser(tx, user.id, until, now);
    await ctx.ledger.appendInTx(
      tx,
      entry({ actorType: 'system', actorId: 'system' }, 'auth.account.locked', `user:${user.id}`, 'allowed', meta, {
        username: user.username,
        until: until.toISOString(),
        failedLogins: failures,
      }),
    );
    await ctx.events.emit(tx, 'core.user.locked', { userId: user.id, username: user.username, until: until.toISOString() }, { requestId: meta.requestId });
    return until;
  }

  /** Checks a TOTP code (refusing replays) or consumes a recovery code, in tx. */
  async function checkSecondFactor(tx: Tx, user: UserRow, code: string, now: Date): Promise<SecondFactor | 'invalid' | 'replayed'> {
    if (isTotpShaped(code)) {
      if (!user.mfa_secret_enc) return 'invalid';
      const secret = deps.secrets().decrypt(user.mfa_secret_enc, totpContext(user.id));
      const step = matchTotp(secret, code.trim(), now.getTime());
      if (step === null) return 'invalid';
      return (await repo.claimTotpStep(tx, user.id, step, now)) ? 'totp' : 'replayed';
    }
    if (isRecoveryShaped(code)) {
      return (await repo.consumeRecoveryCode(tx, user.id, hashRecoveryCode(user.id, code), now)) ? 'recovery-code' : 'invalid';
    }
    return 'invalid';
  }

  async function maybePurge(now: Date): Promise<void> {
    if (now.getTime() - lastPurge < PURGE_EVERY_MS) return;
    lastPurge = now.getTime();
    try {
      const n = await repo.purgeSessions(ctx.db, new Date(now.getTime() - PURGE_AFTER_MS));
      if (n) ctx.logger.info({ purged: n }, 'purged ended sessions');
    } catch (err) {
      ctx.logger.warn({ err }, 'session purge failed');
    }
  }

  function userPrincipalOf(row: SessionWithUserRow): { principal: Principal; permissions: Permission[] } {
    const permissions = effectivePermissions(row.permissions);
    const state = sessionStateOf(row, row.permissions, row.mfa_passed);
    return {
      permissions,
      principal: {
        kind: 'user',
        id: row.user_id,
        name: row.username,
        // While an obligation is pending only one's own session is usable.
        permissions: new Set<Permission>(state === 'active' ? permissions : ['auth.self']),
        state,
        sessionId: row.id,
        csrfToken: row.csrf_token,
      },
    };
  }

  function idleExpiry(row: { last_seen_at: Date; expires_at: Date }): Date {
    const idle = row.last_seen_at.getTime() + idleMs;
    return new Date(Math.min(idle, row.expires_at.getTime()));
  }

  async function responseFor(sessionId: string): Promise<LoginResponse> {
    const row = await repo.findSessionWithUser(ctx.db, sessionId);
    if (!row || row.revoked_at) throw authProblems.sessionExpired(SESSION_END_DETAIL[(row?.revoked_reason as SessionEndReason | null) ?? 'logout']);
    const { principal, permissions } = userPrincipalOf(row);
    return {
      user: presentMe({
        id: row.user_id,
        username: row.username,
        displayName: row.display_name,
        roles: row.roles,
        permissions,
        mfaEnabled: row.mfa_enabled,
        state: principal.state,
        sessionExpiresAt: idleExpiry(row),
      }),
      csrfToken: row.csrf_token,
    };
  }

  function requireUserSession(principal: Principal): { userId: string; sessionId: string } {
    if (principal.kind !== 'user' || !principal.sessionId) {
      throw authProblems.forbidden('this needs a signed-in user session, not an API token');
    }
    return { userId: principal.id, sessionId: principal.sessionId };
  }

  async function loadUser(id: string): Promise<UserRow> {
    const user = await repo.findUserById(ctx.db, id);
    if (!user) throw authProblems.sessionExpired('the account no longer exists');
    return user;
  }

  function userActor(userId: string) {
    return { actorType: 'user' as const, actorId: userId };
  }

  return {
    async login(input, meta) {
      const now = deps.now();
      await maybePurge(now);
      const username = input.username.trim().toLowerCase();
      const ua = meta.userAgent ? meta.userAgent.slice(0, MAX_USER_AGENT) : null;
      const m: RequestMeta = { ...meta, userAgent: ua };
      const user = await repo.findUserByUsername(ctx.db, username);

      if (!user) {
        await burnPasswordCheck(input.password);
        await ctx.ledger.append(entry(anonymousActor(m), 'auth.login.failed', 'auth:login', 'denied', m, { reason: 'unknown-user', username }));
        throw recorded(authProblems.invalidCredentials());
      }
      if (user.locked_until && user.locked_until > now) {
        // Same work as a real check, and no password oracle while locked.
        await burnPasswordCheck(input.password);
        await ctx.ledger.append(
          entry(anonymousActor(m), 'auth.login.locked', `user:${user.id}`, 'denied', m, { username, lockedUntil: user.locked_until.toISOString() }),
        );
        throw recorded(authProblems.accountLocked(user.locked_until, now));
      }
      if (!(await verifyPassword(input.password, user.password_hash))) {
        const until = await ctx.unitOfWork((tx) => countFailure(tx, user, 'wrong-password', m, now));
        throw recorded(until ? authProblems.accountLocked(until, now) : authProblems.invalidCredentials());
      }
      if (user.disabled) {
        await ctx.ledger.append(entry(anonymousActor(m), 'auth.login.disabled', `user:${user.id}`, 'denied', m, { username }));
        throw recorded(authProblems.accountDisabled());
      }
      const code = input.totp?.trim() ?? '';
      if (user.mfa_enabled && !code) {
        // Not counted as a failure: the console asks for the code in a second step.
        await ctx.ledger.append(entry(anonymousActor(m), 'auth.login.mfa-required', `user:${user.id}`, 'denied', m, { username }));
        throw recorded(authProblems.mfaRequired());
      }
      const newHash = needsRehash(user.password_hash) ? await hashPassword(input.password) : null;

      const result = await ctx.unitOfWork(async (tx) => {
        let factor: SecondFactor | null = null;
        if (user.mfa_enabled) {
          const check = await checkSecondFactor(tx, user, code, now);
          if (check === 'invalid' || check === 'replayed') {
            const until = await countFailure(tx, user, check === 'replayed' ? 'mfa-replayed' : 'mfa-invalid', m, now);
            return { ok: false as const, until, replayed: check === 'replayed' };
          }
          factor = check;
        }
        await repo.recordSuccessfulLogin(tx, user.id, now);
        if (newHash) await repo.rehashPassword(tx, user.id, newHash);
        if (meta.presentedSessionSecret && isSessionSecretShaped(meta.presentedSessionSecret)) {
          await repo.revokeSession(tx, sha256Hex(meta.presentedSessionSecret), 'replaced', now);
        }
        const secret = randomSecret(32);
        const sessionId = sha256Hex(secret);
        const expiresAt = new Date(now.getTime() + maxMs);
        await repo.insertSession(tx, {
          id: sessionId,
          userId: user.id,
          csrfToken: randomSecret(32),
          mfaPassed: factor !== null,
          now,
          expiresAt,
          ip: m.ip,
          userAgent: ua,
        });
        const details: Record<string, unknown> = { username, secondFactor: factor ?? 'none' };
        if (factor === 'recovery-code') details['recoveryCodesLeft'] = await repo.countUnusedRecoveryCodes(tx, user.id);
        await ctx.ledger.appendInTx(tx, entry(userActor(user.id), 'auth.login.succeeded', `user:${user.id}`, 'allowed', m, details));
        return { ok: true as const, secret, sessionId, expiresAt };
      });
      if (!result.ok) {
        throw recorded(
          result.until
            ? authProblems.accountLocked(result.until, now)
            : authProblems.mfaInvalid(result.replayed ? 'this code was already used; wait for the next one' : undefined),
        );
      }
      return { response: await responseFor(result.sessionId), sessionSecret: result.secret, expiresAt: result.expiresAt };
    },

    async logout(principal, meta) {
      const { userId, sessionId } = requireUserSession(principal);
      const now = deps.now();
      await ctx.unitOfWork(async (tx) => {
        if (await repo.revokeSession(tx, sessionId, 'logout', now)) {
          await ctx.ledger.appendInTx(tx, entry(userActor(userId), 'auth.logout', `user:${userId}`, 'allowed', meta, { username: principal.name }));
        }
      });
    },

    async currentSession(principal) {
      const { sessionId } = requireUserSession(principal);
      return responseFor(sessionId);
    },

    async changePassword(principal, input, meta) {
      const { userId, sessionId } = requireUserSession(principal);
      const now = deps.now();
      const user = await loadUser(userId);
      if (!(await verifyPassword(input.currentPassword, user.password_hash))) {
        const until = await ctx.unitOfWork(async (tx) => {
          const locked = await countFailure(tx, user, 'wrong-current-password', meta, now, {
            action: 'auth.password.change-failed',
            actor: userActor(userId),
          });
          // Guessing from a stolen session locks the account and ends its sessions.
          if (locked) await repo.revokeUserSessions(tx, userId, 'locked', now);
          return locked;
        });
        throw recorded(until ? authProblems.accountLocked(until, now) : authProblems.wrongCurrentPassword());
      }
      const violations = newPasswordViolations(input.newPassword, user.username, input.currentPassword);
      if (violations.length) {
        await ctx.ledger.append(entry(userActor(userId), 'auth.password.change-failed', `user:${userId}`, 'denied', meta, { reason: 'policy', violations }));
        throw recorded(authProblems.passwordPolicy(violations));
      }
      const hash = await hashPassword(input.newPassword);
      await ctx.unitOfWork(async (tx) => {
        await repo.setPassword(tx, userId, hash, false, now);
        const ended = await repo.revokeUserSessions(tx, userId, 'password-changed', now, sessionId);
        await ctx.ledger.appendInTx(
          tx,
          entry(userActor(userId), 'auth.password.changed', `user:${userId}`, 'allowed', meta, {
            wasOneTimePassword: user.must_change_password,
            otherSessionsEnded: ended,
          }),
        );
      });
      return responseFor(sessionId);
    },

    async enrollMfa(principal, meta) {
      const { userId } = requireUserSession(principal);
      const now = deps.now();
      const user = await loadUser(userId);
      if (user.mfa_enabled) {
        throw authProblems.conflict('MFA is already enabled for this account; an administrator can reset it if the authenticator is lost');
      }
      const secret = generateTotpSecret();
      const enc = deps.secrets().encrypt(secret, totpContext(userId));
      await ctx.unitOfWork(async (tx) => {
        await repo.setPendingMfaSecret(tx, userId, enc, now);
        await ctx.ledger.appendInTx(tx, entry(userActor(userId), 'auth.mfa.enrolled', `user:${userId}`, 'allowed', meta, { method: 'totp' }));
      });
      return { secret, otpauthUrl: totpUri(secret, user.username) };
    },

    async verifyMfa(principal, input, meta) {
      const { userId, sessionId } = requireUserSession(principal);
      const now = deps.now();
      const user = await loadUser(userId);
      if (user.mfa_enabled) throw authProblems.conflict('MFA is already enabled for this account');
      if (!user.mfa_pending_secret_enc) throw authProblems.conflict('no MFA enrolment in progress; start with POST /api/v1/auth/mfa/enroll');
      const secret = deps.secrets().decrypt(user.mfa_pending_secret_enc, totpContext(userId));
      const step = matchTotp(secret, input.code, now.getTime());
      const codes = generateRecoveryCodes();
      const ok =
        step !== null &&
        (await ctx.unitOfWork(async (tx) => {
          if (!(await repo.claimTotpStep(tx, userId, step, now))) return false;
          await repo.enableMfa(tx, userId, user.mfa_pending_secret_enc!, now);
          await repo.replaceRecoveryCodes(
            tx,
            userId,
            codes.map((c) => hashRecoveryCode(userId, c)),
            now,
          );
          await repo.setSessionMfaPassed(tx, sessionId);
          const ended = await repo.revokeUserSessions(tx, userId, 'mfa-enabled', now, sessionId);
          await ctx.ledger.appendInTx(
            tx,
            entry(userActor(userId), 'auth.mfa.verified', `user:${userId}`, 'allowed', meta, {
              method: 'totp',
              recoveryCodesIssued: codes.length,
              otherSessionsEnded: ended,
            }),
          );
          return true;
        }));
      if (!ok) {
        await ctx.ledger.append(entry(userActor(userId), 'auth.mfa.verify-failed', `user:${userId}`, 'denied', meta, {}));
        throw recorded(authProblems.mfaInvalid('the code does not match; check the device clock and enter the current code', 400));
      }
      const session = await responseFor(sessionId);
      return { recoveryCodes: codes, user: session.user };
    },

    async authenticateSession(secret, meta) {
      if (!isSessionSecretShaped(secret)) {
        return { principal: null, problem: authProblems.unauthenticated('the session cookie is malformed; sign in again') };
      }
      const id = sha256Hex(secret);
      const row = await repo.findSessionWithUser(ctx.db, id);
      if (!row) return { principal: null, problem: authProblems.unauthenticated('the session cookie is not recognised; sign in again') };
      if (row.revoked_at) {
        return { principal: null, problem: authProblems.sessionExpired(SESSION_END_DETAIL[(row.revoked_reason as SessionEndReason | null) ?? 'logout']) };
      }
      const now = deps.now();
      let end: SessionEndReason | null = null;
      if (row.disabled) end = 'disabled';
      else if (row.expires_at.getTime() <= now.getTime()) end = 'expired';
      else if (row.last_seen_at.getTime() + idleMs <= now.getTime()) end = 'idle';
      if (end) {
        const reason = end;
        await ctx.unitOfWork(async (tx) => {
          if (await repo.revokeSession(tx, id, reason, now)) {
            await ctx.ledger.appendInTx(
              tx,
              entry(userActor(row.user_id), 'auth.session.expired', `user:${row.user_id}`, 'denied', meta, {
                reason,
                lastSeenAt: row.last_seen_at.toISOString(),
              }),
            );
          }
        });
        return { principal: null, problem: authProblems.sessionExpired(SESSION_END_DETAIL[reason]) };
      }
      if (now.getTime() - row.last_seen_at.getTime() >= touchMs) await repo.touchSession(ctx.db, id, now);
      return { principal: userPrincipalOf(row).principal };
    },

    async authenticateToken(secret, _meta) {
      if (!isApiTokenShaped(secret)) {
        return { principal: null, problem: authProblems.unauthenticated('the bearer token is not a Kotwal API token (kwt_...)') };
      }
      const row = await repo.findApiTokenForAuth(ctx.db, sha256Hex(secret));
      if (!row) return { principal: null, problem: authProblems.unauthenticated('the API token is not recognised') };
      const now = deps.now();
      if (row.revoked_at) return { principal: null, problem: authProblems.unauthenticated(`the API token was revoked at ${row.revoked_at.toISOString()}`) };
      if (row.expires_at && row.expires_at <= now) {
        return { principal: null, problem: authProblems.unauthenticated(`the API token expired at ${row.expires_at.toISOString()}`) };
      }
      if (row.creator_disabled) {
        return { principal: null, problem: authProblems.unauthenticated('the account that issued this API token is disabled') };
      }
      // A token never holds more than its scope, nor more than its issuer holds today.
      const issuer = new Set(effectivePermissions(row.creator_permissions));
      const permissions = new Set<Permission>(row.permissions.filter((p): p is Permission => isPermission(p) && issuer.has(p)));
      if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= TOKEN_TOUCH_MS) {
        await repo.touchApiToken(ctx.db, row.id, now, new Date(now.getTime() - TOKEN_TOUCH_MS));
      }
      return {
        principal: { kind: 'token', id: row.id, name: row.name, permissions, state: 'active', sessionId: null, csrfToken: null },
      };
    },
  };
}
