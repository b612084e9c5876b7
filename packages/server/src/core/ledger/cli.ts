/**
 * `kotwal ledger ...`: verify (database or bundle), export, proof, checkpoint,
 * witness (an outside party's countersigning run, over HTTP).
 * The commands open the database themselves and only read, except
 * `checkpoint --sign`. Exit status: 0 intact / done, 1 not intact (or a
 * proof that does not verify), 2 when the command could not run.
 *
 * With the embedded database (PGlite) stop the server first: one data
 * directory cannot be opened by two processes.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { entryBytes, fromHex, leafHash, toHex, verifyCheckpointSignature, verifyInclusion, type Checkpoint } from '@kotwal/contracts';
import { loadConfig, type KotwalConfig } from '#core/config/index.ts';
import { openDatabase, type Database } from '#core/db/index.ts';
import { createLogger } from '#core/observability/logger.ts';
import { checkpointFilePath } from './checkpoint-file.ts';
import { fieldsOfRow } from './entries.ts';
import { Ledger } from './ledger.ts';
import { inclusionProofAt } from './proofs.ts';
import { readPublicKeyFile, type LedgerPublicKey } from './signing-key.ts';
import { checkpointOfRow, checkpointRowAt, entryRow, latestCheckpointRow, readState } from './store.ts';
import { exportBundle, verifyBundle, verifyDatabase, type VerifyProgress, type VerifyReport } from './verify.ts';
import { witnessCommand } from './witness-cli.ts';

/** An error that ends the command with exit status 2 and a plain message. */
export class LedgerCliError extends Error {
  override name = 'LedgerCliError';
}

interface GlobalOpts {
  config?: string;
}

function configOf(cmd: Command): KotwalConfig {
  const { config } = cmd.optsWithGlobals<GlobalOpts>();
  return loadConfig(process.env, config ? { configFile: config } : {});
}

/** Opens the configured database, which must already hold the ledger tables. */
export async function openLedgerDatabase(config: KotwalConfig): Promise<Database> {
  const pgliteDir = path.join(config.dataDir, 'pglite');
  if (!config.databaseUrl && !existsSync(pgliteDir)) {
    throw new LedgerCliError(`there is no database at ${pgliteDir}; set KOTWAL_DATA_DIR (or DATABASE_URL) to the node's, or run "kotwal migrate" first`);
  }
  const db = await openDatabase({ url: config.databaseUrl, pgliteDir });
  try {
    const r = await db.query<{ ok: boolean }>("SELECT to_regclass('ledger_state') IS NOT NULL AS ok");
    if (!r.rows[0]?.ok) throw new LedgerCliError('the database has no ledger tables; run "kotwal migrate" first');
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}

async function withDatabase<T>(config: KotwalConfig, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openLedgerDatabase(config);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The keys to trust: the files given, else the public half of the node's signing key. */
function trustedKeys(files: string[], config: KotwalConfig | null): LedgerPublicKey[] {
  if (files.length) return files.map((f) => readPublicKeyFile(f));
  if (config && existsSync(config.signingKeyPath)) return [readPublicKeyFile(config.signingKeyPath)];
  throw new LedgerCliError(
    `no public key to trust: the signing key ${config?.signingKeyPath ?? ''} does not exist here; pass --public-key FILE (PEM, or base64 of the raw key)`,
  );
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Progress on stderr: one updating line on a terminal, a line every few seconds otherwise. */
function progressPrinter(quiet: boolean, label: string): { update: (p: VerifyProgress) => void; done: () => void } {
  if (quiet) return { update: () => undefined, done: () => undefined };
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let printed = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < (tty ? 200 : 5000) && p.done !== p.total) return;
      last = now;
      const total = p.total !== null && p.total > 0 ? ` / ${fmt(p.total)} (${((p.done * 100) / p.total).toFixed(1)}%)` : '';
      const line = `${label}: ${fmt(p.done)}${total} entries, ${fmt(p.rate)} entries/s`;
      process.stderr.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
      printed = true;
    },
    done() {
      if (tty && printed) process.stderr.write('\n');
    },
  };
}

