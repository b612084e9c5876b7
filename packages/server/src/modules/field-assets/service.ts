/**
 * Field-assets use cases behind the HTTP routes: the device registry
 * (tokens, assignments, links), positions (latest, history, replay, trips
 * and stops), geofences and alerts. Every change commits with its ledger
 * entry (and, where there is one, its event); covert cameras exist only for
 * holders of field-assets.covert (404 otherwise), and every read that shows
 * one is ledgered before the response leaves. History, trips and replay
 * reads are ledgered for every device (they show where officers were).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  MAX_HISTORY_RANGE_HOURS,
  type FieldAcknowledgeEventRequest,
  type FieldAssignDeviceRequest,
  type FieldCreateDeviceRequest,
  type FieldCreateGeofenceRequest,
  type FieldDevice,
  type FieldDeviceLink,
  type FieldDeviceListQuery,
  type FieldEvent,
  type FieldEventListQuery,
  type FieldFleetAtQuery,
  type FieldGeofence,
  type FieldGeofenceGeometry,
  type FieldLinkDeviceRequest,
  type FieldPosition,
  type FieldPositionRangeQuery,
  type FieldUpdateDeviceRequest,
  type FieldUpdateGeofenceRequest,
  VEHICLE_KINDS,
} from '@kotwal/contracts';
import type { CoreContext, Principal } from '#core/context.ts';
import type { Queryable } from '#core/db/index.ts';
import { HttpProblem, problems } from '#core/http/problem.ts';
import { PROBLEM_TYPES } from '@kotwal/contracts';
import { hashToken } from './ingest.ts';
import * as repo from './repository.ts';
import { presentAssignment, presentDevice, presentEvent, presentGeofence, presentPosition } from './presenters.ts';
import { deviceInfo, type FieldState } from './state.ts';
import { tripsAndStops } from './trips.ts';

export interface CallContext {
  principal: Principal;
  requestId: string | null;
}

export interface DeviceChangeSink {
  /**
   * A device was created or changed (live clients get a 'device' message): `full` for clients who may see covert
   * cameras, `open` (its links to covert cameras left out) for the others, null when the device is itself covert.
   */
  deviceChanged(full: FieldDevice, open: FieldDevice | null): void;
}

const notFound = (what: string, field: string): HttpProblem =>
  new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', `there is no ${what}`, [{ field, message: `there is no ${what}` }]);

export const canSeeCovert = (p: Principal): boolean => p.permissions.has('field-assets.covert');

function validateGeometry(g: FieldGeofenceGeometry, field: string): void {
  if (g.type === 'polygon') {
    const distinct = new Set(g.points.map((p) => `${p.lat},${p.lon}`));
    if (distinct.size < 3)
      throw problems.validation('a polygon needs at least 3 distinct points', [{ field: `${field}/points`, message: 'needs 3 distinct points' }]);
  }
}

export class FieldAssetsService {
  constructor(
    private readonly ctx: CoreContext,
    private readonly state: FieldState,
    private readonly sink: DeviceChangeSink,
  ) {}

  private actor(c: CallContext) {
    return { actorType: c.principal.kind, actorId: c.principal.id, requestId: c.requestId, outcome: 'allowed' as const };
  }

  private async ledgerRead(c: CallContext, action: string, resource: string, details: Record<string, unknown>): Promise<void> {
    await this.ctx.ledger.append({ ...this.actor(c), action, resource, details });
  }

  /** Ledgers a read that showed covert devices. */
  async ledgerCovertView(principal: Principal, deviceIds: string[], via: string, requestId: string | null = null): Promise<void> {
    if (!deviceIds.length) return;
    await this.ctx.ledger.append({
      actorType: principal.kind,
      actorId: principal.id,
      action: 'field-assets.covert.viewed',
      resource: deviceIds.length === 1 ? `field-assets:device/${deviceIds[0]}` : 'field-assets:devices',
      outcome: 'allowed',
      requestId,
      details: { deviceIds: deviceIds.slice(0, 1000), count: deviceIds.length, via },
    });
  }

  // ---- devices ----------------------------------------------------------------

