/**
 * Destinations as the egress policy compares them: a lower-case host (as the
 * WHATWG URL parser spells it, IPv6 in brackets) and a port, with the
 * scheme's default port filled in. Names are compared as written, never
 * resolved: `localhost` and `127.0.0.1` are different destinations.
 */
import type { KotwalConfig } from '#core/config/index.ts';

export const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  'http:': 80,
  'https:': 443,
  'ws:': 80,
  'wss:': 443,
  'postgres:': 5432,
  'postgresql:': 5432,
  'nats:': 4222,
  'tls:': 4222,
  'mqtt:': 1883,
  'tcp:': 1883,
  'mqtts:': 8883,
  'ssl:': 8883,
};

export interface Destination {
  host: string;
  port: number;
}

export interface ParsedDestination extends Destination {
  url: URL;
  protocol: string;
}

export class InvalidDestinationError extends Error {
  override name = 'InvalidDestinationError';
}

/** Host and port of a URL (the scheme's default port when none is written). */
export function parseDestination(raw: string | URL): ParsedDestination {
  let url: URL;
  try {
    url = raw instanceof URL ? new URL(raw.href) : new URL(raw);
  } catch {
    throw new InvalidDestinationError(`"${String(raw).slice(0, 200)}" is not a URL`);
  }
  const protocol = url.protocol.toLowerCase();
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[protocol];
  if (port === undefined) throw new InvalidDestinationError(`the scheme ${protocol.slice(0, -1)} has no default port; write the port`);
  if (!url.hostname) throw new InvalidDestinationError(`${redactUrl(url)} names no host`);
  return { url, protocol, host: url.hostname.toLowerCase(), port };
}

/** A `host:port` entry (KOTWAL_EGRESS_ALLOW), normalised as a URL's host would be. */
export function parseHostPort(entry: string): Destination {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry.trim());
  if (!m) throw new InvalidDestinationError(`"${entry}" is not host:port`);
  const u = new URL(`http://${m[1]}`);
  return { host: u.hostname.toLowerCase(), port: Number(m[2]) };
}

export function sameDestination(a: Destination, b: Destination): boolean {
  return a.host === b.host && a.port === b.port;
}

export function describeDestination(d: Destination): string {
  return `${d.host}:${d.port}`;
}

/** The URL without user, password, query or fragment: what logs and the ledger keep. */
export function redactUrl(raw: string | URL): string {
  try {
    const u = raw instanceof URL ? new URL(raw.href) : new URL(raw);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

export type IntegrationName = 'database' | 'nats' | 'mqtt' | 'egress-allow';

export interface Integration extends Destination {
  name: IntegrationName;
  /** Where it is configured (for refusal messages). */
  source: string;
}

/** The destinations configuration names: DATABASE_URL, NATS_URL, MQTT_URL and each KOTWAL_EGRESS_ALLOW entry. */
export function configuredIntegrations(config: Pick<KotwalConfig, 'databaseUrl' | 'natsUrl' | 'mqttUrl' | 'egressAllow'>): Integration[] {
  const out: Integration[] = [];
  const add = (name: IntegrationName, source: string, raw: string | null): void => {
    if (!raw) return;
    try {
      const d = parseDestination(raw);
      out.push({ name, source, host: d.host, port: d.port });
    } catch {
      // Configuration validated the URL at start; an unparsable one allows nothing.
    }
  };
  add('database', 'DATABASE_URL', config.databaseUrl);
  add('nats', 'NATS_URL', config.natsUrl);
  add('mqtt', 'MQTT_URL', config.mqttUrl);
  for (const entry of config.egressAllow) {
    try {
      out.push({ name: 'egress-allow', source: 'KOTWAL_EGRESS_ALLOW', ...parseHostPort(entry) });
    } catch {
      // as above
    }
  }
  return out;
}

/** Base URL (origin + path prefix without a trailing slash) of a node address such as `https://node.example/kotwal/`. */
export function baseOf(address: string): { dest: ParsedDestination; prefix: string } {
  const dest = parseDestination(address);
  return { dest, prefix: dest.url.pathname.replace(/\/+$/, '') };
}
