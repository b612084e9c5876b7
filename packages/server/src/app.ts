/**
 * Composition root: core first (database, ledger, events, auth, HTTP), then
 * the modules. Nothing else wires parts together.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { KotwalConfig } from '#core/config/index.ts';
import { openDatabase, type Database, type Queryable } from '#core/db/index.ts';
import { migrate, type MigrationSet } from '#core/db/migrate.ts';
import type { CoreContext } from '#core/context.ts';
import type { ModuleDefinition } from '#core/module.ts';
import { createHttpServer } from '#core/http/server.ts';
import { registerConsole } from '#core/http/console.ts';
import type { KotwalFastify } from '#core/http/types.ts';
import { createLogger } from '#core/observability/logger.ts';
import { createMetrics } from '#core/observability/metrics.ts';
import { Ledger, ledgerMigrations, ledgerRoutes } from '#core/ledger/index.ts';
import { OutboxEventBus, eventsMigrations, inProcessTransport, natsTransport, pendingCount, type EventTransport } from '#core/events/index.ts';
import {
  authMigrations,
  authRoutes,
  createAuthService,
  createAuthenticator,
  ensureBuiltInRoles,
  ensureFirstAdmin,
  type AuthService,
} from '#core/auth/index.ts';
import { systemRoutes } from '#core/system/routes.ts';
import { createEgressGateway } from '#core/egress/index.ts';
import { createSovereigntyService, sovereigntyMigrations, sovereigntyRoutes, type SovereigntyService } from '#core/sovereignty/index.ts';
import { createGrantsService, grantsAuthenticator, grantsMigrations, grantsRoutes, type GrantsService } from '#core/sovereignty/grants/index.ts';
import { modules as installedModules } from '#modules/index.ts';

export const VERSION: string = (JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string }).version;

export interface BuildAppOptions {
  config: KotwalConfig;
  logger?: Logger;
  /** An already open database (tests); otherwise opened from config. */
  db?: Database;
  /** Modules to mount; defaults to every installed module. */
  modules?: readonly ModuleDefinition[];
  /** Where the first admin's one-time password is printed. */
  print?: (line: string) => void;
  /** Extra routes (tests use this to prove the permission rule). */
  extraRoutes?: (app: KotwalFastify, ctx: CoreContext) => Promise<void> | void;
  /** Options for the NATS transport (tests isolate their stream). */
  nats?: { stream?: string; subjectPrefix?: string };
  /** Serve the built console (default true). */
  serveConsole?: boolean;
}

export interface KotwalApp {
  http: KotwalFastify;
  ctx: CoreContext;
  ledger: Ledger;
  events: OutboxEventBus;
  auth: AuthService;
  /** Transfers, replication and replica mode (core/sovereignty). */
  sovereignty: SovereigntyService;
  /** Break-glass grants (core/sovereignty/grants). */
  grants: GrantsService;
  modules: readonly ModuleDefinition[];
  close(): Promise<void>;
}

export function pgliteDir(config: KotwalConfig): string {
  return path.join(config.dataDir, 'pglite');
}

export function migrationSets(mods: readonly ModuleDefinition[]): MigrationSet[] {
  const sets: MigrationSet[] = [ledgerMigrations, eventsMigrations, authMigrations, sovereigntyMigrations, grantsMigrations];
  for (const m of mods) if (m.migrationsDir) sets.push({ scope: m.name, dir: m.migrationsDir });
  return sets;
}

export async function openAppDatabase(config: KotwalConfig): Promise<Database> {
  return openDatabase({ url: config.databaseUrl, pgliteDir: pgliteDir(config) });
}

export interface OpenedCore {
  ctx: CoreContext;
  ledger: Ledger;
  /** Not dispatching: buildApp starts it once subscribers are registered; the CLI leaves events to the server. */
  events: OutboxEventBus;
  close(): Promise<void>;
}

