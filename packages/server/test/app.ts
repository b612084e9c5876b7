/**
 * Test harness: the real app on a fresh database (PGlite in memory, or a new
 * PostgreSQL database when KOTWAL_TEST_DATABASE_URL is set) and, when
 * KOTWAL_TEST_NATS_URL is set, the real NATS JetStream with a stream of its
 * own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { natsConnectionOptions } from '#core/events/index.ts';
import { loadConfig, type KotwalConfig } from '#core/config/index.ts';
import type { CoreContext } from '#core/context.ts';
import type { ModuleDefinition } from '#core/module.ts';
import type { KotwalFastify } from '#core/http/types.ts';
import { buildApp, migrationSets, type KotwalApp } from '../src/app.ts';
import { modules as installedModules } from '#modules/index.ts';
import { createTestDatabase } from './db.ts';

export const testNatsUrl = process.env['KOTWAL_TEST_NATS_URL'] || null;

export interface TestApp extends KotwalApp {
  /** Alias of http, for app.inject(). */
  app: KotwalFastify;
  config: KotwalConfig;
  dataDir: string;
  /** The first admin's one-time password, as printed at first start. */
  adminPassword: string;
  /** Every line the app printed. */
  printed: string[];
}

export interface TestAppOptions {
  env?: Record<string, string>;
  modules?: readonly ModuleDefinition[];
  extraRoutes?: (app: KotwalFastify, ctx: CoreContext) => Promise<void> | void;
  serveConsole?: boolean;
  /** Use NATS when KOTWAL_TEST_NATS_URL is set (default true). */
  nats?: boolean;
  /** A logger of the test's own (to inspect what is logged). */
  logger?: Logger;
}

export async function buildTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-test-'));
  const tdb = await createTestDatabase({ migrations: migrationSets(opts.modules ?? installedModules) });
  const useNats = testNatsUrl && opts.nats !== false;
  const suffix = randomBytes(4).toString('hex');
  const config = loadConfig({
    KOTWAL_DATA_DIR: dataDir,
    LOG_LEVEL: process.env['KOTWAL_TEST_LOG_LEVEL'] ?? 'silent',
    KOTWAL_RATE_LIMIT: '100000',
    KOTWAL_LOGIN_RATE_LIMIT: '100000',
    // Device listeners on free ports: test apps run side by side, and 1883/5055 may be taken.
    OSMAND_PORT: '0',
    MQTT_PORT: '0',
    ...(useNats && testNatsUrl ? { NATS_URL: testNatsUrl } : {}),
    ...(opts.env ?? {}),
  });
  const printed: string[] = [];
  let app: KotwalApp;
  try {
    app = await buildApp({
      config,
      db: tdb.db,
      print: (line) => printed.push(line),
      ...(opts.modules ? { modules: opts.modules } : {}),
      ...(opts.extraRoutes ? { extraRoutes: opts.extraRoutes } : {}),
      serveConsole: opts.serveConsole ?? false,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(useNats ? { nats: { stream: `KOTWAL_TEST_${suffix}`, subjectPrefix: `kotwal_test_${suffix}` } } : {}),
    });
  } catch (err) {
    await tdb.cleanup().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const otp = printed.map((l) => /one-time password: (\S+)/.exec(l)?.[1]).find(Boolean) ?? '';
  return {
    ...app,
    app: app.http,
    config,
    dataDir,
    adminPassword: otp,
    printed,
    async close() {
      await app.close();
      await tdb.cleanup();
      if (useNats && testNatsUrl) await deleteNatsStreams(testNatsUrl, [`KOTWAL_TEST_${suffix}`]).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Deletes test streams from the NATS server (missing ones are skipped). */
export async function deleteNatsStreams(url: string, streams: readonly string[]): Promise<void> {
  const nc = await connect(natsConnectionOptions(url));
  try {
    const jsm = await jetstreamManager(nc);
    for (const s of streams) await jsm.streams.delete(s).catch(() => false);
  } finally {
    await nc.close();
  }
}

export interface TestServer extends TestApp {
  baseUrl: string;
}

/** The real app listening on 127.0.0.1 (ephemeral port) with the built console. */
export async function startTestServer(opts: TestAppOptions = {}): Promise<TestServer> {
  const t = await buildTestApp({ serveConsole: true, ...opts });
  const address = await t.http.listen({ port: 0, host: '127.0.0.1' });
  return { ...t, baseUrl: address };
}
