/**
 * Importing a registry extract: one service path for the CLI and the API.
 *
 * 1. The import is recorded (reg_imports, status running) before a byte is read.
 * 2. In one transaction: the file is streamed (hashed as it goes), each row
 *    mapped, normalised and validated (canonical.ts); valid rows are bulk
 *    loaded into a temporary staging table, rejected rows go to a spill file;
 *    duplicates within the file are found in SQL; one set-based merge
 *    updates reg_records by (registry, key), only where the record's hash
 *    changed, and replaces the links and person index rows of what changed;
 *    the import row, its ledger entry and its event commit with it.
 * 3. After the transaction, committed or rolled back, the rejects are
 *    written to reg_import_rejects, so the report survives a failure.
 *
 * A file cut off mid-row, or refused for its header, fails as a whole:
 * reg_records is untouched; the import is marked failed with the reason,
 * in its own transaction with a `registries.import.failed` ledger entry and
 * event. Records missing from a newer extract are kept: extracts may be
 * partial (one district, one month), so absence is not deletion.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ImportSummary, LedgerActorType, RegistryName } from '@kotwal/contracts';
import type { CoreContext } from '#core/context.ts';
import type { Queryable } from '#core/db/index.ts';
import { fromFlat, isRegistry, REGISTRY_DEFS, validateRecord, type DateOrder, type FieldError } from '../canonical.ts';
import { personIndexRow } from '../search-index.ts';
import { EMPTY_MAPPING, ImportInputError, isDateOrder, parseMapping, type Mapping } from './mapping.ts';
import { csvRows, decodeExtract, jsonlRows, newReadStats, TruncatedError, type ReadStats, type SourceItem } from './reader.ts';
import { RejectSink } from './rejects.ts';
import { markDuplicates, mergeStaged, Stager } from './staging.ts';
import * as repo from './repository.ts';

export type ImportFormat = 'csv' | 'jsonl';

/** Largest extract accepted by default (the API's route body limit too). */
export const DEFAULT_MAX_IMPORT_BYTES = 16 * 1024 ** 3;

export interface ImportActor {
  type: LedgerActorType;
  id: string;
  /** Shown as startedBy: the username, `token:<name>` or `cli:<os user>`. */
  name: string;
}

export interface ImportProgress {
  bytes: number;
  rows: number;
}

export interface ImportRequest {
  registry: string;
  /** The department or system the extract came from. */
  source: string;
  fileName: string;
  format: ImportFormat;
  /** The mapping file's text (or parsed JSON), if any. */
  mapping?: string | unknown;
  /** Overrides the mapping's dateOrder. */
  dateOrder?: string;
  body: Readable | AsyncIterable<unknown>;
  actor: ImportActor;
  requestId?: string | null;
  maxBytes?: number;
  onProgress?: (p: ImportProgress) => void;
}

/** The import ran and failed (truncated file, refused header ...): it is recorded as failed with its rejects. */
export class ImportFailedError extends Error {
  override name = 'ImportFailedError';
  constructor(
    readonly summary: ImportSummary,
    readonly field: string,
  ) {
    super(summary.error ?? 'the import failed');
  }
}

/** The format a file name suggests: .jsonl / .ndjson are JSON Lines, anything else CSV. */
export function formatFromName(fileName: string): ImportFormat {
  return /\.(jsonl|ndjson)$/i.test(fileName) ? 'jsonl' : 'csv';
}

interface Prepared {
  registry: RegistryName;
  mapping: Mapping;
  dateOrder: DateOrder;
}

/** Checks everything that can be checked before reading the file (throws ImportInputError naming the field). */
export function prepareImport(req: Pick<ImportRequest, 'registry' | 'mapping' | 'dateOrder' | 'source' | 'fileName'>): Prepared {
  if (!isRegistry(req.registry)) throw new ImportInputError('registry', `unknown registry "${req.registry}"`);
  const registry = req.registry;
  if (!req.source.trim()) throw new ImportInputError('source', 'name the department or system the extract came from');
  if (!req.fileName.trim()) throw new ImportInputError('fileName', 'the file name is empty');
  const mapping = req.mapping === undefined || req.mapping === null ? EMPTY_MAPPING : parseMapping(registry, req.mapping);
  let dateOrder: DateOrder = mapping.dateOrder ?? 'DMY';
  if (req.dateOrder !== undefined) {
    if (!isDateOrder(req.dateOrder)) throw new ImportInputError('dateOrder', 'must be DMY, MDY or YMD');
    dateOrder = req.dateOrder;
  }
  return { registry, mapping, dateOrder };
}

function describe(errors: FieldError[]): { field: string; reason: string } {
  const [first, ...rest] = errors;
  if (!first) return { field: '(record)', reason: 'is invalid' };
  const more = rest.map((e) => `${e.field} ${e.message}`).join('; ');
  return { field: first.field, reason: more ? `${first.message} (also: ${more})` : first.message };
}

