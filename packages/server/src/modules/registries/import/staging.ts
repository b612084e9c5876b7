/**
 * The set-based half of an import, inside its transaction: valid rows are
 * bulk-loaded (COPY, in batches) into a temporary staging table that
 * disappears with the transaction; duplicates within the file are found
 * there in SQL (memory stays constant whatever the number of keys); then one
 * INSERT ... ON CONFLICT merges them into reg_records, touching only records
 * whose hash changed, and the links and person index rows of those records
 * are replaced.
 */
import type { RegistryName } from '@kotwal/contracts';
import type { Queryable } from '#core/db/index.ts';
import type { RecordLinkRow } from '../canonical.ts';
import type { PersonIndexRow } from '../search-index.ts';

export interface StagedRow {
  line: number;
  key: string;
  hash: string;
  data: unknown;
  links: readonly RecordLinkRow[];
  person: PersonIndexRow | null;
}

const STAGE = 'reg_import_stage';
const CHANGED = 'reg_import_changed';
const BATCH_ROWS = 5000;
const BATCH_CHARS = 4 * 1024 * 1024;

/** A value in COPY text format: backslash, tab and line breaks escaped. */
function copyText(s: string): string {
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : s;
}

export class Stager {
  staged = 0;
  private parts: string[] = [];
  private chars = 0;

  constructor(private readonly tx: Queryable) {}

  async create(): Promise<void> {
    await this.tx.query(`DROP TABLE IF EXISTS pg_temp.${STAGE}`);
    await this.tx.query(
      `CREATE TEMPORARY TABLE ${STAGE} (line bigint NOT NULL, key text NOT NULL, hash text NOT NULL, data jsonb NOT NULL, links jsonb NOT NULL, person jsonb, dup_of bigint) ON COMMIT DROP`,
    );
  }

  async add(r: StagedRow): Promise<void> {
    const text = `${r.line}\t${copyText(r.key)}\t${r.hash}\t${copyText(JSON.stringify(r.data))}\t${copyText(JSON.stringify(r.links))}\t${
      r.person ? copyText(JSON.stringify(r.person)) : '\\N'
    }\n`;
    this.parts.push(text);
    this.chars += text.length;
    this.staged++;
    if (this.parts.length >= BATCH_ROWS || this.chars >= BATCH_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.parts.length) return;
    const data = this.parts.join('');
    this.parts = [];
    this.chars = 0;
    await this.tx.copyFrom(`${STAGE} (line, key, hash, data, links, person)`, data);
  }
}

/**
 * Marks every staged row whose key an earlier line of the file already
 * had, and hands them (line, key, first line) to `onDuplicate` page by page.
 */
export async function markDuplicates(tx: Queryable, onDuplicate: (d: { line: number; key: string; first: number }) => Promise<void>): Promise<number> {
  const r = await tx.query(
    `UPDATE ${STAGE} s SET dup_of = d.first
       FROM (SELECT line, min(line) OVER (PARTITION BY key) AS first FROM ${STAGE}) d
      WHERE s.line = d.line AND d.first <> d.line`,
  );
  if (r.rowCount === 0) return 0;
  await tx.query(`DECLARE reg_import_dups NO SCROLL CURSOR FOR SELECT line, key, dup_of FROM ${STAGE} WHERE dup_of IS NOT NULL ORDER BY line`);
  for (;;) {
    const page = await tx.query<{ line: number; key: string; dup_of: number }>('FETCH FORWARD 1000 FROM reg_import_dups');
    if (!page.rows.length) break;
    for (const d of page.rows) await onDuplicate({ line: Number(d.line), key: d.key, first: Number(d.dup_of) });
  }
  await tx.query('CLOSE reg_import_dups');
  return r.rowCount;
}

/** Merges staged rows (duplicates left out) into reg_records; returns how many were inserted and updated. */
export async function mergeStaged(
  tx: Queryable,
  m: { registry: RegistryName; source: string; importId: string },
): Promise<{ inserted: number; updated: number }> {
  await tx.query(`DROP TABLE IF EXISTS pg_temp.${CHANGED}`);
  await tx.query(`CREATE TEMPORARY TABLE ${CHANGED} (key text PRIMARY KEY, inserted boolean NOT NULL) ON COMMIT DROP`);
  // xmax = 0 on the returned row version: it was inserted, not updated.
  await tx.query(
    `WITH up AS (
       INSERT INTO reg_records AS r (registry, key, data, record_hash, source, import_id, created_at, updated_at)
       SELECT $1, s.key, s.data, s.hash, $2, $3, now(), now() FROM ${STAGE} s WHERE s.dup_of IS NULL
       ON CONFLICT (registry, key) DO UPDATE
          SET data = EXCLUDED.data, record_hash = EXCLUDED.record_hash, source = EXCLUDED.source,
              import_id = EXCLUDED.import_id, updated_at = EXCLUDED.updated_at
        WHERE r.record_hash <> EXCLUDED.record_hash
       RETURNING r.key, (r.xmax = 0) AS inserted
     )
     INSERT INTO ${CHANGED} (key, inserted) SELECT key, inserted FROM up`,
    [m.registry, m.source, m.importId],
  );
  const counts = await tx.query<{ inserted: number; updated: number }>(
    `SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM ${CHANGED}`,
  );
  // Links and person index rows of changed records are replaced.
  await tx.query(`DELETE FROM reg_links l USING ${CHANGED} c WHERE l.registry = $1 AND l.key = c.key`, [m.registry]);
  await tx.query(
    `INSERT INTO reg_links (cnic, registry, key, rel)
     SELECT DISTINCT x.cnic, $1, s.key, x.rel
       FROM ${STAGE} s JOIN ${CHANGED} c ON c.key = s.key
       CROSS JOIN LATERAL jsonb_to_recordset(s.links) AS x(cnic text, rel text)
      WHERE s.dup_of IS NULL
     ON CONFLICT DO NOTHING`,
    [m.registry],
  );
  if (m.registry === 'identity') {
    await tx.query(
      `INSERT INTO reg_persons (cnic, name, name_urdu, father_name, father_name_urdu, gender, birth_year, district, name_keys)
       SELECT p.cnic, p.name, p.name_urdu, p.father_name, p.father_name_urdu, p.gender, p.birth_year, p.district, p.name_keys
         FROM ${STAGE} s JOIN ${CHANGED} c ON c.key = s.key
         CROSS JOIN LATERAL jsonb_populate_record(NULL::reg_persons, s.person) AS p
        WHERE s.dup_of IS NULL AND s.person IS NOT NULL
       ON CONFLICT (cnic) DO UPDATE
          SET name = EXCLUDED.name, name_urdu = EXCLUDED.name_urdu, father_name = EXCLUDED.father_name,
              father_name_urdu = EXCLUDED.father_name_urdu, gender = EXCLUDED.gender, birth_year = EXCLUDED.birth_year,
              district = EXCLUDED.district, name_keys = EXCLUDED.name_keys`,
    );
  }
  const c = counts.rows[0] ?? { inserted: 0, updated: 0 };
  return { inserted: Number(c.inserted), updated: Number(c.updated) };
}
