/**
 * NATS JetStream transport. Events go to subject `kotwal.events.<name>` on
 * the stream KOTWAL_EVENTS; each subscriber has a durable consumer, so an
 * event reaches every subscriber at least once even across restarts.
 */
import type { Logger } from 'pino';
import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from '@nats-io/jetstream';
import type { EventEnvelope, EventName } from '@kotwal/contracts';
import { connectNats } from '#core/egress/connections.ts';
import type { EventTransport } from './bus.ts';

export { natsConnectionOptions } from '#core/egress/connections.ts';

export interface NatsTransportOptions {
  url: string;
  logger: Logger;
  /** Stream name; tests use their own. */
  stream?: string;
  /** Subject prefix; tests use their own. */
  subjectPrefix?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function consumerName(subscriber: string, event: EventName): string {
  return `${subscriber}__${event}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

export async function natsTransport(opts: NatsTransportOptions): Promise<EventTransport> {
  const stream = opts.stream ?? 'KOTWAL_EVENTS';
  const prefix = opts.subjectPrefix ?? 'kotwal.events';
  // The connection is opened by core/egress (the one place that opens sockets), to NATS_URL.
  const nc: NatsConnection = await connectNats(opts.url, { name: 'kotwal', maxReconnectAttempts: -1, logger: opts.logger });
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(stream);
  } catch {
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], duplicate_window: 120_000_000_000 });
  }
  const js = jetstream(nc);
  const running: ConsumerMessages[] = [];
  const loops: Promise<void>[] = [];

  return {
    name: 'nats',
    async publish(event) {
      await js.publish(`${prefix}.${event.name}`, encoder.encode(JSON.stringify(event)), { msgID: event.id });
    },
    async subscribe(name, subscriber, deliver) {
      const durable = consumerName(subscriber, name);
      try {
        await jsm.consumers.info(stream, durable);
      } catch {
        await jsm.consumers.add(stream, {
          durable_name: durable,
          filter_subject: `${prefix}.${name}`,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          max_deliver: -1,
          ack_wait: 30_000_000_000,
        });
      }
      const consumer = await js.consumers.get(stream, durable);
      const messages = await consumer.consume();
      running.push(messages);
      loops.push(
        (async () => {
          for await (const m of messages) {
            try {
              const event = JSON.parse(decoder.decode(m.data)) as EventEnvelope;
              await deliver(event);
              m.ack();
            } catch (err) {
              opts.logger.warn({ err, subscriber }, 'NATS event handler failed; redelivering later');
              m.nak(1000);
            }
          }
        })(),
      );
    },
    async close() {
      for (const m of running) m.stop();
      await Promise.allSettled(loops);
      await nc.drain();
    },
  };
}
