/**
 * What a CLI command needs: configuration, the migrated database, the ledger
 * and the event outbox, opened for the command and closed after it. Events a
 * command emits wait in the outbox for the server's dispatcher.
 */
import type { Logger } from 'pino';
import { loadConfig } from '#core/config/index.ts';
import type { CoreContext } from '#core/context.ts';
import { createLogger } from '#core/observability/logger.ts';
import { openCore } from './app.ts';

let configFile: string | undefined;

/** Set by the global --config option. */
export function setCliConfigFile(file: string | undefined): void {
  configFile = file;
}

export function cliLogger(): Logger {
  const level = process.env['LOG_LEVEL'] ? loadConfig(process.env, configFile ? { configFile } : {}).logLevel : 'warn';
  return createLogger(level, process.stderr);
}

export async function withCliContext<T>(fn: (ctx: CoreContext) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, configFile ? { configFile } : {});
  const logger = cliLogger();
  const core = await openCore({ config, logger, onProgress: (m) => process.stderr.write(`migrate: ${m}\n`) });
  try {
    const result = await fn(core.ctx);
    await core.ledger.flush();
    return result;
  } finally {
    await core.close();
  }
}
