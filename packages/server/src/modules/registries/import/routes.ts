/**
 * HTTP routes of registry imports. The extract is the request body, streamed
 * straight into the import (never buffered): this plugin's scope has its own
 * content-type parsers that hand the raw stream through, and the upload route
 * a body limit of DEFAULT_MAX_IMPORT_BYTES (enforced while streaming).
 * Reading import reports is ledgered: rejects quote the cells they refuse.
 */
import { PassThrough, Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import {
  ImportList,
  ImportListQuery,
  ImportParams,
  ImportQuery,
  ImportRejectList,
  ImportRejectsQuery,
  ImportSummary,
  PROBLEM_TYPES,
  Problem,
} from '@kotwal/contracts';
import type { CoreContext } from '#core/context.ts';
import { HttpProblem, problems } from '#core/http/problem.ts';
import type { KotwalFastify } from '#core/http/types.ts';
import { ImportInputError } from './mapping.ts';
import * as repo from './repository.ts';
import { DEFAULT_MAX_IMPORT_BYTES, ImportFailedError, formatFromName, getImportSummary, listImportSummaries, runImport, writeRejectsCsv } from './service.ts';
import type { ImportActor, ImportFormat } from './service.ts';

const TAGS = ['registries'];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const STREAM_TYPES = ['text/csv', 'application/x-ndjson', 'application/jsonl', 'application/octet-stream'];
const BASE = '/api/v1/registries/imports';

const notFound = (id: string) =>
  new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', `there is no import ${id}`, [{ field: 'id', message: 'no such import' }]);

function actorOf(request: FastifyRequest): ImportActor {
  const p = request.principal;
  if (!p) return { type: 'anonymous', id: request.ip, name: 'anonymous' };
  return { type: p.kind, id: p.id, name: p.kind === 'token' ? `token:${p.name}` : p.name };
}

function formatFor(contentType: string | undefined, fileName: string | undefined): ImportFormat {
  const ct = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (ct === 'application/x-ndjson' || ct === 'application/jsonl') return 'jsonl';
  if (ct === 'text/csv') return 'csv';
  return formatFromName(fileName ?? '');
}

/** Waits until `out` can take more, or throws when the client went away. */
function drained(out: PassThrough): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the client closed the download'));
    out.once('drain', onDrain);
    out.once('close', onClose);
  });
}

