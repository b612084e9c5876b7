import path from 'node:path';
import type { MigrationSet } from '#core/db/migrate.ts';

export { OutboxEventBus, inProcessTransport, type EventTransport } from './bus.ts';
export { natsConnectionOptions, natsTransport } from './nats.ts';
export { pendingCount } from './outbox.ts';

export const eventsMigrations: MigrationSet = {
  scope: 'core.events',
  dir: path.join(import.meta.dirname, 'migrations'),
};
