/**
 * Registries HTTP routes. Thin: schema + permission + a call to the
 * service. The service ledgers every query and every refusal itself (with
 * the purpose and case given), so a problem it throws is marked ledgered.
 */
import type { FastifyRequest } from 'fastify';
import {
  AccessLog,
  AccessLogQuery,
  Canary,
  CanaryBody,
  CanaryList,
  IdParams,
  LookupQuery,
  LookupResult,
  PersonParams,
  PersonProfile,
  PersonQuery,
  Problem,
  RegistryAlert,
  RegistryAlertList,
  RegistryBlock,
  RegistryBlockList,
  RegistryStats,
  ReleaseBody,
  SearchQuery,
  SearchResult,
} from '@kotwal/contracts';
import type { CoreContext } from '#core/context.ts';
import { HttpProblem, problems } from '#core/http/problem.ts';
import type { KotwalFastify } from '#core/http/types.ts';
import { importRoutes } from './import/routes.ts';
import { createRegistriesService, type AccessCtx } from './service.ts';

const SECURITY: { [scheme: string]: string[] }[] = [{ session: [] }, { bearer: [] }];
const TAGS = ['registries'];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 423: Problem };

function access(request: FastifyRequest): AccessCtx {
  if (!request.principal) throw problems.unauthenticated();
  return { principal: request.principal, requestId: String(request.id) };
}

/** Runs a service call; problems it throws were ledgered by the service. */
async function run<T>(request: FastifyRequest, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpProblem) request.ledgered = true;
    throw err;
  }
}

export async function registriesRoutes(app: KotwalFastify, ctx: CoreContext): Promise<void> {
  const service = createRegistriesService(ctx);

  app.get(
    '/api/v1/registries/stats',
    {
      config: { permission: 'registries.read' },
      schema: {
        tags: TAGS,
        summary: 'Records per registry, the legal bases and look-up types',
        security: SECURITY,
        response: { 200: RegistryStats, ...errors },
      },
    },
    async () => service.stats(),
  );

  app.get(
    '/api/v1/registries/search',
    {
      config: { permission: 'registries.read' },
      schema: {
        tags: TAGS,
        summary:
          'Fuzzy person search by name (Roman or Urdu) with father\u2019s name, district, birth-year and gender filters; ranked, each hit with its score and why',
        description: 'Needs `purpose` and `case`; refused (400) and ledgered without them. Every answer is ledgered with the persons it names.',
        security: SECURITY,
        querystring: SearchQuery,
        response: { 200: SearchResult, ...errors },
      },
    },
    async (request) => run(request, () => service.search(access(request), request.query)),
  );

  app.get(
    '/api/v1/registries/lookup',
    {
      config: { permission: 'registries.read' },
      schema: {
        tags: TAGS,
        summary: 'Exact look-up by CNIC, MSISDN, vehicle registration, passport, NTN or FIR number',
        description: 'Needs `purpose` and `case`. Linked persons come with a link reference that expands them.',
        security: SECURITY,
        querystring: LookupQuery,
        response: { 200: LookupResult, ...errors },
      },
    },
    async (request) => run(request, () => service.lookup(access(request), request.query)),
  );

  app.get(
    '/api/v1/registries/persons/:cnic',
    {
      config: { permission: 'registries.read' },
      schema: {
        tags: TAGS,
        summary: 'Person profile: everything the registries link to one CNIC (or to a link reference from an earlier answer)',
        security: SECURITY,
        params: PersonParams,
        querystring: PersonQuery,
        response: { 200: PersonProfile, ...errors },
      },
    },
    async (request) => run(request, () => service.profile(access(request), request.params.cnic, request.query)),
  );

  app.get(
    '/api/v1/registries/persons/:cnic/access-log',
    {
      config: { permission: 'registries.access-log.read' },
      schema: {
        tags: TAGS,
        summary:
          'Who looked at this person: every access to their records (covert accesses withheld until disclosure unless the viewer holds registries.oversight)',
        security: SECURITY,
        params: PersonParams,
        querystring: AccessLogQuery,
        response: { 200: AccessLog, ...errors },
      },
    },
    async (request) => run(request, () => service.accessLog(access(request), request.params.cnic, request.query)),
  );

  app.get(
    '/api/v1/registries/alerts',
    {
      config: { permission: 'registries.oversight' },
      schema: {
        tags: TAGS,
        summary: 'Registry alerts: canary touches and anomaly blocks',
        security: SECURITY,
        response: { 200: RegistryAlertList, ...errors },
      },
    },
    async (request) => run(request, async () => ({ items: await service.listAlerts(access(request)) })),
  );

  app.post(
    '/api/v1/registries/alerts/:id/acknowledge',
    {
      config: { permission: 'registries.oversight' },
      schema: { tags: TAGS, summary: 'Acknowledge a registry alert', security: SECURITY, params: IdParams, response: { 200: RegistryAlert, ...errors } },
    },
    async (request) => run(request, () => service.acknowledgeAlert(access(request), request.params.id)),
  );

  app.get(
    '/api/v1/registries/blocks',
    {
      config: { permission: 'registries.supervise' },
      schema: {
        tags: TAGS,
        summary: 'Officers blocked by the anomaly control (open first)',
        security: SECURITY,
        response: { 200: RegistryBlockList, ...errors },
      },
    },
    async (request) => run(request, async () => ({ items: await service.listBlocks(access(request)) })),
  );

  app.post(
    '/api/v1/registries/blocks/:id/release',
    {
      config: { permission: 'registries.supervise' },
      schema: {
        tags: TAGS,
        summary: 'Release a blocked officer (a supervisor other than the officer; the note is ledgered)',
        security: SECURITY,
        params: IdParams,
        body: ReleaseBody,
        response: { 200: RegistryBlock, 409: Problem, ...errors },
      },
    },
    async (request) => run(request, () => service.releaseBlock(access(request), request.params.id, request.body.note)),
  );

  app.get(
    '/api/v1/registries/canaries',
    {
      config: { permission: 'registries.oversight' },
      schema: { tags: TAGS, summary: 'Canary (honeytoken) identities', security: SECURITY, response: { 200: CanaryList, ...errors } },
    },
    async (request) => run(request, async () => ({ items: await service.listCanaries(access(request)) })),
  );

  app.post(
    '/api/v1/registries/canaries',
    {
      config: { permission: 'registries.oversight' },
      schema: {
        tags: TAGS,
        summary: 'Designate a canary identity: every access to it raises a high-priority alert',
        security: SECURITY,
        body: CanaryBody,
        response: { 201: Canary, 409: Problem, ...errors },
      },
    },
    async (request, reply) => {
      const c = await run(request, () => service.addCanary(access(request), request.body.cnic, request.body.note));
      return reply.code(201).send(c);
    },
  );

  await importRoutes(app, ctx);
}
