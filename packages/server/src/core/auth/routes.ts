/**
 * HTTP routes of core.auth, thin: schema + permission + a call to the
 * service. Session routes under /api/v1/auth; administration under
 * /api/v1/users, /roles, /permissions and /tokens.
 */
import Type from 'typebox';
import type { FastifyRequest } from 'fastify';
import {
  ApiToken,
  ApiTokenList,
  CreateApiTokenRequest,
  CreateApiTokenResponse,
  CreateUserRequest,
  CreateUserResponse,
  LoginRequest,
  LoginResponse,
  MfaEnrollResponse,
  MfaVerifyRequest,
  MfaVerifyResponse,
  Ok,
  PasswordChangeRequest,
  PermissionCatalogue,
  ResetPasswordResponse,
  Role,
  RoleList,
  RoleName,
  UpdateUserRequest,
  UpsertRoleRequest,
  User,
  UserList,
  Uuid,
} from '@kotwal/contracts';
import type { CoreContext, Principal } from '#core/context.ts';
import type { KotwalFastify } from '#core/http/types.ts';
import type { AuthService } from './service.ts';
import { SESSION_COOKIE } from './opaque-secrets.ts';
import { requestMeta, sessionCookieOptions } from './authenticator.ts';
import { actorFromPrincipal, authProblems, wasRecorded, type Actor } from './service-support.ts';

const UserIdParams = Type.Object({ id: Uuid });
const TokenIdParams = Type.Object({ id: Uuid });
const RoleParams = Type.Object({ name: RoleName });
type Security = { [scheme: string]: string[] }[];
const SESSION_SECURITY: Security = [{ session: [] }];
const ADMIN_SECURITY: Security = [{ session: [] }, { bearer: [] }];

/** Runs a use case; a refusal the service already ledgered is not ledgered again by the error handler. */
async function run<T>(request: FastifyRequest, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (wasRecorded(err)) request.ledgered = true;
    throw err;
  }
}

function principalOf(request: FastifyRequest): Principal {
  // The guard has already refused anonymous callers on these routes.
  if (!request.principal) throw authProblems.unauthenticated('sign in first');
  return request.principal;
}

function actorOf(request: FastifyRequest): Actor {
  return actorFromPrincipal(principalOf(request));
}

