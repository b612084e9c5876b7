/**
 * The device-facing listeners, separate from the API port:
 * - OsmAnd HTTP (node:http, any method and path, query string, form body or
 *   JSON body), answering as Traccar does: 200 empty on success, 400 for a
 *   malformed request or an unknown device (form/query), 404 for an unknown
 *   device (JSON); plus 401 (wrong or missing device token), 429 (flood) and
 *   503 (storage unavailable), each with a one-line plain-text reason.
 * - MQTT: the embedded Aedes broker (devices authenticate with username =
 *   uniqueId and password = device token, may publish only to their own
 *   position topic and may not subscribe), or a client of an external broker
 *   (MQTT_URL) that subscribes to <prefix>/+/position and reconnects with
 *   back-off. A PUBACK is sent only after the position is committed (or
 *   refused), in the order the PUBLISH packets arrived; the embedded broker
 *   reads a device's next messages meanwhile (up to MQTT_MAX_UNANSWERED in
 *   flight per connection). Payloads over MQTT_MAX_PAYLOAD_BYTES are dropped with a log
 *   line and a counter; a packet over the hard frame limit closes the
 *   connection before it is buffered.
 */
import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { MQTT_MAX_PAYLOAD_BYTES, MQTT_POSITION_SUFFIX, mqttPositionWildcard } from '@kotwal/contracts';
import { connectMqtt } from '#core/egress/index.ts';
import { decodeMqttPayload, decodeOsmandJson, decodeOsmandParams, IngestError } from './osmand.ts';
import { tokenMatches, type Ingest } from './ingest.ts';
import type { DeviceInfo, FieldState } from './state.ts';

const MAX_OSMAND_BODY = 64 * 1024;
/** Largest MQTT packet the embedded broker buffers; larger ones close the connection. */
export const MQTT_HARD_FRAME_LIMIT = 256 * 1024;

export interface Listener {
  port: number;
  close(): Promise<void>;
}

export interface ListenerCounters {
  mqttOversize: number;
  mqttRejected: number;
  mqttAccepted: number;
  mqttConnectionsRefused: number;
  mqttReconnects: number;
}

// ---- OsmAnd HTTP --------------------------------------------------------------

export async function startOsmand(opts: { host: string; port: number; ingest: Ingest; logger: Logger }): Promise<Listener> {
  const { ingest, logger } = opts;
  const answer = (res: http.ServerResponse, status: number, text = ''): void => {
    if (res.headersSent || res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > MAX_OSMAND_BODY) {
        tooLarge = true;
        answer(res, 413, `the body exceeds ${MAX_OSMAND_BODY} bytes\n`);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (tooLarge) return;
      void handle(req, Buffer.concat(chunks), res);
    });
  });
  const handle = async (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> => {
    const now = Date.now();
    const rawUrl = req.url ?? '/';
    const qi = rawUrl.indexOf('?');
    const params = new URLSearchParams(qi >= 0 ? rawUrl.slice(qi + 1) : '');
    const type = String(req.headers['content-type'] ?? '').toLowerCase();
    const text = body.toString('utf8');
    const isJson = type.includes('json') || (!type.includes('form') && /^\s*[{[]/.test(text));
    let unknownStatus: 400 | 404 = 400;
    try {
      let fix;
      if (isJson) {
        unknownStatus = 404;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new IngestError(400, '(body)', 'the body is not valid JSON');
        }
        fix = decodeOsmandJson(parsed, now);
        const qt = params.get('token');
        if (!fix.token && qt) fix.token = qt;
      } else {
        if (text.length) for (const [k, v] of new URLSearchParams(text)) params.append(k, v);
        if (![...params.keys()].length) throw new IngestError(400, '(request)', 'no parameters: send id, lat, lon and timestamp (query string or form body)');
        fix = decodeOsmandParams(params, now);
      }
      await ingest.submit(fix, { unknownStatus });
      answer(res, 200);
    } catch (err) {
      if (err instanceof IngestError) {
        answer(res, err.status, `${err.message}\n`);
        return;
      }
      logger.error({ err }, 'field-assets: OsmAnd request failed');
      answer(res, 500, 'internal error\n');
    }
  };
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 30_000;
  server.maxRequestsPerSocket = 0;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'field-assets: OsmAnd listener error'));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// ---- MQTT ------------------------------------------------------------------------

/** Tracks MQTT frame boundaries on a byte stream; false when a frame exceeds the limit (before it is buffered). */
export class FrameGuard {
  private skip = 0;
  private inLength = false;
  private len = 0;
  private mul = 1;
  private lenBytes = 0;

  constructor(private readonly limit: number) {}

