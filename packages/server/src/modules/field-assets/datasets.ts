/**
 * Field assets as a dataset (`field-assets/devices`): the device registry
 * (identity, kind, unit, status) may leave the node only as an approved
 * transfer. Device tokens never travel (a replica issues its own).
 */
import { DEVICE_SERVICE_STATUSES, FIELD_ASSET_KINDS } from '@kotwal/contracts';
import type { DatasetDefinition, DatasetRecord } from '#core/module.ts';

interface DeviceRecord {
  id: string;
  uniqueId: string;
  name: string;
  kind: string;
  unit: string | null;
  status: string;
  notes: string | null;
  speedLimitKph: number | null;
}

export class DeviceRecordError extends Error {
  override name = 'DeviceRecordError';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function str(v: unknown, field: string, i: number, nullable: boolean): string | null {
  if (v === null || v === undefined) {
    if (nullable) return null;
    throw new DeviceRecordError(`record ${i}: ${field} is required`);
  }
  if (typeof v !== 'string' || v.length > 500) throw new DeviceRecordError(`record ${i}: ${field} must be a string of at most 500 characters`);
  return v;
}

function parseDevice(r: DatasetRecord, i: number): DeviceRecord {
  const o = r.record;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new DeviceRecordError(`record ${i} (${r.key}): not an object`);
  const rec = o as Record<string, unknown>;
  const id = str(rec['id'], 'id', i, false) as string;
  if (!UUID.test(id) || id !== r.key) throw new DeviceRecordError(`record ${i}: id must be a UUID equal to the key ${r.key}`);
  const kind = str(rec['kind'], 'kind', i, false) as string;
  if (!(FIELD_ASSET_KINDS as readonly string[]).includes(kind)) throw new DeviceRecordError(`record ${i}: kind "${kind}" is not a field asset kind`);
  const status = str(rec['status'], 'status', i, false) as string;
  if (!(DEVICE_SERVICE_STATUSES as readonly string[]).includes(status)) throw new DeviceRecordError(`record ${i}: status "${status}" is not a service status`);
  const limit = rec['speedLimitKph'];
  if (limit !== null && limit !== undefined && (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0)) {
    throw new DeviceRecordError(`record ${i}: speedLimitKph must be a positive number or null`);
  }
  return {
    id,
    uniqueId: str(rec['uniqueId'], 'uniqueId', i, false) as string,
    name: str(rec['name'], 'name', i, false) as string,
    kind,
    unit: str(rec['unit'], 'unit', i, true),
    status,
    notes: str(rec['notes'], 'notes', i, true),
    speedLimitKph: typeof limit === 'number' ? limit : null,
  };
}

export const fieldAssetDatasets: DatasetDefinition[] = [
  {
    collection: 'devices',
    title: 'Field asset registry',
    description: 'Devices (vehicles, handhelds, laptops, body and covert cameras) with kind, unit and status; no tokens, no positions',
    filters: ['kind', 'unit'],
    async count(db, filter) {
      const r = await db.query<{ n: string | number }>(
        'SELECT count(*) AS n FROM fa_devices WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR unit = $2)',
        [filter['kind'] ?? null, filter['unit'] ?? null],
      );
      return Number(r.rows[0]?.n ?? 0);
    },
    async read(db, opts) {
      const r = await db.query<{
        id: string;
        unique_id: string;
        name: string;
        kind: string;
        unit: string | null;
        status: string;
        notes: string | null;
        speed_limit_kph: number | null;
      }>(
        `SELECT id::text AS id, unique_id, name, kind, unit, status, notes, speed_limit_kph FROM fa_devices
          WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR unit = $2)
            AND ($3::text IS NULL OR id::text > $3) AND ($4::text[] IS NULL OR id::text = ANY($4::text[]))
          ORDER BY id::text COLLATE "C" LIMIT $5`,
        [opts.filter['kind'] ?? null, opts.filter['unit'] ?? null, opts.after, opts.items?.length ? [...opts.items] : null, opts.limit],
      );
      return r.rows.map((d) => ({
        key: d.id,
        record: {
          id: d.id,
          uniqueId: d.unique_id,
          name: d.name,
          kind: d.kind,
          unit: d.unit,
          status: d.status,
          notes: d.notes,
          speedLimitKph: d.speed_limit_kph === null ? null : Number(d.speed_limit_kph),
        },
      }));
    },
    async write(tx, records) {
      for (const [i, r] of records.entries()) {
        const d = parseDevice(r, i);
        await tx.query(
          `INSERT INTO fa_devices (id, unique_id, name, kind, unit, status, notes, speed_limit_kph)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (id) DO UPDATE SET unique_id = EXCLUDED.unique_id, name = EXCLUDED.name, kind = EXCLUDED.kind, unit = EXCLUDED.unit,
                 status = EXCLUDED.status, notes = EXCLUDED.notes, speed_limit_kph = EXCLUDED.speed_limit_kph, updated_at = now()`,
          [d.id, d.uniqueId, d.name, d.kind, d.unit, d.status, d.notes, d.speedLimitKph],
        );
      }
    },
  },
];
