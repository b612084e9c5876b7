/**
 * The HTTP server: Fastify with TypeBox validation, problem+json errors,
 * request ids, security headers, rate limiting, the OpenAPI 3.1 document and
 * the route guard (authentication, permission, pending obligations, CSRF).
 */
import { randomUUID } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsImport from 'ajv-formats';
import sjson from 'secure-json-parse';
import helmet from '@fastify/helmet';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { PROBLEM_TYPES, isPermission } from '@kotwal/contracts';
import type { CoreContext, Principal } from '../context.ts';
import { EgressRefusedError } from '../egress/errors.ts';
import { HttpProblem, type FieldError } from './problem.ts';
import type { KotwalFastify } from './types.ts';

// ajv-formats ships CJS with a default export.
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

export interface AuthOutcome {
  principal: Principal | null;
  /** Why credentials that were presented were refused (expired session, revoked token...). */
  problem?: HttpProblem;
}

export interface Authenticator {
  /** Resolves the caller from the session cookie or bearer token; never throws for bad credentials. */
  authenticate(request: FastifyRequest, reply: FastifyReply): Promise<AuthOutcome>;
}

export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class RouteWithoutPermissionError extends Error {
  override name = 'RouteWithoutPermissionError';
}

function ajvFor(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

function fieldOf(e: ErrorObject, part: string): string {
  const base = e.instancePath ? e.instancePath : '';
  if (e.keyword === 'required') return `${base}/${(e.params as { missingProperty: string }).missingProperty}`;
  if (e.keyword === 'additionalProperties') return `${base}/${(e.params as { additionalProperty: string }).additionalProperty}`;
  return base || `(${part})`;
}

function messageOf(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return 'unknown field';
  if (e.keyword === 'required') return 'is required';
  return e.message ?? 'is invalid';
}

/** The request's path without its query string. */
export function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? '/';
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, p: HttpProblem): FastifyReply {
  const body: Record<string, unknown> = {
    type: p.type,
    title: p.title,
    status: p.status,
    instance: pathOf(request),
    requestId: String(request.id),
  };
  if (p.detail) body['detail'] = p.detail;
  if (p.errors?.length) body['errors'] = p.errors;
  if (p.extensions) for (const [k, v] of Object.entries(p.extensions)) if (!(k in body)) body[k] = v;
  if (p.headers) void reply.headers(p.headers);
  return reply.code(p.status).type('application/problem+json; charset=utf-8').send(JSON.stringify(body));
}

export interface HttpServerOptions {
  ctx: CoreContext;
  authenticator: Authenticator;
  /** Title and version for the OpenAPI document. */
  version: string;
}