  private linksFor(deviceId: string, covert: boolean): FieldDeviceLink[] {
    const out: FieldDeviceLink[] = [];
    for (const other of this.state.linksOf.get(deviceId) ?? []) {
      const d = this.state.byId.get(other);
      const l = this.state.links.get(deviceId < other ? `${deviceId}|${other}` : `${other}|${deviceId}`);
      if (!d || !l || (d.covert && !covert)) continue;
      out.push({
        deviceId: d.id,
        uniqueId: d.uniqueId,
        name: d.name,
        kind: d.kind,
        separationMetres: l.metres,
        separationSeconds: l.seconds,
        createdAt: new Date(l.createdAt).toISOString(),
      });
    }
    return out;
  }

  async hydrate(q: Queryable, rows: readonly repo.DeviceRow[], covert: boolean): Promise<FieldDevice[]> {
    const assignments = new Map(
      (
        await repo.currentAssignments(
          q,
          rows.map((r) => r.id),
        )
      ).map((a) => [a.device_id, a]),
    );
    return rows.map((r) => presentDevice(r, assignments.get(r.id) ?? null, this.linksFor(r.id, covert), this.state.stateOf(r.id)));
  }

  private async loadVisible(q: Queryable, c: CallContext, id: string, field = 'id'): Promise<repo.DeviceRow> {
    const row = await repo.getDevice(q, id);
    if (!row || (row.kind === 'covert-camera' && !canSeeCovert(c.principal))) throw notFound(`device ${id}`, field);
    return row;
  }

  /** Updates the hot state, tells live clients (each as much as they may see) and answers the caller the same way. */
  private async afterDeviceChange(row: repo.DeviceRow, covert: boolean): Promise<FieldDevice> {
    this.state.putDevice(deviceInfo(row));
    const [full] = await this.hydrate(this.ctx.db, [row], true);
    const open = full.covert ? null : { ...full, links: this.linksFor(full.id, false) };
    this.sink.deviceChanged(full, open);
    return covert ? full : (open ?? full);
  }

  async createDevice(c: CallContext, body: FieldCreateDeviceRequest): Promise<FieldDevice> {
    if (body.kind === 'covert-camera' && !canSeeCovert(c.principal)) {
      throw problems.forbidden('registering a covert camera requires the permission "field-assets.covert"');
    }
    const row = await this.ctx.unitOfWork(async (tx) => {
      const r = await repo.insertDevice(tx, {
        id: randomUUID(),
        uniqueId: body.uniqueId,
        name: body.name,
        kind: body.kind,
        unit: body.unit ?? null,
        status: body.status ?? 'in-service',
        notes: body.notes ?? null,
        speedLimitKph: body.speedLimitKph ?? null,
      });
      if (!r)
        throw new HttpProblem(409, PROBLEM_TYPES.conflict, 'Conflict', `a device with uniqueId "${body.uniqueId}" exists`, [
          { field: '/uniqueId', message: 'already registered' },
        ]);
      await this.ctx.ledger.appendInTx(tx, {
        ...this.actor(c),
        action: 'field-assets.device.created',
        resource: `field-assets:device/${r.id}`,
        details: { uniqueId: r.unique_id, name: r.name, kind: r.kind, unit: r.unit, status: r.status },
      });
      return r;
    });
    return this.afterDeviceChange(row, canSeeCovert(c.principal));
  }

  async updateDevice(c: CallContext, id: string, patch: FieldUpdateDeviceRequest): Promise<FieldDevice> {
    const row = await this.ctx.unitOfWork(async (tx) => {
      const before = await this.loadVisible(tx, c, id);
      const r = await repo.updateDevice(tx, id, patch);
      if (!r) throw notFound(`device ${id}`, 'id');
      await this.ctx.ledger.appendInTx(tx, {
        ...this.actor(c),
        action: 'field-assets.device.updated',
        resource: `field-assets:device/${id}`,
        details: { changes: patch, before: { name: before.name, unit: before.unit, status: before.status, speedLimitKph: before.speed_limit_kph } },
      });
      return r;
    });
    return this.afterDeviceChange(row, canSeeCovert(c.principal));
  }

  async getDevice(c: CallContext, id: string): Promise<FieldDevice> {
    const row = await this.loadVisible(this.ctx.db, c, id);
    if (row.kind === 'covert-camera') await this.ledgerCovertView(c.principal, [id], 'device', c.requestId);
    const [d] = await this.hydrate(this.ctx.db, [row], canSeeCovert(c.principal));
    return d;
  }

