/**
 * `kotwal registries import`: imports an extract from the server's shell,
 * through the same service as the API. Progress (rows, rows/s, % of bytes)
 * goes to stderr, the summary to stdout; the ledger names the actor
 * `cli:<operating-system user>`.
 */
import { createReadStream, readFileSync, statSync, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { Command, Option } from 'commander';
import { REGISTRIES } from '@kotwal/contracts';
import type { ModuleCliEnv } from '#core/module.ts';
import { ImportInputError } from './mapping.ts';
import { formatFromName, ImportFailedError, prepareImport, runImport, writeRejectsCsv, type ImportFormat } from './service.ts';
import type { ImportSummary } from '@kotwal/contracts';

function osUser(): string {
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return process.env['USER'] ?? process.env['LOGNAME'] ?? 'unknown';
  }
}

class CliRefusal extends Error {}

export function formatSummary(s: ImportSummary): string {
  const lines = [
    `import ${s.id}: ${s.status}`,
    `  registry ${s.registry}, source ${s.source}, file ${s.fileName} (${s.format}, ${s.bytes} bytes${s.sha256 ? `, sha256 ${s.sha256}` : ''})`,
    `  rows read ${s.rowsRead}: inserted ${s.inserted}, updated ${s.updated}, unchanged ${s.unchanged}, rejected ${s.rejected}`,
  ];
  if (s.error) lines.push(`  error: ${s.error}`);
  return `${lines.join('\n')}\n`;
}

interface ImportOpts {
  registry: string;
  file: string;
  mapping?: string;
  source?: string;
  format?: ImportFormat;
  dateOrder?: string;
  rejects?: string;
  progress: boolean;
}

export function importCommand(env: ModuleCliEnv): Command {
  return new Command('import')
    .description('import a registry extract (CSV or JSON Lines) into the canonical records, merging by key')
    .requiredOption('--registry <registry>', `registry: ${REGISTRIES.join(', ')}`)
    .requiredOption('--file <file>', 'the extract (UTF-8 with or without BOM, or UTF-16 with BOM)')
    .option('--mapping <file>', 'mapping file (JSON): source columns -> canonical fields, constants, dateOrder, delimiter')
    .option('--source <name>', 'the department or system the extract came from (default: the file name)')
    .addOption(new Option('--format <format>', 'file format (default: from the file name, .jsonl/.ndjson or CSV)').choices(['csv', 'jsonl']))
    .addOption(new Option('--date-order <order>', 'how NN-NN-YYYY dates read (default DMY, or the mapping\u2019s)').choices(['DMY', 'YMD', 'MDY']))
    .option('--rejects <out.csv>', 'write the rejected rows (line, field, reason) to this CSV file')
    .option('--no-progress', 'do not show progress on stderr')
    .addHelpText(
      'after',
      '\nRe-importing the same extract changes nothing; a newer extract updates records by key; records absent from it are kept.\n' +
        'Example:\n  kotwal registries import --registry identity --file nadra-2026-05.csv --mapping nadra.json --source NADRA --rejects rejects.csv\n',
    )
    .action(async (opts: ImportOpts) => {
      const fail = (msg: string) => {
        process.stderr.write(`kotwal registries import: ${msg}\n`);
        process.exitCode = 1;
      };
      try {
        let size: number;
        try {
          const st = statSync(opts.file);
          if (!st.isFile()) throw new CliRefusal(`${opts.file} is not a file`);
          size = st.size;
        } catch (err) {
          if (err instanceof CliRefusal) throw err;
          throw new CliRefusal(`cannot read ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        let mappingText: string | undefined;
        if (opts.mapping) {
          try {
            mappingText = readFileSync(opts.mapping, 'utf8');
          } catch (err) {
            throw new CliRefusal(`cannot read the mapping ${opts.mapping}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
          }
        }
        const fileName = path.basename(opts.file);
        const req = {
          registry: opts.registry,
          source: opts.source ?? fileName,
          fileName,
          ...(mappingText !== undefined ? { mapping: mappingText } : {}),
          ...(opts.dateOrder ? { dateOrder: opts.dateOrder } : {}),
        };
        // Refuse a bad registry or mapping before opening the database or the file.
        prepareImport(req);
        const showProgress = opts.progress && size > 0;
        const started = Date.now();
        let lastShown = 0;
        const onProgress = (p: { bytes: number; rows: number }) => {
          const now = Date.now();
          if (!showProgress || now - lastShown < 500) return;
          lastShown = now;
          const secs = Math.max((now - started) / 1000, 0.001);
          process.stderr.write(`\r  ${p.rows} rows read, ${Math.round(p.rows / secs)} rows/s, ${((100 * p.bytes) / size).toFixed(1)}% of ${size} bytes   `);
        };
        // Failures are returned, not thrown, so the CLI context flushes the ledger either way.
        const failure = await env.withContext(async (ctx): Promise<string | null> => {
          let summary: ImportSummary;
          let failed: string | null = null;
          try {
            summary = await runImport(ctx, {
              ...req,
              format: opts.format ?? formatFromName(fileName),
              body: createReadStream(opts.file, { highWaterMark: 256 * 1024 }),
              actor: { type: 'system', id: `cli:${osUser()}`, name: `cli:${osUser()}` },
              onProgress,
            });
          } catch (err) {
            if (!(err instanceof ImportFailedError)) throw err;
            summary = err.summary;
            failed = err.message;
          } finally {
            if (lastShown) process.stderr.write('\n');
          }
          process.stdout.write(formatSummary(summary));
          if (opts.rejects) await writeRejectsFile(ctx, summary.id, opts.rejects);
          return failed;
        });
        if (failure) throw new CliRefusal(failure);
      } catch (err) {
        if (err instanceof CliRefusal || err instanceof ImportInputError) {
          fail(err instanceof ImportInputError ? `${err.field}: ${err.message}` : err.message);
          return;
        }
        throw err;
      }

      async function writeRejectsFile(ctx: Parameters<Parameters<ModuleCliEnv['withContext']>[0]>[0], id: string, file: string): Promise<void> {
        const out = createWriteStream(file);
        await writeRejectsCsv(ctx, id, async (chunk) => {
          if (!out.write(chunk)) await once(out, 'drain');
        });
        out.end();
        await once(out, 'finish');
        process.stdout.write(`  rejects written to ${file}\n`);
      }
    });
}
