/**
 * Field assets (Field Assets / ECV): live tracking of command vehicles,
 * patrol cars, motorcycles, handhelds, field laptops, body cameras and
 * covert cameras. Devices report over OsmAnd HTTP (OSMAND_PORT) and MQTT
 * (embedded broker on MQTT_PORT, or MQTT_URL); the console follows them on
 * the live WebSocket. Covert cameras are seen only with field-assets.covert,
 * and every such view is ledgered.
 */
import path from 'node:path';
import { defineModule } from '#core/module.ts';
import { fieldAssetsRoutes } from './routes.ts';
import { startFieldAssets } from './runtime.ts';
import { fieldAssetsSubscribers } from './subscribers.ts';
import { fieldCommand } from './simulator/cli.ts';
import { fieldAssetDatasets } from './datasets.ts';

export { fieldAssetsPorts, fieldAssetsRuntime } from './runtime.ts';

export const fieldAssetsModule = defineModule({
  name: 'field-assets',
  title: 'Field assets',
  programmeName: 'ECV',
  migrationsDir: path.join(import.meta.dirname, 'migrations'),
  routes: fieldAssetsRoutes,
  subscribers: fieldAssetsSubscribers,
  start: startFieldAssets,
  cli: (env) => [fieldCommand(env)],
  console: true,
  datasets: fieldAssetDatasets,
});
