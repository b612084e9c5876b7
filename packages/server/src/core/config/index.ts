/**
 * Configuration from the environment and an optional JSON file
 * (`KOTWAL_CONFIG=/etc/kotwal/config.json` or `--config FILE`). Environment
 * variables win over the file. Everything is validated at start; a bad value
 * stops the process with a message naming the variable.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface KotwalConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  natsUrl: string | null;
  logLevel: LogLevel;
  nodeName: string;
  signingKeyPath: string;
  secretsKeyPath: string;
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  loginRateLimitPerMinute: number;
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  lockoutThreshold: number;
  lockoutMinutes: number;
  cookieSecure: boolean;
  trustProxy: boolean;
  checkpointEveryEntries: number;
  checkpointIntervalSeconds: number;
  consoleDir: string | null;
  /** Registries anomaly control: queries per officer per minute before a block. */
  registryRatePerMinute: number;
  /** Registries anomaly control: distinct persons per officer per hour before a block. */
  registryBreadthPerHour: number;
  /** Days a covert registry access stays withheld from the access log. */
  registryCovertDisclosureDays: number;
  /** Most candidates a fuzzy search ranks before it asks for a narrower query. */
  registrySearchCandidates: number;
  /** Field assets: OsmAnd HTTP listener port (0 = any free port). */
  osmandPort: number;
  /** Field assets: embedded MQTT broker port (0 = any free port); unused when mqttUrl is set. */
  mqttPort: number;
  /** Field assets: external MQTT broker; null = the embedded Aedes broker. */
  mqttUrl: string | null;
  mqttTopicPrefix: string;
  deviceOfflineSeconds: number;
  /** Positions older than this (by fix time) are refused. */
  positionMaxAgeHours: number;
  /** Per-device flood limit: sustained positions per second (burst = 10 times this). */
  devicePositionsPerSecond: number;
  /** ISO 3166 code of the jurisdiction this node serves (e.g. PK-PB). */
  jurisdiction: string;
  /** Base URL peers use to reach this node (its identity states it); null = not announced. */
  publicUrl: string | null;
  /** Replica mode: base URL of the source node this node receives approved transfers from. */
  replicaOf: string | null;
  /** Egress: further destinations (host:port) configured integrations may reach, besides DATABASE_URL, NATS_URL and MQTT_URL. */
  egressAllow: string[];
  /** Replication: records per signed batch. */
  replicationBatchRecords: number;
  /** Origins (scheme://host[:port]) of map tile servers the console may load images from (its CSP img-src). */
  tileOrigins: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

