/**
 * HTTP routes of core.ledger: entries, details, checkpoints, proofs and the
 * public key. Thin: schema + permission + a call to the Ledger. Reading the
 * ledger is itself ledgered (before the response leaves); listings stay
 * stable because each page is bounded by the tree size it reports.
 */
import type { FastifyRequest } from 'fastify';
import {
  Checkpoint,
  ConsistencyProof,
  ConsistencyProofQuery,
  InclusionProof,
  InclusionProofQuery,
  LedgerEntriesQuery,
  LedgerEntry,
  LedgerEntryList,
  PROBLEM_TYPES,
  Problem,
} from '@kotwal/contracts';
import type { CoreContext } from '#core/context.ts';
import { HttpProblem, problems } from '#core/http/problem.ts';
import type { KotwalFastify } from '#core/http/types.ts';
import { LedgerQueryError, type Ledger } from './ledger.ts';
import { CheckpointList, CheckpointListQuery, CheckpointSizeParams, LedgerDetails, LedgerPublicKey, LedgerSeqParams } from '@kotwal/contracts';
import { witnessRoutes } from './witness-routes.ts';

type Security = { [scheme: string]: string[] }[];
const SECURITY: Security = [{ session: [] }, { bearer: [] }];
const TAGS = ['ledger'];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };

const notFound = (detail: string, field: string): HttpProblem =>
  new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', detail, [{ field, message: detail }]);

/** Turns a LedgerQueryError into a problem naming the parameter. */
async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LedgerQueryError) {
      const fieldErrors = [{ field: err.field, message: err.message }];
      throw err.status === 404 ? notFound(err.message, err.field) : problems.validation(err.message, fieldErrors);
    }
    throw err;
  }
}

