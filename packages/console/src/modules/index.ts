/**
 * The console side of each system (server module). A module's screens live
 * in src/modules/<name>/, named exactly as the server's modules/<name>/,
 * and register here, loaded lazily so that a node without the system does
 * not download its code.
 *
 * The navigation never lists a system from this table alone: it lists the
 * systems GET /api/v1/system/info reports, so a system appears only where it
 * runs. A system the server runs but this build has no screens for gets a
 * neutral page (see ModulePage).
 */
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { SystemInfo } from '@kotwal/contracts';

export type SystemModuleInfo = SystemInfo['modules'][number];

export type ModuleScreenProps = { module: SystemModuleInfo; subPath: string };
export type ModuleScreen = LazyExoticComponent<ComponentType<ModuleScreenProps>>;

/** A module's screens, loaded on first visit. */
export function moduleScreen(load: () => Promise<{ default: ComponentType<ModuleScreenProps> }>): ModuleScreen {
  return lazy(load);
}

/**
 * Keyed by the server module's name. Add a line per system, e.g.
 *   registries: moduleScreen(() => import('./registries/index.tsx')),
 */
export const consoleModules: Readonly<Record<string, ModuleScreen>> = {
  registries: moduleScreen(() => import('./registries/index.tsx')),
  'field-assets': moduleScreen(() => import('./field-assets/index.tsx')),
};