/** The variables we read, with their file keys and defaults, for --help and the README. */
export const CONFIG_VARIABLES: { env: string; key: keyof KotwalConfig; description: string; default: string }[] = [
  { env: 'PORT', key: 'port', description: 'HTTP port of the API and console', default: '8080' },
  { env: 'HOST', key: 'host', description: 'address to listen on', default: '127.0.0.1' },
  { env: 'KOTWAL_DATA_DIR', key: 'dataDir', description: 'data directory (PGlite database, keys, blobs)', default: './data' },
  { env: 'DATABASE_URL', key: 'databaseUrl', description: 'PostgreSQL URL; unset = embedded PGlite in the data dir', default: '(unset)' },
  { env: 'NATS_URL', key: 'natsUrl', description: 'NATS JetStream URL; unset = in-process event bus', default: '(unset)' },
  { env: 'LOG_LEVEL', key: 'logLevel', description: 'fatal, error, warn, info, debug, trace or silent', default: 'info' },
  { env: 'KOTWAL_NODE_NAME', key: 'nodeName', description: 'name of this node; the origin line of its ledger checkpoints', default: 'kotwal.local' },
  {
    env: 'KOTWAL_SIGNING_KEY',
    key: 'signingKeyPath',
    description: 'Ed25519 ledger signing key (PEM, mode 0600), created on first start',
    default: '<data dir>/keys/ledger-signing-key.pem',
  },
  {
    env: 'KOTWAL_SECRETS_KEY',
    key: 'secretsKeyPath',
    description: 'AES-256 key that encrypts TOTP secrets at rest, created on first start',
    default: '<data dir>/keys/secrets.key',
  },
  { env: 'KOTWAL_BODY_LIMIT', key: 'bodyLimitBytes', description: 'largest accepted request body in bytes', default: '1048576' },
  { env: 'KOTWAL_RATE_LIMIT', key: 'rateLimitPerMinute', description: 'requests per minute per client address', default: '1200' },
  { env: 'KOTWAL_LOGIN_RATE_LIMIT', key: 'loginRateLimitPerMinute', description: 'login attempts per minute per client address', default: '30' },
  { env: 'KOTWAL_SESSION_IDLE_MINUTES', key: 'sessionIdleMinutes', description: 'idle session timeout', default: '30' },
  { env: 'KOTWAL_SESSION_MAX_HOURS', key: 'sessionMaxHours', description: 'absolute session lifetime', default: '12' },
  { env: 'KOTWAL_LOCKOUT_THRESHOLD', key: 'lockoutThreshold', description: 'failed logins before lockout', default: '5' },
  { env: 'KOTWAL_LOCKOUT_MINUTES', key: 'lockoutMinutes', description: 'lockout duration', default: '10' },
  { env: 'KOTWAL_COOKIE_SECURE', key: 'cookieSecure', description: 'mark session cookies Secure (true behind TLS)', default: 'false' },
  { env: 'KOTWAL_TRUST_PROXY', key: 'trustProxy', description: 'trust X-Forwarded-* from a reverse proxy', default: 'false' },
  { env: 'KOTWAL_CHECKPOINT_EVERY', key: 'checkpointEveryEntries', description: 'sign a ledger checkpoint after this many new entries', default: '1000' },
  {
    env: 'KOTWAL_CHECKPOINT_SECONDS',
    key: 'checkpointIntervalSeconds',
    description: 'sign a ledger checkpoint at least this often when entries are pending',
    default: '5',
  },
  {
    env: 'KOTWAL_REGISTRY_RATE_PER_MINUTE',
    key: 'registryRatePerMinute',
    description: 'registry queries per officer per minute before the anomaly control blocks them',
    default: '60',
  },
  {
    env: 'KOTWAL_REGISTRY_BREADTH_PER_HOUR',
    key: 'registryBreadthPerHour',
    description: 'distinct persons per officer per hour before the anomaly control blocks them',
    default: '300',
  },
  {
    env: 'KOTWAL_REGISTRY_COVERT_DAYS',
    key: 'registryCovertDisclosureDays',
    description: 'days a covert registry access is withheld from the who-looked-at-me log',
    default: '180',
  },
  { env: 'KOTWAL_REGISTRY_SEARCH_CANDIDATES', key: 'registrySearchCandidates', description: 'most candidates a fuzzy name search ranks', default: '2000' },
  { env: 'KOTWAL_CONSOLE_DIR', key: 'consoleDir', description: 'built console to serve; unset = packages/console/dist when present', default: '(auto)' },
  { env: 'OSMAND_PORT', key: 'osmandPort', description: 'field assets: OsmAnd HTTP listener (Traccar Client, OsmAnd app); 0 = any free port', default: '5055' },
  { env: 'MQTT_PORT', key: 'mqttPort', description: 'field assets: embedded MQTT broker port (when MQTT_URL is unset); 0 = any free port', default: '1883' },
  { env: 'MQTT_URL', key: 'mqttUrl', description: 'field assets: external MQTT broker (mqtt:// or mqtts://); unset = embedded broker', default: '(unset)' },
  {
    env: 'MQTT_TOPIC_PREFIX',
    key: 'mqttTopicPrefix',
    description: 'field assets: devices publish to <prefix>/<uniqueId>/position',
    default: 'kotwal/field-assets',
  },
  { env: 'KOTWAL_DEVICE_OFFLINE_SECONDS', key: 'deviceOfflineSeconds', description: 'field assets: a device silent this long is offline', default: '300' },
  {
    env: 'KOTWAL_POSITION_MAX_AGE_HOURS',
    key: 'positionMaxAgeHours',
    description: 'field assets: positions with an older fix time are refused',
    default: '168',
  },
  {
    env: 'KOTWAL_DEVICE_RATE',
    key: 'devicePositionsPerSecond',
    description: 'field assets: positions per second one device may send (burst 10x)',
    default: '10',
  },
  {
    env: 'KOTWAL_JURISDICTION',
    key: 'jurisdiction',
    description: 'ISO 3166 code of the jurisdiction this node serves (country or subdivision)',
    default: 'PK-PB',
  },
  { env: 'KOTWAL_PUBLIC_URL', key: 'publicUrl', description: 'base URL peers use to reach this node (stated in its signed identity)', default: '(unset)' },
  { env: 'KOTWAL_REPLICA_OF', key: 'replicaOf', description: 'replica mode: base URL of the source node (same as serve --replica-of)', default: '(unset)' },
  {
    env: 'KOTWAL_EGRESS_ALLOW',
    key: 'egressAllow',
    description: 'comma-separated host:port of configured integrations the egress gateway lets through (besides DATABASE_URL, NATS_URL, MQTT_URL)',
    default: '(none)',
  },
  {
    env: 'KOTWAL_TILE_ORIGINS',
    key: 'tileOrigins',
    description: "comma-separated origins of the city's map tile servers the console may load tiles from (added to its Content-Security-Policy img-src)",
    default: '(none: the bundled offline map and same-origin tiles)',
  },
  { env: 'KOTWAL_REPLICATION_BATCH', key: 'replicationBatchRecords', description: 'records per signed replication batch', default: '1000' },
];