  async listDevices(c: CallContext, q: FieldDeviceListQuery): Promise<{ items: FieldDevice[]; total: number }> {
    const covert = canSeeCovert(c.principal);
    let ids: string[] | undefined;
    if (q.connection) {
      ids = [...this.state.byId.keys()].filter((id) => this.state.stateOf(id).connection === q.connection);
    }
    const { rows, total } = await repo.searchDevices(this.ctx.db, {
      q: q.q,
      kind: q.kind,
      unit: q.unit,
      status: q.status,
      includeCovert: covert,
      ids,
      limit: q.limit ?? 200,
      offset: q.offset ?? 0,
    });
    const covertIds = rows.filter((r) => r.kind === 'covert-camera').map((r) => r.id);
    await this.ledgerCovertView(c.principal, covertIds, 'device-list', c.requestId);
    return { items: await this.hydrate(this.ctx.db, rows, covert), total };
  }

  async issueToken(c: CallContext, id: string): Promise<{ deviceId: string; uniqueId: string; token: string }> {
    const token = randomBytes(24).toString('base64url');
    const row = await this.ctx.unitOfWork(async (tx) => {
      await this.loadVisible(tx, c, id);
      const r = await repo.updateDevice(tx, id, { tokenHash: hashToken(token) });
      if (!r) throw notFound(`device ${id}`, 'id');
      await this.ctx.ledger.appendInTx(tx, {
        ...this.actor(c),
        action: 'field-assets.device.token-issued',
        resource: `field-assets:device/${id}`,
        details: null,
      });
      return r;
    });
    await this.afterDeviceChange(row, canSeeCovert(c.principal));
    return { deviceId: row.id, uniqueId: row.unique_id, token };
  }

  async revokeToken(c: CallContext, id: string): Promise<FieldDevice> {
    const row = await this.ctx.unitOfWork(async (tx) => {
      await this.loadVisible(tx, c, id);
      const r = await repo.updateDevice(tx, id, { tokenHash: null });
      if (!r) throw notFound(`device ${id}`, 'id');
      await this.ctx.ledger.appendInTx(tx, {
        ...this.actor(c),
        action: 'field-assets.device.token-revoked',
        resource: `field-assets:device/${id}`,
        details: null,
      });
      return r;
    });
    return this.afterDeviceChange(row, canSeeCovert(c.principal));
  }

  async assign(c: CallContext, id: string, body: FieldAssignDeviceRequest): Promise<FieldDevice> {
    if (!body.officerId && !body.officerName && !body.userId && !body.vehicleDeviceId) {
      throw problems.validation('name an officer (officerId, officerName or userId) or a vehicle (vehicleDeviceId)', [
        { field: '/officerId', message: 'one of officerId, officerName, userId or vehicleDeviceId is required' },
      ]);
    }
    const row = await this.ctx.unitOfWork(async (tx) => {
      const device = await this.loadVisible(tx, c, id);
      if (body.vehicleDeviceId) {
        if (body.vehicleDeviceId === id)
          throw problems.validation('a device cannot ride in itself', [{ field: '/vehicleDeviceId', message: 'is the device itself' }]);
        const v = await repo.getDevice(tx, body.vehicleDeviceId);
        if (!v || (v.kind === 'covert-camera' && !canSeeCovert(c.principal))) throw notFound(`device ${body.vehicleDeviceId}`, '/vehicleDeviceId');
        if (!VEHICLE_KINDS.includes(v.kind as (typeof VEHICLE_KINDS)[number])) {
          throw problems.validation(`device ${v.id} is a ${v.kind}, not a vehicle`, [{ field: '/vehicleDeviceId', message: 'is not a vehicle' }]);
        }
      }
      const ended = await repo.endAssignment(tx, id);
      const a = await repo.insertAssignment(tx, {
        id: randomUUID(),
        device_id: id,
        officer_id: body.officerId ?? null,
        officer_name: body.officerName ?? null,
        user_id: body.userId ?? null,
        vehicle_device_id: body.vehicleDeviceId ?? null,
        note: body.note ?? null,
        assigned_by: c.principal.name,
      });
      await this.ctx.ledger.appendInTx(tx, {
        ...this.actor(c),
        action: 'field-assets.device.assigned',
        resource: `field-assets:device/${id}`,
        details: { assignment: presentAssignment(a), ended: ended ? ended.id : null },
      });
      return device;
    });
    return this.afterDeviceChange(row, canSeeCovert(c.principal));
  }

