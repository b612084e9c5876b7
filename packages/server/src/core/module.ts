/**
 * The shape of a module (and of each core part that serves HTTP): a name,
 * its migrations, its routes and its subscribers. Adding a system is adding
 * a folder under modules/ with an index.ts that calls defineModule().
 */
import type { Command } from 'commander';
import type { CoreContext } from './context.ts';
import type { Queryable } from './db/index.ts';
import type { KotwalFastify } from './http/types.ts';

/** What the CLI hands a module's commands. */
export interface ModuleCliEnv {
  /** Opens configuration, the migrated database, ledger and outbox for the command, and closes them after. */
  withContext<T>(fn: (ctx: CoreContext) => Promise<T>): Promise<T>;
}

/** One record of a dataset as it travels in a transfer: a stable key and the record's JSON. */
export interface DatasetRecord {
  key: string;
  record: unknown;
}

/**
 * A collection a module lets leave the node only as a transfer
 * (`<module>/<collection>`, e.g. `registries/identity`). Sovereignty reads it
 * on the source and writes it on a replica; nothing else copies it out.
 */
export interface DatasetDefinition {
  /** The part after `<module>/`, kebab-case. */
  collection: string;
  title: string;
  description: string;
  /** Filter fields read() understands (field = value). */
  filters?: readonly string[];
  /** Records held now (matching filter). */
  count(db: Queryable, filter: Readonly<Record<string, string>>): Promise<number>;
  /** A page in key order after `after` (null: from the start); fewer than limit means the end. */
  read(
    db: Queryable,
    opts: { after: string | null; limit: number; filter: Readonly<Record<string, string>>; items?: readonly string[] },
  ): Promise<DatasetRecord[]>;
  /** Replica side: upserts received records inside tx (idempotent by key); throws on a record it cannot accept. */
  write(tx: Queryable, records: readonly DatasetRecord[]): Promise<void>;
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
  /** Collections that may leave the node only as approved transfers. */
  datasets?: readonly DatasetDefinition[];
}

export function defineModule(def: ModuleDefinition): ModuleDefinition {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) throw new Error(`module name "${def.name}" must be kebab-case`);
  return def;
}
