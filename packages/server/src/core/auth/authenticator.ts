/**
 * Resolves who is calling, for the route guard: an API token from
 * `Authorization: Bearer kwt_...`, else the `kotwal_session` cookie. Bad
 * credentials give a reason (problem), never an exception.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '#core/http/server.ts';
import type { AuthService } from './service.ts';
import { SESSION_COOKIE } from './opaque-secrets.ts';
import { authProblems, type RequestMeta } from './service-support.ts';

export function requestMeta(request: FastifyRequest): RequestMeta {
  const ua = request.headers['user-agent'];
  return { requestId: String(request.id), ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
}

/** Options for clearing the session cookie; must match how it was set. */
export function sessionCookieOptions(secure: boolean) {
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure };
}

export function createAuthenticator(auth: AuthService): Authenticator {
  const secure = auth.ctx.config.cookieSecure;
  return {
    async authenticate(request: FastifyRequest, reply: FastifyReply) {
      const header = request.headers.authorization;
      if (typeof header === 'string' && header.length) {
        const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
        if (!m) return { principal: null, problem: authProblems.unauthenticated('the Authorization header must be "Bearer <API token>"') };
        return auth.authenticateToken(m[1], requestMeta(request));
      }
      const secret = request.cookies[SESSION_COOKIE];
      if (!secret) return { principal: null };
      const outcome = await auth.authenticateSession(secret, requestMeta(request));
      // A dead cookie is cleared so the browser stops sending it.
      if (!outcome.principal) void reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(secure));
      return outcome;
    },
  };
}