  feed(buf: Buffer): boolean {
    let i = 0;
    while (i < buf.length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, buf.length - i);
        this.skip -= take;
        i += take;
        continue;
      }
      const b = buf[i++];
      if (!this.inLength) {
        this.inLength = true;
        this.len = 0;
        this.mul = 1;
        this.lenBytes = 0;
        continue;
      }
      this.len += (b & 0x7f) * this.mul;
      this.mul *= 128;
      this.lenBytes++;
      if (this.lenBytes > 4) return false;
      if ((b & 0x80) === 0) {
        this.inLength = false;
        if (this.len > this.limit) return false;
        this.skip = this.len;
      }
    }
    return true;
  }
}

/**
 * The socket behind a frame guard. Writes: the broker's packet writer corks this stream for the
 * turn of the event loop, so the pieces of every packet written to one client in that turn (the
 * PUBACKs of a committed batch) reach the socket as one buffer, one system call; the write is
 * complete when the socket takes it, or on 'drain' when the socket's buffer is full (back-pressure).
 */
function guardedStream(socket: net.Socket, limit: number, onOversize: () => void): Duplex {
  const guard = new FrameGuard(limit);
  const send = (buf: Buffer, cb: (err?: Error | null) => void): void => {
    if (socket.destroyed || socket.write(buf)) cb();
    else socket.once('drain', () => cb());
  };
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      send(chunk, cb);
    },
    writev(chunks, cb) {
      send(chunks.length === 1 ? (chunks[0].chunk as Buffer) : Buffer.concat(chunks.map((c) => c.chunk as Buffer)), cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on('data', (buf: Buffer) => {
    if (!guard.feed(buf)) {
      onOversize();
      socket.destroy();
      return;
    }
    if (!d.push(buf)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', () => d.destroy());
  socket.on('close', () => d.destroy());
  return d;
}

const EMPTY = Buffer.alloc(0);
/** Given to mqtt.js's handleMessage callback: it then sends no PUBACK (ours leaves after the commit) and handles the next message. */
const ACK_WRITTEN_BY_US = new Error('the PUBACK is written after the commit');
/** Positions of one device's MQTT connection being ingested at once; beyond this the broker reads nothing more from it until one is answered. */
export const MQTT_MAX_UNANSWERED = 64;
/**
 * The same for the connection to an external broker, which carries every device: enough for batches of thousands,
 * while a backlog waits in the broker rather than in the ingest queue ahead of other devices' positions.
 */
export const MQTT_EXTERNAL_MAX_UNANSWERED = 2000;

interface PubackSession {
  /** QoS 1 message ids in the order their PUBLISH arrived, and whether each is committed (or refused). */
  owed: { id: number; ready: boolean }[];
  /** Ids whose PUBACK leaves at the end of this turn of the event loop. */
  out: number[];
  flushing: boolean;
  /** Messages being ingested (QoS 0 and 1). */
  inFlight: number;
  /** Readers held past the limit (the broker's callbacks for one read at most; one message of an external broker's stream). */
  held: (() => void)[];
}

/**
 * PUBACKs decoupled from reading, for the embedded broker and for the client of an external broker. Left to
 * themselves, Aedes reads nothing more from a device until every message of its last read is answered, and mqtt.js
 * handles the messages an external broker delivers one at a time, each waiting for its PUBACK (so for its commit:
 * one position per transaction). Here the reader goes on as soon as a message is queued for ingest, and the queue
 * writes each PUBACK once its position is committed or refused, in the order the PUBLISH packets arrived
 * (MQTT-4.6.0-2); the PUBACKs due on one connection in one turn of the event loop leave as one write. At most
 * `limit` messages of one connection are in flight (plus what the last read held): past that the reader is held
 * until the connection is back under the limit. A PUBACK due on a connection that has closed meanwhile is
 * dropped (the position is stored; a redelivery is a duplicate, ignored).
 */
class PubackQueue<K extends object> {
  private readonly sessions = new WeakMap<K, PubackSession>();

  /** `write(key, buf)`: writes PUBACK bytes to the connection `key` if it is still open. */
  constructor(
    private readonly limit: number,
    private readonly write: (key: K, buf: Buffer) => void,
  ) {}

  /**
   * Ingests one message of connection `key` (`messageId` null: QoS 0, nothing to answer); `resume` lets the reader
   * go on, at once or, past the limit, once the connection is back under it.
   */
  track(key: K, messageId: number | null, ingest: () => Promise<void>, resume: () => void): void {
    let s = this.sessions.get(key);
    if (!s) {
      s = { owed: [], out: [], flushing: false, inFlight: 0, held: [] };
      this.sessions.set(key, s);
    }
    const session = s;
    const entry = messageId === null ? null : { id: messageId, ready: false };
    if (entry) session.owed.push(entry);
    session.inFlight++;
    void ingest().finally(() => {
      session.inFlight--;
      if (entry) {
        entry.ready = true;
        this.release(key, session);
      }
      if (session.held.length && session.inFlight < this.limit) for (const go of session.held.splice(0)) go();
    });
    if (session.inFlight <= this.limit) resume();
    else session.held.push(resume);
  }

  private release(key: K, s: PubackSession): void {
    let n = 0;
    while (n < s.owed.length && s.owed[n].ready) s.out.push(s.owed[n++].id);
    if (!n) return;
    s.owed.splice(0, n);
    if (s.flushing) return;
    s.flushing = true;
    process.nextTick(() => {
      s.flushing = false;
      const ids = s.out;
      s.out = [];
      // PUBACK: fixed header 0x40, remaining length 2, message id (MQTT 3.1.1; valid in MQTT 5 for success without properties).
      const buf = Buffer.allocUnsafe(4 * ids.length);
      for (let i = 0; i < ids.length; i++) {
        buf[4 * i] = 0x40;
        buf[4 * i + 1] = 2;
        buf.writeUInt16BE(ids[i], 4 * i + 2);
      }
      this.write(key, buf);
    });
  }
}

function topicDevice(topic: string, prefix: string): string | null {
  if (!topic.startsWith(`${prefix}/`) || !topic.endsWith(`/${MQTT_POSITION_SUFFIX}`)) return null;
  const id = topic.slice(prefix.length + 1, topic.length - MQTT_POSITION_SUFFIX.length - 1);
  return /^[A-Za-z0-9._:-]{1,64}$/.test(id) ? id : null;
}

/** Decodes and submits one MQTT message; never throws. */
async function ingestMqtt(
  ingest: Ingest,
  logger: Logger,
  counters: ListenerCounters,
  uniqueId: string,
  payload: Buffer,
  authenticated: boolean,
): Promise<void> {
  if (payload.length > MQTT_MAX_PAYLOAD_BYTES) {
    counters.mqttOversize++;
    ingest.stats.mqttOversize++;
    logger.warn({ uniqueId, bytes: payload.length, limit: MQTT_MAX_PAYLOAD_BYTES }, 'field-assets: MQTT payload over the limit dropped');
    return;
  }
  try {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      throw new IngestError(400, '(payload)', 'the payload is not valid JSON');
    }
    await ingest.submit(decodeMqttPayload(uniqueId, body, Date.now()), { unknownStatus: 404, authenticated });
    counters.mqttAccepted++;
  } catch (err) {
    counters.mqttRejected++;
    if (err instanceof IngestError) logger.debug({ uniqueId, status: err.status, reason: err.message }, 'field-assets: MQTT position refused');
    else logger.error({ err, uniqueId }, 'field-assets: MQTT position failed');
  }
}

export async function startEmbeddedBroker(opts: {
  host: string;
  port: number;
  prefix: string;
  ingest: Ingest;
  state: FieldState;
  db: Parameters<FieldState['lookup']>[0];
  logger: Logger;
  counters: ListenerCounters;
}): Promise<Listener> {
  const { ingest, state, logger, counters, prefix } = opts;
  const devices = new WeakMap<Client, DeviceInfo>();
  const authError = (code: AuthenticateError['returnCode'], message: string): AuthenticateError => {
    const e = new Error(message) as AuthenticateError;
    e.returnCode = code;
    return e;
  };
  const broker = await Aedes.createBroker({
    maxClientsIdLength: 64,
    authenticate: (client, username, password, done) => {
      void (async () => {
        const d = username ? await state.lookup(opts.db, username, Date.now()) : null;
        const token = password ? password.toString('utf8') : '';
        if (!d || !d.tokenHash || !token || !tokenMatches(token, d.tokenHash) || d.status === 'retired') {
          counters.mqttConnectionsRefused++;
          done(authError(4, 'bad username or password'), false);
          return;
        }
        devices.set(client, d);
        done(null, true);
      })().catch((err: unknown) => {
        logger.error({ err }, 'field-assets: MQTT authentication failed');
        done(authError(3, 'server unavailable'), false);
      });
    },
    // Devices may not subscribe: the subscription is refused (granted QoS 128), the connection kept.
    authorizeSubscribe: (_client, _sub, done) => done(null, null),
    authorizePublish: (client, packet, done) => {
      const d = client ? devices.get(client) : undefined;
      const id = topicDevice(packet.topic, prefix);
      if (!client || !d || id !== d.uniqueId) {
        done(new Error(`may publish only to ${prefix}/<own uniqueId>/${MQTT_POSITION_SUFFIX}`));
        return;
      }
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      // Not forwarded: nobody subscribes.
      packet.payload = EMPTY;
      if (packet.qos === 2 || (packet.qos === 1 && typeof packet.messageId !== 'number')) {
        // QoS 2, and a will (no message id): the broker answers once this is committed, and reads nothing more from the client meanwhile.
        void ingestMqtt(ingest, logger, counters, d.uniqueId, payload, true).finally(() => done(null));
        return;
      }
      const messageId = packet.qos === 1 ? (packet.messageId as number) : null;
      // Passed on to the broker as QoS 0, which it does not acknowledge: the PUBACK is ours, after the commit.
      packet.qos = 0;
      acks.track(
        client,
        messageId,
        () => ingestMqtt(ingest, logger, counters, d.uniqueId, payload, true),
        () => done(null),
      );
    },
  });
  const acks = new PubackQueue<Client>(MQTT_MAX_UNANSWERED, (client, buf) => {
    const conn = client.conn as Duplex | undefined;
    if (!client.closed && conn && !conn.destroyed && conn.writable) conn.write(buf);
  });
  broker.on('clientError', (_client, err) => logger.debug({ err: err.message }, 'field-assets: MQTT client error'));
  broker.on('connectionError', (_client, err) => logger.debug({ err: err.message }, 'field-assets: MQTT connection error'));
  const server = net.createServer((socket) => {
    const stream = guardedStream(socket, MQTT_HARD_FRAME_LIMIT, () => {
      counters.mqttOversize++;
      logger.warn({ limit: MQTT_HARD_FRAME_LIMIT, remote: socket.remoteAddress }, 'field-assets: MQTT packet over the frame limit; connection closed');
    });
    broker.handle(stream);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // The port is taken: stop the broker's heartbeat timers, or they keep the process alive.
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }
  server.on('error', (err) => logger.error({ err }, 'field-assets: MQTT listener error'));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ExternalMqtt {
  client: MqttClient;
  close(): Promise<void>;
}

/** Subscribes to <prefix>/+/position on an external broker; reconnects with exponential back-off (1 s to 30 s). */
export function connectExternalBroker(opts: { url: string; prefix: string; ingest: Ingest; logger: Logger; counters: ListenerCounters }): ExternalMqtt {
  const { ingest, logger, counters, prefix } = opts;
  const base = 1000;
  // An outbound connection: opened by core/egress, to the configured MQTT_URL only.
  const client = connectMqtt(
    opts.url,
    {
      clientId: `kotwal-field-assets-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
      reconnectPeriod: base,
      connectTimeout: 10_000,
      resubscribe: true,
      protocolVersion: 4,
    },
    logger,
  );
  let connected = false;
  client.on('connect', () => {
    connected = true;
    client.options.reconnectPeriod = base;
    client.subscribe(mqttPositionWildcard(prefix), { qos: 1 }, (err) => {
      if (err) logger.error({ err }, 'field-assets: MQTT subscribe failed');
    });
    logger.info({ url: redact(opts.url) }, 'field-assets: connected to the MQTT broker');
  });
  client.on('reconnect', () => {
    counters.mqttReconnects++;
  });
  client.on('close', () => {
    if (connected) logger.warn({ url: redact(opts.url) }, 'field-assets: MQTT broker connection lost; reconnecting');
    connected = false;
    client.options.reconnectPeriod = Math.min(30_000, (client.options.reconnectPeriod ?? base) * 2);
  });
  client.on('error', (err) => logger.warn({ err: err.message }, 'field-assets: MQTT client error'));
  // Acknowledge (QoS 1) only once the position is committed or refused. mqtt.js handles one message at a time and sends
  // its PUBACK when handleMessage calls back, so waiting for the commit there took one position per transaction (and the
  // broker dropped what queued up behind). The PUBACK is written by `acks` instead, in order, and mqtt.js goes on to the
  // next message at once: called back with an error, it sends no PUBACK of its own (and raises nothing).
  const acks = new PubackQueue<MqttClient['stream']>(MQTT_EXTERNAL_MAX_UNANSWERED, (stream, buf) => {
    if (stream === client.stream && client.connected && !stream.destroyed && stream.writable) stream.write(buf);
  });
  client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void) => {
    const id = topicDevice(packet.topic, prefix);
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const qos1 = packet.qos === 1 && typeof packet.messageId === 'number';
    if (packet.qos === 2) {
      // Not subscribed at QoS 2; should a broker send it anyway, mqtt.js answers it after the commit.
      void (id ? ingestMqtt(ingest, logger, counters, id, payload, true) : Promise.resolve()).finally(() => done());
      return;
    }
    acks.track(
      client.stream,
      qos1 ? (packet.messageId as number) : null,
      () => (id ? ingestMqtt(ingest, logger, counters, id, payload, true) : Promise.resolve()),
      () => done(qos1 ? ACK_WRITTEN_BY_US : undefined),
    );
  };
  return {
    client,
    close: () => new Promise<void>((resolve) => client.end(true, {}, () => resolve())),
  };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
