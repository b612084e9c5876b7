import { Command } from 'commander';
import type { ModuleCliEnv } from '#core/module.ts';

// Placeholder while the import pipeline is built (replaced in this change).
export function importCommand(_env: ModuleCliEnv): Command {
  return new Command('import').description('import a registry extract (being built)');
}