  async unassign(c: CallContext, id: string): Promise<FieldDevice> {
    const row = await this.ctx.unitOfWork(async (tx) => {
      const device = await this.loadVisible(tx, c, id);
      const ended = await repo.endAssignment(tx, id);
      if (!ended) throw new HttpProblem(409, PROBLEM_TYPES.conflict, 'Conflict', 'the device is not assigned', [{ field: 'id', message: 'not assigned' }]);
      await this.ctx.ledger.appendInTx(tx, {
        ...this.actor(c),
        action: 'field-assets.device.unassigned',
        resource: `field-assets:device/${id}`,
        details: { ended: ended.id },
      });
      return device;
    });
    return this.afterDeviceChange(row, canSeeCovert(c.principal));
  }

  async assignments(c: CallContext, id: string) {
    const row = await this.loadVisible(this.ctx.db, c, id);
    if (row.kind === 'covert-camera') await this.ledgerCovertView(c.principal, [id], 'assignments', c.requestId);
    return { items: (await repo.assignmentHistory(this.ctx.db, id)).map(presentAssignment) };
  }

  async link(c: CallContext, id: string, body: FieldLinkDeviceRequest): Promise<FieldDevice> {
    if (body.deviceId === id) throw problems.validation('a device cannot be linked to itself', [{ field: '/deviceId', message: 'is the device itself' }]);
    const metres = body.separationMetres ?? 100;
    const seconds = body.separationSeconds ?? 60;
    const { row, other, link } = await this.ctx.unitOfWork(async (tx) => {
      const device = await this.loadVisible(tx, c, id);
      const other = await this.loadVisible(tx, c, body.deviceId, '/deviceId');
      const l = await repo.insertLink(tx, id, body.deviceId, metres, seconds);
      await this.ctx.ledger.appendInTx(tx, {
        ...this.actor(c),
        action: 'field-assets.device.linked',
        resource: `field-assets:device/${id}`,
        details: { otherDeviceId: body.deviceId, separationMetres: metres, separationSeconds: seconds },
      });
      return { row: device, other, link: l };
    });
    this.state.putLink(link);
    // Both ends changed: the other device's live clients learn of the link too.
    await this.afterDeviceChange(other, canSeeCovert(c.principal));
    return this.afterDeviceChange(row, canSeeCovert(c.principal));
  }

  async unlink(c: CallContext, id: string, otherId: string): Promise<FieldDevice> {
    const { row, other } = await this.ctx.unitOfWork(async (tx) => {
      const device = await this.loadVisible(tx, c, id);
      const other = await this.loadVisible(tx, c, otherId, 'otherId');
      if (!(await repo.deleteLink(tx, id, otherId))) throw notFound(`link between ${id} and ${otherId}`, 'otherId');
      await this.ctx.ledger.appendInTx(tx, {
        ...this.actor(c),
        action: 'field-assets.device.unlinked',
        resource: `field-assets:device/${id}`,
        details: { otherDeviceId: otherId },
      });
      return { row: device, other };
    });
    this.state.removeLink(id, otherId);
    await this.afterDeviceChange(other, canSeeCovert(c.principal));
    return this.afterDeviceChange(row, canSeeCovert(c.principal));
  }

  // ---- positions ----------------------------------------------------------------

  /** Latest position of every device the caller may see (from memory). */
  async latest(c: CallContext): Promise<{ at: string; items: FieldPosition[] }> {
    const covert = canSeeCovert(c.principal);
    const items: FieldPosition[] = [];
    const covertIds: string[] = [];
    for (const [id, s] of this.state.live) {
      if (!s.latest) continue;
      const d = this.state.byId.get(id);
      if (!d) continue;
      if (d.covert) {
        if (!covert) continue;
        covertIds.push(id);
      }
      items.push(presentPosition(s.latest));
    }
    await this.ledgerCovertView(c.principal, covertIds, 'latest-positions', c.requestId);
    return { at: new Date().toISOString(), items };
  }

  private range(q: { from: string; to: string }): { from: number; to: number } {
    const from = Date.parse(q.from);
    const to = Date.parse(q.to);
    if (!Number.isFinite(from)) throw problems.validation('from is not a valid ISO 8601 time', [{ field: 'from', message: 'is not a valid time' }]);
    if (!Number.isFinite(to)) throw problems.validation('to is not a valid ISO 8601 time', [{ field: 'to', message: 'is not a valid time' }]);
    if (to <= from) throw problems.validation('to must be after from', [{ field: 'to', message: 'must be after from' }]);
    if (to - from > MAX_HISTORY_RANGE_HOURS * 3_600_000) {
      throw problems.validation(`the range may span at most ${MAX_HISTORY_RANGE_HOURS} hours`, [
        { field: 'to', message: `at most ${MAX_HISTORY_RANGE_HOURS} hours after from` },
      ]);
    }
    return { from, to };
  }

