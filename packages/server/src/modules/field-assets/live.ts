/**
 * The live stream hub behind GET /api/v1/field-assets/live: each client gets
 * a snapshot, then deltas (positions, statuses, alerts, device changes),
 * filtered by what it may see (covert cameras only with field-assets.covert;
 * what a client was shown of covert devices is ledgered, the snapshot before
 * it leaves, deltas in one entry per client every few seconds).
 *
 * Slow clients: while a socket's unsent bytes exceed HIGH_WATER, positions
 * are coalesced to the latest per device and statuses to the latest per
 * device (both bounded by the fleet size); alerts queue up to MAX_QUEUED. A
 * client still lagging after MAX_LAG_MS, or with more than HARD_LIMIT bytes
 * unsent, or more than MAX_QUEUED alerts waiting, is closed with 1013 (try
 * again later). Memory per client is therefore bounded.
 */
import type { FieldDevice, FieldEvent, FieldLiveMessage as LiveMessageOut, FieldPosition } from '@kotwal/contracts';
import type { Principal } from '#core/context.ts';

export interface LiveSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface LiveLimits {
  highWater: number;
  lowWater: number;
  hardLimit: number;
  maxQueued: number;
  maxLagMs: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = {
  highWater: 1024 * 1024,
  lowWater: 256 * 1024,
  hardLimit: 16 * 1024 * 1024,
  maxQueued: 500,
  maxLagMs: 60_000,
};

const OPEN = 1;

interface Client {
  socket: LiveSocket;
  principal: Principal;
  covert: boolean;
  lagging: boolean;
  lagSince: number;
  positions: Map<string, FieldPosition>;
  statuses: Set<string>;
  queued: FieldEvent[];
  covertSeen: Set<string>;
}

export interface LiveHubDeps {
  /** Current state of a device, for status messages (computed at send time, so coalescing keeps the latest). */
  stateMessage(deviceId: string): LiveMessageOut | null;
  /** Ledgers what a client was shown of covert devices. */
  ledgerCovertView(principal: Principal, deviceIds: string[], via: string): Promise<void>;
  isCovert(deviceId: string): boolean;
  onError(err: unknown): void;
}

export class LiveHub {
  private readonly clients = new Set<Client>();
  private timer: NodeJS.Timeout | null = null;
  private ledgerTimer: NodeJS.Timeout | null = null;
  readonly stats = { closedSlow: 0, coalesced: 0 };

  constructor(
    private readonly deps: LiveHubDeps,
    private readonly limits: LiveLimits = DEFAULT_LIVE_LIMITS,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  start(): void {
    this.timer ??= setInterval(() => this.pump(), 200);
    this.timer.unref();
    this.ledgerTimer ??= setInterval(() => void this.flushCovertViews(), 5000);
    this.ledgerTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.ledgerTimer) clearInterval(this.ledgerTimer);
    this.timer = null;
    this.ledgerTimer = null;
    for (const c of this.clients) c.socket.close(1001, 'server shutting down');
    await this.flushCovertViews();
    this.clients.clear();
  }

  /** Adds a client after its snapshot was sent. Returns a function to call when the socket closes. */
  add(socket: LiveSocket, principal: Principal, covert: boolean): () => void {
    const c: Client = { socket, principal, covert, lagging: false, lagSince: 0, positions: new Map(), statuses: new Set(), queued: [], covertSeen: new Set() };
    this.clients.add(c);
    return () => {
      if (!this.clients.delete(c)) return;
      if (c.covertSeen.size) {
        const ids = [...c.covertSeen];
        c.covertSeen.clear();
        this.deps.ledgerCovertView(c.principal, ids, 'live').catch((err: unknown) => this.deps.onError(err));
      }
    };
  }

  positions(items: readonly { position: FieldPosition; covert: boolean }[]): void {
    if (!this.clients.size || !items.length) return;
    let all: string | null = null;
    let open: string | null = null;
    const openItems = items.filter((i) => !i.covert).map((i) => i.position);
    for (const c of this.clients) {
      const list = c.covert ? items.map((i) => i.position) : openItems;
      if (!list.length) continue;
      if (this.backlogged(c)) {
        for (const p of list) {
          if (c.positions.has(p.deviceId)) this.stats.coalesced++;
          c.positions.set(p.deviceId, p);
        }
        continue;
      }
      if (c.covert) {
        for (const i of items) if (i.covert) c.covertSeen.add(i.position.deviceId);
        all ??= JSON.stringify({ type: 'positions', items: list });
        this.send(c, all);
      } else {
        open ??= JSON.stringify({ type: 'positions', items: list });
        this.send(c, open);
      }
    }
  }

