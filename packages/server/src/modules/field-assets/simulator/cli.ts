/**
 * `npx kotwal field simulate`: a demonstration and load-generating fleet
 * that drives Lahore's main roads and reports over the real device
 * protocols (OsmAnd HTTP as Traccar Client sends it, or MQTT JSON).
 *
 * It is a client of a Kotwal server, not part of one: it opens connections
 * only to the URLs given on its command line (--url / --mqtt-url / --api),
 * and needs no database.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { MQTT_DEFAULT_TOPIC_PREFIX, OSMAND_DEFAULT_PORT } from '@kotwal/contracts';
import type { ModuleCliEnv } from '#core/module.ts';
import { createFleet } from './model.ts';
import { ApiRequestError, registerFleet } from './register.ts';
import { runSimulation, type RunStats } from './runner.ts';
import { mqttTransport, osmandTransport, type Transport } from './transports.ts';

export interface FieldCliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Stops a run without --duration (default: SIGINT / SIGTERM). */
  stopSignal?: () => AbortSignal;
}

const defaultIo: FieldCliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export const MAX_DEVICES = 100_000;
export const MAX_TOTAL_RATE = 100_000;

function positiveInt(max: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError('must be a whole number.');
    const n = Number(v);
    if (n < 1 || n > max) throw new InvalidArgumentError(`must be between 1 and ${max}.`);
    return n;
  };
}

function positiveNumber(max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`must be a number above 0 and at most ${max}.`);
    return n;
  };
}

function probability(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a probability between 0 and 1.');
  return n;
}

function urlOf(schemes: readonly string[]) {
  return (v: string): string => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new InvalidArgumentError(`must be a URL such as ${schemes[0]}//127.0.0.1:${schemes[0] === 'http:' ? OSMAND_DEFAULT_PORT : 1883}.`);
    }
    if (!schemes.includes(u.protocol))
      throw new InvalidArgumentError(`must use ${schemes.map((s) => s.slice(0, -1)).join(' or ')}, not ${u.protocol.slice(0, -1)}.`);
    return v;
  };
}

function prefixOf(v: string): string {
  if (!/^[A-Za-z0-9._-]{1,40}$/.test(v)) throw new InvalidArgumentError('must be 1-40 letters, digits, dots, dashes or underscores.');
  return v;
}

interface SimulateFlags {
  devices: number;
  protocol: 'osmand' | 'mqtt';
  rate: number;
  osmandUrl: string;
  mqttUrl: string;
  topicPrefix: string;
  duration?: number;
  seed: number;
  prefix: string;
  concurrency: number;
  sos: number;
  register?: boolean;
  api?: string;
  token?: string;
  json?: boolean;
}

function formatStats(s: RunStats): string {
  const rejected = Object.entries(s.rejected)
    .map(([k, v]) => `${v}\u00d7${k}`)
    .join(' ');
  const lat = s.latencyMs ? `, latency p50 ${s.latencyMs.p50} ms p99 ${s.latencyMs.p99} ms` : '';
  return (
    `${s.elapsedSeconds}s: sent ${s.sent}, accepted ${s.accepted} (${s.acceptedPerSecond}/s)` +
    `${rejected ? `, rejected ${rejected}` : ''}${s.failed ? `, failed ${s.failed}` : ''}${s.skipped ? `, skipped ${s.skipped}` : ''}` +
    `${s.sos ? `, SOS ${s.sos}` : ''}${lat}`
  );
}

