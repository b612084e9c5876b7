/**
 * SQL for the field-assets tables only. Positions are written in batches
 * (one multi-row INSERT ... SELECT FROM unnest(...) per group commit) and
 * partitioned by month of fix time.
 */
import type { Database, Queryable } from '#core/db/index.ts';

export interface DeviceRow {
  id: string;
  unique_id: string;
  name: string;
  kind: string;
  unit: string | null;
  status: string;
  notes: string | null;
  speed_limit_kph: number | null;
  token_hash: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface AssignmentRow {
  id: string;
  device_id: string;
  officer_id: string | null;
  officer_name: string | null;
  user_id: string | null;
  vehicle_device_id: string | null;
  note: string | null;
  started_at: Date;
  ended_at: Date | null;
  assigned_by: string;
}

export interface LinkRow {
  a: string;
  b: string;
  separation_metres: number;
  separation_seconds: number;
  created_at: Date;
}

export interface PositionRow {
  device_id: string;
  fix_time: Date;
  received_at: Date;
  lat: number;
  lon: number;
  speed_kph: number | null;
  course: number | null;
  altitude: number | null;
  accuracy: number | null;
  battery: number | null;
  charging: boolean | null;
  alarm: string | null;
  motion: boolean | null;
  protocol: string;
  attributes: Record<string, unknown> | null;
}

export interface LatestRow extends PositionRow {
  last_seen_at: Date;
  connection: string;
  geofence_ids: string[];
}

export interface GeofenceRow {
  id: string;
  name: string;
  description: string | null;
  geometry: unknown;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface EventRow {
  id: string;
  device_id: string;
  kind: string;
  severity: string;
  at: Date;
  lat: number | null;
  lon: number | null;
  geofence_id: string | null;
  related_device_id: string | null;
  message: string;
  details: Record<string, unknown>;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  created_at: Date;
}

const DEVICE_COLS = 'd.id, d.unique_id, d.name, d.kind, d.unit, d.status, d.notes, d.speed_limit_kph, d.token_hash, d.created_at, d.updated_at';
const POSITION_COLS =
  'device_id, fix_time, received_at, lat, lon, speed_kph, course, altitude, accuracy, battery, charging, alarm, motion, protocol, attributes';

// ---- devices ----------------------------------------------------------------

export async function insertDevice(
  tx: Queryable,
  d: { id: string; uniqueId: string; name: string; kind: string; unit: string | null; status: string; notes: string | null; speedLimitKph: number | null },
): Promise<DeviceRow> {
  const r = await tx.query<DeviceRow>(
    `INSERT INTO fa_devices AS d (id, unique_id, name, kind, unit, status, notes, speed_limit_kph) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (unique_id) DO NOTHING RETURNING ${DEVICE_COLS}`,
    [d.id, d.uniqueId, d.name, d.kind, d.unit, d.status, d.notes, d.speedLimitKph],
  );
  return r.rows[0];
}

export async function updateDevice(tx: Queryable, id: string, patch: Record<string, unknown>): Promise<DeviceRow | null> {
  const cols: Record<string, string> = {
    name: 'name',
    unit: 'unit',
    status: 'status',
    notes: 'notes',
    speedLimitKph: 'speed_limit_kph',
    tokenHash: 'token_hash',
  };
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const [k, v] of Object.entries(patch)) {
    const col = cols[k];
    if (!col || v === undefined) continue;
    params.push(v);
    sets.push(`${col} = $${params.length}`);
  }
  sets.push('updated_at = now()');
  const r = await tx.query<DeviceRow>(`UPDATE fa_devices AS d SET ${sets.join(', ')} WHERE id = $1 RETURNING ${DEVICE_COLS}`, params);
  return r.rows[0] ?? null;
}

export async function getDevice(q: Queryable, id: string): Promise<DeviceRow | null> {
  const r = await q.query<DeviceRow>(`SELECT ${DEVICE_COLS} FROM fa_devices d WHERE id = $1`, [id]);
  return r.rows[0] ?? null;
}

export async function getDevicesByIds(q: Queryable, ids: readonly string[]): Promise<DeviceRow[]> {
  if (!ids.length) return [];
  const r = await q.query<DeviceRow>(`SELECT ${DEVICE_COLS} FROM fa_devices d WHERE id = ANY($1::uuid[])`, [ids]);
  return r.rows;
}

export async function getDeviceByUniqueId(q: Queryable, uniqueId: string): Promise<DeviceRow | null> {
  const r = await q.query<DeviceRow>(`SELECT ${DEVICE_COLS} FROM fa_devices d WHERE unique_id = $1`, [uniqueId]);
  return r.rows[0] ?? null;
}

export async function allDevices(q: Queryable): Promise<DeviceRow[]> {
  return (await q.query<DeviceRow>(`SELECT ${DEVICE_COLS} FROM fa_devices d ORDER BY d.name, d.id`)).rows;
}

export interface DeviceSearch {
  q?: string | undefined;
  kind?: string | undefined;
  unit?: string | undefined;
  status?: string | undefined;
  includeCovert: boolean;
  /** Restrict to these ids (connection filter is applied by the caller from live state). */
  ids?: readonly string[] | undefined;
  limit: number;
  offset: number;
}

export async function searchDevices(q: Queryable, s: DeviceSearch): Promise<{ rows: DeviceRow[]; total: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  if (!s.includeCovert) where.push(`d.kind <> 'covert-camera'`);
  if (s.kind) where.push(`d.kind = ${p(s.kind)}`);
  if (s.unit) where.push(`lower(d.unit) = lower(${p(s.unit)})`);
  if (s.status) where.push(`d.status = ${p(s.status)}`);
  if (s.ids) where.push(`d.id = ANY(${p(s.ids)}::uuid[])`);
  if (s.q) {
    const like = p(`%${s.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(lower(d.name) LIKE ${like} OR lower(d.unique_id) LIKE ${like} OR lower(coalesce(d.unit, '')) LIKE ${like}
      OR EXISTS (SELECT 1 FROM fa_assignments a WHERE a.device_id = d.id AND a.ended_at IS NULL
        AND (lower(coalesce(a.officer_id, '')) LIKE ${like} OR lower(coalesce(a.officer_name, '')) LIKE ${like} OR lower(coalesce(a.user_id, '')) LIKE ${like})))`);
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM fa_devices d ${w}`, params)).rows[0]?.n ?? 0;
  const rows = (
    await q.query<DeviceRow>(`SELECT ${DEVICE_COLS} FROM fa_devices d ${w} ORDER BY d.name, d.id LIMIT ${p(s.limit)} OFFSET ${p(s.offset)}`, params)
  ).rows;
  return { rows, total };
}

// ---- assignments ------------------------------------------------------------------

const ASSIGNMENT_COLS = 'id, device_id, officer_id, officer_name, user_id, vehicle_device_id, note, started_at, ended_at, assigned_by';

export async function currentAssignments(q: Queryable, deviceIds: readonly string[]): Promise<AssignmentRow[]> {
  if (!deviceIds.length) return [];
  return (await q.query<AssignmentRow>(`SELECT ${ASSIGNMENT_COLS} FROM fa_assignments WHERE ended_at IS NULL AND device_id = ANY($1::uuid[])`, [deviceIds]))
    .rows;
}

export async function endAssignment(tx: Queryable, deviceId: string): Promise<AssignmentRow | null> {
  const r = await tx.query<AssignmentRow>(`UPDATE fa_assignments SET ended_at = now() WHERE device_id = $1 AND ended_at IS NULL RETURNING ${ASSIGNMENT_COLS}`, [
    deviceId,
  ]);
  return r.rows[0] ?? null;
}

export async function insertAssignment(tx: Queryable, a: Omit<AssignmentRow, 'started_at' | 'ended_at'>): Promise<AssignmentRow> {
  const r = await tx.query<AssignmentRow>(
    `INSERT INTO fa_assignments (id, device_id, officer_id, officer_name, user_id, vehicle_device_id, note, assigned_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${ASSIGNMENT_COLS}`,
    [a.id, a.device_id, a.officer_id, a.officer_name, a.user_id, a.vehicle_device_id, a.note, a.assigned_by],
  );
  return r.rows[0];
}

export async function assignmentHistory(q: Queryable, deviceId: string): Promise<AssignmentRow[]> {
  return (await q.query<AssignmentRow>(`SELECT ${ASSIGNMENT_COLS} FROM fa_assignments WHERE device_id = $1 ORDER BY started_at DESC, id LIMIT 500`, [deviceId]))
    .rows;
}

// ---- links --------------------------------------------------------------------------

export async function insertLink(tx: Queryable, a: string, b: string, metres: number, seconds: number): Promise<LinkRow> {
  const [x, y] = a < b ? [a, b] : [b, a];
  const r = await tx.query<LinkRow>(
    `INSERT INTO fa_links (a, b, separation_metres, separation_seconds) VALUES ($1, $2, $3, $4)
     ON CONFLICT (a, b) DO UPDATE SET separation_metres = EXCLUDED.separation_metres, separation_seconds = EXCLUDED.separation_seconds
     RETURNING a, b, separation_metres, separation_seconds, created_at`,
    [x, y, metres, seconds],
  );
  return r.rows[0];
}

export async function deleteLink(tx: Queryable, a: string, b: string): Promise<boolean> {
  const [x, y] = a < b ? [a, b] : [b, a];
  return (await tx.query('DELETE FROM fa_links WHERE a = $1 AND b = $2', [x, y])).rowCount > 0;
}

export async function allLinks(q: Queryable): Promise<LinkRow[]> {
  return (await q.query<LinkRow>('SELECT a, b, separation_metres, separation_seconds, created_at FROM fa_links')).rows;
}

// ---- positions ------------------------------------------------------------------------

export interface NewPosition {
  deviceId: string;
  fixTime: number;
  receivedAt: number;
  lat: number;
  lon: number;
  speedKph: number | null;
  course: number | null;
  altitude: number | null;
  accuracy: number | null;
  battery: number | null;
  charging: boolean | null;
  alarm: string | null;
  motion: boolean | null;
  protocol: string;
  attributes: Record<string, unknown>;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const attrsJson = (a: Record<string, unknown>): string | null => (Object.keys(a).length ? JSON.stringify(a) : null);

/** A position's values in POSITION_COLS order. */
function positionValues(r: NewPosition): unknown[] {
  return [
    r.deviceId,
    iso(r.fixTime),
    iso(r.receivedAt),
    r.lat,
    r.lon,
    r.speedKph,
    r.course,
    r.altitude,
    r.accuracy,
    r.battery,
    r.charging,
    r.alarm,
    r.motion,
    r.protocol,
    attrsJson(r.attributes),
  ];
}

/** Rows -> `width` arrays, one per column, for INSERT ... SELECT FROM unnest($1, $2, ...). */
function columns<T>(rows: readonly T[], width: number, values: (r: T) => unknown[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: width }, () => []);
  for (const r of rows) {
    const v = values(r);
    for (let i = 0; i < width; i++) cols[i].push(v[i]);
  }
  return cols;
}

/** Inserts a batch; returns the keys (deviceId|fixTime ms) that were new (duplicates are skipped). */
export async function insertPositions(tx: Queryable, rows: readonly NewPosition[]): Promise<Set<string>> {
  const cols = columns(rows, 15, positionValues);
  const res = await tx.query<{ device_id: string; ms: number }>(
    `INSERT INTO fa_positions (${POSITION_COLS})
     SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::float8[], $5::float8[], $6::real[], $7::real[], $8::real[], $9::real[],
       $10::real[], $11::bool[], $12::text[], $13::bool[], $14::text[], $15::jsonb[])
     ON CONFLICT (device_id, fix_time) DO NOTHING
     RETURNING device_id, (extract(epoch FROM fix_time) * 1000)::float8 AS ms`,
    cols,
  );
  return new Set(res.rows.map((r) => `${r.device_id}|${Math.round(Number(r.ms))}`));
}

/** Upserts the latest position per device; a row only replaces an older fix. */
export async function upsertLatest(
  tx: Queryable,
  rows: readonly (NewPosition & { geofenceIds: readonly string[]; lastSeenAt: number; connection: string })[],
): Promise<void> {
  if (!rows.length) return;
  const cols = columns(rows, 18, (r) => [...positionValues(r), iso(r.lastSeenAt), r.connection, r.geofenceIds.join(',')]);
  await tx.query(
    `INSERT INTO fa_latest (${POSITION_COLS}, last_seen_at, connection, geofence_ids)
     SELECT u.d, u.f, u.r, u.la, u.lo, u.s, u.c, u.al, u.ac, u.b, u.ch, u.am, u.m, u.p, u.at, u.ls, u.cn,
       CASE WHEN u.g = '' THEN '{}'::uuid[] ELSE string_to_array(u.g, ',')::uuid[] END
     FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::float8[], $5::float8[], $6::real[], $7::real[], $8::real[], $9::real[],
       $10::real[], $11::bool[], $12::text[], $13::bool[], $14::text[], $15::jsonb[], $16::timestamptz[], $17::text[], $18::text[])
       AS u(d, f, r, la, lo, s, c, al, ac, b, ch, am, m, p, at, ls, cn, g)
     ON CONFLICT (device_id) DO UPDATE SET
       fix_time = EXCLUDED.fix_time, received_at = EXCLUDED.received_at, lat = EXCLUDED.lat, lon = EXCLUDED.lon, speed_kph = EXCLUDED.speed_kph,
       course = EXCLUDED.course, altitude = EXCLUDED.altitude, accuracy = EXCLUDED.accuracy, battery = EXCLUDED.battery, charging = EXCLUDED.charging,
       alarm = EXCLUDED.alarm, motion = EXCLUDED.motion, protocol = EXCLUDED.protocol, attributes = EXCLUDED.attributes,
       last_seen_at = EXCLUDED.last_seen_at, connection = EXCLUDED.connection, geofence_ids = EXCLUDED.geofence_ids
     WHERE fa_latest.fix_time < EXCLUDED.fix_time`,
    cols,
  );
}

export async function touchLatest(tx: Queryable, deviceIds: readonly string[], lastSeenAt: number, connection: string): Promise<void> {
  if (!deviceIds.length) return;
  await tx.query('UPDATE fa_latest SET last_seen_at = greatest(last_seen_at, $2), connection = $3 WHERE device_id = ANY($1::uuid[])', [
    deviceIds,
    iso(lastSeenAt),
    connection,
  ]);
}

export async function setConnection(tx: Queryable, deviceIds: readonly string[], connection: string): Promise<void> {
  if (!deviceIds.length) return;
  await tx.query('UPDATE fa_latest SET connection = $2 WHERE device_id = ANY($1::uuid[])', [deviceIds, connection]);
}

export async function allLatest(q: Queryable): Promise<LatestRow[]> {
  return (await q.query<LatestRow>(`SELECT ${POSITION_COLS}, last_seen_at, connection, geofence_ids FROM fa_latest`)).rows;
}

export async function positionsInRange(q: Queryable, deviceId: string, from: string, to: string, limit: number): Promise<PositionRow[]> {
  return (
    await q.query<PositionRow>(
      `SELECT ${POSITION_COLS} FROM fa_positions WHERE device_id = $1 AND fix_time >= $2 AND fix_time <= $3 ORDER BY fix_time LIMIT $4`,
      [deviceId, from, to, limit],
    )
  ).rows;
}

/** Replay: each device's last fix at or before `time`, no older than `since`. */
export async function fleetAt(q: Queryable, time: string, since: string, includeCovert: boolean): Promise<PositionRow[]> {
  return (
    await q.query<PositionRow>(
      `SELECT p.* FROM fa_devices d
       CROSS JOIN LATERAL (SELECT ${POSITION_COLS} FROM fa_positions WHERE device_id = d.id AND fix_time <= $1 AND fix_time >= $2 ORDER BY fix_time DESC LIMIT 1) p
       ${includeCovert ? '' : `WHERE d.kind <> 'covert-camera'`}`,
      [time, since],
    )
  ).rows;
}

/** Creates monthly partitions of fa_positions from the month of `fromMs` up to `months` ahead of now. */
export async function ensurePartitions(db: Database, fromMs: number, monthsAhead: number): Promise<string[]> {
  const created: string[] = [];
  const start = new Date(fromMs);
  let y = start.getUTCFullYear();
  let m = start.getUTCMonth();
  const now = new Date();
  const endIndex = now.getUTCFullYear() * 12 + now.getUTCMonth() + monthsAhead;
  const existing = new Set(
    (
      await db.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'fa_positions'`,
      )
    ).rows.map((r) => r.name),
  );
  while (y * 12 + m <= endIndex) {
    const name = `fa_positions_${y}_${String(m + 1).padStart(2, '0')}`;
    const ny = m === 11 ? y + 1 : y;
    const nm = m === 11 ? 0 : m + 1;
    if (!existing.has(name)) {
      const lo = `${y}-${String(m + 1).padStart(2, '0')}-01`;
      const hi = `${ny}-${String(nm + 1).padStart(2, '0')}-01`;
      try {
        // A month whose rows already sit in the DEFAULT partition cannot be split off; they stay there (still indexed, still found).
        await db.exec(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF fa_positions FOR VALUES FROM ('${lo}') TO ('${hi}')`);
        created.push(name);
      } catch {
        /* overlapping rows in the default partition, or a concurrent start created it */
      }
    }
    y = ny;
    m = nm;
  }
  return created;
}

// ---- geofences ---------------------------------------------------------------------------

const GEOFENCE_COLS = 'id, name, description, geometry, active, created_at, updated_at';

export async function insertGeofence(
  tx: Queryable,
  g: { id: string; name: string; description: string | null; geometry: unknown; active: boolean },
): Promise<GeofenceRow> {
  const r = await tx.query<GeofenceRow>(
    `INSERT INTO fa_geofences (id, name, description, geometry, active) VALUES ($1, $2, $3, $4, $5) RETURNING ${GEOFENCE_COLS}`,
    [g.id, g.name, g.description, JSON.stringify(g.geometry), g.active],
  );
  return r.rows[0];
}

export async function updateGeofence(
  tx: Queryable,
  id: string,
  patch: { name?: string | undefined; description?: string | null | undefined; geometry?: unknown; active?: boolean | undefined },
): Promise<GeofenceRow | null> {
  const sets: string[] = ['updated_at = now()'];
  const params: unknown[] = [id];
  const add = (col: string, v: unknown) => {
    params.push(v);
    sets.push(`${col} = $${params.length}`);
  };
  if (patch.name !== undefined) add('name', patch.name);
  if (patch.description !== undefined) add('description', patch.description);
  if (patch.geometry !== undefined) add('geometry', JSON.stringify(patch.geometry));
  if (patch.active !== undefined) add('active', patch.active);
  const r = await tx.query<GeofenceRow>(`UPDATE fa_geofences SET ${sets.join(', ')} WHERE id = $1 RETURNING ${GEOFENCE_COLS}`, params);
  return r.rows[0] ?? null;
}

export async function deleteGeofence(tx: Queryable, id: string): Promise<GeofenceRow | null> {
  return (await tx.query<GeofenceRow>(`DELETE FROM fa_geofences WHERE id = $1 RETURNING ${GEOFENCE_COLS}`, [id])).rows[0] ?? null;
}

export async function getGeofence(q: Queryable, id: string): Promise<GeofenceRow | null> {
  return (await q.query<GeofenceRow>(`SELECT ${GEOFENCE_COLS} FROM fa_geofences WHERE id = $1`, [id])).rows[0] ?? null;
}

export async function allGeofences(q: Queryable): Promise<GeofenceRow[]> {
  return (await q.query<GeofenceRow>(`SELECT ${GEOFENCE_COLS} FROM fa_geofences ORDER BY name, id`)).rows;
}

// ---- events ---------------------------------------------------------------------------------

const EVENT_COLS =
  'e.id, e.device_id, e.kind, e.severity, e.at, e.lat, e.lon, e.geofence_id, e.related_device_id, e.message, e.details, e.acknowledged_at, e.acknowledged_by, e.created_at';

export interface NewEvent {
  id: string;
  deviceId: string;
  kind: string;
  severity: string;
  at: number;
  lat: number | null;
  lon: number | null;
  geofenceId: string | null;
  relatedDeviceId: string | null;
  message: string;
  details: Record<string, unknown>;
}

export async function insertEvents(tx: Queryable, events: readonly NewEvent[]): Promise<EventRow[]> {
  if (!events.length) return [];
  const cols = columns(events, 11, (e) => [
    e.id,
    e.deviceId,
    e.kind,
    e.severity,
    iso(e.at),
    e.lat,
    e.lon,
    e.geofenceId,
    e.relatedDeviceId,
    e.message,
    JSON.stringify(e.details),
  ]);
  return (
    await tx.query<EventRow>(
      `INSERT INTO fa_events AS e (id, device_id, kind, severity, at, lat, lon, geofence_id, related_device_id, message, details)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::float8[], $7::float8[], $8::uuid[], $9::uuid[], $10::text[], $11::jsonb[])
       RETURNING ${EVENT_COLS}`,
      cols,
    )
  ).rows;
}

export interface EventSearch {
  deviceId?: string | undefined;
  kind?: string | undefined;
  acknowledged?: boolean | undefined;
  from?: string | undefined;
  to?: string | undefined;
  includeCovert: boolean;
  limit: number;
}

export async function searchEvents(q: Queryable, s: EventSearch): Promise<(EventRow & { device_kind: string })[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  if (!s.includeCovert) where.push(`d.kind <> 'covert-camera'`);
  if (s.deviceId) where.push(`e.device_id = ${p(s.deviceId)}`);
  if (s.kind) where.push(`e.kind = ${p(s.kind)}`);
  if (s.acknowledged === true) where.push('e.acknowledged_at IS NOT NULL');
  if (s.acknowledged === false) where.push('e.acknowledged_at IS NULL');
  if (s.from) where.push(`e.at >= ${p(s.from)}`);
  if (s.to) where.push(`e.at <= ${p(s.to)}`);
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  return (
    await q.query<EventRow & { device_kind: string }>(
      `SELECT ${EVENT_COLS}, d.kind AS device_kind FROM fa_events e JOIN fa_devices d ON d.id = e.device_id ${w} ORDER BY e.created_at DESC, e.id LIMIT ${p(s.limit)}`,
      params,
    )
  ).rows;
}

export async function getEvent(q: Queryable, id: string): Promise<(EventRow & { device_kind: string }) | null> {
  return (
    (
      await q.query<EventRow & { device_kind: string }>(
        `SELECT ${EVENT_COLS}, d.kind AS device_kind FROM fa_events e JOIN fa_devices d ON d.id = e.device_id WHERE e.id = $1`,
        [id],
      )
    ).rows[0] ?? null
  );
}

export async function acknowledgeEvent(tx: Queryable, id: string, by: string, note: string | null): Promise<EventRow | null> {
  return (
    (
      await tx.query<EventRow>(
        `UPDATE fa_events AS e SET acknowledged_at = now(), acknowledged_by = $2, ack_note = $3 WHERE id = $1 AND acknowledged_at IS NULL RETURNING ${EVENT_COLS}`,
        [id, by, note],
      )
    ).rows[0] ?? null
  );
}