export async function createHttpServer({ ctx, authenticator, version }: HttpServerOptions): Promise<KotwalFastify> {
  const { config } = ctx;
  const app = Fastify({
    loggerInstance: ctx.logger as unknown as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    routerOptions: { maxParamLength: 512 },
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers[REQUEST_ID_HEADER];
      return typeof incoming === 'string' && /^[A-Za-z0-9._-]{8,128}$/.test(incoming) ? incoming : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const bodyAjv = ajvFor(false);
  const paramAjv = ajvFor(true);
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart === 'body') return bodyAjv.compile(schema) as never;
    const validate = paramAjv.compile(schema);
    // Ajv's type coercion turns "1e309" into Infinity and then skips the
    // remaining checks; a query or path number must be finite.
    return ((data: unknown) => {
      if (!validate(data)) return { error: Object.assign(new Error('validation failed'), { validation: validate.errors, validationContext: httpPart }) };
      if (data && typeof data === 'object') {
        for (const [k, v] of Object.entries(data)) {
          if (typeof v === 'number' && !Number.isFinite(v)) {
            const err = Object.assign(new Error('validation failed'), {
              validation: [{ instancePath: `/${k}`, keyword: 'finite', message: 'must be a finite number', params: {}, schemaPath: '' }],
              validationContext: httpPart,
            });
            return { error: err };
          }
        }
      }
      return { value: data };
    }) as never;
  });

  app.decorateRequest('principal', null);
  app.decorateRequest('ledgered', false);

  // JSON bodies: strict UTF-8, prototype-poisoning safe.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    const buf = body as Buffer;
    if (buf.length === 0) return done(new HttpProblem(400, PROBLEM_TYPES.malformedBody, 'Malformed body', 'the JSON body is empty'), undefined);
    if (!isUtf8(buf)) return done(new HttpProblem(400, PROBLEM_TYPES.malformedBody, 'Malformed body', 'the body is not valid UTF-8'), undefined);
    try {
      done(null, sjson.parse(buf.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      done(new HttpProblem(400, PROBLEM_TYPES.malformedBody, 'Malformed body', `the body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, String(request.id));
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        // A city's own tile server (KOTWAL_TILE_ORIGINS): the browser loads tiles from it, the server does not.
        imgSrc: ["'self'", 'data:', 'blob:', ...config.tileOrigins],
        connectSrc: ["'self'"],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        // Only behind TLS: on a plain-HTTP LAN address it would send the console's assets to https.
        upgradeInsecureRequests: config.cookieSecure ? [] : null,
      },
    },
    strictTransportSecurity: config.cookieSecure,
  });
  await app.register(cookie);
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_req, ctxRl) =>
      new HttpProblem(
        429,
        PROBLEM_TYPES.rateLimited,
        'Too many requests',
        `limit of ${ctxRl.max} requests per minute reached; retry in ${Math.ceil(ctxRl.ttl / 1000)} s`,
      ),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kotwal API',
        version,
        description:
          'Kotwal: sovereign-by-design police command, control and communication centre. Every read and write of protected data is recorded in a tamper-evident ledger.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'kotwal_session', description: 'console session; state-changing requests also send x-csrf-token' },
          bearer: { type: 'http', scheme: 'bearer', description: 'API token for devices and integrations' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true, uiConfig: { docExpansion: 'list' } });

  // Every route declares its permission (or 'public'); the app refuses to start otherwise.
  app.addHook('onRoute', (route) => {
    const url = route.url;
    if (url.startsWith('/api/docs')) {
      route.config = { ...(route.config ?? {}), permission: 'public' };
      return;
    }
    const perm = route.config?.permission;
    if (perm === undefined) {
      throw new RouteWithoutPermissionError(
        `route ${String(route.method)} ${url} does not declare config.permission (a permission from the catalogue, or 'public')`,
      );
    }
    if (perm !== 'public' && !isPermission(perm)) {
      throw new RouteWithoutPermissionError(`route ${String(route.method)} ${url} declares unknown permission "${perm}"`);
    }
    // The OpenAPI document states each operation's permission.
    if (route.schema && !route.schema.hide) {
      const schema = route.schema as Record<string, unknown>;
      schema['x-permission'] = perm;
      if (perm !== 'public' && !schema['security']) schema['security'] = [{ session: [] }, { bearer: [] }];
    }
  });

  const denied = async (request: FastifyRequest, reply: FastifyReply, p: HttpProblem, action: string): Promise<FastifyReply> => {
    const principal = request.principal;
    await ctx.ledger.append({
      actorType: principal ? principal.kind : 'anonymous',
      actorId: principal ? principal.id : request.ip,
      action,
      resource: `http:${request.method} ${request.routeOptions.url ?? pathOf(request)}`,
      outcome: 'denied',
      requestId: String(request.id),
      details: { status: p.status, type: p.type, path: pathOf(request) },
    });
    request.ledgered = true;
    return sendProblem(request, reply, p);
  };

  app.addHook('onRequest', async (request, reply) => {
    const cfg = request.routeOptions.config;
    const permission = cfg?.permission;
    if (permission === undefined) return; // 404 handler
    const outcome = await authenticator.authenticate(request, reply);
    request.principal = outcome.principal;
    if (permission === 'public') return;
    const principal = outcome.principal;
    if (!principal)
      return denied(
        request,
        reply,
        outcome.problem ?? new HttpProblem(401, PROBLEM_TYPES.unauthenticated, 'Authentication required', 'Sign in or send a valid API token.'),
        'auth.request.unauthenticated',
      );
    if (principal.kind === 'user' && !cfg.csrfExempt && !SAFE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !principal.csrfToken || sent !== principal.csrfToken) {
        return denied(
          request,
          reply,
          new HttpProblem(403, PROBLEM_TYPES.csrf, 'CSRF token missing or invalid', 'send the csrfToken from login in the x-csrf-token header'),
          'auth.request.csrf-rejected',
        );
      }
    }
    if (principal.state !== 'active' && !cfg.allowPending) {
      const p =
        principal.state === 'password-change-required'
          ? new HttpProblem(
              403,
              PROBLEM_TYPES.passwordChangeRequired,
              'Password change required',
              'change the one-time password with POST /api/v1/auth/password before anything else',
            )
          : new HttpProblem(
              403,
              PROBLEM_TYPES.mfaEnrollmentRequired,
              'MFA enrolment required',
              'your roles require MFA: enrol with POST /api/v1/auth/mfa/enroll and /api/v1/auth/mfa/verify',
            );
      return denied(request, reply, p, 'auth.request.obligation-pending');
    }
    if (!principal.permissions.has(permission)) {
      return denied(
        request,
        reply,
        new HttpProblem(403, PROBLEM_TYPES.forbidden, 'Forbidden', `this requires the permission "${permission}"`),
        'auth.request.forbidden',
      );
    }
    return undefined;
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', `no route ${request.method} ${pathOf(request)}`)),
  );

  app.setErrorHandler(async (error: FastifyError | HttpProblem | Error, request, reply) => {
    let p: HttpProblem;
    if (error instanceof HttpProblem) {
      p = error;
    } else if (error instanceof EgressRefusedError) {
      // Already logged and ledgered by the gateway (egress.refused).
      p = new HttpProblem(403, PROBLEM_TYPES.egressRefused, 'Egress refused', error.reason);
    } else {
      const fe = error as FastifyError & { validation?: ErrorObject[]; validationContext?: string };
      if (fe.validation) {
        const part = fe.validationContext ?? 'body';
        const errors: FieldError[] = fe.validation.map((e) => ({ field: fieldOf(e, part), message: messageOf(e) }));
        p = new HttpProblem(400, PROBLEM_TYPES.validation, 'Invalid request', `${part}: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, errors);
      } else if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        p = new HttpProblem(413, PROBLEM_TYPES.bodyTooLarge, 'Body too large', `the limit is ${config.bodyLimitBytes} bytes`);
      } else if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        p = new HttpProblem(415, PROBLEM_TYPES.unsupportedMediaType, 'Unsupported media type', 'send application/json');
      } else if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe instanceof SyntaxError) {
        p = new HttpProblem(400, PROBLEM_TYPES.malformedBody, 'Malformed body', fe.message);
      } else if (typeof (fe as { code?: unknown }).code === 'string' && /^22[0-9A-Z]{3}$/.test(String(fe.code)) && 'severity' in fe) {
        // PostgreSQL "data exception" (a value out of range or of the wrong form): bad input, not a fault.
        p = new HttpProblem(400, PROBLEM_TYPES.validation, 'Invalid request', 'a value in the request is out of range or malformed');
      } else if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
        p = new HttpProblem(
          fe.statusCode,
          fe.statusCode === 429 ? PROBLEM_TYPES.rateLimited : PROBLEM_TYPES.validation,
          fe.statusCode === 429 ? 'Too many requests' : 'Bad request',
          fe.message,
        );
      } else {
        request.log.error({ err: error }, 'unhandled error');
        p = new HttpProblem(500, PROBLEM_TYPES.internal, 'Internal error', `an unexpected error occurred; quote request id ${String(request.id)}`);
      }
    }
    if (p.status >= 400 && p.status < 500 && !request.ledgered && request.routeOptions.config?.permission !== undefined) {
      return denied(request, reply, p, 'http.request.rejected');
    }
    return sendProblem(request, reply, p);
  });

  return app;
}