export async function importRoutes(app: KotwalFastify, ctx: CoreContext): Promise<void> {
  const record = async (request: FastifyRequest, action: string, resource: string, details?: Record<string, unknown>): Promise<void> => {
    const a = actorOf(request);
    await ctx.ledger.append({
      actorType: a.type,
      actorId: a.id,
      action,
      resource,
      outcome: 'allowed',
      requestId: String(request.id),
      details: details ?? null,
    });
  };

  await app.register(async (scope: KotwalFastify) => {
    // This scope only: the body is handed through as a stream; anything else is refused before it is read.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(STREAM_TYPES, (_request, payload, done) => done(null, payload));
    scope.addContentTypeParser('*', (request, _payload, done) =>
      done(
        new HttpProblem(
          415,
          PROBLEM_TYPES.unsupportedMediaType,
          'Unsupported media type',
          `send the extract as ${STREAM_TYPES.join(', ')} (got ${request.headers['content-type'] ?? 'no content type'})`,
        ),
        undefined,
      ),
    );

    scope.post(
      BASE,
      {
        bodyLimit: DEFAULT_MAX_IMPORT_BYTES,
        config: { permission: 'registries.import' },
        schema: {
          tags: TAGS,
          summary: 'Import a registry extract (the raw CSV or JSON Lines file as the body, streamed)',
          description:
            'Body: the file itself, as text/csv, application/x-ndjson (or application/jsonl) or application/octet-stream (format from `format` or the file name). ' +
            'Rows are validated against the registry; rejected rows are reported (GET .../rejects) and the rest merged by key in one transaction. ' +
            'A file cut off mid-row or with a header that cannot be placed fails as a whole (422, nothing imported; Location names the failed import).',
          querystring: ImportQuery,
          response: { 201: ImportSummary, ...errors, 413: Problem, 415: Problem, 422: Problem },
        },
      },
      async (request, reply) => {
        const body: unknown = request.body;
        if (!(body instanceof Readable)) throw problems.validation('send the extract as the request body', [{ field: 'body', message: 'is empty' }]);
        const q = request.query;
        const format = q.format ?? formatFor(request.headers['content-type'], q.fileName);
        const fileName = q.fileName ?? `upload.${format}`;
        try {
          const summary = await runImport(ctx, {
            registry: q.registry,
            source: q.source ?? 'unspecified',
            fileName,
            format,
            ...(q.mapping !== undefined ? { mapping: q.mapping } : {}),
            ...(q.dateOrder !== undefined ? { dateOrder: q.dateOrder } : {}),
            // The request is not destroyed when the import stops early, so the problem can still be sent.
            body: body.iterator({ destroyOnReturn: false }),
            actor: actorOf(request),
            requestId: String(request.id),
          });
          return await reply.code(201).header('location', `${BASE}/${summary.id}`).send(summary);
        } catch (err) {
          if (err instanceof ImportInputError) {
            body.resume();
            throw problems.validation(err.message, [{ field: err.field, message: err.message }]);
          }
          if (err instanceof ImportFailedError) {
            body.resume();
            throw new HttpProblem(
              422,
              PROBLEM_TYPES.validation,
              'Import failed',
              `${err.message} (import ${err.summary.id}: nothing was imported; see ${BASE}/${err.summary.id}/rejects)`,
              [{ field: err.field, message: err.message }],
              { location: `${BASE}/${err.summary.id}` },
            );
          }
          throw err;
        }
      },
    );
  });

  app.get(
    BASE,
    {
      config: { permission: 'registries.import' },
      schema: { tags: TAGS, summary: 'Imports, latest first', querystring: ImportListQuery, response: { 200: ImportList, ...errors } },
    },
    async (request) => {
      const items = await listImportSummaries(ctx, request.query.limit ?? 100);
      await record(request, 'registries.imports.read', 'registries:imports', { returned: items.length });
      return { items };
    },
  );

  app.get(
    `${BASE}/:id`,
    {
      config: { permission: 'registries.import' },
      schema: { tags: TAGS, summary: 'One import: provenance and counts', params: ImportParams, response: { 200: ImportSummary, ...errors } },
    },
    async (request) => {
      const summary = await getImportSummary(ctx, request.params.id);
      if (!summary) throw notFound(request.params.id);
      await record(request, 'registries.import.read', `registries:import:${summary.id}`);
      return summary;
    },
  );

  app.get(
    `${BASE}/:id/rejects`,
    {
      config: { permission: 'registries.import' },
      schema: {
        tags: TAGS,
        summary: 'Rejected rows of an import, by line (JSON page, or ?format=csv for all as CSV)',
        params: ImportParams,
        querystring: ImportRejectsQuery,
        response: { 200: ImportRejectList, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const found = await repo.getImport(ctx.db, id);
      if (!found) throw notFound(id);
      const q = request.query;
      if (q.format === 'csv') {
        await record(request, 'registries.import.rejects.read', `registries:import:${id}`, { format: 'csv', rejected: Number(found.rejected) });
        const out = new PassThrough();
        writeRejectsCsv(ctx, id, async (chunk) => {
          if (!out.write(chunk)) await drained(out);
        }).then(
          () => out.end(),
          (err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))),
        );
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="import-${id}-rejects.csv"`)
          .send(out as never); // a stream: the 200 schema describes the JSON form
      }
      const offset = q.offset ?? 0;
      const limit = q.limit ?? 100;
      const page = await repo.listRejects(ctx.db, id, offset, limit);
      await record(request, 'registries.import.rejects.read', `registries:import:${id}`, { offset, limit, returned: page.items.length });
      return page;
    },
  );
}
