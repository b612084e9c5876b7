/**
 * HTTP routes of break-glass grants. Thin: schema + permission + a call to
 * the service. Approving is public: the Ed25519 signature by a designated
 * break-glass key over the grant manifest's hash is the authentication (as
 * for transfers), and the manifest is public so an approver's tool needs
 * only the URL and the key.
 */
import type { FastifyRequest } from 'fastify';
import {
  ApprovalBody,
  Approver,
  ApproverList,
  Grant,
  GrantApproverBody,
  GrantApproverIdParams,
  GrantBody,
  GrantForSigning,
  GrantIdParams,
  GrantList,
  GrantListQuery,
  GrantPolicy,
  GrantPolicyBody,
  Problem,
  RevokeBody,
} from '@kotwal/contracts';
import type { CoreContext } from '#core/context.ts';
import { HttpProblem, problems } from '#core/http/problem.ts';
import type { KotwalFastify } from '#core/http/types.ts';
import { registerGrantActionLog } from './enforcement.ts';
import { grantRefusalRecorded, type GrantActor, type GrantMeta, type GrantsService } from './service.ts';

const SECURITY: { [scheme: string]: string[] }[] = [{ session: [] }, { bearer: [] }];
const TAGS = ['grants'];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 410: Problem, 422: Problem };

function actorOf(request: FastifyRequest): GrantActor {
  const p = request.principal;
  if (!p) throw problems.unauthenticated();
  return { type: p.kind, id: p.id, name: p.name };
}

const metaOf = (request: FastifyRequest): GrantMeta => ({ requestId: String(request.id), ip: request.ip ?? null });

/** Runs a service call; a refusal it ledgered is not ledgered again by the error handler. */
async function run<T>(request: FastifyRequest, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpProblem && grantRefusalRecorded(err)) request.ledgered = true;
    throw err;
  }
}

export function grantsRoutes(grants: GrantsService) {
  return async (app: KotwalFastify, _ctx: CoreContext): Promise<void> => {
    registerGrantActionLog(app, grants);

    app.get(
      '/api/v1/grants',
      {
        config: { permission: 'grants.read' },
        schema: {
          tags: TAGS,
          summary: 'Break-glass grants, newest first, with their approvals and the number of requests made under each',
          security: SECURITY,
          querystring: GrantListQuery,
          response: { 200: GrantList, ...errors },
        },
      },
      async (request) => ({ items: await grants.list(request.query) }),
    );

    app.post(
      '/api/v1/grants',
      {
        config: { permission: 'grants.request' },
        schema: {
          tags: TAGS,
          summary: 'Request a time-boxed grant of a role for an existing support account; it activates only with M officials\u2019 signatures',
          description:
            'Builds the grant manifest with the break-glass approvers and threshold as they stand now. Refused: a grant for oneself, an unknown account or role, no policy or fewer approvers than the threshold (409), a duration above the policy\u2019s maxMinutes, a second live grant for the same account.',
          security: SECURITY,
          body: GrantBody,
          response: { 201: Grant, ...errors },
        },
      },
      async (request, reply) => {
        const g = await run(request, () => grants.request(actorOf(request), request.body, metaOf(request)));
        return reply.code(201).send(g);
      },
    );

    app.get(
      '/api/v1/grants/approvers',
      {
        config: { permission: 'grants.read' },
        schema: {
          tags: TAGS,
          summary: 'Break-glass approvers (removed ones included, with removedAt)',
          security: SECURITY,
          response: { 200: ApproverList, ...errors },
        },
      },
      async () => ({ items: await grants.listApprovers() }),
    );

    app.post(
      '/api/v1/grants/approvers',
      {
        config: { permission: 'grants.manage' },
        schema: {
          tags: TAGS,
          summary: 'Designate an official\u2019s Ed25519 key as a break-glass approver',
          security: SECURITY,
          body: GrantApproverBody,
          response: { 201: Approver, ...errors },
        },
      },
      async (request, reply) => {
        const a = await grants.designateApprover(actorOf(request), request.body, metaOf(request));
        return reply.code(201).send(a);
      },
    );

    app.delete(
      '/api/v1/grants/approvers/:id',
      {
        config: { permission: 'grants.manage' },
        schema: {
          tags: TAGS,
          summary: 'Remove a break-glass approver (grants requested before keep the approvers they name)',
          security: SECURITY,
          params: GrantApproverIdParams,
          response: { 200: Approver, ...errors },
        },
      },
      async (request) => grants.removeApprover(actorOf(request), request.params.id, metaOf(request)),
    );

    app.get(
      '/api/v1/grants/policy',
      {
        config: { permission: 'grants.read' },
        schema: {
          tags: TAGS,
          summary: 'The break-glass policy: M signatures needed, longest grant',
          security: SECURITY,
          response: { 200: GrantPolicy, ...errors },
        },
      },
      async () => grants.policy(),
    );

    app.put(
      '/api/v1/grants/policy',
      {
        config: { permission: 'grants.manage' },
        schema: {
          tags: TAGS,
          summary: 'Set the break-glass policy (threshold M; maxMinutes, default 240)',
          security: SECURITY,
          body: GrantPolicyBody,
          response: { 200: GrantPolicy, ...errors },
        },
      },
      async (request) => grants.setPolicy(actorOf(request), request.body, metaOf(request)),
    );

    app.get(
      '/api/v1/grants/:id',
      {
        config: { permission: 'grants.read' },
        schema: { tags: TAGS, summary: 'One grant', security: SECURITY, params: GrantIdParams, response: { 200: Grant, ...errors } },
      },
      async (request) => grants.get(request.params.id),
    );

    app.get(
      '/api/v1/grants/:id/manifest',
      {
        config: { permission: 'public' },
        schema: {
          tags: TAGS,
          summary: 'The grant manifest and its hash, for an approver\u2019s tool (recompute the hash before signing)',
          params: GrantIdParams,
          response: { 200: GrantForSigning, ...errors },
        },
      },
      async (request) => grants.forSigning(request.params.id),
    );

    app.post(
      '/api/v1/grants/:id/approvals',
      {
        // The Ed25519 signature by a designated break-glass key is the authentication.
        config: { permission: 'public', csrfExempt: true },
        schema: {
          tags: TAGS,
          summary: 'Submit an official\u2019s signature of the grant manifest hash; the M-th valid one activates the grant',
          description:
            'Public: the signature is the authentication. Refused and ledgered with the reason: a key not among the manifest\u2019s approvers (403), a signature that does not verify over this manifest hash (422, naming the grant or transfer it was made for when known), a signature already used anywhere or a key that already approved (409), an expired (410) or revoked (409) grant, the requester or grantee approving.',
          params: GrantIdParams,
          body: ApprovalBody,
          response: { 201: Grant, ...errors },
        },
      },
      async (request, reply) => {
        const p = request.principal;
        const g = await run(request, () => grants.approve(request.params.id, request.body, metaOf(request), p && p.kind === 'user' ? p.id : null));
        return reply.code(201).send(g);
      },
    );

    app.post(
      '/api/v1/grants/:id/revoke',
      {
        config: { permission: 'grants.manage' },
        schema: {
          tags: TAGS,
          summary: 'End a grant at once (pending or active)',
          security: SECURITY,
          params: GrantIdParams,
          body: RevokeBody,
          response: { 200: Grant, ...errors },
        },
      },
      async (request) => grants.revoke(actorOf(request), request.params.id, request.body, metaOf(request)),
    );
  };
}