export function authRoutes(auth: AuthService) {
  return async (app: KotwalFastify, ctx: CoreContext): Promise<void> => {
    const cookieOpts = sessionCookieOptions(ctx.config.cookieSecure);
    const sensitiveRateLimit = { max: ctx.config.loginRateLimitPerMinute, timeWindow: 60_000 };

    // ---- one's own session ----------------------------------------------------

    app.post(
      '/api/v1/auth/login',
      {
        config: { permission: 'public', csrfExempt: true, rateLimit: sensitiveRateLimit },
        schema: {
          tags: ['auth'],
          summary: 'Sign in with username, password and (when enrolled) a TOTP or recovery code',
          description:
            'Sets the HttpOnly session cookie and returns the CSRF token for state-changing requests. A one-time password leads to state password-change-required; roles that require MFA without enrolment lead to mfa-enrollment-required.',
          security: [],
          body: LoginRequest,
          response: { 200: LoginResponse },
        },
      },
      async (request, reply) => {
        const result = await run(request, () =>
          auth.login(request.body, { ...requestMeta(request), presentedSessionSecret: request.cookies[SESSION_COOKIE] ?? null }),
        );
        void reply.setCookie(SESSION_COOKIE, result.sessionSecret, { ...cookieOpts, expires: result.expiresAt });
        return result.response;
      },
    );

    app.post(
      '/api/v1/auth/logout',
      {
        config: { permission: 'auth.self', allowPending: true },
        schema: { tags: ['auth'], summary: 'Sign out: ends this session', security: SESSION_SECURITY, response: { 200: Ok } },
      },
      async (request, reply) => {
        await run(request, () => auth.logout(principalOf(request), requestMeta(request)));
        void reply.clearCookie(SESSION_COOKIE, cookieOpts);
        return { ok: true as const };
      },
    );

    app.get(
      '/api/v1/auth/session',
      {
        config: { permission: 'auth.self', allowPending: true },
        schema: {
          tags: ['auth'],
          summary: 'The signed-in user, session state and CSRF token (to resume after a reload)',
          security: SESSION_SECURITY,
          response: { 200: LoginResponse },
        },
      },
      async (request) => run(request, () => auth.currentSession(principalOf(request))),
    );

    app.post(
      '/api/v1/auth/password',
      {
        config: { permission: 'auth.self', allowPending: true, rateLimit: sensitiveRateLimit },
        schema: {
          tags: ['auth'],
          summary: 'Change one\u2019s own password (ends one\u2019s other sessions)',
          security: SESSION_SECURITY,
          body: PasswordChangeRequest,
          response: { 200: LoginResponse },
        },
      },
      async (request) => run(request, () => auth.changePassword(principalOf(request), request.body, requestMeta(request))),
    );

    app.post(
      '/api/v1/auth/mfa/enroll',
      {
        config: { permission: 'auth.self', allowPending: true },
        schema: {
          tags: ['auth'],
          summary: 'Start TOTP enrolment: returns the secret and otpauth:// URL to scan',
          security: SESSION_SECURITY,
          response: { 200: MfaEnrollResponse },
        },
      },
      async (request) => run(request, () => auth.enrollMfa(principalOf(request), requestMeta(request))),
    );

    app.post(
      '/api/v1/auth/mfa/verify',
      {
        config: { permission: 'auth.self', allowPending: true, rateLimit: sensitiveRateLimit },
        schema: {
          tags: ['auth'],
          summary: 'Finish TOTP enrolment with a current code: enables MFA and returns ten one-time recovery codes',
          security: SESSION_SECURITY,
          body: MfaVerifyRequest,
          response: { 200: MfaVerifyResponse },
        },
      },
      async (request) => run(request, () => auth.verifyMfa(principalOf(request), request.body, requestMeta(request))),
    );

    // ---- users ----------------------------------------------------------------

    app.get(
      '/api/v1/users',
      {
        config: { permission: 'users.read' },
        schema: { tags: ['users'], summary: 'List user accounts', security: ADMIN_SECURITY, response: { 200: UserList } },
      },
      async () => auth.listUsers(),
    );

    app.post(
      '/api/v1/users',
      {
        config: { permission: 'users.write' },
        schema: {
          tags: ['users'],
          summary: 'Create a user with a one-time password (shown once; must be changed at first sign-in)',
          security: ADMIN_SECURITY,
          body: CreateUserRequest,
          response: { 201: CreateUserResponse },
        },
      },
      async (request, reply) => {
        const created = await run(request, () => auth.createUser(actorOf(request), request.body, requestMeta(request)));
        return reply.code(201).send(created);
      },
    );

    app.get(
      '/api/v1/users/:id',
      {
        config: { permission: 'users.read' },
        schema: { tags: ['users'], summary: 'One user account', security: ADMIN_SECURITY, params: UserIdParams, response: { 200: User } },
      },
      async (request) => auth.getUser(request.params.id),
    );

    app.patch(
      '/api/v1/users/:id',
      {
        config: { permission: 'users.write' },
        schema: {
          tags: ['users'],
          summary: 'Change display name, roles, or disable / re-enable (disabling ends the user\u2019s sessions at once)',
          security: ADMIN_SECURITY,
          params: UserIdParams,
          body: UpdateUserRequest,
          response: { 200: User },
        },
      },
      async (request) => run(request, () => auth.updateUser(actorOf(request), request.params.id, request.body, requestMeta(request))),
    );

    app.post(
      '/api/v1/users/:id/reset-password',
      {
        config: { permission: 'users.write' },
        schema: {
          tags: ['users'],
          summary: 'Issue a new one-time password (ends the user\u2019s sessions, clears a lockout)',
          security: ADMIN_SECURITY,
          params: UserIdParams,
          response: { 200: ResetPasswordResponse },
        },
      },
      async (request) => run(request, () => auth.resetPassword(actorOf(request), request.params.id, requestMeta(request))),
    );

    app.post(
      '/api/v1/users/:id/reset-mfa',
      {
        config: { permission: 'users.write' },
        schema: {
          tags: ['users'],
          summary: 'Remove the user\u2019s TOTP and recovery codes so they enrol again (ends their sessions)',
          security: ADMIN_SECURITY,
          params: UserIdParams,
          response: { 200: User },
        },
      },
      async (request) => run(request, () => auth.resetMfa(actorOf(request), request.params.id, requestMeta(request))),
    );

    // ---- roles and the permission catalogue -------------------------------------

    app.get(
      '/api/v1/roles',
      { config: { permission: 'roles.read' }, schema: { tags: ['roles'], summary: 'List roles', security: ADMIN_SECURITY, response: { 200: RoleList } } },
      async () => auth.listRoles(),
    );

    app.put(
      '/api/v1/roles/:name',
      {
        config: { permission: 'roles.write' },
        schema: {
          tags: ['roles'],
          summary: 'Create or change a role (built-in roles cannot be changed)',
          security: ADMIN_SECURITY,
          params: RoleParams,
          body: UpsertRoleRequest,
          response: { 200: Role, 201: Role },
        },
      },
      async (request, reply) => {
        const { role, created } = await run(request, () => auth.putRole(actorOf(request), request.params.name, request.body, requestMeta(request)));
        return reply.code(created ? 201 : 200).send(role);
      },
    );

    app.delete(
      '/api/v1/roles/:name',
      {
        config: { permission: 'roles.write' },
        schema: {
          tags: ['roles'],
          summary: 'Delete a role that is not built in and not assigned to anyone',
          security: ADMIN_SECURITY,
          params: RoleParams,
          response: { 200: Ok },
        },
      },
      async (request) => {
        await run(request, () => auth.deleteRole(actorOf(request), request.params.name, requestMeta(request)));
        return { ok: true as const };
      },
    );

    app.get(
      '/api/v1/permissions',
      {
        config: { permission: 'roles.read' },
        schema: { tags: ['roles'], summary: 'The permission catalogue', security: ADMIN_SECURITY, response: { 200: PermissionCatalogue } },
      },
      async () => auth.permissionCatalogue(),
    );

    // ---- API tokens -------------------------------------------------------------

    app.get(
      '/api/v1/tokens',
      {
        config: { permission: 'tokens.read' },
        schema: { tags: ['tokens'], summary: 'List API tokens (never their secrets)', security: ADMIN_SECURITY, response: { 200: ApiTokenList } },
      },
      async () => auth.listTokens(),
    );

    app.post(
      '/api/v1/tokens',
      {
        config: { permission: 'tokens.write' },
        schema: {
          tags: ['tokens'],
          summary: 'Issue an API token (the secret is shown once; its scope cannot exceed your own permissions)',
          security: SESSION_SECURITY,
          body: CreateApiTokenRequest,
          response: { 201: CreateApiTokenResponse },
        },
      },
      async (request, reply) => {
        const issued = await run(request, () => auth.issueToken(actorOf(request), request.body, requestMeta(request)));
        return reply.code(201).send(issued);
      },
    );

    app.post(
      '/api/v1/tokens/:id/revoke',
      {
        config: { permission: 'tokens.write' },
        schema: {
          tags: ['tokens'],
          summary: 'Revoke an API token (takes effect on its next request)',
          security: ADMIN_SECURITY,
          params: TokenIdParams,
          response: { 200: ApiToken },
        },
      },
      async (request) => run(request, () => auth.revokeToken(actorOf(request), request.params.id, requestMeta(request))),
    );
  };
}
