/**
 * `npx kotwal registries generate --people N --seed S --out DIR [--format csv|jsonl]`:
 * deterministic synthetic registry extracts for demos, tests and benchmarks.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { generate, GENERATOR_VERSION, MAX_PEOPLE } from './index.ts';

function parsePeople(value: string): number {
  const v = value.replace(/[_,]/g, '');
  if (!/^[0-9]+$/.test(v)) throw new InvalidArgumentError(`expected a whole number of people from 1 to ${MAX_PEOPLE.toLocaleString('en-US')}`);
  const n = Number(v);
  if (n < 1 || n > MAX_PEOPLE) throw new InvalidArgumentError(`expected a whole number of people from 1 to ${MAX_PEOPLE.toLocaleString('en-US')}`);
  return n;
}

function parseSeed(value: string): string {
  if (!value.trim() || value.length > 200) throw new InvalidArgumentError('expected a seed of 1 to 200 characters');
  return value;
}

/** The nearest existing ancestor of dir must be a writable directory (checked before any work). */
function checkOutDir(dir: string): void {
  let probe = path.resolve(dir);
  while (!existsSync(probe)) {
    const up = path.dirname(probe);
    if (up === probe) break;
    probe = up;
  }
  if (!statSync(probe).isDirectory()) throw new Error(`--out ${dir}: ${probe} is not a directory`);
  try {
    accessSync(probe, constants.W_OK);
  } catch {
    throw new Error(`--out ${dir}: ${probe} is not writable`);
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function generateCommand(): Command {
  return new Command('generate')
    .description('write deterministic synthetic extracts of every registry, with ground truth and search queries')
    .requiredOption('--people <n>', `number of people (1 to ${MAX_PEOPLE.toLocaleString('en-US')})`, parsePeople)
    .requiredOption('--out <dir>', 'directory to write (created if missing; files in it are replaced)')
    .option('--seed <seed>', 'seed: the same seed and people give byte-identical files', parseSeed, '1')
    .addOption(new Option('--format <format>', 'registry file format').choices(['csv', 'jsonl']).default('csv'))
    .option('--quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Writes, in DIR:
  <registry>.csv|jsonl   identity, vehicles, customs, sims, land, tax, travel, foreigners, criminal
                         (CSV: canonical field names as header; nested values as JSON; sections ;-separated)
  truth.jsonl            one line per person: cnic, names, district, birth year, name ids, and the keys of
                         every record naming them, by registry
  queries.jsonl          name searches as officers type them (spelling variants, Urdu, Mohd/Ch.) with
                         "expect": every CNIC the ground truth says they should find
  manifest.json          seed, people, counts per file, generator version (${GENERATOR_VERSION})

Example:
  npx kotwal registries generate --people 100000 --seed demo --out ./data/synthetic
`,
    )
    .action(async (opts: { people: number; out: string; seed: string; format: 'csv' | 'jsonl'; quiet?: boolean }) => {
      checkOutDir(opts.out);
      const progress = (p: { people: number; total: number; elapsedMs: number }): void => {
        if (opts.quiet) return;
        const rate = p.people / Math.max(p.elapsedMs / 1000, 1e-3);
        process.stderr.write(`generated ${fmt(p.people)} / ${fmt(p.total)} people (${fmt((100 * p.people) / p.total)}%, ${fmt(rate)} people/s)\n`);
      };
      const result = await generate({ people: opts.people, seed: opts.seed, outDir: opts.out, format: opts.format, onProgress: progress });
      const total = Object.values(result.counts).reduce((s, n) => s + n, 0);
      const rate = result.people / Math.max(result.elapsedMs / 1000, 1e-3);
      process.stdout.write(
        `wrote ${fmt(total)} records of ${fmt(result.people)} people to ${opts.out} in ${(result.elapsedMs / 1000).toFixed(1)} s (${fmt(rate)} people/s)\n` +
          Object.entries(result.counts)
            .map(([r, n]) => `  ${r.padEnd(11)} ${fmt(n)}`)
            .join('\n') +
          `\n  truth       ${fmt(result.truth)}\n  queries     ${fmt(result.queries)}\n`,
      );
    });
}
