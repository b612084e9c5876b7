import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import type { EventEnvelope } from '@kotwal/contracts';
import { migrate } from '#core/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '#test/db.ts';
import { deleteNatsStreams } from '#test/app.ts';
import { OutboxEventBus, eventsMigrations, inProcessTransport, natsTransport, type EventTransport } from './index.ts';

const logger = pino({ level: 'silent' });
const natsUrl = process.env['KOTWAL_TEST_NATS_URL'] || null;

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function suite(name: string, makeTransport: (bus: OutboxEventBus) => Promise<EventTransport>) {
  describe(`event bus (${name})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase();
      await migrate(t.db, [eventsMigrations]);
    });
    after(async () => {
      await t.cleanup();
    });

    it('dispatches only after commit, never a rolled-back event, each once per subscriber', async () => {
      const bus = new OutboxEventBus({ db: t.db, logger, pollMs: 50 });
      const seen: EventEnvelope<'core.user.created'>[] = [];
      bus.on('core.user.created', 'test-a', async (e) => {
        seen.push(e);
      });
      const transport = await makeTransport(bus);
      await bus.start(transport);
      try {
        // Emitted inside a transaction that has not committed yet: not delivered.
        await t.db.transaction(async (tx) => {
          await bus.emit(tx, 'core.user.created', { userId: 'u1', username: 'one', roles: [] }, { requestId: 'r1' });
          bus.kick();
          await new Promise((r) => setTimeout(r, 100));
          assert.equal(seen.length, 0, 'an uncommitted event must not be delivered');
        });
        bus.kick();
        await waitFor(() => seen.length === 1);
        assert.equal(seen[0].payload.userId, 'u1');
        assert.equal(seen[0].requestId, 'r1');

        // Rolled back: never delivered.
        await assert.rejects(
          t.db.transaction(async (tx) => {
            await bus.emit(tx, 'core.user.created', { userId: 'u2', username: 'two', roles: [] });
            throw new Error('abort');
          }),
        );
        await t.db.transaction(async (tx) => bus.emit(tx, 'core.user.created', { userId: 'u3', username: 'three', roles: [] }));
        bus.kick();
        await waitFor(() => seen.length === 2);
        await new Promise((r) => setTimeout(r, 200));
        assert.deepEqual(
          seen.map((e) => e.payload.userId),
          ['u1', 'u3'],
        );
      } finally {
        await bus.stop();
        await transport.close();
      }
    });

    it('retries a failing subscriber until it succeeds (at least once) without redelivering to the others', async () => {
      const bus = new OutboxEventBus({ db: t.db, logger, pollMs: 50 });
      let failures = 2;
      let flakyCalls = 0;
      const steady: string[] = [];
      bus.on('core.token.revoked', 'flaky', async () => {
        flakyCalls++;
        if (failures-- > 0) throw new Error('temporarily down');
      });
      bus.on('core.token.revoked', 'steady', async (e) => {
        steady.push(e.payload.tokenId);
      });
      const transport = await makeTransport(bus);
      await bus.start(transport);
      try {
        await t.db.transaction(async (tx) => bus.emit(tx, 'core.token.revoked', { tokenId: 'tk1' }));
        bus.kick();
        // Failed deliveries back off (250 ms, 500 ms...); wait for the third attempt.
        await t.db.query('UPDATE event_outbox SET next_attempt_at = now() WHERE dispatched_at IS NULL');
        await waitFor(() => flakyCalls >= 3, 15_000);
        await waitFor(() => steady.length >= 1);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(steady, ['tk1'], 'the steady subscriber saw the event exactly once');
      } finally {
        await bus.stop();
        await transport.close();
      }
    });
  });
}

suite('in-process', async (bus) => inProcessTransport(bus));

if (natsUrl) {
  const suffix = randomBytes(4).toString('hex');
  const streams: string[] = [];
  suite('NATS JetStream', async () => {
    const stream = `KOTWAL_TEST_BUS_${suffix}_${randomBytes(2).toString('hex')}`;
    streams.push(stream);
    return natsTransport({ url: natsUrl, logger, stream, subjectPrefix: `kotwal_test_bus_${suffix}_${randomBytes(2).toString('hex')}` });
  });
  // Leave no test streams behind on the NATS server.
  after(async () => deleteNatsStreams(natsUrl, streams));
}
