/**
 * `kotwal keys generate` (an official's Ed25519 key pair) and
 * `kotwal transfers approve` (fetch a transfer's manifest, recompute its
 * hash, show what is being approved, sign the hash, submit the approval).
 * Both run on the official's own machine: no database, no node config. The
 * approval goes through a client-mode egress gateway that reaches only the
 * URL given on the command line.
 *
 * Exit status: 0 done; 1 refused (the server's precise reason is printed)
 * or the manifest did not check; 2 when the command could not run.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync, chmodSync } from 'node:fs';
import { Command } from 'commander';
import { ManifestForSigning, manifestHash, parseEd25519PublicKey, publicKeyId, type Transfer, type TransferManifest } from '@kotwal/contracts';
import { addApproveCommand, approveWithKey, type ApproveCliOptions, type ApproveCliSpec } from './approve-cli.ts';

/** A refusal or a failed check: exit status 1 with the message. */
export class SovereigntyCliRefusal extends Error {
  override name = 'SovereigntyCliRefusal';
}

export function generateKeyFiles(out: string): { publicKey: string; privateKeyFile: string; publicKeyFile: string } {
  const pubFile = `${out}.pub`;
  for (const f of [out, pubFile]) if (existsSync(f)) throw new Error(`${f} already exists: refusing to overwrite a key`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  writeFileSync(out, priv, { mode: 0o600, flag: 'wx' });
  chmodSync(out, 0o600);
  writeFileSync(pubFile, pub, { mode: 0o644, flag: 'wx' });
  return { publicKey: parseEd25519PublicKey(pub), privateKeyFile: out, publicKeyFile: pubFile };
}

function summary(m: TransferManifest, hash: string, status: string): string {
  const lines = [
    `transfer     ${m.id} (${m.kind}, status ${status})`,
    `dataset      ${m.dataset}${
      Object.keys(m.filter).length
        ? ` where ${Object.entries(m.filter)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`
        : ''
    }${m.items.length ? ` (${m.items.length} items)` : ''}`,
    `from         ${m.source.node} (${m.source.jurisdiction})`,
    `to           ${m.destination.node} (${m.destination.jurisdiction})${m.destination.address ? ` at ${m.destination.address}` : ''}`,
    `purpose      ${m.purpose}`,
    `legal basis  ${m.legalBasis}`,
    `expires      ${m.expiresAt}`,
    `requested    ${m.requestedAt} by ${m.requestedBy}`,
    `approvers    ${m.approvers.threshold} of ${m.approvers.publicKeys.length}`,
    `hash         ${hash}`,
  ];
  return `${lines.join('\n')}\n`;
}

export type ApproveOptions = ApproveCliOptions;

const TRANSFER_APPROVAL: ApproveCliSpec<TransferManifest, ManifestForSigning> = {
  tool: 'kotwal transfers approve',
  collection: 'transfers',
  schema: ManifestForSigning,
  hash: manifestHash,
  noun: '',
  approversOf: "this manifest's",
  summary: (m, hash, body) => summary(m, hash, body.status),
  refused: (message) => new SovereigntyCliRefusal(message),
};

/** Fetches, checks, signs and submits; returns the transfer as the server answered. Throws SovereigntyCliRefusal on a refusal. */
export async function approveTransfer(opts: ApproveOptions): Promise<Transfer> {
  return approveWithKey<TransferManifest, ManifestForSigning, Transfer>(TRANSFER_APPROVAL, opts);
}

export function keysCommand(): Command {
  const keys = new Command('keys').description('Ed25519 key pairs for the officials who approve transfers and grants');
  keys
    .command('generate')
    .description('write a new key pair: FILE (PKCS#8 PEM private key, mode 0600) and FILE.pub (SPKI PEM); print the public key (base64) on stdout')
    .requiredOption('--out <file>', 'private key file to create (never overwritten)')
    .action((opts: { out: string }) => {
      const k = generateKeyFiles(opts.out);
      process.stderr.write(`wrote ${k.privateKeyFile} (keep it private) and ${k.publicKeyFile}; key id ${publicKeyId(k.publicKey)}\n`);
      process.stdout.write(`${k.publicKey}\n`);
    });
  return keys;
}

export function transfersCommand(): Command {
  const transfers = new Command('transfers').description('transfers of datasets between nodes');
  addApproveCommand(transfers, {
    description: 'fetch a transfer\u2019s manifest, recompute its hash, show it, sign the hash with your key and submit the approval',
    urlHelp: 'base URL of the node holding the transfer (e.g. http://127.0.0.1:8080)',
    idHelp: 'transfer id',
    approve: approveTransfer,
    done: (t) =>
      `approved: transfer ${t.id} is ${t.status} (${t.manifest.approvers.threshold - t.approvalsNeeded} of ${t.manifest.approvers.threshold} approvals)\n`,
    isRefusal: (err) => err instanceof SovereigntyCliRefusal,
  });
  return transfers;
}

/** The sovereignty commands main.ts adds. */
export function sovereigntyCli(): Command[] {
  return [keysCommand(), transfersCommand()];
}
