/**
 * `npx kotwal registries ...`: import extracts, generate synthetic data.
 */
import { Command } from 'commander';
import type { ModuleCliEnv } from '#core/module.ts';
import { importCommand } from './import/cli.ts';
import { generateCommand } from './generator/cli.ts';

export function registriesCommand(env: ModuleCliEnv): Command {
  const cmd = new Command('registries').description('registries (DES): import extracts, generate synthetic data');
  cmd.addCommand(importCommand(env));
  cmd.addCommand(generateCommand());
  return cmd;
}
