/**
 * The systems installed in this build, in navigation order. Adding a system
 * is adding a folder under modules/ and one line here.
 */
import type { ModuleDefinition } from '#core/module.ts';

export const modules: ModuleDefinition[] = [];
