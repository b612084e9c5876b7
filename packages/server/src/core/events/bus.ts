/**
 * The event bus. emit() writes to the outbox inside the caller's
 * transaction; a dispatcher delivers committed events after commit, at least
 * once. Two transports:
 *  - in-process (default): the dispatcher calls subscribers directly;
 *  - NATS JetStream (NATS_URL): the dispatcher publishes to the stream (with
 *    the event id as Nats-Msg-Id, so a re-publish is deduplicated) and each
 *    subscriber consumes through its own durable consumer.
 * Subscribers are made idempotent by event_deliveries.
 */
import type { Logger } from 'pino';
import type { EventEnvelope, EventMap, EventName } from '@kotwal/contracts';
import type { Database, Queryable } from '#core/db/index.ts';
import type { EventBus, EventHandler, EventToEmit } from '#core/context.ts';
import { insertEvent, insertEvents, leaseDue, markDispatched, markFailed, recordDelivery, toEnvelope, wasDelivered } from './outbox.ts';

export interface EventTransport {
  readonly name: 'in-process' | 'nats';
  /** Hands one committed event on. Throws when it could not be delivered (it will be retried). */
  publish(event: EventEnvelope): Promise<void>;
  /** Starts consuming for a subscriber (NATS only; in-process delivers in publish). */
  subscribe(name: EventName, subscriber: string, deliver: (event: EventEnvelope) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

interface Subscription {
  name: EventName;
  subscriber: string;
  handler: EventHandler<EventName>;
}

export interface OutboxBusOptions {
  db: Database;
  logger: Logger;
  /** Poll interval for events committed by other processes (ms). */
  pollMs?: number;
  batchSize?: number;
}

export class OutboxEventBus implements EventBus {
  private readonly subs: Subscription[] = [];
  private transport: EventTransport | null = null;
  private running = false;
  private dispatching: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly pollMs: number;
  private readonly batchSize: number;

  constructor(private readonly opts: OutboxBusOptions) {
    this.pollMs = opts.pollMs ?? 1000;
    this.batchSize = opts.batchSize ?? 200;
  }

  async emit<K extends EventName>(tx: Queryable, name: K, payload: EventMap[K], opts?: { requestId?: string | null }): Promise<void> {
    await insertEvent(tx, name, payload, opts?.requestId ?? null);
  }

  async emitMany(tx: Queryable, list: readonly EventToEmit[]): Promise<void> {
    if (list.length)
      await insertEvents(
        tx,
        list.map((e) => ({ name: e.name, payload: e.payload, requestId: e.requestId ?? null })),
      );
  }

  on<K extends EventName>(name: K, subscriber: string, handler: EventHandler<K>): void {
    if (this.subs.some((s) => s.name === name && s.subscriber === subscriber)) {
      throw new Error(`subscriber "${subscriber}" is already registered for ${name}`);
    }
    const sub: Subscription = { name, subscriber, handler: handler as unknown as EventHandler<EventName> };
    this.subs.push(sub);
    if (this.running && this.transport?.name === 'nats') {
      void this.transport
        .subscribe(name, subscriber, (e) => this.deliver(sub, e))
        .catch((err: unknown) => this.opts.logger.error({ err }, 'event subscription failed'));
    }
  }

  /** Starts dispatching through the transport. */
  async start(transport: EventTransport): Promise<void> {
    this.transport = transport;
    this.running = true;
    if (transport.name === 'nats') {
      for (const sub of this.subs) await transport.subscribe(sub.name, sub.subscriber, (e) => this.deliver(sub, e));
    }
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  get transportName(): string {
    return this.transport?.name ?? 'stopped';
  }

  kick(): void {
    if (!this.running) return;
    if (this.dispatching) {
      this.again = true;
      return;
    }
    this.dispatching = this.dispatchLoop()
      .catch((err: unknown) => this.opts.logger.error({ err }, 'event dispatch failed'))
      .finally(() => {
        this.dispatching = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Waits until every committed event has been dispatched (tests, shutdown). */
  async drain(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (this.dispatching) await this.dispatching;
      const r = await this.opts.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM event_outbox WHERE dispatched_at IS NULL AND attempts = 0');
      if ((r.rows[0]?.n ?? 0) === 0) return;
      if (Date.now() > until) throw new Error('event outbox did not drain in time');
      this.kick();
      await new Promise((res) => setTimeout(res, 10));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.dispatching) await this.dispatching;
    this.transport = null;
  }

  private async dispatchLoop(): Promise<void> {
    const transport = this.transport;
    if (!transport) return;
    for (;;) {
      const rows = await leaseDue(this.opts.db, this.batchSize, 60_000);
      for (const row of rows) {
        const event = toEnvelope(row);
        try {
          await transport.publish(event);
          await markDispatched(this.opts.db, row.seq);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          this.opts.logger.warn({ event: event.name, eventId: event.id, attempts: row.attempts + 1, err: message }, 'event delivery failed; will retry');
          await markFailed(this.opts.db, row.seq, row.attempts + 1, message);
        }
      }
      if (rows.length < this.batchSize || !this.running) return;
    }
  }

  /** In-process delivery to every subscriber of the event's name. */
  async deliverLocal(event: EventEnvelope): Promise<void> {
    const failures: string[] = [];
    for (const sub of this.subs) {
      if (sub.name !== event.name) continue;
      try {
        await this.deliver(sub, event);
      } catch (err) {
        failures.push(`${sub.subscriber}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (failures.length) throw new Error(`subscribers failed: ${failures.join('; ')}`);
  }

  private async deliver(sub: Subscription, event: EventEnvelope): Promise<void> {
    if (await wasDelivered(this.opts.db, event.id, sub.subscriber)) return;
    await sub.handler(event);
    await recordDelivery(this.opts.db, event.id, sub.subscriber);
  }
}

export function inProcessTransport(bus: OutboxEventBus): EventTransport {
  return {
    name: 'in-process',
    publish: (event) => bus.deliverLocal(event),
    subscribe: async () => undefined,
    close: async () => undefined,
  };
}
