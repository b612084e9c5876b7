/**
 * Outbox repository: SQL for event_outbox and event_deliveries only.
 */
import { randomUUID } from 'node:crypto';
import type { EventEnvelope, EventName } from '@kotwal/contracts';
import type { Database, Queryable } from '#core/db/index.ts';

interface OutboxRow {
  seq: number;
  id: string;
  name: string;
  payload: unknown;
  request_id: string | null;
  occurred_at: Date;
  attempts: number;
}

export async function insertEvent(tx: Queryable, name: EventName, payload: unknown, requestId: string | null): Promise<string> {
  const id = randomUUID();
  await tx.query('INSERT INTO event_outbox (id, name, payload, request_id) VALUES ($1, $2, $3, $4)', [id, name, JSON.stringify(payload), requestId]);
  return id;
}

/** Several events with multi-row INSERTs, in order. */
export async function insertEvents(tx: Queryable, events: readonly { name: EventName; payload: unknown; requestId: string | null }[]): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const chunk = events.slice(i, i + 500);
    const params: unknown[] = [];
    const rows = chunk.map((e) => {
      const b = params.length;
      params.push(randomUUID(), e.name, JSON.stringify(e.payload), e.requestId);
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4})`;
    });
    await tx.query(`INSERT INTO event_outbox (id, name, payload, request_id) VALUES ${rows.join(', ')}`, params);
  }
}

export function toEnvelope(r: OutboxRow): EventEnvelope {
  const payload = typeof r.payload === 'string' ? (JSON.parse(r.payload) as unknown) : r.payload;
  return {
    id: r.id,
    name: r.name as EventName,
    payload: payload as EventEnvelope['payload'],
    occurredAt: new Date(r.occurred_at).toISOString(),
    requestId: r.request_id ?? undefined,
  };
}

/**
 * Leases a batch of due events for leaseMs (FOR UPDATE SKIP LOCKED lets
 * several processes dispatch side by side without handing out the same
 * event twice). Delivery happens outside any transaction; an event whose
 * dispatcher died is picked up again when its lease runs out.
 */
export async function leaseDue(db: Queryable, limit: number, leaseMs: number): Promise<OutboxRow[]> {
  const r = await db.query<OutboxRow>(
    `UPDATE event_outbox SET next_attempt_at = now() + ($2 || ' milliseconds')::interval
      WHERE seq IN (SELECT seq FROM event_outbox
                     WHERE dispatched_at IS NULL AND next_attempt_at <= now()
                     ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING seq, id, name, payload, request_id, occurred_at, attempts`,
    [limit, String(leaseMs)],
  );
  return r.rows.sort((a, b) => a.seq - b.seq);
}

export async function markDispatched(tx: Queryable, seq: number): Promise<void> {
  await tx.query('UPDATE event_outbox SET dispatched_at = now(), last_error = NULL WHERE seq = $1', [seq]);
}

export async function markFailed(tx: Queryable, seq: number, attempts: number, error: string): Promise<void> {
  // Exponential back-off capped at five minutes.
  const delayMs = Math.min(300_000, 250 * 2 ** Math.min(attempts, 12));
  await tx.query(`UPDATE event_outbox SET attempts = $2, last_error = $3, next_attempt_at = now() + ($4 || ' milliseconds')::interval WHERE seq = $1`, [
    seq,
    attempts,
    error.slice(0, 1000),
    String(delayMs),
  ]);
}

export async function wasDelivered(db: Queryable, eventId: string, subscriber: string): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM event_deliveries WHERE event_id = $1 AND subscriber = $2', [eventId, subscriber]);
  return r.rows.length > 0;
}

export async function recordDelivery(db: Queryable, eventId: string, subscriber: string): Promise<void> {
  await db.query('INSERT INTO event_deliveries (event_id, subscriber) VALUES ($1, $2) ON CONFLICT DO NOTHING', [eventId, subscriber]);
}

export async function pendingCount(db: Database): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM event_outbox WHERE dispatched_at IS NULL');
  return r.rows[0]?.n ?? 0;
}