  async history(c: CallContext, id: string, q: FieldPositionRangeQuery) {
    const { from, to } = this.range(q);
    const row = await this.loadVisible(this.ctx.db, c, id);
    const limit = q.limit ?? 10_000;
    const rows = await repo.positionsInRange(this.ctx.db, id, new Date(from).toISOString(), new Date(to).toISOString(), limit + 1);
    const items = rows.slice(0, limit).map(presentPosition);
    await this.ledgerRead(c, row.kind === 'covert-camera' ? 'field-assets.covert.viewed' : 'field-assets.positions.read', `field-assets:device/${id}`, {
      via: 'history',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      returned: items.length,
    });
    return { deviceId: id, from: new Date(from).toISOString(), to: new Date(to).toISOString(), items, truncated: rows.length > limit };
  }

  async trips(c: CallContext, id: string, q: { from: string; to: string }) {
    const { from, to } = this.range(q);
    const row = await this.loadVisible(this.ctx.db, c, id);
    const rows = await repo.positionsInRange(this.ctx.db, id, new Date(from).toISOString(), new Date(to).toISOString(), 200_000);
    const result = tripsAndStops(rows.map((r) => ({ t: r.fix_time.getTime(), lat: r.lat, lon: r.lon, speedKph: r.speed_kph })));
    await this.ledgerRead(c, row.kind === 'covert-camera' ? 'field-assets.covert.viewed' : 'field-assets.positions.read', `field-assets:device/${id}`, {
      via: 'trips',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    });
    return { deviceId: id, from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...result };
  }

  async fleetAt(c: CallContext, q: FieldFleetAtQuery) {
    const time = Date.parse(q.time);
    if (!Number.isFinite(time)) throw problems.validation('time is not a valid ISO 8601 time', [{ field: 'time', message: 'is not a valid time' }]);
    const since = time - (q.maxAgeSeconds ?? 3600) * 1000;
    const covert = canSeeCovert(c.principal);
    const rows = await repo.fleetAt(this.ctx.db, new Date(time).toISOString(), new Date(since).toISOString(), covert);
    const covertIds = rows.filter((r) => this.state.byId.get(r.device_id)?.covert).map((r) => r.device_id);
    await this.ledgerRead(c, 'field-assets.positions.read', 'field-assets:fleet', {
      via: 'fleet-at',
      time: new Date(time).toISOString(),
      returned: rows.length,
    });
    await this.ledgerCovertView(c.principal, covertIds, 'fleet-at', c.requestId);
    return { time: new Date(time).toISOString(), items: rows.map(presentPosition) };
  }

  // ---- geofences ---------------------------------------------------------------------

  async listGeofences(): Promise<{ items: FieldGeofence[] }> {
    return { items: (await repo.allGeofences(this.ctx.db)).map(presentGeofence) };
  }

  async getGeofence(id: string): Promise<FieldGeofence> {
    const g = await repo.getGeofence(this.ctx.db, id);
    if (!g) throw notFound(`geofence ${id}`, 'id');
    return presentGeofence(g);
  }

  async createGeofence(c: CallContext, body: FieldCreateGeofenceRequest): Promise<FieldGeofence> {
    validateGeometry(body.geometry, '/geometry');
    const g = await this.ctx.unitOfWork(async (tx) => {
      const row = await repo.insertGeofence(tx, {
        id: randomUUID(),
        name: body.name,
        description: body.description ?? null,
        geometry: body.geometry,
        active: body.active ?? true,
      });
      await this.ctx.ledger.appendInTx(tx, {
        ...this.actor(c),
        action: 'field-assets.geofence.created',
        resource: `field-assets:geofence/${row.id}`,
        details: { name: row.name, type: body.geometry.type },
      });
      return row;
    });
    if (g.active) this.state.putGeofence(g.id, g.name, g.geometry as FieldGeofenceGeometry);
    return presentGeofence(g);
  }

