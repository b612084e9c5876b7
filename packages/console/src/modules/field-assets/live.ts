/**
 * The live picture: one WebSocket to /api/v1/field-assets/live (the session
 * cookie authenticates it), a snapshot then deltas. Kept outside React so
 * that hundreds of positions a second update map markers directly, while
 * React screens re-render at most a few times a second.
 *
 * The connection reopens by itself (1 s, 2 s, 4 s ... 15 s) and starts
 * again from a fresh snapshot, so nothing is missed across a drop.
 */
import { LIVE_PATH, type FieldDevice, type FieldEvent, type FieldLiveMessage, type FieldPosition } from '@kotwal/contracts';
import { eventKindOf, severityOf } from './api.ts';

export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveSnapshot {
  status: LiveStatus;
  /** Why the stream is closed or reconnecting. */
  reason: string | null;
  devices: ReadonlyMap<string, FieldDevice>;
  positions: ReadonlyMap<string, FieldPosition>;
  /** Unacknowledged alerts, newest first. */
  alerts: readonly FieldEvent[];
  /** Ids of alerts that arrived while this page was open (the banner highlights them). */
  fresh: ReadonlySet<string>;
  /** Counts every change. */
  version: number;
}

type PositionListener = (items: readonly FieldPosition[]) => void;

const MAX_ALERTS = 200;
/** React-facing snapshot at most this often. */
const PUBLISH_MS = 200;

/** Severity order for the banner: SOS first, then critical, warning, info; newest first within each. */
export function alertRank(e: FieldEvent): number {
  if (eventKindOf(e) === 'sos') return 0;
  switch (severityOf(e)) {
    case 'critical':
      return 1;
    case 'warning':
      return 2;
    case 'info':
      return 3;
  }
}

export function sortAlerts(list: readonly FieldEvent[]): FieldEvent[] {
  return [...list].sort((a, b) => alertRank(a) - alertRank(b) || Date.parse(b.at) - Date.parse(a.at));
}

export class LiveStore {
  #ws: WebSocket | null = null;
  #devices = new Map<string, FieldDevice>();
  #positions = new Map<string, FieldPosition>();
  #alerts: FieldEvent[] = [];
  #fresh = new Set<string>();
  #status: LiveStatus = 'connecting';
  #reason: string | null = null;
  #version = 0;
  #snapshot: LiveSnapshot;
  #listeners = new Set<() => void>();
  #positionListeners = new Set<PositionListener>();
  #publishTimer: ReturnType<typeof setTimeout> | null = null;
  #retry = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;
  #users = 0;
  readonly #url: string;

  constructor(url?: string) {
    this.#url = url ?? `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}${LIVE_PATH}`;
    this.#snapshot = this.#build();
  }

