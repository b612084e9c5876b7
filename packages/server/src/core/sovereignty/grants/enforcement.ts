/**
 * Where a grant takes effect: around the core authenticator (no change to
 * core/auth). After the session resolves, an active grant of the user adds
 * its role's permissions to the principal; every request made under it is
 * then ledgered (`grant.action`: method, route, status) and counted before
 * the response leaves (onSend), or right after it when no body is sent
 * through Fastify (a WebSocket upgrade: onResponse).
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '#core/context.ts';
import { pathOf, type Authenticator } from '#core/http/server.ts';
import type { KotwalFastify } from '#core/http/types.ts';
import type { AppliedGrant, GrantsService } from './service.ts';

interface UnderGrant {
  grant: AppliedGrant;
  principal: Principal;
  recorded: boolean;
}

const underGrant = new WeakMap<FastifyRequest, UnderGrant>();

const metaOf = (request: FastifyRequest) => ({ requestId: String(request.id), ip: request.ip ?? null });

/** The authenticator with active grants applied to their grantees. */
export function grantsAuthenticator(inner: Authenticator, grants: GrantsService): Authenticator {
  return {
    async authenticate(request, reply) {
      const outcome = await inner.authenticate(request, reply);
      if (!outcome.principal) return outcome;
      const { principal, grant } = await grants.apply(outcome.principal, metaOf(request));
      if (!grant) return outcome;
      underGrant.set(request, { grant, principal, recorded: false });
      return { ...outcome, principal };
    },
  };
}

/** The grant a request was made under, if any (tests, presenters). */
export function grantOfRequest(request: FastifyRequest): AppliedGrant | null {
  return underGrant.get(request)?.grant ?? null;
}

/** Registers the hooks that ledger and count every request made under a grant. */
export function registerGrantActionLog(app: KotwalFastify, grants: GrantsService): void {
  const recordOnce = async (request: FastifyRequest, status: number): Promise<void> => {
    const u = underGrant.get(request);
    if (!u || u.recorded) return;
    u.recorded = true;
    await grants.recordAction(
      u.grant,
      u.principal,
      { method: request.method, route: request.routeOptions.url ?? '(no route)', path: pathOf(request), status },
      metaOf(request),
    );
  };
  app.addHook('onSend', async (request, reply, payload) => {
    await recordOnce(request, reply.statusCode);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    try {
      await recordOnce(request, reply.statusCode);
    } catch (err) {
      request.log.error({ err }, 'a request made under a break-glass grant could not be ledgered');
    }
  });
}
