/**
 * The `kotwal` command line: serve, migrate, users, ledger, keys, transfers, grants, oversight, openapi.
 */
import { mkdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError, CONFIG_VARIABLES, loadConfig } from '#core/config/index.ts';
import { migrate } from '#core/db/migrate.ts';
import { createLogger } from '#core/observability/logger.ts';
import { ledgerCommand } from '#core/ledger/cli.ts';
import { usersCommand } from '#core/auth/cli.ts';
import { sovereigntyCli } from '#core/sovereignty/index.ts';
import { grantsCommand } from '#core/sovereignty/grants/index.ts';
import { oversightCommand } from '#core/sovereignty/oversight/index.ts';
import { modules } from '#modules/index.ts';
import { buildApp, migrationSets, openAppDatabase, VERSION } from './app.ts';
import { setCliConfigFile, withCliContext } from './cli-context.ts';

function configHelp(): string {
  const rows = CONFIG_VARIABLES.map((v) => `  ${v.env.padEnd(28)} ${v.description} (default ${v.default})`);
  return `\nConfiguration (environment variables, or keys of the JSON file given by --config / KOTWAL_CONFIG):\n${rows.join('\n')}\n`;
}

export function buildProgram(): Command {
  const program = new Command('kotwal')
    .description('Kotwal: sovereign-by-design police command, control and communication centre')
    .version(VERSION)
    .option('--config <file>', 'JSON configuration file (environment variables win over it)')
    .showHelpAfterError()
    .hook('preAction', (_cmd) => {
      setCliConfigFile(program.opts<{ config?: string }>().config);
    });

  program
    .command('serve')
    .description('run the platform: migrate, then serve the API and console')
    .option('--replica-of <url>', 'replica mode: receive approved transfers from the source node at this base URL (same as KOTWAL_REPLICA_OF)')
    .addHelpText('after', configHelp())
    .action(async (opts: { replicaOf?: string }) => {
      const env = opts.replicaOf ? { ...process.env, KOTWAL_REPLICA_OF: opts.replicaOf } : process.env;
      const config = loadConfig(env, program.opts<{ config?: string }>().config ? { configFile: program.opts<{ config: string }>().config } : {});
      mkdirSync(config.dataDir, { recursive: true });
      const logger = createLogger(config.logLevel);
      const app = await buildApp({
        config,
        logger,
        print: (line) => process.stdout.write(`\n  ${line}\n  (shown once: sign in as admin with it and set a new password)\n\n`),
      });
      const address = await app.http.listen({ port: config.port, host: config.host });
      logger.info({ address, database: app.ctx.db.kind, events: app.events.transportName, modules: app.modules.map((m) => m.name) }, 'kotwal is serving');
      process.stdout.write(`Kotwal ${VERSION} serving on ${address} (database: ${app.ctx.db.kind}, events: ${app.events.transportName})\n`);
      let closing = false;
      const shutdown = (signal: string) => {
        if (closing) return;
        closing = true;
        logger.info({ signal }, 'shutting down');
        const force = setTimeout(() => process.exit(1), 15_000);
        force.unref();
        app
          .close()
          .then(() => process.exit(0))
          .catch((err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          });
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      const config = loadConfig(process.env, program.opts<{ config?: string }>().config ? { configFile: program.opts<{ config: string }>().config } : {});
      mkdirSync(config.dataDir, { recursive: true });
      const db = await openAppDatabase(config);
      try {
        const applied = await migrate(db, migrationSets(modules), (m) => process.stderr.write(`${m}\n`));
        process.stdout.write(applied.length ? `applied ${applied.length} migration(s)\n` : 'database is up to date\n');
      } finally {
        await db.close();
      }
    });

  program
    .command('openapi')
    .description('write the OpenAPI 3.1 document')
    .option('--out <file>', 'file to write (default: standard output)')
    .action(async (opts: { out?: string }) => {
      const doc = await generateOpenApi();
      const text = `${JSON.stringify(doc, null, 2)}\n`;
      if (opts.out) writeFileSync(opts.out, text);
      else process.stdout.write(text);
    });

  program.addCommand(usersCommand());
  program.addCommand(ledgerCommand());
  for (const cmd of sovereigntyCli()) program.addCommand(cmd);
  program.addCommand(grantsCommand());
  program.addCommand(oversightCommand({ withContext: withCliContext }));
  for (const m of modules) for (const cmd of m.cli?.({ withContext: withCliContext }) ?? []) program.addCommand(cmd);
  return program;
}

/** Builds the app on a throw-away embedded database and returns its OpenAPI document. */
export async function generateOpenApi(): Promise<unknown> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kotwal-openapi-'));
  try {
    const config = loadConfig({ KOTWAL_DATA_DIR: dir, LOG_LEVEL: 'silent' });
    const app = await buildApp({ config, print: () => undefined, serveConsole: false });
    try {
      return app.http.swagger();
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  // Every command, not only the top one: a subcommand's usage error then ends
  // in the catch below (exit code set, pending output flushed) rather than in process.exit().
  const override = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`kotwal: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`kotwal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
