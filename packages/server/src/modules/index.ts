/**
 * The systems installed in this build, in navigation order. Adding a system
 * is adding a folder under modules/ and one line here.
 */
import type { ModuleDefinition } from '#core/module.ts';
import { registriesModule } from './registries/index.ts';
import { fieldAssetsModule } from './field-assets/index.ts';

export const modules: ModuleDefinition[] = [registriesModule, fieldAssetsModule];