function readFileSource(file: string): Source {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`config file ${file}: ${(err as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError([`config file ${file} is not valid JSON: ${(err as Error).message}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`config file ${file} must hold a JSON object`]);
  }
  const out: Source = {};
  const problems: string[] = [];
  for (const [k, v] of Object.entries(parsed)) {
    const spec = CONFIG_VARIABLES.find((c) => c.key === k || c.env === k);
    if (!spec) {
      problems.push(`config file ${file}: unknown key "${k}"`);
      continue;
    }
    out[spec.env] = v === null ? undefined : String(v);
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

export function loadConfig(env: Source = process.env, opts: { configFile?: string; cwd?: string } = {}): KotwalConfig {
  const cwd = opts.cwd ?? process.cwd();
  const file = opts.configFile ?? env['KOTWAL_CONFIG'];
  const fileSource = file ? readFileSource(path.resolve(cwd, file)) : {};
  const get = (name: string): string | undefined => {
    const v = env[name] ?? fileSource[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const problems: string[] = [];
  const int = (name: string, def: number, min: number, max: number): number => {
    const v = get(name);
    if (v === undefined) return def;
    if (!/^\d+$/.test(v.trim())) {
      problems.push(`${name} must be a whole number, got "${v}"`);
      return def;
    }
    const n = Number(v);
    if (n < min || n > max) problems.push(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  const bool = (name: string, def: boolean): boolean => {
    const v = get(name);
    if (v === undefined) return def;
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    problems.push(`${name} must be true or false, got "${v}"`);
    return def;
  };
  const url = (name: string, protocols: string[]): string | null => {
    const v = get(name);
    if (v === undefined) return null;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) problems.push(`${name} must use ${protocols.join(' or ')}, got "${u.protocol}"`);
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return v;
  };
  const levels: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!levels.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${levels.join(', ')}, got "${get('LOG_LEVEL')}"`);

  const dataDir = path.resolve(cwd, get('KOTWAL_DATA_DIR') ?? './data');
  const nodeName = get('KOTWAL_NODE_NAME') ?? 'kotwal.local';
  if (!/^[A-Za-z0-9][A-Za-z0-9.\-/]{0,127}$/.test(nodeName)) problems.push('KOTWAL_NODE_NAME must be 1-128 letters, digits, dots, hyphens or slashes');
  const consoleDir = get('KOTWAL_CONSOLE_DIR');
  const mqttTopicPrefix = get('MQTT_TOPIC_PREFIX') ?? 'kotwal/field-assets';
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(mqttTopicPrefix) || mqttTopicPrefix.length > 128) {
    problems.push('MQTT_TOPIC_PREFIX must be 1-128 characters of letters, digits, _ and -, in /-separated levels (no wildcards)');
  }

  const jurisdiction = get('KOTWAL_JURISDICTION') ?? 'PK-PB';
  if (!/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/.test(jurisdiction))
    problems.push(`KOTWAL_JURISDICTION must be an ISO 3166 code such as PK or PK-PB, got "${jurisdiction}"`);
  const egressAllow = (get('KOTWAL_EGRESS_ALLOW') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const d of egressAllow) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(d)) problems.push(`KOTWAL_EGRESS_ALLOW: "${d}" is not host:port`);
  }

  const tileOrigins = (get('KOTWAL_TILE_ORIGINS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of tileOrigins) {
    let ok: boolean;
    try {
      const u = new URL(o);
      ok = (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === o.replace(/\/$/, '');
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`KOTWAL_TILE_ORIGINS: "${o}" is not an origin (scheme://host[:port], no path)`);
  }

  const config: KotwalConfig = {
    port: int('PORT', 8080, 0, 65535),
    host: get('HOST') ?? '127.0.0.1',
    dataDir,
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    natsUrl: url('NATS_URL', ['nats:', 'tls:']),
    logLevel,
    nodeName,
    signingKeyPath: path.resolve(cwd, get('KOTWAL_SIGNING_KEY') ?? path.join(dataDir, 'keys', 'ledger-signing-key.pem')),
    secretsKeyPath: path.resolve(cwd, get('KOTWAL_SECRETS_KEY') ?? path.join(dataDir, 'keys', 'secrets.key')),
    bodyLimitBytes: int('KOTWAL_BODY_LIMIT', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    rateLimitPerMinute: int('KOTWAL_RATE_LIMIT', 1200, 1, 10_000_000),
    loginRateLimitPerMinute: int('KOTWAL_LOGIN_RATE_LIMIT', 30, 1, 10_000_000),
    sessionIdleMinutes: int('KOTWAL_SESSION_IDLE_MINUTES', 30, 1, 24 * 60),
    sessionMaxHours: int('KOTWAL_SESSION_MAX_HOURS', 12, 1, 24 * 7),
    lockoutThreshold: int('KOTWAL_LOCKOUT_THRESHOLD', 5, 1, 100),
    lockoutMinutes: int('KOTWAL_LOCKOUT_MINUTES', 10, 1, 24 * 60),
    cookieSecure: bool('KOTWAL_COOKIE_SECURE', false),
    trustProxy: bool('KOTWAL_TRUST_PROXY', false),
    checkpointEveryEntries: int('KOTWAL_CHECKPOINT_EVERY', 1000, 1, 10_000_000),
    checkpointIntervalSeconds: int('KOTWAL_CHECKPOINT_SECONDS', 5, 1, 86_400),
    consoleDir: consoleDir ? path.resolve(cwd, consoleDir) : null,
    registryRatePerMinute: int('KOTWAL_REGISTRY_RATE_PER_MINUTE', 60, 1, 1_000_000_000),
    registryBreadthPerHour: int('KOTWAL_REGISTRY_BREADTH_PER_HOUR', 300, 1, 1_000_000_000),
    registryCovertDisclosureDays: int('KOTWAL_REGISTRY_COVERT_DAYS', 180, 0, 36_500),
    registrySearchCandidates: int('KOTWAL_REGISTRY_SEARCH_CANDIDATES', 2000, 10, 1_000_000),
    osmandPort: int('OSMAND_PORT', 5055, 0, 65535),
    mqttPort: int('MQTT_PORT', 1883, 0, 65535),
    mqttUrl: url('MQTT_URL', ['mqtt:', 'mqtts:', 'ws:', 'wss:']),
    mqttTopicPrefix,
    deviceOfflineSeconds: int('KOTWAL_DEVICE_OFFLINE_SECONDS', 300, 10, 7 * 86_400),
    positionMaxAgeHours: int('KOTWAL_POSITION_MAX_AGE_HOURS', 168, 1, 24 * 3650),
    devicePositionsPerSecond: int('KOTWAL_DEVICE_RATE', 10, 1, 100_000),
    jurisdiction,
    publicUrl: url('KOTWAL_PUBLIC_URL', ['http:', 'https:']),
    replicaOf: url('KOTWAL_REPLICA_OF', ['http:', 'https:']),
    egressAllow,
    replicationBatchRecords: int('KOTWAL_REPLICATION_BATCH', 1000, 1, 100_000),
    tileOrigins: tileOrigins.map((o) => o.replace(/\/$/, '')),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
