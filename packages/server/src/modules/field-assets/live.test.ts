/**
 * The live hub with a client that never reads: positions coalesce to the
 * latest per device while its buffer is full, alerts queue up to a bound,
 * and a client that stays behind is closed with 1013.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldEvent, FieldPosition } from '@kotwal/contracts';
import type { Principal } from '#core/context.ts';
import { LiveHub, type LiveSocket } from './live.ts';

class FakeSocket implements LiveSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  closed: { code?: number; reason?: string } | null = null;
  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closed = { ...(code !== undefined ? { code } : {}), ...(reason !== undefined ? { reason } : {}) };
    this.readyState = 3;
  }
}

const principal: Principal = { kind: 'user', id: 'u1', name: 'u1', permissions: new Set(), state: 'active', sessionId: null, csrfToken: null };
const pos = (deviceId: string, i: number): FieldPosition => ({
  deviceId,
  fixTime: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  receivedAt: new Date().toISOString(),
  lat: 31.5,
  lon: 74.3 + i / 1000,
  speedKph: null,
  course: null,
  altitude: null,
  accuracy: null,
  batteryLevel: null,
  charging: null,
  alarm: null,
  motion: null,
  protocol: 'osmand',
  attributes: {},
});
const event = (i: number): FieldEvent => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  deviceId: 'd1',
  kind: 'sos',
  severity: 'critical',
  at: new Date().toISOString(),
  lat: null,
  lon: null,
  geofenceId: null,
  relatedDeviceId: null,
  message: 'SOS',
  details: {},
  acknowledgedAt: null,
  acknowledgedBy: null,
  createdAt: new Date().toISOString(),
});

function hub(now: { t: number }) {
  const ledgered: string[][] = [];
  const h = new LiveHub(
    {
      stateMessage: (deviceId) => ({
        type: 'status',
        deviceId,
        state: { connection: 'online', lastSeenAt: null, lastFixAt: null, batteryLevel: null, charging: null, recording: null, docked: null, moving: null },
      }),
      ledgerCovertView: async (_p, ids) => {
        ledgered.push(ids);
      },
      isCovert: (id) => id.startsWith('covert'),
      onError: (err) => {
        throw err;
      },
    },
    { highWater: 1000, lowWater: 100, hardLimit: 1_000_000, maxQueued: 5, maxLagMs: 10_000 },
    () => now.t,
  );
  return { h, ledgered };
}

describe('live hub', () => {
  it('coalesces positions to the latest per device for a client that does not read, then catches it up', () => {
    const now = { t: 0 };
    const { h } = hub(now);
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    h.add(slow, principal, false);
    h.add(fast, principal, false);
    slow.bufferedAmount = 5000; // the kernel buffer is full: it stopped reading
    for (let i = 0; i < 1000; i++) h.positions([{ position: pos(`d${i % 10}`, i), covert: false }]);
    assert.equal(fast.sent.length, 1000);
    assert.equal(slow.sent.length, 0);
    assert.deepEqual(h.pendingSizes()[0], { positions: 10, statuses: 0, queued: 0 }, 'bounded by the fleet, not by the traffic');
    assert.ok(h.stats.coalesced >= 990);
    slow.bufferedAmount = 0;
    h.pump();
    assert.equal(slow.sent.length, 1);
    const msg = JSON.parse(slow.sent[0] ?? '') as { type: string; items: FieldPosition[] };
    assert.equal(msg.type, 'positions');
    assert.equal(msg.items.length, 10);
    assert.equal(msg.items.find((p) => p.deviceId === 'd3')?.fixTime, pos('d3', 993).fixTime, 'the latest fix of each device');
  });

  it('closes a client with 1013 when alerts pile up or it lags too long, and never sends covert positions to others', async () => {
    const now = { t: 0 };
    const { h, ledgered } = hub(now);
    const a = new FakeSocket();
    h.add(a, principal, false);
    a.bufferedAmount = 5000;
    h.events(Array.from({ length: 6 }, (_, i) => ({ event: event(i), covert: false })));
    assert.equal(a.closed?.code, 1013);
    assert.equal(h.size, 0);

    const b = new FakeSocket();
    h.add(b, principal, false);
    b.bufferedAmount = 5000;
    h.positions([{ position: pos('d1', 1), covert: false }]);
    now.t = 20_000;
    h.pump();
    assert.equal(b.closed?.code, 1013);

    const open = new FakeSocket();
    const covert = new FakeSocket();
    h.add(open, principal, false);
    const remove = h.add(covert, principal, true);
    h.positions([
      { position: pos('covert-1', 1), covert: true },
      { position: pos('d2', 1), covert: false },
    ]);
    assert.deepEqual(
      (JSON.parse(open.sent[0] ?? '') as { items: FieldPosition[] }).items.map((p) => p.deviceId),
      ['d2'],
    );
    assert.deepEqual(
      (JSON.parse(covert.sent[0] ?? '') as { items: FieldPosition[] }).items.map((p) => p.deviceId),
      ['covert-1', 'd2'],
    );
    remove();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ledgered, [['covert-1']], 'what the covert client saw is ledgered when it leaves');
  });
});
