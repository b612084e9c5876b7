/**
 * The one ingest path for OsmAnd (query, form, JSON) and MQTT: device
 * look-up and token check, clock window, per-device flood limit, then group
 * commit: positions queue in a buffer and a batch is cut from it whenever a
 * writer is free, so batches grow on their own while earlier ones are being
 * written (on PostgreSQL two batches are written at once, on PGlite one; a
 * device, and the devices linked to it, are never in two batches in flight,
 * so each device's rules run in order on committed state). A batch is one
 * transaction: one multi-row INSERT of the positions (duplicates ignored by
 * the primary key), one upsert of the latest position per device (never
 * moving backwards), and the rules run on every in-order position: geofence
 * enter/exit (grid pre-filter by bounding box), overspeed, SOS/alarm, low
 * battery, reporting gap, separation of linked devices, online again.
 * Alerts are stored, emitted on the event bus and ledgered in the same
 * transaction as the positions that raised them. A caller's promise
 * resolves only after that commit: nothing acknowledged is lost.
 *
 * What is ledgered at ingest: every alert and status change, and one entry
 * per covert device per batch ("field-assets.covert.position.recorded").
 * Positions of other devices are operational telemetry, not ledgered one by
 * one.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EventMap, FieldEventKind, FieldEventSeverity } from '@kotwal/contracts';
import type { CoreContext, EventToEmit, LedgerAppend } from '#core/context.ts';
import type { Queryable } from '#core/db/index.ts';
import { distanceMetres } from './geo.ts';
import { IngestError, type Fix } from './osmand.ts';
import { insertEvents, insertPositions, setConnection, touchLatest, upsertLatest, type EventRow, type NewEvent, type NewPosition } from './repository.ts';
import { linkKey, type DeviceInfo, type FieldState, type LiveDevice } from './state.ts';

export const FUTURE_TOLERANCE_MS = 10 * 60_000;
export const LOW_BATTERY_PERCENT = 15;
const LOW_BATTERY_RESET = 20;
const ALARM_REPEAT_MS = 60_000;
/** Positions in one transaction at most. */
export const MAX_BATCH = 5000;
/** Positions waiting for a commit; beyond this, ingest answers 503 (back-pressure) rather than growing. */
const MAX_PENDING = 50_000;

/** Default overspeed limits (km/h) per kind when a device sets none. */
export const DEFAULT_SPEED_LIMITS: Partial<Record<string, number>> = {
  'command-vehicle': 120,
  'patrol-vehicle': 120,
  motorcycle: 100,
};

export type SubmitOutcome = 'accepted' | 'duplicate';

export interface LiveSink {
  positions(items: readonly { position: NewPosition; covert: boolean }[]): void;
  status(deviceId: string, covert: boolean): void;
  events(items: readonly { row: EventRow; covert: boolean }[]): void;
}

interface Pending {
  fix: NewPosition;
  device: DeviceInfo;
  resolve: (o: SubmitOutcome) => void;
  reject: (e: Error) => void;
}

