/**
 * The shape of a module (and of each core part that serves HTTP): a name,
 * its migrations, its routes and its subscribers. Adding a system is adding
 * a folder under modules/ with an index.ts that calls defineModule().
 */
import type { Command } from 'commander';
import type { CoreContext } from './context.ts';
import type { KotwalFastify } from './http/types.ts';

/** What the CLI hands a module's commands. */
export interface ModuleCliEnv {
  /** Opens configuration, the migrated database, ledger and outbox for the command, and closes them after. */
  withContext<T>(fn: (ctx: CoreContext) => Promise<T>): Promise<T>;
}

export interface ModuleDefinition {
  /** kebab-case, as in modules/<name>. */
  name: string;
  /** Name shown in the console's navigation. */
  title: string;
  /** The programme's name for the system (DES, BMS, ...), if any. */
  programmeName?: string;
  /** Absolute path of this module's migrations folder. */
  migrationsDir?: string;
  /** Registers routes. Every route must declare config.permission. */
  routes?: (app: KotwalFastify, ctx: CoreContext) => Promise<void> | void;
  /** Registers event subscribers. */
  subscribers?: (ctx: CoreContext) => void;
  /** Starts background work (returns a stopper). */
  start?: (ctx: CoreContext) => Promise<() => Promise<void>> | (() => Promise<void>) | void;
  /** Subcommands of `npx kotwal` (e.g. `kotwal registries import`). */
  cli?: (env: ModuleCliEnv) => Command[];
  /** Whether the console shows it in the navigation. */
  console?: boolean;
}

export function defineModule(def: ModuleDefinition): ModuleDefinition {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) throw new Error(`module name "${def.name}" must be kebab-case`);
  return def;
}
