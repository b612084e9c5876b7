/**
 * The embedded MQTT broker's PUBACKs, against an ingest whose commits the
 * test releases by hand: a device may keep publishing while earlier
 * positions wait for their commit (the broker reads on), yet each PUBACK
 * leaves only once its position is committed or refused, in the order the
 * PUBLISH packets arrived, and a connection with too many positions in
 * flight is no longer read until some are answered. The same for the
 * client of an external broker (mqtt.js would take one message per commit).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import pino from 'pino';
import { mqttPositionTopic } from '@kotwal/contracts';
import { hashToken, type Ingest } from './ingest.ts';
import { connectExternalBroker, MQTT_MAX_UNANSWERED, startEmbeddedBroker, type ExternalMqtt, type Listener, type ListenerCounters } from './listeners.ts';
import type { Fix } from './osmand.ts';
import type { DeviceInfo, FieldState } from './state.ts';
import { until } from './test/harness.ts';

const PREFIX = 'test/field-assets';
const device: DeviceInfo = {
  id: '00000000-0000-4000-8000-000000000001',
  uniqueId: 'PUB-1',
  name: 'Handheld',
  kind: 'handheld',
  covert: false,
  status: 'active',
  speedLimitKph: null,
  tokenHash: hashToken('secret-token'),
};

/** An ingest whose every submit waits until the test settles it. */
function heldIngest() {
  const held: { fix: Fix; resolve: () => void }[] = [];
  const ingest = {
    stats: { mqttOversize: 0 },
    submit: (fix: Fix) => new Promise<'accepted'>((resolve) => held.push({ fix, resolve: () => resolve('accepted') })),
  };
  return { ingest: ingest as unknown as Ingest, held };
}

const newCounters = (): ListenerCounters => ({ mqttOversize: 0, mqttRejected: 0, mqttAccepted: 0, mqttConnectionsRefused: 0, mqttReconnects: 0 });

describe('field-assets embedded MQTT broker: PUBACK after commit, in order, without stalling the reader', () => {
  const counters = newCounters();
  const state = { lookup: (_q: unknown, uniqueId: string) => Promise.resolve(uniqueId === device.uniqueId ? device : null) } as unknown as FieldState;
  const { ingest, held } = heldIngest();
  let broker: Listener;
  let client: mqtt.MqttClient;

  before(async () => {
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      prefix: PREFIX,
      ingest,
      state,
      db: null as unknown as Parameters<FieldState['lookup']>[0],
      logger: pino({ level: 'silent' }),
      counters,
    });
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username: device.uniqueId, password: 'secret-token', reconnectPeriod: 0 });
  });
  after(async () => {
    await client?.endAsync(true);
    await broker?.close();
  });

  it('reads on while positions wait, answers each only once settled, in arrival order, and holds the reader past the limit', async () => {
    const topic = mqttPositionTopic(device.uniqueId, PREFIX);
    const first = MQTT_MAX_UNANSWERED + 16;
    const total = first + 20;
    const acked: number[] = [];
    const errors: unknown[] = [];
    const at = (i: number) => JSON.stringify({ timestamp: 1_700_000_000 + i, lat: 31.5, lon: 74.3 });
    const send = (i: number) =>
      // Message 1 is refused at once (not JSON): its PUBACK still waits for message 0's commit.
      client.publish(topic, i === 1 ? 'not json' : at(i), { qos: 1 }, (err) => {
        if (err) errors.push(err);
        else acked.push(i);
      });
    for (let i = 0; i < first; i++) send(i);
    // The broker read on: positions 0, 2, 3, ... all reached ingest while none was committed.
    await until(() => held.length === first - 1, 5000, 'the first positions to reach ingest');
    assert.deepEqual(acked, [], 'no PUBACK before a commit');
    assert.equal(counters.mqttRejected, 1);
    // Past the limit the connection is not read: what it sends now waits in the socket.
    for (let i = first; i < total; i++) send(i);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(held.length, first - 1, 'reading stops past the limit');

    // Commit message 2 first: nothing may be answered before message 0.
    held[1].resolve();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(acked, []);
    // Commit message 0: 0, 1 (refused) and 2 are answered, in that order.
    held[0].resolve();
    await until(() => acked.length === 3, 5000, 'three PUBACKs');
    assert.deepEqual(acked, [0, 1, 2]);

    // Commit everything as it arrives: the reader resumes and every message is answered, in order.
    let next = 2;
    await until(
      () => {
        while (next < held.length) held[next++].resolve();
        return acked.length === total;
      },
      10_000,
      'every PUBACK',
    );
    assert.deepEqual(
      acked,
      Array.from({ length: total }, (_, i) => i),
    );
    assert.equal(held.length, total - 1);
    assert.deepEqual(
      held.map((h) => h.fix.fixTime),
      Array.from({ length: total }, (_, i) => (1_700_000_000 + i) * 1000).filter((_, i) => i !== 1),
      'positions reach ingest in the order they were sent',
    );
    assert.equal(counters.mqttAccepted, total - 1);
    assert.deepEqual(errors, []);
  });
});

describe('field-assets client of an external MQTT broker: PUBACK after commit, in order, messages taken in parallel', () => {
  const counters = newCounters();
  const { ingest, held } = heldIngest();
  let broker: Aedes;
  let server: net.Server;
  let external: ExternalMqtt;
  let device: mqtt.MqttClient;
  /** PUBACKs the server sent the broker (the broker keeps no copy of what it delivers to a clean session: counted, not named). */
  let acked = 0;

  before(async () => {
    broker = await Aedes.createBroker();
    broker.on('ack', () => acked++);
    server = net.createServer((socket) => broker.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const subscribed = new Promise<void>((resolve) => broker.once('subscribe', () => resolve()));
    external = connectExternalBroker({ url, prefix: PREFIX, ingest, logger: pino({ level: 'silent' }), counters });
    await subscribed;
    device = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  });
  after(async () => {
    await device?.endAsync(true);
    await external?.close();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('takes the next messages while earlier ones wait for their commit, and acknowledges each once settled, in order', async () => {
    const topic = mqttPositionTopic('EXT-1', PREFIX);
    const total = 30;
    for (let i = 0; i < total; i++) {
      await device.publishAsync(topic, i === 1 ? 'not json' : JSON.stringify({ timestamp: i, lat: 31.5, lon: 74.3 }), { qos: 1 });
    }
    // Every position reached ingest while none was committed (mqtt.js alone would have passed on one).
    await until(() => held.length === total - 1, 5000, 'the positions to reach ingest');
    assert.equal(acked, 0, 'no PUBACK before a commit');
    held[1].resolve();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(acked, 0, 'message 2 waits for message 0');
    held[0].resolve();
    await until(() => acked === 3, 5000, 'three PUBACKs: 0, 1 (refused) and 2');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(acked, 3);
    for (const h of held) h.resolve();
    await until(() => acked === total, 5000, 'every PUBACK');
    assert.deepEqual(
      held.map((h) => h.fix.fixTime),
      Array.from({ length: total }, (_, i) => i * 1000).filter((_, i) => i !== 1),
      'positions reach ingest in the order they were sent',
    );
    assert.equal(counters.mqttAccepted, total - 1);
    assert.equal(counters.mqttRejected, 1);
    assert.equal(external.client.connected, true, 'the client stayed connected');
  });
});
