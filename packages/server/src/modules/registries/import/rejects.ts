/**
 * Rejected rows, kept outside the import's transaction so that the report
 * survives a rollback. While the batch transaction is open they go to a
 * spill file on local disk (on PGlite the database's single connection is
 * held by that transaction, and memory must stay bounded however many rows
 * are rejected); once the transaction has ended, committed or not, they are
 * loaded into reg_import_rejects in batches.
 */
import { mkdtempSync, rmSync, createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Queryable } from '#core/db/index.ts';

export interface RejectEntry {
  line: number;
  field: string | null;
  reason: string;
}

const BATCH = 1000;
const MAX_REASON = 1000;

/** Database text cannot hold NUL; reasons quote cells, so bound and clean them. */
function clean(s: string, max: number): string {
  const t = s.split('\u0000').join('\\0');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export class RejectSink {
  count = 0;
  private buffer: string[] = [];
  private file: FileHandle | null = null;
  private readonly dir: string;
  private readonly filePath: string;

  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-rejects-'));
    this.filePath = path.join(this.dir, 'rejects.jsonl');
  }

  async add(r: RejectEntry): Promise<void> {
    this.count++;
    this.buffer.push(JSON.stringify({ line: r.line, field: r.field === null ? null : clean(r.field, 200), reason: clean(r.reason, MAX_REASON) }));
    if (this.buffer.length >= BATCH) await this.spill();
  }

  private async spill(): Promise<void> {
    if (!this.buffer.length) return;
    this.file ??= await open(this.filePath, 'a');
    await this.file.appendFile(`${this.buffer.join('\n')}\n`);
    this.buffer = [];
  }

  /** Loads every reject into reg_import_rejects (outside any import transaction), numbered from 1 in the order found. */
  async persist(db: Queryable, importId: string): Promise<void> {
    let n = 0;
    const insert = async (lines: string[]): Promise<void> => {
      const rows = lines.map((l) => ({ ...(JSON.parse(l) as RejectEntry), n: ++n }));
      await db.query(
        `INSERT INTO reg_import_rejects (import_id, n, line, field, reason)
         SELECT $1, x.n, x.line, x.field, x.reason FROM jsonb_to_recordset($2::jsonb) AS x(n integer, line bigint, field text, reason text)`,
        [importId, JSON.stringify(rows)],
      );
    };
    if (this.file) {
      await this.spill();
      await this.file.close();
      this.file = null;
      const rl = createInterface({ input: createReadStream(this.filePath, 'utf8'), crlfDelay: Infinity });
      let batch: string[] = [];
      for await (const l of rl) {
        if (!l) continue;
        batch.push(l);
        if (batch.length >= BATCH) {
          await insert(batch);
          batch = [];
        }
      }
      if (batch.length) await insert(batch);
    } else if (this.buffer.length) {
      await insert(this.buffer);
    }
    this.buffer = [];
  }

  async dispose(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