function defaultStopSignal(): AbortSignal {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  ac.signal.addEventListener('abort', () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
  return ac.signal;
}

export function simulateCommand(overrides: Partial<FieldCliIo> = {}): Command {
  const io: FieldCliIo = { ...defaultIo, ...overrides };
  const cmd = new Command('simulate')
    .description(
      'drive a simulated fleet along Lahore roads and send real device traffic (OsmAnd HTTP or MQTT) to a server; a client tool: connects only to the URLs given',
    )
    .requiredOption('--devices <n>', 'number of simulated devices', positiveInt(MAX_DEVICES))
    .addOption(new Option('--protocol <protocol>', 'device protocol').choices(['osmand', 'mqtt']).default('osmand'))
    .option('--rate <r>', 'positions per second PER DEVICE (the fleet sends devices \u00d7 rate per second)', positiveNumber(100), 0.2)
    .option('--url, --osmand-url <url>', 'OsmAnd endpoint (Traccar Client "server URL")', urlOf(['http:', 'https:']), `http://127.0.0.1:${OSMAND_DEFAULT_PORT}`)
    .option('--mqtt-url <url>', 'MQTT broker', urlOf(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:']), 'mqtt://127.0.0.1:1883')
    .option('--topic-prefix <prefix>', 'MQTT topic prefix (topics are <prefix>/<uniqueId>/position)', MQTT_DEFAULT_TOPIC_PREFIX)
    .option('--duration <s>', 'stop after this many seconds (default: run until Ctrl-C)', positiveNumber(7 * 86_400))
    .option('--seed <n>', 'random seed: the same seed drives the same routes', positiveInt(2 ** 31), 1)
    .option('--prefix <prefix>', 'device uniqueIds are <prefix>-0001, <prefix>-0002, ...', prefixOf, 'sim')
    .option('--concurrency <n>', 'requests in flight at once across the fleet', positiveInt(10_000), 64)
    .option('--sos <p>', 'chance per position of an SOS alarm', probability, 1 / 5000)
    .option('--register', 'create the devices (and issue device tokens) through the API first; needs --api and --token')
    .option('--api <url>', 'Kotwal API base URL for --register, e.g. http://127.0.0.1:8080', urlOf(['http:', 'https:']))
    .option('--token <token>', 'API token with field-assets.write, for --register')
    .option('--json', 'print the final figures as JSON');

  cmd.action(async (flags: SimulateFlags) => {
    if (flags.register && (!flags.api || !flags.token)) cmd.error('error: --register needs --api <url> and --token <token>', { exitCode: 2 });
    if (!flags.register && (flags.api || flags.token)) cmd.error('error: --api and --token are only used with --register', { exitCode: 2 });
    if (flags.devices * flags.rate > MAX_TOTAL_RATE) {
      cmd.error(`error: --devices \u00d7 --rate is ${flags.devices * flags.rate} positions per second; at most ${MAX_TOTAL_RATE}`, { exitCode: 2 });
    }

    let tokens = new Map<string, string>();
    if (flags.register && flags.api && flags.token) {
      const fleet = createFleet({ devices: flags.devices, seed: flags.seed, prefix: flags.prefix });
      try {
        const r = await registerFleet(fleet, { api: flags.api, token: flags.token, issueTokens: true });
        tokens = r.tokens;
        io.err(`registered ${r.created} new and ${r.existing} existing devices at ${flags.api} (device tokens issued)\n`);
      } catch (err) {
        if (err instanceof ApiRequestError) cmd.error(`error: registering devices failed: ${err.message}`, { exitCode: 1 });
        throw err;
      }
    }

    let transport: Transport;
    if (flags.protocol === 'mqtt') transport = await mqttTransport({ url: flags.mqttUrl, topicPrefix: flags.topicPrefix, tokens });
    else transport = osmandTransport({ url: flags.osmandUrl, connections: flags.concurrency, tokens });

    const target = flags.protocol === 'mqtt' ? flags.mqttUrl : flags.osmandUrl;
    io.err(
      `simulating ${flags.devices} devices over ${flags.protocol} to ${target}: ${flags.rate}/s each, ${Math.round(flags.devices * flags.rate * 10) / 10}/s in all` +
        `${flags.duration ? ` for ${flags.duration} s` : ' (Ctrl-C stops)'}\n`,
    );
    const stats = await runSimulation(
      {
        devices: flags.devices,
        rate: flags.rate,
        seed: flags.seed,
        prefix: flags.prefix,
        concurrency: flags.concurrency,
        sosProbability: flags.sos,
        ...(flags.duration !== undefined ? { durationSeconds: flags.duration } : { signal: (io.stopSignal ?? defaultStopSignal)() }),
        onProgress: (s) => io.err(`${formatStats(s)}\n`),
      },
      transport,
    );
    if (flags.json) io.out(`${JSON.stringify(stats)}\n`);
    else io.out(`${formatStats(stats)}${stats.lastError ? `\nlast error: ${stats.lastError}` : ''}\n`);
    if (stats.sent > 0 && stats.accepted === 0)
      cmd.error(`error: the server accepted none of ${stats.sent} positions (${stats.lastError ?? 'no answer'})`, { exitCode: 1 });
  });
  return cmd;
}

/** `kotwal field ...`: field-assets tools. Mounted by the module's index.ts (cli: (env) => [fieldCommand(env)]). */
export function fieldCommand(_env: ModuleCliEnv, io: Partial<FieldCliIo> = {}): Command {
  const cmd = new Command('field').description('field assets (Field Assets / ECV): device simulator');
  cmd.addCommand(simulateCommand(io));
  return cmd;
}
