/**
 * The module's running parts for one app (keyed by its CoreContext, so two
 * apps in one process, as in tests, stay apart): hot state, ingest pipeline,
 * live hub, service, listeners and timers. Routes (registered first) and
 * start() (run once the app is ready) share it.
 */
import type { FieldLiveMessage } from '@kotwal/contracts';
import type { CoreContext, Principal } from '#core/context.ts';
import { Ingest } from './ingest.ts';
import { connectExternalBroker, startEmbeddedBroker, startOsmand, type ExternalMqtt, type Listener, type ListenerCounters } from './listeners.ts';
import { LiveHub } from './live.ts';
import { presentEvent, presentPosition } from './presenters.ts';
import { ensurePartitions } from './repository.ts';
import { FieldAssetsService } from './service.ts';
import { FieldState } from './state.ts';

export interface FieldAssetsRuntime {
  ctx: CoreContext;
  state: FieldState;
  ingest: Ingest;
  hub: LiveHub;
  service: FieldAssetsService;
  counters: ListenerCounters;
  /** Bound ports (null when not listening: not started, or the port was taken). */
  ports: { osmand: number | null; mqtt: number | null };
  external: ExternalMqtt | null;
}

const runtimes = new WeakMap<CoreContext, FieldAssetsRuntime>();

export function runtimeFor(ctx: CoreContext): FieldAssetsRuntime {
  const existing = runtimes.get(ctx);
  if (existing) return existing;
  const state = new FieldState();
  const onError = (err: unknown): void => ctx.logger.error({ err }, 'field-assets: live stream error');
  // The hub needs the service (covert-view ledger) and the service the hub (device changes): late-bound.
  let service: FieldAssetsService | null = null;
  const hub = new LiveHub({
    stateMessage: (deviceId): FieldLiveMessage | null => (state.byId.has(deviceId) ? { type: 'status', deviceId, state: state.stateOf(deviceId) } : null),
    ledgerCovertView: (principal: Principal, ids: string[], via: string) => (service ? service.ledgerCovertView(principal, ids, via) : Promise.resolve()),
    isCovert: (id) => state.byId.get(id)?.covert ?? false,
    onError,
  });
  const ingest = new Ingest(ctx, state, {
    positions: (items) => hub.positions(items.map((i) => ({ position: presentPosition(i.position), covert: i.covert }))),
    status: (deviceId, covert) => hub.status(deviceId, covert),
    events: (items) => hub.events(items.map((i) => ({ event: presentEvent(i.row), covert: i.covert }))),
  });
  service = new FieldAssetsService(ctx, state, { deviceChanged: (full, open) => hub.deviceChanged(full, open) });
  const rt: FieldAssetsRuntime = {
    ctx,
    state,
    ingest,
    hub,
    service,
    counters: { mqttOversize: 0, mqttRejected: 0, mqttAccepted: 0, mqttConnectionsRefused: 0, mqttReconnects: 0 },
    ports: { osmand: null, mqtt: null },
    external: null,
  };
  runtimes.set(ctx, rt);
  return rt;
}

/** The ports the device listeners are bound to (OSMAND_PORT / MQTT_PORT may be 0 = any free port). */
export function fieldAssetsPorts(ctx: CoreContext): { osmand: number | null; mqtt: number | null } {
  return { ...(runtimes.get(ctx)?.ports ?? { osmand: null, mqtt: null }) };
}

/** Test and bench access to the running parts. */
export function fieldAssetsRuntime(ctx: CoreContext): FieldAssetsRuntime | null {
  return runtimes.get(ctx) ?? null;
}

/**
 * Starts the listeners and timers. A listener whose port is taken is logged
 * as an error and left off (the API and the other listener still serve), so
 * one-shot commands that build the app (openapi) do not fail on a busy port.
 */
export async function startFieldAssets(ctx: CoreContext): Promise<() => Promise<void>> {
  const rt = runtimeFor(ctx);
  const { config, logger } = ctx;
  await rt.state.load(ctx.db);
  await ensurePartitions(ctx.db, Date.now() - config.positionMaxAgeHours * 3_600_000, 2);
  rt.hub.start();
  const listeners: Listener[] = [];
  try {
    const l = await startOsmand({ host: config.host, port: config.osmandPort, ingest: rt.ingest, logger });
    listeners.push(l);
    rt.ports.osmand = l.port;
    logger.info({ port: l.port }, 'field-assets: OsmAnd listener ready');
  } catch (err) {
    logger.error({ err, port: config.osmandPort }, 'field-assets: the OsmAnd listener could not start (OSMAND_PORT)');
  }
  if (config.mqttUrl) {
    rt.external = connectExternalBroker({ url: config.mqttUrl, prefix: config.mqttTopicPrefix, ingest: rt.ingest, logger, counters: rt.counters });
  } else {
    try {
      const b = await startEmbeddedBroker({
        host: config.host,
        port: config.mqttPort,
        prefix: config.mqttTopicPrefix,
        ingest: rt.ingest,
        state: rt.state,
        db: ctx.db,
        logger,
        counters: rt.counters,
      });
      listeners.push(b);
      rt.ports.mqtt = b.port;
      logger.info({ port: b.port }, 'field-assets: embedded MQTT broker ready');
    } catch (err) {
      logger.error({ err, port: config.mqttPort }, 'field-assets: the embedded MQTT broker could not start (MQTT_PORT)');
    }
  }
  const sweepEvery = Math.min(30_000, (config.deviceOfflineSeconds * 1000) / 4);
  const sweep = setInterval(() => {
    rt.ingest.sweepOffline().catch((err: unknown) => logger.error({ err }, 'field-assets: offline sweep failed'));
  }, sweepEvery);
  sweep.unref();
  const partitions = setInterval(() => {
    ensurePartitions(ctx.db, Date.now(), 2).catch((err: unknown) => logger.error({ err }, 'field-assets: creating position partitions failed'));
  }, 24 * 3_600_000);
  partitions.unref();
  return async () => {
    clearInterval(sweep);
    clearInterval(partitions);
    for (const l of listeners) await l.close().catch((err: unknown) => logger.error({ err }, 'field-assets: closing a listener failed'));
    if (rt.external) await rt.external.close();
    await rt.ingest.stop();
    await rt.hub.stop();
    rt.ports.osmand = null;
    rt.ports.mqtt = null;
  };
}