  /** Starts on the first user, stops after the last one leaves. */
  retain(): () => void {
    this.#users++;
    if (this.#users === 1) {
      this.#stopped = false;
      this.#open();
    }
    return () => {
      this.#users--;
      if (this.#users === 0) this.#stop();
    };
  }

  subscribe = (l: () => void): (() => void) => {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  };

  getSnapshot = (): LiveSnapshot => this.#snapshot;

  /** Every position as it arrives (for map markers); not throttled. */
  onPositions(l: PositionListener): () => void {
    this.#positionListeners.add(l);
    return () => this.#positionListeners.delete(l);
  }

  /** Applies a change made through the API at once (the WebSocket echo follows). */
  upsertDevice(d: FieldDevice): void {
    this.#devices.set(d.id, d);
    this.#changed();
  }

  dropAlert(id: string): void {
    this.#alerts = this.#alerts.filter((a) => a.id !== id);
    this.#fresh.delete(id);
    this.#changed();
  }

  #open(): void {
    if (this.#stopped) return;
    this.#setStatus(this.#retry === 0 ? 'connecting' : 'reconnecting', this.#reason);
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.#url);
    } catch (err) {
      this.#scheduleRetry(err instanceof Error ? err.message : 'cannot open the live stream');
      return;
    }
    this.#ws = ws;
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') return;
      let msg: FieldLiveMessage;
      try {
        msg = JSON.parse(e.data) as FieldLiveMessage;
      } catch {
        return;
      }
      this.#apply(msg);
    };
    ws.onclose = (e) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (this.#stopped) return;
      // 1008 / 4401 / 4403: not signed in or not allowed: retrying would not help.
      if (e.code === 1008 || e.code === 4401 || e.code === 4403) {
        this.#setStatus('closed', e.reason || 'the server refused the live stream');
        return;
      }
      this.#scheduleRetry(e.reason || `connection closed (${e.code})`);
    };
  }

  #scheduleRetry(reason: string): void {
    this.#retry++;
    this.#setStatus('reconnecting', reason);
    const delay = Math.min(15_000, 1000 * 2 ** Math.min(4, this.#retry - 1));
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  #stop(): void {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const ws = this.#ws;
    this.#ws = null;
    ws?.close(1000, 'page closed');
    this.#retry = 0;
  }

  #apply(msg: FieldLiveMessage): void {
    switch (msg.type) {
      case 'snapshot': {
        this.#retry = 0;
        this.#devices = new Map(msg.devices.map((d) => [d.id, d]));
        this.#positions = new Map(msg.positions.map((p) => [p.deviceId, p]));
        const known = new Set(this.#alerts.map((a) => a.id));
        this.#alerts = sortAlerts(msg.alerts).slice(0, MAX_ALERTS);
        // After a reconnect, alerts we had not seen are new to the operator too.
        if (known.size > 0) for (const a of this.#alerts) if (!known.has(a.id)) this.#fresh.add(a.id);
        this.#status = 'open';
        this.#reason = null;
        for (const l of this.#positionListeners) l(msg.positions);
        this.#changed(true);
        return;
      }
      case 'positions': {
        const items: FieldPosition[] = [];
        for (const p of msg.items) {
          const prev = this.#positions.get(p.deviceId);
          // Out-of-order fixes never move a marker backwards in time.
          if (prev && Date.parse(prev.fixTime) > Date.parse(p.fixTime)) continue;
          this.#positions.set(p.deviceId, p);
          items.push(p);
        }
        if (items.length) {
          for (const l of this.#positionListeners) l(items);
          this.#changed();
        }
        return;
      }
      case 'status': {
        const d = this.#devices.get(msg.deviceId);
        if (d) {
          this.#devices.set(d.id, { ...d, state: msg.state });
          this.#changed();
        }
        return;
      }
      case 'device':
        this.#devices.set(msg.device.id, msg.device);
        this.#changed();
        return;
      case 'event': {
        const e = msg.event;
        if (e.acknowledgedAt) {
          this.dropAlert(e.id);
          return;
        }
        if (this.#alerts.some((a) => a.id === e.id)) return;
        this.#alerts = sortAlerts([e, ...this.#alerts]).slice(0, MAX_ALERTS);
        this.#fresh.add(e.id);
        this.#changed(true);
        return;
      }
    }
  }

  #setStatus(s: LiveStatus, reason: string | null): void {
    this.#status = s;
    this.#reason = reason;
    this.#changed(true);
  }

  #build(): LiveSnapshot {
    return {
      status: this.#status,
      reason: this.#reason,
      devices: new Map(this.#devices),
      positions: new Map(this.#positions),
      alerts: this.#alerts,
      fresh: new Set(this.#fresh),
      version: this.#version,
    };
  }

  /** Publishes to React, coalesced to one snapshot per PUBLISH_MS (at once when urgent). */
  #changed(urgent = false): void {
    this.#version++;
    if (urgent) {
      if (this.#publishTimer) clearTimeout(this.#publishTimer);
      this.#publishTimer = null;
      this.#publish();
      return;
    }
    this.#publishTimer ??= setTimeout(() => {
      this.#publishTimer = null;
      this.#publish();
    }, PUBLISH_MS);
  }

  #publish(): void {
    this.#snapshot = this.#build();
    for (const l of this.#listeners) l();
  }
}

/** The page's one live store (shared by the module's screens). */
export const liveStore = new LiveStore();