export function ledgerRoutes(ledger: Ledger) {
  return async (app: KotwalFastify, ctx: CoreContext): Promise<void> => {
    /** Writes the read to the ledger before the response leaves. */
    const record = async (request: FastifyRequest, action: string, resource: string, details?: Record<string, unknown>): Promise<void> => {
      const p = request.principal;
      await ctx.ledger.append({
        actorType: p ? p.kind : 'anonymous',
        actorId: p ? p.id : request.ip,
        action,
        resource,
        outcome: 'allowed',
        requestId: String(request.id),
        details: details ?? null,
      });
    };

    app.get(
      '/api/v1/ledger/entries',
      {
        config: { permission: 'ledger.read' },
        schema: {
          tags: TAGS,
          summary: 'List ledger entries (filter by actor, action or resource, exact or prefix*, outcome and time; page with from)',
          security: SECURITY,
          querystring: LedgerEntriesQuery,
          response: { 200: LedgerEntryList, ...errors },
        },
      },
      async (request) => {
        const page = await run(() => ledger.listEntries(request.query));
        await record(request, 'ledger.entries.read', 'ledger:entries', { query: request.query, treeSize: page.treeSize, returned: page.items.length });
        return page;
      },
    );

    app.get(
      '/api/v1/ledger/entries/:seq',
      {
        config: { permission: 'ledger.read' },
        schema: { tags: TAGS, summary: 'One ledger entry', security: SECURITY, params: LedgerSeqParams, response: { 200: LedgerEntry, ...errors } },
      },
      async (request) => {
        const { seq } = request.params;
        const entry = await ledger.getEntry(seq);
        if (!entry) throw notFound(`there is no ledger entry with seq ${seq}`, 'seq');
        await record(request, 'ledger.entry.read', `ledger:entry/${seq}`);
        return entry;
      },
    );

    app.get(
      '/api/v1/ledger/entries/:seq/details',
      {
        config: { permission: 'ledger.details.read' },
        schema: {
          tags: TAGS,
          summary: 'The personal-data details record behind an entry (this read is itself ledgered)',
          security: SECURITY,
          params: LedgerSeqParams,
          response: { 200: LedgerDetails, ...errors },
        },
      },
      async (request) => {
        const { seq } = request.params;
        const details = await run(() => ledger.getDetails(seq));
        await record(request, 'ledger.details.read', `ledger:entry/${seq}`, { seq, state: details.state });
        return details;
      },
    );

    app.get(
      '/api/v1/ledger/checkpoints/latest',
      {
        config: { permission: 'ledger.read' },
        schema: { tags: TAGS, summary: 'The latest signed checkpoint', security: SECURITY, response: { 200: Checkpoint, ...errors } },
      },
      async (request) => {
        const cp = await ledger.latestCheckpoint();
        await record(request, 'ledger.checkpoints.read', 'ledger:checkpoints/latest', { treeSize: cp.treeSize });
        return cp;
      },
    );

    app.get(
      '/api/v1/ledger/checkpoints',
      {
        config: { permission: 'ledger.read' },
        schema: {
          tags: TAGS,
          summary: 'Signed checkpoints, newest first (page backwards with before)',
          security: SECURITY,
          querystring: CheckpointListQuery,
          response: { 200: CheckpointList, ...errors },
        },
      },
      async (request) => {
        const limit = request.query.limit ?? 20;
        const items = await ledger.listCheckpoints({ limit: limit + 1, ...(request.query.before !== undefined ? { before: request.query.before } : {}) });
        const page = items.slice(0, limit);
        await record(request, 'ledger.checkpoints.read', 'ledger:checkpoints', { query: request.query, returned: page.length });
        return { items: page, next: items.length > limit ? page[page.length - 1].treeSize : null };
      },
    );

    app.get(
      '/api/v1/ledger/checkpoints/:treeSize',
      {
        config: { permission: 'ledger.read' },
        schema: {
          tags: TAGS,
          summary: 'The signed checkpoint at a tree size',
          security: SECURITY,
          params: CheckpointSizeParams,
          response: { 200: Checkpoint, ...errors },
        },
      },
      async (request) => {
        const { treeSize } = request.params;
        const cp = await ledger.checkpointAt(treeSize);
        if (!cp) throw notFound(`no checkpoint was signed at tree size ${treeSize}`, 'treeSize');
        await record(request, 'ledger.checkpoints.read', `ledger:checkpoints/${treeSize}`);
        return cp;
      },
    );

    app.get(
      '/api/v1/ledger/proofs/inclusion',
      {
        config: { permission: 'ledger.read' },
        schema: {
          tags: TAGS,
          summary: 'RFC 9162 inclusion proof of an entry (treeSize defaults to the latest checkpoint, signed now if it does not cover seq yet)',
          security: SECURITY,
          querystring: InclusionProofQuery,
          response: { 200: InclusionProof, ...errors },
        },
      },
      async (request) => {
        const { seq, treeSize } = request.query;
        const proof = await run(() => ledger.inclusionProof(seq, treeSize));
        await record(request, 'ledger.proofs.read', `ledger:entry/${seq}`, { kind: 'inclusion', seq, treeSize: proof.treeSize });
        return proof;
      },
    );

    app.get(
      '/api/v1/ledger/proofs/consistency',
      {
        config: { permission: 'ledger.read' },
        schema: {
          tags: TAGS,
          summary: 'RFC 9162 consistency proof between two tree sizes (to at most the latest checkpoint)',
          security: SECURITY,
          querystring: ConsistencyProofQuery,
          response: { 200: ConsistencyProof, ...errors },
        },
      },
      async (request) => {
        const { from, to } = request.query;
        const proof = await run(() => ledger.consistencyProof(from, to));
        await record(request, 'ledger.proofs.read', 'ledger:tree', { kind: 'consistency', from, to });
        return proof;
      },
    );

    app.get(
      '/api/v1/ledger/public-key',
      {
        config: { permission: 'ledger.read' },
        schema: { tags: TAGS, summary: "This node's Ed25519 checkpoint signing public key", security: SECURITY, response: { 200: LedgerPublicKey, ...errors } },
      },
      async (request) => {
        const key = ledger.publicKey();
        await record(request, 'ledger.public-key.read', 'ledger:public-key');
        return key;
      },
    );

    // Outside witnesses and their countersignatures of checkpoints.
    await witnessRoutes(ledger)(app, ctx);
  };
}