/** Opens what the CLI and the server share: database (migrated), ledger and event bus. */
export async function openCore(opts: {
  config: KotwalConfig;
  logger: Logger;
  db?: Database;
  modules?: readonly ModuleDefinition[];
  onProgress?: (msg: string) => void;
}): Promise<OpenedCore> {
  const { config, logger } = opts;
  const ownsDb = !opts.db;
  const db = opts.db ?? (await openAppDatabase(config));
  const closers: (() => Promise<void>)[] = [];
  try {
    await migrate(db, migrationSets(opts.modules ?? installedModules), opts.onProgress ?? ((m) => logger.info(m)));
    const events = new OutboxEventBus({ db, logger });
    // Checkpoints emit core.ledger.checkpoint-signed in their own transaction.
    const ledger = await Ledger.open({ db, config, logger, events });
    closers.push(() => ledger.close());
    // The only way out: outbound HTTP(S) is checked against the policy, refusals ledgered.
    const egress = createEgressGateway({ config, ledger, db, logger });
    closers.push(async () => egress.close());
    const pub = ledger.publicKey();
    const ctx: CoreContext = {
      config,
      node: { name: config.nodeName, jurisdiction: config.jurisdiction, publicKey: pub.publicKey, keyId: pub.keyId, sign: (data) => ledger.signBytes(data) },
      egress,
      db,
      ledger,
      events,
      logger,
      async unitOfWork<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
        const result = await db.transaction(fn);
        ledger.kick();
        events.kick();
        return result;
      },
    };
    return {
      ctx,
      ledger,
      events,
      async close() {
        for (const c of closers.reverse()) await c();
        if (ownsDb) await db.close();
      },
    };
  } catch (err) {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    if (ownsDb) await db.close().catch(() => undefined);
    throw err;
  }
}

export async function buildApp(opts: BuildAppOptions): Promise<KotwalApp> {
  const { config } = opts;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const mods = opts.modules ?? installedModules;
  const core = await openCore({ config, logger, modules: mods, ...(opts.db ? { db: opts.db } : {}) });
  let transport: EventTransport | null = null;
  const { ctx, ledger, events } = core;
  try {
    const auth = createAuthService(ctx);
    await ensureBuiltInRoles(ctx);
    await ensureFirstAdmin(ctx, opts.print ?? ((line) => process.stdout.write(`${line}\n`)));

    const metrics = createMetrics();
    // An active break-glass grant adds its role to the grantee's session; every request under it is ledgered.
    const grants = createGrantsService(ctx);
    const http = await createHttpServer({ ctx, authenticator: grantsAuthenticator(createAuthenticator(auth), grants), version: VERSION });
    http.addHook('onResponse', async (request, reply) => {
      metrics.httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? '(no route)', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });

    await systemRoutes({
      version: VERSION,
      modules: mods,
      metrics,
      eventTransport: () => events.transportName,
      outboxPending: () => pendingCount(ctx.db),
      ledgerTreeSize: () => ledger.treeSize(),
      readiness: async () => {
        const checks: Record<string, string> = {};
        try {
          await ctx.db.query('SELECT 1');
          checks['database'] = 'ok';
        } catch (err) {
          checks['database'] = `failed: ${(err as Error).message}`;
        }
        checks['events'] = events.transportName === 'stopped' ? 'stopped' : 'ok';
        return checks;
      },
    })(http, ctx);
    await authRoutes(auth)(http, ctx);
    await ledgerRoutes(ledger)(http, ctx);
    // Core never imports a module: the modules' datasets are handed in here.
    const sovereignty = createSovereigntyService({
      ctx,
      ledger,
      version: VERSION,
      datasets: mods.flatMap((m) => (m.datasets ?? []).map((d) => ({ name: `${m.name}/${d.collection}`, module: m.name, definition: d }))),
    });
    await sovereigntyRoutes(sovereignty)(http, ctx);
    await grantsRoutes(grants)(http, ctx);
    for (const m of mods) {
      if (m.routes) await m.routes(http, ctx);
      m.subscribers?.(ctx);
    }
    if (opts.extraRoutes) await opts.extraRoutes(http, ctx);
    if (opts.serveConsole !== false) await registerConsole(http, config.consoleDir);
    await http.ready();

    const stoppers: (() => Promise<void>)[] = [await sovereignty.start(), grants.start()];
    for (const m of mods) {
      const stop = await m.start?.(ctx);
      if (stop) stoppers.push(stop);
    }
    transport = config.natsUrl ? await natsTransport({ url: config.natsUrl, logger, ...(opts.nats ?? {}) }) : inProcessTransport(events);
    await events.start(transport);

    return {
      http,
      ctx,
      ledger,
      events,
      auth,
      sovereignty,
      grants,
      modules: mods,
      async close() {
        await http.close();
        for (const s of stoppers.reverse()) await s();
        await events.stop();
        await transport?.close();
        await core.close();
      },
    };
  } catch (err) {
    await events.stop().catch(() => undefined);
    await transport?.close().catch(() => undefined);
    await core.close().catch(() => undefined);
    throw err;
  }
}
