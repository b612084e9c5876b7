/**
 * HTTP routes of core/sovereignty, thin: schema + permission + a call to the
 * service. Public routes are authenticated by signatures, not sessions: the
 * node identity (signed by the node key), approvals (signed by a designated
 * official's key), the manifest an official signs, and node-to-node
 * replication (batches signed by the source, revocation notices).
 */
import Type from 'typebox';
import type { FastifyRequest } from 'fastify';
import {
  Approver,
  ApproverBody,
  ApproverList,
  ApproverListQuery,
  ApprovalBody,
  DatasetList,
  DatasetName,
  ManifestForSigning,
  NodeIdentity,
  Peer,
  PeerBody,
  PeerList,
  Policy,
  PolicyBody,
  Problem,
  ReplicationBatch,
  ReplicationReceipt,
  RevocationAck,
  RevocationNotice,
  RevokeBody,
  Transfer,
  TransferBody,
  TransferCreated,
  TransferIdParams,
  TransferList,
  TransferListQuery,
  Uuid,
} from '@kotwal/contracts';
import type { CoreContext } from '#core/context.ts';
import { EgressRefusedError } from '#core/egress/index.ts';
import { HttpProblem } from '#core/http/problem.ts';
import type { KotwalFastify } from '#core/http/types.ts';
import { PROBLEM_TYPES } from '@kotwal/contracts';
import type { SovereigntyService } from './service.ts';
import { wasRecorded, type Actor, type RequestMeta } from './service-support.ts';

const TAGS = ['transfers'];
const REPLICATION_TAGS = ['replication'];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 410: Problem, 422: Problem };
const IdParams = Type.Object({ id: Uuid });
const PolicyQuery = Type.Object({ dataset: DatasetName }, { additionalProperties: false });
/** Largest replication batch body accepted (a page of records). */
const BATCH_BODY_LIMIT = 256 * 1024 * 1024;

const meta = (request: FastifyRequest): RequestMeta => ({ requestId: String(request.id), ip: request.ip });

function actorOf(request: FastifyRequest): Actor {
  const p = request.principal;
  if (!p) throw new HttpProblem(401, PROBLEM_TYPES.unauthenticated, 'Authentication required', 'sign in first');
  return { type: p.kind, id: p.id, name: p.name };
}

/** Runs a use case: a refusal the service already ledgered is not ledgered again; an egress refusal becomes 403 egress-refused. */
async function run<T>(request: FastifyRequest, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (wasRecorded(err)) request.ledgered = true;
    if (err instanceof EgressRefusedError) {
      request.ledgered = true; // the gateway ledgered it
      throw new HttpProblem(403, PROBLEM_TYPES.egressRefused, 'Egress refused', err.reason);
    }
    throw err;
  }
}