  status(deviceId: string, covert: boolean): void {
    let text: string | null = null;
    for (const c of this.clients) {
      if (covert && !c.covert) continue;
      if (this.backlogged(c)) {
        c.statuses.add(deviceId);
        continue;
      }
      if (text === null) {
        const msg = this.deps.stateMessage(deviceId);
        if (!msg) return;
        text = JSON.stringify(msg);
      }
      if (covert) c.covertSeen.add(deviceId);
      this.send(c, text);
    }
  }

  events(items: readonly { event: FieldEvent; covert: boolean }[]): void {
    for (const { event, covert } of items) this.broadcast({ type: 'event', event }, covert, event.deviceId, true);
  }

  /** A device changed: `full` to clients who may see covert cameras, `open` (no covert links) to the others, none when null. */
  deviceChanged(full: FieldDevice, open: FieldDevice | null): void {
    const fullText = JSON.stringify({ type: 'device', device: full } satisfies LiveMessageOut);
    const openText = open ? JSON.stringify({ type: 'device', device: open } satisfies LiveMessageOut) : null;
    for (const c of this.clients) {
      const text = c.covert ? fullText : openText;
      if (text === null || this.backlogged(c)) continue;
      if (full.covert) c.covertSeen.add(full.id);
      this.send(c, text);
    }
  }

  /** Any other message: sent to everyone allowed, queued like alerts when a client lags. */
  broadcast(msg: LiveMessageOut, covert: boolean, deviceId: string, queue = false): void {
    const text = JSON.stringify(msg);
    for (const c of this.clients) {
      if (covert && !c.covert) continue;
      if (this.backlogged(c)) {
        if (queue && msg.type === 'event') {
          c.queued.push(msg.event);
          if (c.queued.length > this.limits.maxQueued) this.closeSlow(c);
        }
        continue;
      }
      if (covert) c.covertSeen.add(deviceId);
      this.send(c, text);
    }
  }

  private backlogged(c: Client): boolean {
    if (c.lagging) return true;
    if (c.socket.bufferedAmount > this.limits.highWater) {
      c.lagging = true;
      c.lagSince = this.clock();
      return true;
    }
    return false;
  }

  private send(c: Client, text: string): void {
    if (c.socket.readyState !== OPEN) return;
    try {
      c.socket.send(text);
    } catch (err) {
      this.deps.onError(err);
    }
    if (c.socket.bufferedAmount > this.limits.hardLimit) this.closeSlow(c);
  }

  private closeSlow(c: Client): void {
    this.stats.closedSlow++;
    c.positions.clear();
    c.statuses.clear();
    c.queued = [];
    try {
      c.socket.close(1013, 'client too slow: reconnect for a fresh snapshot');
    } catch (err) {
      this.deps.onError(err);
    }
    this.clients.delete(c);
    if (c.covertSeen.size) this.deps.ledgerCovertView(c.principal, [...c.covertSeen], 'live').catch((err: unknown) => this.deps.onError(err));
  }

  /** Drains lagging clients whose buffers emptied; closes those lagging too long. */
  pump(): void {
    const now = this.clock();
    for (const c of [...this.clients]) {
      if (c.socket.readyState !== OPEN) continue;
      if (!c.lagging) continue;
      if (c.socket.bufferedAmount > this.limits.lowWater) {
        if (now - c.lagSince > this.limits.maxLagMs || c.socket.bufferedAmount > this.limits.hardLimit) this.closeSlow(c);
        continue;
      }
      c.lagging = false;
      if (c.positions.size) {
        const items = [...c.positions.values()];
        for (const p of items) if (this.deps.isCovert(p.deviceId)) c.covertSeen.add(p.deviceId);
        c.positions.clear();
        this.send(c, JSON.stringify({ type: 'positions', items }));
      }
      for (const id of c.statuses) {
        const msg = this.deps.stateMessage(id);
        if (msg) this.send(c, JSON.stringify(msg));
      }
      c.statuses.clear();
      for (const event of c.queued) this.send(c, JSON.stringify({ type: 'event', event }));
      c.queued = [];
    }
  }

  private async flushCovertViews(): Promise<void> {
    for (const c of this.clients) {
      if (!c.covertSeen.size) continue;
      const ids = [...c.covertSeen];
      c.covertSeen.clear();
      await this.deps.ledgerCovertView(c.principal, ids, 'live').catch((err: unknown) => this.deps.onError(err));
    }
  }

  /** What is held for lagging clients (for tests and metrics). */
  pendingSizes(): { positions: number; statuses: number; queued: number }[] {
    return [...this.clients].map((c) => ({ positions: c.positions.size, statuses: c.statuses.size, queued: c.queued.length }));
  }
}