/** Runs an import to its end. Resolves with the completed import; rejects with ImportInputError (nothing recorded) or ImportFailedError (recorded as failed). */
export async function runImport(ctx: CoreContext, req: ImportRequest): Promise<ImportSummary> {
  const { registry, mapping, dateOrder } = prepareImport(req);
  const id = randomUUID();
  const source = req.source.trim();
  const fileName = req.fileName.trim();
  await repo.insertImport(ctx.db, { id, registry, source, fileName, format: req.format, startedBy: req.actor.name, startedAt: new Date() });

  const stats: ReadStats = newReadStats();
  const counts = { rowsRead: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 };
  const rejects = new RejectSink();
  const progress = () => req.onProgress?.({ bytes: stats.bytes, rows: counts.rowsRead });
  const ledgerBase = (action: string) => ({
    actorType: req.actor.type,
    actorId: req.actor.id,
    action,
    resource: `registries:import:${id}`,
    outcome: 'allowed' as const,
    requestId: req.requestId ?? null,
  });

  try {
    const row = await ctx.unitOfWork(async (tx: Queryable) => {
      const stager = new Stager(tx);
      await stager.create();
      const decoded = decodeExtract(req.body as AsyncIterable<unknown>, stats, { maxBytes: req.maxBytes ?? DEFAULT_MAX_IMPORT_BYTES, onChunk: progress });
      const items: AsyncGenerator<SourceItem> = req.format === 'jsonl' ? jsonlRows(decoded, registry, mapping) : csvRows(decoded, registry, mapping, stats);
      for await (const item of items) {
        counts.rowsRead++;
        if (item.kind === 'reject') {
          await rejects.add(item);
          continue;
        }
        let value: Record<string, unknown>;
        if (item.kind === 'fields') {
          const flat = fromFlat(registry, item.flat);
          if (flat.errors.length) {
            await rejects.add({ line: item.line, ...describe(flat.errors) });
            continue;
          }
          value = flat.value;
        } else {
          value = item.value;
        }
        const v = validateRecord(registry, value, { dateOrder });
        if (!v.ok) {
          await rejects.add({ line: item.line, ...describe(v.errors) });
          continue;
        }
        await stager.add({
          line: item.line,
          key: v.key,
          hash: v.hash,
          data: v.record,
          links: v.links,
          person: registry === 'identity' ? personIndexRow(v.record as Parameters<typeof personIndexRow>[0]) : null,
        });
      }
      await stager.flush();
      progress();
      const field = REGISTRY_DEFS[registry].keyField;
      const dups = await markDuplicates(tx, (d) =>
        rejects.add({ line: d.line, field, reason: `duplicate key ${d.key}: line ${d.first} has the same key (the first is kept)` }),
      );
      const merged = await mergeStaged(tx, { registry, source, importId: id });
      counts.inserted = merged.inserted;
      counts.updated = merged.updated;
      counts.unchanged = stager.staged - dups - merged.inserted - merged.updated;
      counts.rejected = rejects.count;
      const sha256 = stats.hash.digest('hex');
      const done = await repo.finishImport(tx, id, { status: 'completed', sha256, bytes: stats.bytes, error: null, ...counts });
      await ctx.ledger.appendInTx(tx, {
        ...ledgerBase('registries.import.completed'),
        details: { registry, source, fileName, format: req.format, encoding: stats.encoding, sha256, bytes: stats.bytes, ...counts },
      });
      await ctx.events.emit(
        tx,
        'registries.import.completed',
        { importId: id, registry, inserted: counts.inserted, updated: counts.updated, unchanged: counts.unchanged, rejected: counts.rejected },
        { requestId: req.requestId ?? null },
      );
      return done;
    });
    await rejects.persist(ctx.db, id);
    return repo.presentImport(row);
  } catch (err) {
    const expected = err instanceof TruncatedError || err instanceof ImportInputError;
    if (err instanceof TruncatedError) {
      counts.rowsRead++;
      await rejects.add({ line: err.line, field: null, reason: err.message });
    }
    const reason = expected
      ? (err as Error).message
      : isAbort(err)
        ? 'the upload was interrupted before the end of the file'
        : `internal error: ${(err as Error).message}`;
    counts.inserted = counts.updated = counts.unchanged = 0;
    counts.rejected = rejects.count;
    let row: repo.ImportRow | null = null;
    try {
      await rejects.persist(ctx.db, id);
      row = await ctx.unitOfWork(async (tx) => {
        const failed = await repo.finishImport(tx, id, { status: 'failed', sha256: null, bytes: stats.bytes, error: reason, ...counts });
        await ctx.ledger.appendInTx(tx, {
          ...ledgerBase('registries.import.failed'),
          details: { registry, source, fileName, format: req.format, bytes: stats.bytes, error: reason, ...counts },
        });
        await ctx.events.emit(tx, 'registries.import.failed', { importId: id, registry, reason }, { requestId: req.requestId ?? null });
        return failed;
      });
    } catch (recordErr) {
      ctx.logger.error({ err: recordErr, importId: id }, 'could not record the failed import');
    }
    if ((expected || isAbort(err)) && row) throw new ImportFailedError(repo.presentImport(row), err instanceof ImportInputError ? err.field : 'file');
    throw err;
  } finally {
    await rejects.dispose();
  }
}

function isAbort(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error | null)?.message === 'aborted';
}

export async function getImportSummary(ctx: CoreContext, id: string): Promise<ImportSummary | null> {
  const r = await repo.getImport(ctx.db, id);
  return r ? repo.presentImport(r) : null;
}

export async function listImportSummaries(ctx: CoreContext, limit = 100): Promise<ImportSummary[]> {
  return (await repo.listImports(ctx.db, limit)).map(repo.presentImport);
}

/** One CSV cell, quoted when it must be (RFC 4180). */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Streams an import's rejects as CSV (line,field,reason), page by page. */
export async function writeRejectsCsv(ctx: CoreContext, id: string, write: (chunk: string) => Promise<void> | void): Promise<void> {
  await write('line,field,reason\n');
  await ctx.db.stream<repo.RejectRow>('SELECT line, field, reason FROM reg_import_rejects WHERE import_id = $1 ORDER BY line, n', [id], 2000, async (rows) => {
    await write(rows.map((r) => `${Number(r.line)},${csvCell(r.field)},${csvCell(r.reason)}\n`).join(''));
  });
}
