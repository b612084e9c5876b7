/**
 * The registries as datasets (`registries/identity`, `registries/vehicles`,
 * ...): the only way registry records leave this node is a transfer that the
 * data owners signed (core/sovereignty reads them here), and the only way a
 * replica stores them is write() below, which validates every record as an
 * import would and keeps the links and person index in step.
 */
import { REGISTRIES, type RegistryName } from '@kotwal/contracts';
import type { Queryable } from '#core/db/index.ts';
import type { DatasetDefinition, DatasetRecord } from '#core/module.ts';
import { validateRecord } from './canonical.ts';
import { personIndexRow } from './search-index.ts';

const TITLES: Record<RegistryName, string> = {
  identity: 'National identity cards (NADRA CNIC)',
  vehicles: 'Vehicle registrations (Excise & Taxation)',
  customs: 'Customs declarations and non-duty-paid vehicles',
  sims: 'Cellular SIM ownership (PTA / operators)',
  land: 'Land records (PLRA fard)',
  tax: 'Tax registrations (FBR NTN)',
  travel: 'Immigration and passport records',
  foreigners: 'Foreigner registrations',
  criminal: 'Criminal records (FIRs)',
};

/** `keyPrefix`: records whose key starts with it (e.g. a CNIC district prefix `35202`). */
const FILTERS = ['keyPrefix'] as const;

export class DatasetRecordError extends Error {
  override name = 'DatasetRecordError';
}

function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function where(registry: RegistryName, filter: Readonly<Record<string, string>>, params: unknown[]): string {
  params.push(registry);
  let sql = 'registry = $1';
  const prefix = filter['keyPrefix'];
  if (prefix) {
    params.push(likePrefix(prefix));
    sql += ` AND key LIKE $${params.length}`;
  }
  return sql;
}

function dataset(registry: RegistryName): DatasetDefinition {
  return {
    collection: registry,
    title: TITLES[registry],
    description: `Canonical ${registry} registry records, keyed as the registries module keys them`,
    filters: FILTERS,
    async count(db, filter) {
      const params: unknown[] = [];
      const r = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM reg_records WHERE ${where(registry, filter, params)}`, params);
      return Number(r.rows[0]?.n ?? 0);
    },
    async read(db, opts) {
      const params: unknown[] = [];
      let sql = `SELECT key, data FROM reg_records WHERE ${where(registry, opts.filter, params)}`;
      if (opts.items?.length) {
        params.push([...opts.items]);
        sql += ` AND key = ANY($${params.length}::text[])`;
      }
      if (opts.after !== null) {
        params.push(opts.after);
        sql += ` AND key > $${params.length}`;
      }
      params.push(opts.limit);
      sql += ` ORDER BY key COLLATE "C" LIMIT $${params.length}`;
      const r = await db.query<{ key: string; data: unknown }>(sql, params);
      return r.rows.map((row) => ({ key: row.key, record: row.data }));
    },
    async write(tx, records) {
      await writeRecords(tx, registry, records);
    },
  };
}

/** Validates received records as an import would and upserts them with their links and person index rows. */
async function writeRecords(tx: Queryable, registry: RegistryName, records: readonly DatasetRecord[]): Promise<void> {
  if (!records.length) return;
  const keys: string[] = [];
  const data: string[] = [];
  const hashes: string[] = [];
  const linkCnic: string[] = [];
  const linkKey: string[] = [];
  const linkRel: string[] = [];
  const persons: string[] = [];
  for (const [i, r] of records.entries()) {
    if (!r.record || typeof r.record !== 'object' || Array.isArray(r.record)) throw new DatasetRecordError(`record ${i} (${r.key}): not an object`);
    const v = validateRecord(registry, r.record as Record<string, unknown>);
    if (!v.ok) throw new DatasetRecordError(`record ${i} (${r.key}): ${v.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
    if (v.key !== r.key) throw new DatasetRecordError(`record ${i}: key ${r.key} does not match the record (its key is ${v.key})`);
    keys.push(v.key);
    data.push(JSON.stringify(v.record));
    hashes.push(v.hash);
    for (const l of v.links) {
      linkCnic.push(l.cnic);
      linkKey.push(v.key);
      linkRel.push(l.rel);
    }
    if (registry === 'identity') persons.push(JSON.stringify(personIndexRow(v.record as Parameters<typeof personIndexRow>[0])));
  }
  await tx.query(
    `INSERT INTO reg_records AS r (registry, key, data, record_hash, source, created_at, updated_at)
     SELECT $1, k, d::jsonb, h, 'replication', now(), now() FROM unnest($2::text[], $3::text[], $4::text[]) AS x(k, d, h)
     ON CONFLICT (registry, key) DO UPDATE
        SET data = EXCLUDED.data, record_hash = EXCLUDED.record_hash, source = EXCLUDED.source, updated_at = EXCLUDED.updated_at
      WHERE r.record_hash <> EXCLUDED.record_hash`,
    [registry, keys, data, hashes],
  );
  await tx.query('DELETE FROM reg_links WHERE registry = $1 AND key = ANY($2::text[])', [registry, keys]);
  if (linkCnic.length) {
    await tx.query(
      `INSERT INTO reg_links (cnic, registry, key, rel)
       SELECT c, $1, k, rel FROM unnest($2::text[], $3::text[], $4::text[]) AS x(c, k, rel)
       ON CONFLICT DO NOTHING`,
      [registry, linkCnic, linkKey, linkRel],
    );
  }
  if (persons.length) {
    await tx.query(
      `INSERT INTO reg_persons (cnic, name, name_urdu, father_name, father_name_urdu, gender, birth_year, district, name_keys)
       SELECT p.cnic, p.name, p.name_urdu, p.father_name, p.father_name_urdu, p.gender, p.birth_year, p.district, p.name_keys
         FROM unnest($1::text[]) AS x(j) CROSS JOIN LATERAL jsonb_populate_record(NULL::reg_persons, x.j::jsonb) AS p
       ON CONFLICT (cnic) DO UPDATE
          SET name = EXCLUDED.name, name_urdu = EXCLUDED.name_urdu, father_name = EXCLUDED.father_name,
              father_name_urdu = EXCLUDED.father_name_urdu, gender = EXCLUDED.gender, birth_year = EXCLUDED.birth_year,
              district = EXCLUDED.district, name_keys = EXCLUDED.name_keys`,
      [persons],
    );
  }
}

export const registryDatasets: DatasetDefinition[] = REGISTRIES.map(dataset);
