import { Command } from 'commander';

// Placeholder while the generator is built (replaced in this change).
export function generateCommand(): Command {
  return new Command('generate').description('generate synthetic registry extracts (being built)');
}
