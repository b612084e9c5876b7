/**
 * Registries (DES, Data Exchange System): consolidated national registry
 * data (identity cards, vehicles, customs, SIMs, land, tax, travel,
 * foreigners, criminal records) with accountable search: every query names
 * its purpose and case, every read is ledgered, and officers crossing the
 * anomaly thresholds are blocked until a supervisor releases them.
 */
import path from 'node:path';
import { defineModule } from '#core/module.ts';
import { registriesRoutes } from './routes.ts';
import { registriesSubscribers } from './subscribers.ts';
import { registriesCommand } from './cli.ts';
import { registryDatasets } from './datasets.ts';

export const registriesModule = defineModule({
  name: 'registries',
  title: 'Registries',
  programmeName: 'DES',
  migrationsDir: path.join(import.meta.dirname, 'migrations'),
  routes: registriesRoutes,
  subscribers: registriesSubscribers,
  cli: (env) => [registriesCommand(env)],
  console: true,
  datasets: registryDatasets,
});