export function sovereigntyRoutes(service: SovereigntyService) {
  return async (app: KotwalFastify, ctx: CoreContext): Promise<void> => {
    const s = service;

    app.get(
      '/api/v1/node',
      {
        config: { permission: 'public' },
        schema: {
          tags: ['node'],
          summary: 'This node: name, jurisdiction, Ed25519 key (the ledger\u2019s), mode; signed by that key over the canonical hash of the other fields',
          response: { 200: NodeIdentity },
        },
      },
      async () => s.identity(),
    );

    // ---- peers
    app.get(
      '/api/v1/transfers/peers',
      { config: { permission: 'transfers.read' }, schema: { tags: TAGS, summary: 'Registered peer nodes', response: { 200: PeerList, ...errors } } },
      async () => s.setup.listPeers(),
    );
    app.post(
      '/api/v1/transfers/peers',
      {
        config: { permission: 'transfers.manage' },
        schema: {
          tags: TAGS,
          summary:
            'Register a peer node (name, address, public key, jurisdiction); it must prove its key and jurisdiction (GET its /api/v1/node) when reachable',
          body: PeerBody,
          response: { 201: Peer, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await run(request, () => s.setup.registerPeer(actorOf(request), request.body, meta(request)))),
    );
    app.delete(
      '/api/v1/transfers/peers/:id',
      {
        config: { permission: 'transfers.manage' },
        schema: { tags: TAGS, summary: 'Remove a peer (no transfer may go to it after)', params: IdParams, response: { 200: Peer, ...errors } },
      },
      async (request) => run(request, () => s.setup.removePeer(actorOf(request), request.params.id, meta(request))),
    );

    // ---- datasets, approvers, policy
    app.get(
      '/api/v1/transfers/datasets',
      {
        config: { permission: 'transfers.read' },
        schema: {
          tags: TAGS,
          summary: 'Datasets that may leave this node only as transfers (<module>/<collection>)',
          response: { 200: DatasetList, ...errors },
        },
      },
      async () => s.setup.listDatasets(),
    );
    app.get(
      '/api/v1/transfers/approvers',
      {
        config: { permission: 'transfers.read' },
        schema: {
          tags: TAGS,
          summary: 'Designated approvers (officials) of datasets',
          querystring: ApproverListQuery,
          response: { 200: ApproverList, ...errors },
        },
      },
      async (request) => run(request, () => s.setup.listApprovers(request.query.dataset)),
    );
    app.post(
      '/api/v1/transfers/approvers',
      {
        config: { permission: 'transfers.manage' },
        schema: {
          tags: TAGS,
          summary: 'Designate an official (Ed25519 public key) to approve transfers of a dataset',
          body: ApproverBody,
          response: { 201: Approver, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await run(request, () => s.setup.addApprover(actorOf(request), request.body, meta(request)))),
    );
    app.delete(
      '/api/v1/transfers/approvers/:id',
      {
        config: { permission: 'transfers.manage' },
        schema: { tags: TAGS, summary: 'Remove a designated approver', params: IdParams, response: { 200: Approver, ...errors } },
      },
      async (request) => run(request, () => s.setup.removeApprover(actorOf(request), request.params.id, meta(request))),
    );
    app.get(
      '/api/v1/transfers/policy',
      {
        config: { permission: 'transfers.read' },
        schema: { tags: TAGS, summary: 'The M-of-N policy of a dataset', querystring: PolicyQuery, response: { 200: Policy, ...errors } },
      },
      async (request) => run(request, () => s.setup.getPolicy(request.query.dataset)),
    );
    app.put(
      '/api/v1/transfers/policy',
      {
        config: { permission: 'transfers.manage' },
        schema: {
          tags: TAGS,
          summary: 'Set a dataset\u2019s policy: M signatures needed, allowed jurisdictions (default: this node\u2019s own), nodes allowed by name',
          body: PolicyBody,
          response: { 200: Policy, ...errors },
        },
      },
      async (request) => run(request, () => s.setup.putPolicy(actorOf(request), request.body, meta(request))),
    );

    // ---- transfers
    app.post(
      '/api/v1/transfers',
      {
        config: { permission: 'transfers.request' },
        schema: {
          tags: TAGS,
          summary: 'Request a transfer; it executes only after M designated officials sign its manifest hash',
          body: TransferBody,
          response: { 201: TransferCreated, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await run(request, () => s.transfers.request(actorOf(request), request.body, meta(request)))),
    );
    app.get(
      '/api/v1/transfers',
      {
        config: { permission: 'transfers.read' },
        schema: { tags: TAGS, summary: 'Transfers, newest first', querystring: TransferListQuery, response: { 200: TransferList, ...errors } },
      },
      async (request) => s.transfers.list(request.query),
    );
    app.get(
      '/api/v1/transfers/:id',
      {
        config: { permission: 'transfers.read' },
        schema: {
          tags: TAGS,
          summary: 'A transfer with its manifest, approvals, progress and receipts',
          params: TransferIdParams,
          response: { 200: Transfer, ...errors },
        },
      },
      async (request) => s.transfers.get(request.params.id),
    );
    app.get(
      '/api/v1/transfers/:id/manifest',
      {
        config: { permission: 'public' },
        schema: {
          tags: TAGS,
          summary: 'The manifest an official signs (recompute manifestHash from it before signing)',
          params: TransferIdParams,
          response: { 200: ManifestForSigning, ...errors },
        },
      },
      async (request) => s.transfers.manifest(request.params.id),
    );
    app.post(
      '/api/v1/transfers/:id/approvals',
      {
        config: { permission: 'public' },
        schema: {
          tags: TAGS,
          summary: 'Approve: a designated official\u2019s Ed25519 signature over the manifest hash (the signature is the authentication)',
          params: TransferIdParams,
          body: ApprovalBody,
          response: { 201: Transfer, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await run(request, () => s.transfers.approve(request.params.id, request.body, meta(request)))),
    );
    app.post(
      '/api/v1/transfers/:id/execute',
      {
        config: { permission: 'transfers.manage' },
        schema: {
          tags: TAGS,
          summary: 'Execute an approved transfer (everything re-checked, the peer verified); replication runs in the background',
          params: TransferIdParams,
          response: { 202: Transfer, ...errors },
        },
      },
      async (request, reply) => reply.code(202).send(await run(request, () => s.transfers.execute(actorOf(request), request.params.id, meta(request)))),
    );
    app.post(
      '/api/v1/transfers/:id/revoke',
      {
        config: { permission: 'transfers.manage' },
        schema: {
          tags: TAGS,
          summary: 'Revoke a transfer: no further batch leaves; the destination is told (signed notice)',
          params: TransferIdParams,
          body: Type.Optional(RevokeBody),
          response: { 200: Transfer, ...errors },
        },
      },
      async (request) => run(request, () => s.transfers.revoke(actorOf(request), request.params.id, request.body ?? {}, meta(request))),
    );

    // ---- replication (node to node)
    app.post(
      '/api/v1/replication/batches',
      {
        bodyLimit: Math.max(BATCH_BODY_LIMIT, ctx.config.bodyLimitBytes),
        config: { permission: 'public', rateLimit: { max: Math.max(ctx.config.rateLimitPerMinute * 20, 60_000), timeWindow: 60_000 } },
        schema: {
          tags: REPLICATION_TAGS,
          summary: 'A replica receives a signed batch of an approved transfer; answers a receipt signed by this node',
          body: ReplicationBatch,
          response: { 201: ReplicationReceipt, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await run(request, () => s.replica.receiveBatch(request.body, meta(request)))),
    );
    app.post(
      '/api/v1/replication/revocations',
      {
        config: { permission: 'public' },
        schema: {
          tags: REPLICATION_TAGS,
          summary: 'A replica is told by its source (signed notice) that a transfer was revoked: it refuses further batches',
          body: RevocationNotice,
          response: { 200: RevocationAck, ...errors },
        },
      },
      async (request) => run(request, () => s.replica.receiveRevocation(request.body, meta(request))),
    );
  };
}