function printReport(r: VerifyReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const rate = r.durationMs > 0 ? Math.round((r.entries * 1000) / r.durationMs) : 0;
  const out: string[] = [];
  if (r.ok) {
    out.push(`ledger intact: ${fmt(r.entries)} entries, ${fmt(r.checkpoints)} signed checkpoint(s) verified`);
  } else {
    out.push(`ledger NOT intact: first failing sequence number ${r.firstFailingSeq ?? '(none: see below)'}`);
    const first = r.problems.find((p) => p.seq === r.firstFailingSeq) ?? r.problems[0];
    if (first) out.push(`reason: ${first.message}`);
    out.push(`${r.problems.length + r.problemsOmitted} problem(s):`);
    for (const p of r.problems)
      out.push(`  - [${p.kind}]${p.seq !== null ? ` seq ${p.seq}${p.endSeq !== undefined && p.endSeq !== p.seq ? `-${p.endSeq}` : ''}` : ''}: ${p.message}`);
    if (r.problemsOmitted) out.push(`  ... and ${r.problemsOmitted} more`);
    out.push(`read ${fmt(r.entries)} entries, ${fmt(r.checkpointsRead)} checkpoint(s) (${fmt(r.checkpoints)} confirmed)`);
  }
  if (r.latestCheckpoint) {
    out.push(
      `latest checkpoint: tree size ${fmt(r.latestCheckpoint.treeSize)}, root ${r.latestCheckpoint.rootHash}, signed ${r.latestCheckpoint.timestamp} (${r.latestCheckpoint.source})`,
    );
  }
  out.push(
    `details records: ${fmt(r.details.present)} intact, ${fmt(r.details.erased)} erased${r.details.missing ? `, ${fmt(r.details.missing)} removed` : ''}`,
  );
  out.push(`trusted key id(s): ${r.trustedKeyIds.join(', ')}`);
  out.push(`took ${(r.durationMs / 1000).toFixed(2)} s (${fmt(rate)} entries/s)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function intOption(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new LedgerCliError(`${name} must be a whole number, got "${v}"`);
    return Number(v);
  };
}

/** Runs an action, turning expected failures into a message and exit status 2. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (err instanceof LedgerCliError || (err instanceof Error && err.name === 'ConfigError')) {
        process.stderr.write(`kotwal ledger: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      throw err;
    }
  };
}

