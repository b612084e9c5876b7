/**
 * core.auth: local accounts, roles, sessions, API tokens and TOTP MFA.
 * The only import other parts may use.
 */
import path from 'node:path';
import type { MigrationSet } from '#core/db/migrate.ts';

export const authMigrations: MigrationSet = {
  scope: 'core.auth',
  dir: path.join(import.meta.dirname, 'migrations'),
};

export { createAuthService, ensureFirstAdmin, ensureBuiltInRoles, FIRST_ADMIN_USERNAME, type AuthService, type AuthServiceOptions } from './service.ts';
export { createAuthenticator } from './authenticator.ts';
export { authRoutes } from './routes.ts';
export { usersCommand } from './cli.ts';
export { SESSION_COOKIE, API_TOKEN_PREFIX } from './opaque-secrets.ts';
export { actorFromPrincipal, systemActor, type Actor, type RequestMeta } from './service-support.ts';
