/**
 * `kotwal oversight export --out DIR` (reads the node's database: with the
 * embedded PGlite stop the server first) and `kotwal oversight verify DIR`
 * (offline: no database, no network). Exit status of verify: 0 verified,
 * 1 something fails (the first failure is named), 2 the bundle cannot be
 * read.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { Ledger } from '#core/ledger/index.ts';
import type { ModuleCliEnv } from '#core/module.ts';
import { exportOversight } from './export.ts';
import { OversightBundleError, verifyOversight, type OversightReport } from './verify.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function printReport(r: OversightReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  const c = r.counts;
  if (r.ok) {
    out.push(`oversight bundle verified${r.node ? ` (node ${r.node.name}, ${r.node.jurisdiction}, ledger key ${r.node.keyId})` : ''}`);
  } else {
    out.push(`oversight bundle NOT verified`);
    out.push(`first failure: ${r.firstFailure ?? ''}`);
  }
  out.push(
    `ledger bundle: ${r.ledger.ok ? 'intact' : 'NOT intact'}, ${r.ledger.entries} entries, ${r.ledger.checkpoints} signed checkpoint(s), trusted key id(s) ${r.ledger.trustedKeyIds.join(', ')}`,
  );
  out.push(
    `records: ${c.transfers} transfer(s), ${c.batches} batch(es), ${c.peers} peer(s), ${c.approvers} approver(s), ${c.policies} polic(ies), ${c.grants} grant(s), ${c.witnesses} witness(es), ${c.cosignatures} cosignature(s)`,
  );
  out.push(
    `checked: ${r.checked.manifests} manifest hash(es), ${r.checked.approvalSignatures} approval signature(s), ${r.checked.receipts} receipt(s), ${r.checked.cosignatures} cosignature(s), ${r.checked.ledgerEntries} cited ledger entr(ies), ${r.checked.ledgerDetails} details record(s)`,
  );
  if (!r.ok) {
    out.push(`${r.problems.length} problem(s):`);
    for (const p of r.problems.slice(0, 50)) out.push(`  - ${p.subject}: ${p.message}`);
    if (r.problems.length > 50) out.push(`  ... and ${r.problems.length - 50} more`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

export function oversightCommand(env: ModuleCliEnv): Command {
  const oversight = new Command('oversight').description(
    'the oversight bundle: transfers, approvals, receipts, grants, witnesses and the ledger, verifiable offline',
  );

  oversight
    .command('export')
    .description('write the oversight bundle (with the ledger bundle) to a new directory')
    .requiredOption('--out <dir>', 'directory to write (new or empty)')
    .option('--force', 'write into a directory that is not empty')
    .action(async (opts: { out: string; force?: boolean }) => {
      try {
        const r = await env.withContext(async (ctx) => {
          if (!(ctx.ledger instanceof Ledger)) throw new Error('the CLI context holds no ledger');
          return exportOversight(ctx, ctx.ledger, path.resolve(opts.out), {
            force: opts.force === true,
            onProgress: (m) => process.stderr.write(`export: ${m}\n`),
          });
        });
        const c = r.counts;
        process.stdout.write(
          `exported ${c.transfers} transfer(s), ${c.batches} batch(es), ${c.grants} grant(s), ${c.approvers} approver(s), ${c.policies} polic(ies), ${c.peers} peer(s), ${c.witnesses} witness(es), ${c.cosignatures} cosignature(s) and ${r.ledgerEntries} ledger entries (${r.checkpoints} checkpoints, key id ${r.keyId}) to ${r.dir}\nverify with: kotwal oversight verify ${r.dir}\n`,
        );
      } catch (err) {
        process.stderr.write(`kotwal oversight: ${(err as Error).message}\n`);
        process.exitCode = 2;
      }
    });

  oversight
    .command('verify')
    .description('check an oversight bundle offline; exit 0 when everything verifies, 1 naming the first thing that fails')
    .argument('<dir>', 'the bundle directory')
    .option('--public-key <file>', "the node's ledger public key to trust (PEM or base64 raw); repeat for several. Default: the bundle's own", collect, [])
    .option('--json', 'print the full report as JSON')
    .action(async (dir: string, opts: { publicKey: string[]; json?: boolean }) => {
      try {
        if (!existsSync(dir)) throw new OversightBundleError(`no bundle at ${dir}`);
        const keys = opts.publicKey.map((f) => readFileSync(f, 'utf8'));
        if (!keys.length && !opts.json) {
          process.stderr.write("verify: trusting the bundle's own ledger/public-key.pem; compare the key id below with the one the node's operator gave you\n");
        }
        const r = await verifyOversight(dir, keys.length ? { publicKey: keys } : {});
        printReport(r, opts.json === true);
        if (!r.ok) process.exitCode = 1;
      } catch (err) {
        process.stderr.write(`kotwal oversight: ${(err as Error).message}\n`);
        process.exitCode = 2;
      }
    });

  return oversight;
}
