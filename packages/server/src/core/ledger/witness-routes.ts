/**
 * HTTP routes of ledger witnesses: registration (witnesses.manage), the list
 * with each witness's latest cosigned checkpoint (ledger.read), cosignature
 * submission (public: the Ed25519 countersignature by a registered witness
 * key is the authentication) and the cosignatures of a checkpoint.
 */
import type { FastifyRequest } from 'fastify';
import {
  CheckpointSizeParams,
  Cosignature,
  CosignatureBody,
  CosignatureList,
  PROBLEM_TYPES,
  Problem,
  WitnessBody,
  WitnessIdParams,
  WitnessWithLatest,
  WitnessWithLatestList,
} from '@kotwal/contracts';
import type { CoreContext } from '#core/context.ts';
import { HttpProblem, problems } from '#core/http/problem.ts';
import type { KotwalFastify } from '#core/http/types.ts';
import type { Ledger } from './ledger.ts';
import { createWitnessService, witnessRefusalRecorded, type WitnessActor, type WitnessMeta } from './witness.ts';

const SECURITY: { [scheme: string]: string[] }[] = [{ session: [] }, { bearer: [] }];
const TAGS = ['ledger'];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem };

function actorOf(request: FastifyRequest): WitnessActor {
  const p = request.principal;
  if (!p) throw problems.unauthenticated();
  return { type: p.kind, id: p.id, name: p.name };
}

const metaOf = (request: FastifyRequest): WitnessMeta => ({ requestId: String(request.id), ip: request.ip ?? null });

export function witnessRoutes(ledger: Ledger) {
  return async (app: KotwalFastify, ctx: CoreContext): Promise<void> => {
    const service = createWitnessService(ctx, ledger);

    app.get(
      '/api/v1/ledger/witnesses',
      {
        config: { permission: 'ledger.read' },
        schema: {
          tags: TAGS,
          summary: 'Registered witnesses, each with the latest checkpoint it countersigned',
          security: SECURITY,
          response: { 200: WitnessWithLatestList, ...errors },
        },
      },
      async (request) => {
        const items = await service.list();
        await ctx.ledger.append({
          actorType: request.principal!.kind,
          actorId: request.principal!.id,
          action: 'ledger.witnesses.read',
          resource: 'ledger:witnesses',
          outcome: 'allowed',
          requestId: String(request.id),
          details: { returned: items.length },
        });
        return { items };
      },
    );

    app.post(
      '/api/v1/ledger/witnesses',
      {
        config: { permission: 'witnesses.manage' },
        schema: {
          tags: TAGS,
          summary: 'Register an outside witness (name and Ed25519 public key) whose countersignatures the node accepts',
          security: SECURITY,
          body: WitnessBody,
          response: { 201: WitnessWithLatest, ...errors },
        },
      },
      async (request, reply) => {
        const w = await service.register(actorOf(request), request.body, metaOf(request));
        return reply.code(201).send(w);
      },
    );

    app.delete(
      '/api/v1/ledger/witnesses/:id',
      {
        config: { permission: 'witnesses.manage' },
        schema: {
          tags: TAGS,
          summary: 'Remove a witness: its later cosignatures are refused (earlier ones stay)',
          security: SECURITY,
          params: WitnessIdParams,
          response: { 200: WitnessWithLatest, ...errors },
        },
      },
      async (request) => service.remove(actorOf(request), request.params.id, metaOf(request)),
    );

    app.post(
      '/api/v1/ledger/cosignatures',
      {
        // The countersignature by a registered witness key is the authentication.
        config: { permission: 'public', csrfExempt: true },
        schema: {
          tags: TAGS,
          summary: 'Submit a witness countersignature of a checkpoint (signature over contracts cosignedMessage(body, timestamp))',
          description:
            'Public: the Ed25519 signature by a registered witness key is the authentication. Refused and ledgered: unknown or removed keys, unknown checkpoints, timestamps more than 10 minutes from now, signatures that do not verify, a second cosignature of the same checkpoint.',
          body: CosignatureBody,
          response: { 201: Cosignature, ...errors },
        },
      },
      async (request, reply) => {
        try {
          const c = await service.cosign(request.body, metaOf(request));
          return await reply.code(201).send(c);
        } catch (err) {
          if (err instanceof HttpProblem && witnessRefusalRecorded(err)) request.ledgered = true;
          throw err;
        }
      },
    );

    app.get(
      '/api/v1/ledger/checkpoints/:treeSize/cosignatures',
      {
        config: { permission: 'ledger.read' },
        schema: {
          tags: TAGS,
          summary: 'The witness countersignatures of the checkpoint at a tree size',
          security: SECURITY,
          params: CheckpointSizeParams,
          response: { 200: CosignatureList, ...errors },
        },
      },
      async (request) => {
        const { treeSize } = request.params;
        if (!(await ledger.checkpointAt(treeSize))) {
          throw new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', `no checkpoint was signed at tree size ${treeSize}`, [
            { field: 'treeSize', message: 'no checkpoint at this tree size' },
          ]);
        }
        const items = await service.cosignaturesAt(treeSize);
        await ctx.ledger.append({
          actorType: request.principal!.kind,
          actorId: request.principal!.id,
          action: 'ledger.cosignatures.read',
          resource: `ledger:checkpoints/${treeSize}`,
          outcome: 'allowed',
          requestId: String(request.id),
          details: { returned: items.length },
        });
        return { items };
      },
    );
  };
}