export interface IngestStats {
  accepted: number;
  duplicates: number;
  rejected: Record<string, number>;
  batches: number;
  mqttOversize: number;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function tokenMatches(token: string, hash: string): boolean {
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export class Ingest {
  private buffer: Pending[] = [];
  private scheduled = false;
  /** Batches being written, and the devices each holds (a device is in one batch in flight at most). */
  private running = 0;
  private batchSeq = 0;
  private readonly locks = new Map<string, number>();
  /** Positions taken from the buffer and not yet answered. */
  private inFlight = 0;
  /** The offline sweep waits for the batches in flight and holds new ones back while it runs. */
  private sweeping = false;
  private sweepRun: Promise<number> | null = null;
  private idleWaiters: (() => void)[] = [];
  /** Transactions in flight at once: PostgreSQL overlaps one batch's commit with the next one's writes; PGlite has one connection. */
  readonly maxConcurrent: number;
  readonly stats: IngestStats = { accepted: 0, duplicates: 0, rejected: {}, batches: 0, mqttOversize: 0 };
  private stopped = false;

  constructor(
    private readonly ctx: CoreContext,
    private readonly state: FieldState,
    private readonly live: LiveSink,
    private readonly clock: () => number = Date.now,
    opts: { maxConcurrent?: number } = {},
  ) {
    this.maxConcurrent = opts.maxConcurrent ?? (ctx.db.kind === 'postgres' ? 2 : 1);
  }

  private reject(reason: string, err: IngestError): never {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
    throw err;
  }

  /**
   * Validates a decoded fix and queues it; resolves once committed, rejects (IngestError) when refused.
   * `authenticated`: the transport already proved the device (embedded MQTT broker).
   * A known device is checked and queued at once, without waiting for a turn of the event loop.
   */
  submit(fix: Fix, opts: { unknownStatus: 400 | 404; authenticated?: boolean }): Promise<SubmitOutcome> {
    const now = this.clock();
    const known = this.state.byUniqueId.get(fix.uniqueId);
    if (!known) return this.lookupAndAdmit(fix, opts, now);
    try {
      return this.admit(fix, known, opts, now);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async lookupAndAdmit(fix: Fix, opts: { unknownStatus: 400 | 404; authenticated?: boolean }, now: number): Promise<SubmitOutcome> {
    if (this.stopped) this.reject('unavailable', new IngestError(503, '(server)', 'ingest is shutting down', 'unavailable'));
    const device = await this.state.lookup(this.ctx.db, fix.uniqueId, now);
    if (!device) this.reject('unknown-device', new IngestError(opts.unknownStatus, 'id', `unknown device "${fix.uniqueId}"`, 'unknown-device'));
    return this.admit(fix, device, opts, now);
  }

  /** The checks on a known device, then the queue; throws IngestError when refused. */
  private admit(fix: Fix, device: DeviceInfo, opts: { authenticated?: boolean }, now: number): Promise<SubmitOutcome> {
    if (this.stopped) this.reject('unavailable', new IngestError(503, '(server)', 'ingest is shutting down', 'unavailable'));
    if (device.tokenHash && !opts.authenticated) {
      if (!fix.token) this.reject('unauthorized', new IngestError(401, 'token', 'this device must send its token', 'unauthorized'));
      if (!tokenMatches(fix.token, device.tokenHash)) this.reject('unauthorized', new IngestError(401, 'token', 'the device token is wrong', 'unauthorized'));
    }
    if (device.status === 'retired') this.reject('forbidden', new IngestError(403, 'id', 'the device is retired', 'forbidden'));
    if (fix.fixTime > now + FUTURE_TOLERANCE_MS) {
      this.reject(
        'future',
        new IngestError(400, 'timestamp', `the fix time ${new Date(fix.fixTime).toISOString()} is more than 10 minutes in the future`, 'future'),
      );
    }
    const maxAgeMs = this.ctx.config.positionMaxAgeHours * 3_600_000;
    if (fix.fixTime < now - maxAgeMs) {
      this.reject(
        'stale',
        new IngestError(
          400,
          'timestamp',
          `the fix time ${new Date(fix.fixTime).toISOString()} is older than ${this.ctx.config.positionMaxAgeHours} hours (KOTWAL_POSITION_MAX_AGE_HOURS)`,
          'stale',
        ),
      );
    }
    // Flood limit: a token bucket per device (rate/s, burst 10x).
    const s = this.state.liveOf(device.id);
    const rate = this.ctx.config.devicePositionsPerSecond;
    const burst = rate * 10;
    if (Number.isNaN(s.tokens)) {
      s.tokens = burst;
      s.refilledAt = now;
    }
    s.tokens = Math.min(burst, s.tokens + ((now - s.refilledAt) / 1000) * rate);
    s.refilledAt = now;
    if (s.tokens < 1) this.reject('flood', new IngestError(429, 'id', `device "${fix.uniqueId}" sends more than ${rate} positions per second`, 'flood'));
    if (this.buffer.length + this.inFlight >= MAX_PENDING)
      this.reject('unavailable', new IngestError(503, '(server)', 'ingest is overloaded; retry', 'unavailable'));
    s.tokens -= 1;
    const position: NewPosition = {
      deviceId: device.id,
      fixTime: Math.round(fix.fixTime),
      receivedAt: now,
      lat: fix.lat,
      lon: fix.lon,
      speedKph: fix.speedKph,
      course: fix.course,
      altitude: fix.altitude,
      accuracy: fix.accuracy,
      battery: fix.battery,
      charging: fix.charging,
      alarm: fix.alarm,
      motion: fix.motion,
      protocol: fix.protocol,
      attributes: fix.attributes,
    };
    return new Promise<SubmitOutcome>((resolve, reject) => {
      this.buffer.push({ fix: position, device, resolve, reject });
      this.schedule();
    });
  }

  /** Cuts a batch on the next turn of the event loop (what arrived meanwhile joins it). */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Starts batches while a writer is free: each takes what is waiting, except devices held by a batch in flight. */
  private pump(): void {
    while (this.running < this.maxConcurrent && this.buffer.length && !this.sweeping) {
      const n = ++this.batchSeq;
      const take: Pending[] = [];
      const keep: Pending[] = [];
      const held: string[] = [];
      for (const p of this.buffer) {
        if (take.length < MAX_BATCH && this.claim(p.device.id, n, held)) take.push(p);
        else keep.push(p);
      }
      if (!take.length) break;
      this.buffer = keep;
      this.running++;
      this.inFlight += take.length;
      void this.flush(take)
        .catch((err: unknown) => {
          this.ctx.logger.error({ err }, 'field-assets: writing a batch of positions failed');
          for (const p of take) p.reject(new IngestError(503, '(server)', 'the position could not be stored; retry', 'unavailable'));
        })
        .finally(() => {
          for (const id of held) if (this.locks.get(id) === n) this.locks.delete(id);
          this.running--;
          this.inFlight -= take.length;
          if (this.buffer.length) this.pump();
          if (!this.running && !this.buffer.length) for (const w of this.idleWaiters.splice(0)) w();
          if (!this.running && this.sweeping) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }

  /** Holds a device and the devices linked to it for batch n, unless another batch in flight holds one of them. */
  private claim(id: string, n: number, held: string[]): boolean {
    const owner = this.locks.get(id);
    if (owner === n) return true;
    if (owner !== undefined) return false;
    const linked = this.state.linksOf.get(id);
    if (linked) for (const o of linked) if ((this.locks.get(o) ?? n) !== n) return false;
    this.locks.set(id, n);
    held.push(id);
    if (linked)
      for (const o of linked) {
        if (this.locks.has(o)) continue;
        this.locks.set(o, n);
        held.push(o);
      }
    return true;
  }

  /** Resolves when no batch is in flight (and, unless the sweep holds batches back, nothing waits in the buffer). */
  private idle(): Promise<void> {
    if (!this.running && (this.sweeping || !this.buffer.length)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Waits until everything queued so far is committed. */
  async drain(): Promise<void> {
    while (this.buffer.length || this.running || this.sweepRun) {
      if (this.sweepRun) await this.sweepRun.catch(() => 0);
      this.pump();
      await this.idle();
    }
  }

  async stop(): Promise<void> {
    await this.drain();
    this.stopped = true;
  }

  private async flush(batch: Pending[]): Promise<void> {
    // Duplicates inside the batch: keep the first.
    const seen = new Set<string>();
    const unique: Pending[] = [];
    const dupInBatch: Pending[] = [];
    for (const p of batch) {
      const k = `${p.fix.deviceId}|${p.fix.fixTime}`;
      if (seen.has(k)) dupInBatch.push(p);
      else {
        seen.add(k);
        unique.push(p);
      }
    }
    const now = this.clock();
    // Not ctx.unitOfWork: the same single transaction, but the ledger sequencer and the event
    // dispatcher are woken only when the batch wrote to them (most batches are positions only).
    const result = await this.ctx.db.transaction(async (tx) => {
      const inserted = await insertPositions(
        tx,
        unique.map((p) => p.fix),
      );
      const work = this.evaluate(unique, inserted, now);
      await upsertLatest(tx, work.latestRows);
      if (work.touched.length) await touchLatest(tx, work.touched, now, 'online');
      work.eventRows.push(...(await this.recordEvents(tx, work.events, work.statusChanges)));
      await this.ledgerCovert(tx, work.covertCounts);
      return { inserted, work };
    });
    if (result.work.events.length || result.work.statusChanges.length) this.ctx.events.kick();
    if (result.work.events.length || result.work.statusChanges.length || result.work.covertCounts.size) this.ctx.ledger.kick();
    // Committed: make it live.
    for (const [id, next] of result.work.nextLive) {
      // The flood-limit bucket moved on while the batch was written: keep it.
      const live = this.state.liveOf(id);
      const { tokens, refilledAt } = live;
      Object.assign(live, next, { tokens, refilledAt });
    }
    for (const [key, l] of result.work.nextLinks) {
      const link = this.state.links.get(key);
      if (link) {
        link.since = l.since;
        link.alerted = l.alerted;
      }
    }
    this.stats.batches++;
    for (const p of unique) {
      if (result.inserted.has(`${p.fix.deviceId}|${p.fix.fixTime}`)) {
        this.stats.accepted++;
        p.resolve('accepted');
      } else {
        this.stats.duplicates++;
        p.resolve('duplicate');
      }
    }
    for (const p of dupInBatch) {
      this.stats.duplicates++;
      p.resolve('duplicate');
    }
    if (result.work.livePositions.length) this.live.positions(result.work.livePositions);
    for (const id of result.work.statusChanged) this.live.status(id, this.state.byId.get(id)?.covert ?? false);
    if (result.work.eventRows.length)
      this.live.events(result.work.eventRows.map((row) => ({ row, covert: this.state.byId.get(row.device_id)?.covert ?? false })));
  }

  /** Runs the rules over the new in-order positions; computes the next live state without touching the current one. */
  private evaluate(unique: Pending[], inserted: Set<string>, now: number) {
    const nextLive = new Map<string, LiveDevice>();
    const nextLinks = new Map<string, { since: number | null; alerted: boolean }>();
    const events: NewEvent[] = [];
    const statusChanges: { deviceId: string; status: 'online' | 'offline'; at: number }[] = [];
    const livePositions: { position: NewPosition; covert: boolean }[] = [];
    const covertCounts = new Map<string, number>();
    const touchedSet = new Set<string>();
    const statusChanged = new Set<string>();
    const byDevice = new Map<string, Pending[]>();
    for (const p of unique) {
      if (!inserted.has(`${p.fix.deviceId}|${p.fix.fixTime}`)) continue;
      const list = byDevice.get(p.fix.deviceId);
      if (list) list.push(p);
      else byDevice.set(p.fix.deviceId, [p]);
      if (p.device.covert) covertCounts.set(p.device.id, (covertCounts.get(p.device.id) ?? 0) + 1);
    }
    const cur = (id: string): LiveDevice => {
      let n = nextLive.get(id);
      if (!n) {
        const s = this.state.liveOf(id);
        n = { ...s, geofences: new Set(s.geofences) };
        nextLive.set(id, n);
      }
      return n;
    };
    const ev = (
      device: DeviceInfo,
      kind: FieldEventKind,
      severity: FieldEventSeverity,
      at: number,
      pos: { lat: number; lon: number } | null,
      message: string,
      extra: Partial<Pick<NewEvent, 'geofenceId' | 'relatedDeviceId' | 'details'>> = {},
    ) => {
      events.push({
        id: randomUUID(),
        deviceId: device.id,
        kind,
        severity,
        at,
        lat: pos?.lat ?? null,
        lon: pos?.lon ?? null,
        geofenceId: extra.geofenceId ?? null,
        relatedDeviceId: extra.relatedDeviceId ?? null,
        message,
        details: extra.details ?? {},
      });
    };
    for (const [deviceId, list] of byDevice) {
      list.sort((a, b) => a.fix.fixTime - b.fix.fixTime);
      const s = cur(deviceId);
      const device = list[0].device;
      const wasConnection = s.connection;
      s.lastSeenAt = Math.max(s.lastSeenAt ?? 0, now);
      if (s.connection !== 'online') {
        s.connection = 'online';
        statusChanges.push({ deviceId, status: 'online', at: now });
        statusChanged.add(deviceId);
        if (wasConnection === 'offline') ev(device, 'online', 'info', now, null, `${device.name} is reporting again`);
      }
      let advanced = false;
      for (const { fix: p } of list) {
        if (s.latest && p.fixTime <= s.latest.fixTime) continue; // out of order: kept in history only
        const prev = s.latest;
        const before = { battery: s.battery, charging: s.charging, recording: s.recording, docked: s.docked, moving: s.moving };
        s.latest = p;
        advanced = true;
        this.state.mergeState(s, p);
        if (
          before.battery !== s.battery ||
          before.charging !== s.charging ||
          before.recording !== s.recording ||
          before.docked !== s.docked ||
          before.moving !== s.moving
        ) {
          statusChanged.add(deviceId);
        }
        livePositions.push({ position: p, covert: device.covert });
        const at = p.fixTime;
        const where = { lat: p.lat, lon: p.lon };
        // Geofences.
        const inside = new Set(this.state.grid.containing(where));
        for (const g of s.geofences) {
          // A geofence deleted meanwhile is dropped silently.
          if (!inside.has(g) && this.state.geofenceNames.has(g)) {
            ev(device, 'geofence-exit', 'info', at, where, `${device.name} left ${this.state.geofenceNames.get(g) ?? 'a geofence'}`, { geofenceId: g });
          }
        }
        for (const g of inside) {
          if (!s.geofences.has(g)) {
            ev(device, 'geofence-enter', 'info', at, where, `${device.name} entered ${this.state.geofenceNames.get(g) ?? 'a geofence'}`, { geofenceId: g });
          }
        }
        s.geofences = inside;
        // Overspeed.
        const limit = device.speedLimitKph ?? DEFAULT_SPEED_LIMITS[device.kind] ?? null;
        if (limit !== null && p.speedKph !== null) {
          if (p.speedKph > limit && !s.overspeed) {
            s.overspeed = true;
            ev(device, 'overspeed', 'warning', at, where, `${device.name} at ${Math.round(p.speedKph)} km/h (limit ${limit})`, {
              details: { speedKph: p.speedKph, limitKph: limit },
            });
          } else if (p.speedKph <= limit) s.overspeed = false;
        }
        // SOS / alarms.
        if (p.alarm) {
          const value = p.alarm.toLowerCase();
          if (!s.lastAlarm || s.lastAlarm.value !== value || at - s.lastAlarm.at > ALARM_REPEAT_MS) {
            const sos = value === 'sos' || value === 'panic';
            ev(device, sos ? 'sos' : 'alarm', sos ? 'critical' : 'warning', at, where, sos ? `SOS from ${device.name}` : `${device.name} alarm: ${p.alarm}`, {
              details: { alarm: p.alarm },
            });
          }
          s.lastAlarm = { value, at };
        }
        // Low battery.
        if (s.battery !== null) {
          if (s.battery < LOW_BATTERY_PERCENT && s.charging !== true && !s.lowBattery) {
            s.lowBattery = true;
            ev(device, 'low-battery', 'warning', at, where, `${device.name} battery at ${Math.round(s.battery)}%`, { details: { batteryLevel: s.battery } });
          } else if (s.battery >= LOW_BATTERY_RESET || s.charging === true) s.lowBattery = false;
        }
        // Reporting gap.
        const gapMs = this.ctx.config.deviceOfflineSeconds * 1000;
        if (prev && at - prev.fixTime > gapMs) {
          const gapSeconds = Math.round((at - prev.fixTime) / 1000);
          ev(device, 'gap', 'info', at, where, `${device.name} sent no position for ${gapSeconds} s`, {
            details: { gapSeconds, previousFixAt: new Date(prev.fixTime).toISOString() },
          });
        }
        // Separation from linked devices.
        for (const other of this.state.linksOf.get(deviceId) ?? []) {
          const key = linkKey(deviceId, other);
          const link = this.state.links.get(key);
          if (!link) continue;
          const o = nextLive.get(other)?.latest ?? this.state.live.get(other)?.latest ?? null;
          const l = nextLinks.get(key) ?? { since: link.since, alerted: link.alerted };
          nextLinks.set(key, l);
          if (!o || Math.abs(o.fixTime - at) > gapMs) continue;
          const d = distanceMetres(where, o);
          if (d > link.metres) {
            l.since ??= at;
            if (!l.alerted && at - l.since >= link.seconds * 1000) {
              l.alerted = true;
              const otherInfo = this.state.byId.get(other);
              ev(device, 'separation', 'warning', at, where, `${device.name} is ${Math.round(d)} m from ${otherInfo?.name ?? 'its linked device'}`, {
                relatedDeviceId: other,
                details: { distanceMetres: Math.round(d), limitMetres: link.metres, sinceAt: new Date(l.since).toISOString() },
              });
            }
          } else {
            l.since = null;
            l.alerted = false;
          }
        }
      }
      if (!advanced) touchedSet.add(deviceId);
    }
    const latestRows = [...byDevice.keys()]
      .map((id) => nextLive.get(id)!)
      .filter((s) => s.latest && byDevice.get(s.latest.deviceId)?.some((p) => p.fix === s.latest))
      .map((s) => ({ ...s.latest!, geofenceIds: [...s.geofences], lastSeenAt: s.lastSeenAt ?? now, connection: 'online' }));
    const eventRows: EventRow[] = [];
    return { nextLive, nextLinks, events, statusChanges, livePositions, covertCounts, touched: [...touchedSet], statusChanged, latestRows, eventRows };
  }

  /** Stores alerts and status changes, emits them on the bus and ledgers them, inside tx (a few multi-row statements, whatever their number). */
  async recordEvents(tx: Queryable, events: NewEvent[], statusChanges: { deviceId: string; status: 'online' | 'offline'; at: number }[]): Promise<EventRow[]> {
    const rows = await insertEvents(tx, events);
    const bus: EventToEmit[] = [];
    const ledger: LedgerAppend[] = [];
    for (const r of rows) {
      const at = r.at.toISOString();
      if (r.kind === 'geofence-enter' || r.kind === 'geofence-exit') {
        bus.push({
          name: r.kind === 'geofence-enter' ? 'field-assets.geofence.entered' : 'field-assets.geofence.exited',
          payload: { deviceId: r.device_id, geofenceId: r.geofence_id ?? '', at },
        });
      } else if (r.kind !== 'online') {
        bus.push({
          name: 'field-assets.alarm.raised',
          payload: { alarmId: r.id, deviceId: r.device_id, kind: r.kind as EventMap['field-assets.alarm.raised']['kind'], at },
        });
      }
      ledger.push({
        actorType: 'device',
        actorId: r.device_id,
        action: `field-assets.event.${r.kind}`,
        resource: `field-assets:device/${r.device_id}`,
        outcome: 'allowed',
        details: { eventId: r.id, kind: r.kind, at, lat: r.lat, lon: r.lon, geofenceId: r.geofence_id, relatedDeviceId: r.related_device_id },
      });
    }
    for (const c of statusChanges) {
      bus.push({ name: 'field-assets.device.status-changed', payload: { deviceId: c.deviceId, status: c.status, at: new Date(c.at).toISOString() } });
      ledger.push({
        actorType: 'system',
        actorId: 'field-assets',
        action: `field-assets.device.${c.status}`,
        resource: `field-assets:device/${c.deviceId}`,
        outcome: 'allowed',
      });
    }
    await this.ctx.events.emitMany(tx, bus);
    await this.ctx.ledger.appendManyInTx(tx, ledger);
    return rows;
  }

  private async ledgerCovert(tx: Queryable, counts: Map<string, number>): Promise<void> {
    await this.ctx.ledger.appendManyInTx(
      tx,
      [...counts].map(([deviceId, n]) => ({
        actorType: 'device' as const,
        actorId: deviceId,
        action: 'field-assets.covert.position.recorded',
        resource: `field-assets:device/${deviceId}`,
        outcome: 'allowed' as const,
        details: { positions: n },
      })),
    );
  }

  /** Marks devices silent for longer than the timeout offline (one transaction: state, alert, bus, ledger), in turn with the batches. */
  sweepOffline(): Promise<number> {
    if (this.sweepRun) return this.sweepRun;
    // Nothing due: do not hold the batches back (the sweep runs every few seconds under full load).
    if (!this.offlineDue(this.clock()).length) return Promise.resolve(0);
    this.sweeping = true;
    const run = (async () => {
      try {
        await this.idle();
        return await this.sweep();
      } finally {
        this.sweeping = false;
        this.sweepRun = null;
        this.pump();
      }
    })();
    this.sweepRun = run;
    return run;
  }

  /** Devices online but silent for longer than the timeout at `now`. */
  private offlineDue(now: number): string[] {
    const limit = now - this.ctx.config.deviceOfflineSeconds * 1000;
    const due: string[] = [];
    for (const [id, s] of this.state.live) if (s.connection === 'online' && s.lastSeenAt !== null && s.lastSeenAt < limit) due.push(id);
    return due;
  }

  private async sweep(): Promise<number> {
    const now = this.clock();
    const limit = now - this.ctx.config.deviceOfflineSeconds * 1000;
    const gone = this.offlineDue(now);
    if (!gone.length) return 0;
    const events: NewEvent[] = [];
    for (const id of gone) {
      const d = this.state.byId.get(id);
      const s = this.state.live.get(id)!;
      events.push({
        id: randomUUID(),
        deviceId: id,
        kind: 'offline',
        severity: 'warning',
        at: now,
        lat: s.latest?.lat ?? null,
        lon: s.latest?.lon ?? null,
        geofenceId: null,
        relatedDeviceId: null,
        message: `${d?.name ?? 'a device'} is offline (silent for more than ${this.ctx.config.deviceOfflineSeconds} s)`,
        details: { lastSeenAt: new Date(s.lastSeenAt ?? now).toISOString() },
      });
    }
    const rows = await this.ctx.unitOfWork(async (tx) => {
      await setConnection(tx, gone, 'offline');
      return this.recordEvents(
        tx,
        events,
        gone.map((deviceId) => ({ deviceId, status: 'offline' as const, at: now })),
      );
    });
    for (const id of gone) {
      const s = this.state.live.get(id);
      // A position may have arrived meanwhile.
      if (s && s.lastSeenAt !== null && s.lastSeenAt < limit) s.connection = 'offline';
      this.live.status(id, this.state.byId.get(id)?.covert ?? false);
    }
    this.live.events(rows.map((row) => ({ row, covert: this.state.byId.get(row.device_id)?.covert ?? false })));
    return gone.length;
  }
}
