/**
 * The auth service: one object the routes, the authenticator and the
 * command line call, composed from the use-case files beside it.
 */
import { randomUUID } from 'node:crypto';
import type { CoreContext } from '#core/context.ts';
import { generateOneTimePassword, hashPassword, prepareDummyHash } from './passwords.ts';
import { createSecretBox, loadOrCreateSecretsKey, type SecretBox } from './secrets.ts';
import * as repo from './repository.ts';
import { createSessionService, type SessionService } from './session-service.ts';
import { createUserService, type UserService } from './user-service.ts';
import { createRoleService, ensureBuiltInRoles, type RoleService } from './role-service.ts';
import { createTokenService, type TokenService } from './token-service.ts';
import { NO_REQUEST, entry, type AuthDeps } from './service-support.ts';

export interface AuthService extends SessionService, UserService, RoleService, TokenService {
  readonly ctx: CoreContext;
}

export interface AuthServiceOptions {
  /** The clock (tests move it to cross TOTP steps and idle limits). */
  now?: () => Date;
}

export function createAuthService(ctx: CoreContext, opts: AuthServiceOptions = {}): AuthService {
  let box: SecretBox | null = null;
  const deps: AuthDeps = {
    ctx,
    now: opts.now ?? (() => new Date()),
    secrets: () => (box ??= createSecretBox(loadOrCreateSecretsKey(ctx.config.secretsKeyPath))),
  };
  // Created (or checked) now, so a bad key file stops the start rather than the first MFA sign-in.
  deps.secrets();
  prepareDummyHash().catch((err: unknown) => ctx.logger.error({ err }, 'could not prepare the dummy password hash'));
  return {
    ctx,
    ...createSessionService(deps),
    ...createUserService(deps),
    ...createRoleService(deps),
    ...createTokenService(deps),
  };
}

export const FIRST_ADMIN_USERNAME = 'admin';

/**
 * On the first start (no users at all) creates `admin` with the built-in
 * admin role and a one-time password, and prints `one-time password: <pw>`.
 * The password must be changed at first sign-in, then MFA enrolled (the
 * admin role holds permissions that require it). Returns the password, or
 * null when users already exist.
 */
export async function ensureFirstAdmin(ctx: CoreContext, print: (line: string) => void): Promise<string | null> {
  await ensureBuiltInRoles(ctx);
  if ((await repo.countUsers(ctx.db)) > 0) return null;
  const password = generateOneTimePassword(FIRST_ADMIN_USERNAME);
  const hash = await hashPassword(password);
  const created = await ctx.unitOfWork(async (tx) => {
    // Two processes starting on one empty database must not both create it.
    await tx.query('LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE');
    if ((await repo.countUsers(tx)) > 0) return false;
    const id = randomUUID();
    const now = new Date();
    await repo.insertUser(tx, { id, username: FIRST_ADMIN_USERNAME, displayName: 'Administrator', passwordHash: hash, mustChangePassword: true, now });
    await repo.setUserRoles(tx, id, ['admin'], now);
    await ctx.ledger.appendInTx(
      tx,
      entry({ actorType: 'system', actorId: 'system:first-start' }, 'users.user.created', `user:${id}`, 'allowed', NO_REQUEST, {
        username: FIRST_ADMIN_USERNAME,
        roles: ['admin'],
        firstAdmin: true,
      }),
    );
    await ctx.events.emit(tx, 'core.user.created', { userId: id, username: FIRST_ADMIN_USERNAME, roles: ['admin'] });
    return true;
  });
  if (!created) return null;
  ctx.logger.warn(`first start: created user "${FIRST_ADMIN_USERNAME}"; sign in with the one-time password, change it, then enrol MFA`);
  print(`one-time password: ${password}`);
  return password;
}

export { ensureBuiltInRoles };
