/**
 * SQL for reg_imports and reg_import_rejects, and the presenter of an import.
 */
import type { ImportSummary, RegistryName } from '@kotwal/contracts';
import type { Queryable } from '#core/db/index.ts';

export interface ImportRow {
  id: string;
  registry: string;
  source: string;
  file_name: string;
  format: string;
  sha256: string | null;
  bytes: number;
  status: string;
  rows_read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  error: string | null;
  started_at: Date | string;
  finished_at: Date | string | null;
  started_by: string;
}

export interface ImportCounts {
  rowsRead: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString();

export function presentImport(r: ImportRow): ImportSummary {
  return {
    id: r.id,
    registry: r.registry as RegistryName,
    source: r.source,
    fileName: r.file_name,
    format: r.format === 'jsonl' ? 'jsonl' : 'csv',
    sha256: r.sha256,
    bytes: Number(r.bytes),
    status: r.status === 'completed' ? 'completed' : r.status === 'failed' ? 'failed' : 'running',
    rowsRead: Number(r.rows_read),
    inserted: Number(r.inserted),
    updated: Number(r.updated),
    unchanged: Number(r.unchanged),
    rejected: Number(r.rejected),
    error: r.error,
    startedAt: iso(r.started_at),
    finishedAt: r.finished_at === null ? null : iso(r.finished_at),
    startedBy: r.started_by,
  };
}

export async function insertImport(
  db: Queryable,
  i: { id: string; registry: string; source: string; fileName: string; format: string; startedBy: string; startedAt: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO reg_imports (id, registry, source, file_name, format, status, started_at, started_by) VALUES ($1, $2, $3, $4, $5, 'running', $6, $7)`,
    [i.id, i.registry, i.source, i.fileName, i.format, i.startedAt.toISOString(), i.startedBy],
  );
}

export async function finishImport(
  db: Queryable,
  id: string,
  f: ImportCounts & { status: 'completed' | 'failed'; sha256: string | null; bytes: number; error: string | null },
): Promise<ImportRow> {
  const r = await db.query<ImportRow>(
    `UPDATE reg_imports SET status = $2, sha256 = $3, bytes = $4, rows_read = $5, inserted = $6, updated = $7, unchanged = $8, rejected = $9,
            error = $10, finished_at = now()
      WHERE id = $1 RETURNING *`,
    [id, f.status, f.sha256, f.bytes, f.rowsRead, f.inserted, f.updated, f.unchanged, f.rejected, f.error],
  );
  const row = r.rows[0];
  if (!row) throw new Error(`import ${id} vanished`);
  return row;
}

export async function getImport(db: Queryable, id: string): Promise<ImportRow | null> {
  const r = await db.query<ImportRow>('SELECT * FROM reg_imports WHERE id = $1', [id]);
  return r.rows[0] ?? null;
}

export async function listImports(db: Queryable, limit: number): Promise<ImportRow[]> {
  const r = await db.query<ImportRow>('SELECT * FROM reg_imports ORDER BY started_at DESC, id LIMIT $1', [limit]);
  return r.rows;
}

export interface RejectRow {
  line: number;
  field: string | null;
  reason: string;
}

export async function listRejects(db: Queryable, id: string, offset: number, limit: number): Promise<{ items: RejectRow[]; total: number }> {
  const total = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM reg_import_rejects WHERE import_id = $1', [id]);
  const r = await db.query<RejectRow>('SELECT line, field, reason FROM reg_import_rejects WHERE import_id = $1 ORDER BY line, n OFFSET $2 LIMIT $3', [
    id,
    offset,
    limit,
  ]);
  return { items: r.rows.map((x) => ({ line: Number(x.line), field: x.field, reason: x.reason })), total: Number(total.rows[0]?.n ?? 0) };
}
