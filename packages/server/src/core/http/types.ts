import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RoutePermission } from '@kotwal/contracts';
import type { Principal } from '../context.ts';

/** Fastify with the TypeBox type provider: schemas type the handlers. */
export type KotwalFastify = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface RouteGuardConfig {
  /** Required: the permission this route needs, or 'public'. The app refuses to start without it. */
  permission?: RoutePermission;
  /** Allowed while the user still owes a password change or MFA enrolment (auth routes only). */
  allowPending?: boolean;
  /** Skip the CSRF check (login itself, and routes only API tokens call). */
  csrfExempt?: boolean;
}

declare module 'fastify' {
  // Declaration merging: route config carries the guard's fields.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyContextConfig extends RouteGuardConfig {}
  interface FastifyRequest {
    principal: Principal | null;
    /** Set when a denial or the request's outcome has already been written to the ledger. */
    ledgered: boolean;
  }
}
