/**
 * The long-lived connections to configured integrations: the PostgreSQL
 * pool (DATABASE_URL), NATS (NATS_URL) and an external MQTT broker
 * (MQTT_URL). They are opened only here, with the URL the caller read from
 * configuration (the composition root, the field-assets runtime); each is
 * logged at open with its host and port (never its credentials). They are
 * not ledgered: they are the node's own infrastructure, opened at start.
 *
 * PGlite is in-process (no network) and is opened by core/db directly.
 */
import type { Logger } from 'pino';
import pg from 'pg';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { describeDestination, parseDestination } from './destination.ts';

function checkScheme(url: string, schemes: readonly string[], what: string): string {
  const d = parseDestination(url);
  if (!schemes.includes(d.protocol)) throw new Error(`${what}: ${d.protocol.slice(0, -1)} is not one of ${schemes.map((s) => s.slice(0, -1)).join(', ')}`);
  return describeDestination(d);
}

export interface PostgresPoolOptions {
  /** postgres:// or postgresql:// URL (DATABASE_URL). */
  url: string;
  max: number;
  applicationName?: string;
  /** Parsers by type OID; other types keep pg's defaults. */
  typeParsers?: Readonly<Record<number, (value: string) => unknown>>;
  logger?: Logger;
}

/** A pg Pool to the configured database (not yet connected: pg connects on first use). */
export function openPostgresPool(opts: PostgresPoolOptions): pg.Pool {
  const where = checkScheme(opts.url, ['postgres:', 'postgresql:'], 'DATABASE_URL');
  const parsers = opts.typeParsers ?? {};
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      const own = parsers[oid];
      if (own) return own;
      return pg.types.getTypeParser(oid, format);
    },
  };
  opts.logger?.info({ destination: where }, 'egress: PostgreSQL pool (DATABASE_URL)');
  return new pg.Pool({ connectionString: opts.url, max: opts.max, types, application_name: opts.applicationName ?? 'kotwal' });
}

/** Server address and credentials from a nats:// URL. */
export function natsConnectionOptions(url: string): { servers: string; user?: string; pass?: string } {
  const u = new URL(url);
  return {
    servers: `${u.hostname}:${u.port || '4222'}`,
    ...(u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : {}),
  };
}

/** A NATS connection to the configured server (NATS_URL). */
export async function connectNats(url: string, options: { name?: string; maxReconnectAttempts?: number; logger?: Logger } = {}): Promise<NatsConnection> {
  const where = checkScheme(url, ['nats:', 'tls:'], 'NATS_URL');
  options.logger?.info({ destination: where }, 'egress: NATS connection (NATS_URL)');
  return natsConnect({
    ...natsConnectionOptions(url),
    ...(options.name ? { name: options.name } : {}),
    ...(options.maxReconnectAttempts !== undefined ? { maxReconnectAttempts: options.maxReconnectAttempts } : {}),
  });
}

/** An MQTT client of the configured external broker (MQTT_URL); mqtt.js connects and reconnects by itself. */
export function connectMqtt(url: string, options: IClientOptions, logger?: Logger): MqttClient {
  const where = checkScheme(url, ['mqtt:', 'mqtts:', 'ws:', 'wss:'], 'MQTT_URL');
  logger?.info({ destination: where }, 'egress: MQTT connection (MQTT_URL)');
  return mqtt.connect(url, options);
}