  async updateGeofence(c: CallContext, id: string, patch: FieldUpdateGeofenceRequest): Promise<FieldGeofence> {
    if (patch.geometry) validateGeometry(patch.geometry, '/geometry');
    const g = await this.ctx.unitOfWork(async (tx) => {
      const row = await repo.updateGeofence(tx, id, patch);
      if (!row) throw notFound(`geofence ${id}`, 'id');
      await this.ctx.ledger.appendInTx(tx, {
        ...this.actor(c),
        action: 'field-assets.geofence.updated',
        resource: `field-assets:geofence/${id}`,
        details: { fields: Object.keys(patch) },
      });
      return row;
    });
    if (g.active) this.state.putGeofence(g.id, g.name, g.geometry as FieldGeofenceGeometry);
    else this.state.removeGeofence(g.id);
    return presentGeofence(g);
  }

  async deleteGeofence(c: CallContext, id: string): Promise<void> {
    await this.ctx.unitOfWork(async (tx) => {
      const row = await repo.deleteGeofence(tx, id);
      if (!row) throw notFound(`geofence ${id}`, 'id');
      await this.ctx.ledger.appendInTx(tx, {
        ...this.actor(c),
        action: 'field-assets.geofence.deleted',
        resource: `field-assets:geofence/${id}`,
        details: { name: row.name },
      });
    });
    this.state.removeGeofence(id);
  }

  // ---- events (alerts) ------------------------------------------------------------------

  async listEvents(c: CallContext, q: FieldEventListQuery): Promise<{ items: FieldEvent[] }> {
    const covert = canSeeCovert(c.principal);
    const rows = await repo.searchEvents(this.ctx.db, {
      deviceId: q.deviceId,
      kind: q.kind,
      acknowledged: q.acknowledged,
      from: q.from,
      to: q.to,
      includeCovert: covert,
      limit: q.limit ?? 100,
    });
    const covertIds = [...new Set(rows.filter((r) => r.device_kind === 'covert-camera').map((r) => r.device_id))];
    await this.ledgerCovertView(c.principal, covertIds, 'events', c.requestId);
    return { items: rows.map(presentEvent) };
  }

  async acknowledge(c: CallContext, id: string, body: FieldAcknowledgeEventRequest): Promise<FieldEvent> {
    const row = await this.ctx.unitOfWork(async (tx) => {
      const e = await repo.getEvent(tx, id);
      if (!e || (e.device_kind === 'covert-camera' && !canSeeCovert(c.principal))) throw notFound(`event ${id}`, 'id');
      const r = await repo.acknowledgeEvent(tx, id, c.principal.name, body.note ?? null);
      if (!r)
        throw new HttpProblem(409, PROBLEM_TYPES.conflict, 'Conflict', 'the event is already acknowledged', [{ field: 'id', message: 'already acknowledged' }]);
      await this.ctx.ledger.appendInTx(tx, {
        ...this.actor(c),
        action: 'field-assets.event.acknowledged',
        resource: `field-assets:device/${r.device_id}`,
        details: { eventId: id, kind: r.kind, note: body.note ?? null },
      });
      return r;
    });
    return presentEvent(row);
  }

  /** Latest positions from memory (synchronous: the live snapshot takes them right before it subscribes to deltas). */
  latestFor(covert: boolean): FieldPosition[] {
    const items: FieldPosition[] = [];
    for (const [id, s] of this.state.live) {
      const d = this.state.byId.get(id);
      if (!s.latest || !d || (d.covert && !covert)) continue;
      items.push(presentPosition(s.latest));
    }
    return items;
  }

  /** Devices and open alerts for a live client's snapshot, with the covert devices it shows (to ledger). */
  async snapshot(covert: boolean): Promise<{ snapshot: { type: 'snapshot'; devices: FieldDevice[]; alerts: FieldEvent[] }; covertIds: string[] }> {
    const { rows } = await repo.searchDevices(this.ctx.db, { includeCovert: covert, limit: 100_000, offset: 0 });
    const devices = await this.hydrate(this.ctx.db, rows, covert);
    const alerts = await this.openAlerts(covert);
    const covertIds = [...new Set([...rows.filter((r) => r.kind === 'covert-camera').map((r) => r.id), ...alerts.covertIds])];
    return { snapshot: { type: 'snapshot', devices, alerts: alerts.items }, covertIds };
  }

  /** Unacknowledged alerts for the live snapshot. */
  async openAlerts(covert: boolean): Promise<{ items: FieldEvent[]; covertIds: string[] }> {
    const rows = await repo.searchEvents(this.ctx.db, { acknowledged: false, includeCovert: covert, limit: 200 });
    return { items: rows.map(presentEvent), covertIds: [...new Set(rows.filter((r) => r.device_kind === 'covert-camera').map((r) => r.device_id))] };
  }
}
