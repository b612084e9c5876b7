/**
 * What the module keeps hot in memory: the registry as ingest needs it (by
 * id and by unique id), the live state of every device (latest fix,
 * connection, battery, camera state, geofences it is in, alert latches),
 * device links and the geofence grid. Loaded from the database at start;
 * changed by the service and by ingest after their transactions commit.
 */
import { COVERT_KINDS, type FieldAssetKind, type FieldDeviceState, type FieldGeofenceGeometry } from '@kotwal/contracts';
import type { Queryable } from '#core/db/index.ts';
import { GeofenceGrid } from './geo.ts';
import { allDevices, allGeofences, allLatest, allLinks, getDeviceByUniqueId, type DeviceRow, type LinkRow, type NewPosition } from './repository.ts';

export interface DeviceInfo {
  id: string;
  uniqueId: string;
  name: string;
  kind: FieldAssetKind;
  covert: boolean;
  status: string;
  speedLimitKph: number | null;
  tokenHash: string | null;
}

export interface LiveDevice {
  latest: NewPosition | null;
  lastSeenAt: number | null;
  connection: 'online' | 'offline' | 'unknown';
  geofences: Set<string>;
  overspeed: boolean;
  lowBattery: boolean;
  lastAlarm: { value: string; at: number } | null;
  battery: number | null;
  charging: boolean | null;
  recording: boolean | null;
  docked: boolean | null;
  moving: boolean | null;
  /** Flood limit bucket. */
  tokens: number;
  refilledAt: number;
}

export interface Link {
  a: string;
  b: string;
  metres: number;
  seconds: number;
  createdAt: number;
  since: number | null;
  alerted: boolean;
}

export const linkKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

export function deviceInfo(r: DeviceRow): DeviceInfo {
  const kind = r.kind as FieldAssetKind;
  return {
    id: r.id,
    uniqueId: r.unique_id,
    name: r.name,
    kind,
    covert: COVERT_KINDS.includes(kind),
    status: r.status,
    speedLimitKph: r.speed_limit_kph,
    tokenHash: r.token_hash,
  };
}

const boolAttr = (a: Record<string, unknown>, k: string): boolean | null => {
  const v = a[k];
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === '1' || v === 'true') return true;
  if (v === 0 || v === '0' || v === 'false') return false;
  return null;
};

export class FieldState {
  readonly byId = new Map<string, DeviceInfo>();
  readonly byUniqueId = new Map<string, DeviceInfo>();
  readonly live = new Map<string, LiveDevice>();
  readonly links = new Map<string, Link>();
  readonly linksOf = new Map<string, Set<string>>();
  readonly grid = new GeofenceGrid();
  readonly geofenceNames = new Map<string, string>();
  private readonly misses = new Map<string, number>();

  async load(q: Queryable): Promise<void> {
    for (const r of await allDevices(q)) this.putDevice(deviceInfo(r));
    for (const l of await allLatest(q)) {
      const s = this.liveOf(l.device_id);
      s.latest = {
        deviceId: l.device_id,
        fixTime: l.fix_time.getTime(),
        receivedAt: l.received_at.getTime(),
        lat: l.lat,
        lon: l.lon,
        speedKph: l.speed_kph,
        course: l.course,
        altitude: l.altitude,
        accuracy: l.accuracy,
        battery: l.battery,
        charging: l.charging,
        alarm: l.alarm,
        motion: l.motion,
        protocol: l.protocol,
        attributes: l.attributes ?? {},
      };
      s.lastSeenAt = l.last_seen_at.getTime();
      s.connection = l.connection === 'offline' ? 'offline' : 'online';
      s.geofences = new Set(l.geofence_ids);
      this.mergeState(s, s.latest);
    }
    for (const l of await allLinks(q)) this.putLink(l);
    for (const g of await allGeofences(q)) if (g.active) this.putGeofence(g.id, g.name, g.geometry as FieldGeofenceGeometry);
  }

  putDevice(d: DeviceInfo): void {
    const old = this.byId.get(d.id);
    if (old && old.uniqueId !== d.uniqueId) this.byUniqueId.delete(old.uniqueId);
    this.byId.set(d.id, d);
    this.byUniqueId.set(d.uniqueId, d);
    this.misses.delete(d.uniqueId);
  }

  /** The device for an ingest id: memory first, then the database (another process may have registered it), with a short negative cache. */
  async lookup(q: Queryable, uniqueId: string, now: number): Promise<DeviceInfo | null> {
    const hit = this.byUniqueId.get(uniqueId);
    if (hit) return hit;
    const missed = this.misses.get(uniqueId);
    if (missed !== undefined && now - missed < 5000) return null;
    const row = await getDeviceByUniqueId(q, uniqueId);
    if (!row) {
      if (this.misses.size > 10_000) this.misses.clear();
      this.misses.set(uniqueId, now);
      return null;
    }
    const d = deviceInfo(row);
    this.putDevice(d);
    return d;
  }

  liveOf(id: string): LiveDevice {
    let s = this.live.get(id);
    if (!s) {
      s = {
        latest: null,
        lastSeenAt: null,
        connection: 'unknown',
        geofences: new Set(),
        overspeed: false,
        lowBattery: false,
        lastAlarm: null,
        battery: null,
        charging: null,
        recording: null,
        docked: null,
        moving: null,
        tokens: Number.NaN,
        refilledAt: 0,
      };
      this.live.set(id, s);
    }
    return s;
  }

  /** Merges what a fix says about the device (values a fix leaves out keep their last known value). */
  mergeState(s: LiveDevice, p: NewPosition): void {
    if (p.battery !== null) s.battery = p.battery;
    if (p.charging !== null) s.charging = p.charging;
    const rec = boolAttr(p.attributes, 'recording');
    if (rec !== null) s.recording = rec;
    const dock = boolAttr(p.attributes, 'docked');
    if (dock !== null) s.docked = dock;
    s.moving = p.motion ?? (p.speedKph !== null ? p.speedKph > 3 : s.moving);
  }

  stateOf(id: string): FieldDeviceState {
    const s = this.live.get(id);
    const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
    return {
      connection: s?.connection ?? 'unknown',
      lastSeenAt: iso(s?.lastSeenAt),
      lastFixAt: iso(s?.latest?.fixTime),
      batteryLevel: s?.battery ?? null,
      charging: s?.charging ?? null,
      recording: s?.recording ?? null,
      docked: s?.docked ?? null,
      moving: s?.moving ?? null,
    };
  }

  putLink(l: LinkRow): void {
    const key = linkKey(l.a, l.b);
    const old = this.links.get(key);
    this.links.set(key, {
      a: l.a,
      b: l.b,
      metres: l.separation_metres,
      seconds: l.separation_seconds,
      createdAt: l.created_at.getTime(),
      since: old?.since ?? null,
      alerted: old?.alerted ?? false,
    });
    for (const [x, y] of [
      [l.a, l.b],
      [l.b, l.a],
    ] as const) {
      let set = this.linksOf.get(x);
      if (!set) this.linksOf.set(x, (set = new Set()));
      set.add(y);
    }
  }

  removeLink(a: string, b: string): void {
    this.links.delete(linkKey(a, b));
    this.linksOf.get(a)?.delete(b);
    this.linksOf.get(b)?.delete(a);
  }

  putGeofence(id: string, name: string, geometry: FieldGeofenceGeometry): void {
    this.grid.add(id, geometry);
    this.geofenceNames.set(id, name);
  }

  removeGeofence(id: string): void {
    this.grid.remove(id);
    this.geofenceNames.delete(id);
  }
}