export function ledgerCommand(): Command {
  const ledger = new Command('ledger').description('verify, export and prove the tamper-evident ledger');

  ledger
    .command('verify')
    .description('recompute every leaf and checkpoint root; exit 0 when intact, 1 when not (naming the first failing sequence number)')
    .option('--bundle <dir>', 'verify an exported bundle instead of the database (no database needed)')
    .option(
      '--public-key <file>',
      "public key to trust (PEM, or base64 of the raw key); repeat for several. Default: the node signing key (database), the bundle's own key (bundle)",
      collect,
      [],
    )
    .option('--checkpoint-file <file>', 'latest-checkpoint file to compare (default: <data dir>/ledger/latest-checkpoint)')
    .option('--no-checkpoint-file', "do not compare with the data dir's latest-checkpoint file")
    .option('--json', 'print the full report as JSON')
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', '\nExamples:\n  kotwal ledger verify\n  kotwal ledger verify --bundle ./ledger-2026-11-23 --public-key node.pub.pem\n')
    .action(
      action(async (opts: { bundle?: string; publicKey: string[]; checkpointFile?: string | false; json?: boolean; quiet?: boolean }, cmd: Command) => {
        const progress = progressPrinter(opts.quiet === true, 'verify');
        let report: VerifyReport;
        if (opts.bundle) {
          if (!existsSync(opts.bundle)) throw new LedgerCliError(`no bundle at ${opts.bundle}`);
          const keys = opts.publicKey.length ? trustedKeys(opts.publicKey, null) : undefined;
          if (!keys && !opts.quiet)
            process.stderr.write("verify: trusting the bundle's own public-key.pem; compare the key id below with the one the data owner gave you\n");
          try {
            report = await verifyBundle(opts.bundle, { ...(keys ? { publicKey: keys } : {}), onProgress: progress.update });
          } catch (err) {
            progress.done();
            throw new LedgerCliError((err as Error).message);
          }
        } else {
          const config = configOf(cmd);
          const checkpointFile = opts.checkpointFile === false ? null : (opts.checkpointFile ?? checkpointFilePath(config.dataDir));
          report = await withDatabase(config, (db) =>
            verifyDatabase(db, { publicKey: trustedKeys(opts.publicKey, config), checkpointFile, onProgress: progress.update }),
          );
        }
        progress.done();
        printReport(report, opts.json === true);
        if (!report.ok) process.exitCode = 1;
      }),
    );

  ledger
    .command('export')
    .description('write a self-contained bundle (entries, checkpoints, public key, README) that verifies with no database')
    .requiredOption('--out <dir>', 'directory to write (new or empty)')
    .option('--force', 'write into a directory that is not empty')
    .option('--public-key <file>', "public key to ship (default: the node signing key's public half)")
    .option('--quiet', 'no progress on stderr')
    .action(
      action(async (opts: { out: string; force?: boolean; publicKey?: string; quiet?: boolean }, cmd: Command) => {
        const config = configOf(cmd);
        const [key] = trustedKeys(opts.publicKey ? [opts.publicKey] : [], config);
        const progress = progressPrinter(opts.quiet === true, 'export');
        const r = await withDatabase(config, (db) =>
          exportBundle(db, path.resolve(opts.out), {
            publicKey: key,
            checkpointFile: checkpointFilePath(config.dataDir),
            onProgress: progress.update,
            force: opts.force === true,
          }),
        ).catch((err: unknown) => {
          progress.done();
          throw err instanceof Error && /is not empty/.test(err.message) ? new LedgerCliError(err.message) : err;
        });
        progress.done();
        process.stdout.write(
          `exported ${fmt(r.entries)} entries and ${fmt(r.checkpoints)} checkpoint(s) to ${r.dir} (key id ${r.keyId})\nverify with: kotwal ledger verify --bundle ${r.dir}\n`,
        );
      }),
    );

  ledger
    .command('proof')
    .description('print the RFC 9162 inclusion proof of an entry (JSON) and check it against the signed checkpoint')
    .addOption(new Option('--seq <n>', 'sequence number of the entry').argParser(intOption('--seq')).makeOptionMandatory())
    .addOption(new Option('--tree-size <m>', 'tree size to prove against (default: the latest checkpoint)').argParser(intOption('--tree-size')))
    .option('--public-key <file>', 'public key to trust for the checkpoint signature (default: the node signing key)')
    .action(
      action(async (opts: { seq: number; treeSize?: number; publicKey?: string }, cmd: Command) => {
        const config = configOf(cmd);
        await withDatabase(config, async (db) => {
          const state = await readState(db, false);
          const latest = await latestCheckpointRow(db);
          if (!latest) throw new LedgerCliError('no checkpoint has been signed yet; start the server once');
          const size = opts.treeSize ?? latest.tree_size;
          if (opts.seq >= state.treeSize) throw new LedgerCliError(`--seq ${opts.seq}: there is no such entry (the ledger holds ${state.treeSize})`);
          if (size > state.treeSize) throw new LedgerCliError(`--tree-size ${size} is beyond the ledger's ${state.treeSize} entries`);
          if (opts.seq >= size) {
            throw new LedgerCliError(
              `--seq ${opts.seq} is not covered by tree size ${size}${opts.treeSize === undefined ? ' (the latest checkpoint); wait for the next checkpoint or pass --tree-size' : ''}`,
            );
          }
          const proof = await inclusionProofAt(db, opts.seq, size);
          process.stdout.write(`${JSON.stringify(proof, null, 2)}\n`);
          const checks: string[] = [];
          let ok = verifyInclusion(opts.seq, size, fromHex(proof.leafHash), proof.proof.map(fromHex), fromHex(proof.rootHash));
          checks.push(`${ok ? 'ok' : 'FAILED'}: the audit path leads from the leaf to root ${proof.rootHash}`);
          const row = await entryRow(db, opts.seq);
          const recomputed = row ? toHex(leafHash(entryBytes(fieldsOfRow(row)))) : null;
          const leafOk = recomputed === proof.leafHash;
          ok &&= leafOk;
          checks.push(`${leafOk ? 'ok' : 'FAILED'}: the entry's columns give its leaf hash`);
          const cpRow = await checkpointRowAt(db, size);
          if (cpRow) {
            const cp: Checkpoint = checkpointOfRow(cpRow);
            const [key] = trustedKeys(opts.publicKey ? [opts.publicKey] : [], config);
            const sigOk = cp.keyId === key.keyId && verifyCheckpointSignature(cp.body, cp.signature, key.base64);
            const rootOk = cp.rootHash === proof.rootHash && cp.body.includes(`\n${size}\n`);
            ok &&= sigOk && rootOk;
            checks.push(`${sigOk ? 'ok' : 'FAILED'}: the checkpoint at tree size ${size} is signed by key ${key.keyId}`);
            checks.push(`${rootOk ? 'ok' : 'FAILED'}: the proof's root is the checkpoint's signed root`);
          } else {
            checks.push(`note: no checkpoint was signed at tree size ${size}; the root is not signed`);
          }
          process.stderr.write(`${checks.join('\n')}\n`);
          if (!ok) process.exitCode = 1;
        });
      }),
    );

  ledger
    .command('checkpoint')
    .description('show the latest signed checkpoint and check its signature (--sign: sign one at the current size first)')
    .option('--sign', 'sequence queued entries and sign a checkpoint now (needs the signing key; stop a PGlite server first)')
    .option('--public-key <file>', 'public key to trust (default: the node signing key)')
    .option('--json', 'print only the checkpoint JSON')
    .action(
      action(async (opts: { sign?: boolean; publicKey?: string; json?: boolean }, cmd: Command) => {
        const config = configOf(cmd);
        await withDatabase(config, async (db) => {
          let cp: Checkpoint | null;
          if (opts.sign) {
            const logger = createLogger('warn', process.stderr);
            const l = await Ledger.open({ db, config, logger, background: false });
            try {
              cp = await l.checkpointNow();
            } finally {
              await l.close();
            }
          } else {
            const row = await latestCheckpointRow(db);
            cp = row ? checkpointOfRow(row) : null;
          }
          if (!cp) throw new LedgerCliError('no checkpoint has been signed yet; start the server once, or run with --sign');
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(cp, null, 2)}\n`);
            return;
          }
          const [key] = trustedKeys(opts.publicKey ? [opts.publicKey] : [], config);
          const sigOk = cp.keyId === key.keyId && verifyCheckpointSignature(cp.body, cp.signature, key.base64);
          process.stdout.write(
            [
              `origin:     ${cp.origin}`,
              `tree size:  ${fmt(cp.treeSize)}`,
              `root hash:  ${cp.rootHash}`,
              `timestamp:  ${cp.timestamp}`,
              `key id:     ${cp.keyId}`,
              `signature:  ${sigOk ? 'valid' : `INVALID for trusted key ${key.keyId}`}`,
              '',
              cp.body,
            ].join('\n'),
          );
          if (!sigOk) process.exitCode = 1;
        });
      }),
    );

  ledger.addCommand(witnessCommand());

  return ledger;
}
