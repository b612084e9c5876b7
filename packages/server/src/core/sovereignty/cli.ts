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
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { Command } from 'commander';
import Value from 'typebox/value';
import {
  ManifestForSigning,
  manifestHash,
  parseEd25519PrivateKey,
  parseEd25519PublicKey,
  publicKeyId,
  publicKeyOfSecret,
  signHash,
  type Transfer,
  type TransferManifest,
} from '@kotwal/contracts';
import { createClientEgress } from '#core/egress/index.ts';

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

export interface ApproveOptions {
  key: string;
  url: string;
  id: string;
  /** Where the summary goes (stderr). */
  log?: (text: string) => void;
}

/** Fetches, checks, signs and submits; returns the transfer as the server answered. Throws SovereigntyCliRefusal on a refusal. */
export async function approveTransfer(opts: ApproveOptions): Promise<Transfer> {
  const log = opts.log ?? ((t: string) => process.stderr.write(t));
  let secret: Uint8Array;
  try {
    secret = parseEd25519PrivateKey(readFileSync(opts.key, 'utf8'));
  } catch (err) {
    throw new Error(`--key ${opts.key}: ${(err as Error).message}`, { cause: err });
  }
  const base = opts.url.replace(/\/+$/, '');
  const egress = createClientEgress({ allow: [base], tool: 'kotwal transfers approve' });
  try {
    const id = encodeURIComponent(opts.id);
    const res = await egress.request(`${base}/api/v1/transfers/${id}/manifest`, { method: 'GET', headers: { accept: 'application/json' } });
    if (res.status !== 200) throw new SovereigntyCliRefusal(`the manifest of ${opts.id} could not be fetched: ${res.status} ${detailOf(res.text())}`);
    const body = res.json<unknown>();
    if (!Value.Check(ManifestForSigning, body)) throw new SovereigntyCliRefusal('the server did not answer a manifest');
    const manifest = body.manifest as TransferManifest;
    const hash = manifestHash(manifest);
    if (hash !== body.manifestHash) {
      throw new SovereigntyCliRefusal(
        `the manifest does not hash to the manifestHash the server states (${body.manifestHash}; recomputed ${hash}): not signing`,
      );
    }
    if (manifest.id !== opts.id) throw new SovereigntyCliRefusal(`the server answered the manifest of ${manifest.id}, not ${opts.id}: not signing`);
    log(summary(manifest, hash, body.status));
    const publicKey = publicKeyOfSecret(secret);
    if (!manifest.approvers.publicKeys.includes(publicKey)) log(`note: your key ${publicKeyId(publicKey)} is not among this manifest's approvers\n`);
    const signature = signHash(hash, secret);
    const post = await egress.request(`${base}/api/v1/transfers/${id}/approvals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ publicKey, signature }),
    });
    if (post.status !== 201) throw new SovereigntyCliRefusal(`approval refused: ${post.status} ${detailOf(post.text())}`);
    return post.json<Transfer>();
  } finally {
    egress.close();
  }
}

function detailOf(text: string): string {
  try {
    const p = JSON.parse(text) as { type?: string; detail?: string; title?: string };
    return `${p.type ? `${p.type.replace(/^.*\//, '')}: ` : ''}${p.detail ?? p.title ?? ''}`;
  } catch {
    return text.slice(0, 300);
  }
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
  transfers
    .command('approve')
    .description('fetch a transfer\u2019s manifest, recompute its hash, show it, sign the hash with your key and submit the approval')
    .requiredOption('--key <file>', 'your Ed25519 private key (from kotwal keys generate)')
    .requiredOption('--url <url>', 'base URL of the node holding the transfer (e.g. http://127.0.0.1:8080)')
    .argument('<id>', 'transfer id')
    .action(async (id: string, opts: { key: string; url: string }) => {
      try {
        const t = await approveTransfer({ key: opts.key, url: opts.url, id });
        const valid = t.manifest.approvers.threshold - t.approvalsNeeded;
        process.stdout.write(`approved: transfer ${t.id} is ${t.status} (${valid} of ${t.manifest.approvers.threshold} approvals)\n`);
      } catch (err) {
        if (err instanceof SovereigntyCliRefusal) {
          process.stderr.write(`kotwal: ${err.message}\n`);
          process.exitCode = 1;
          return;
        }
        process.stderr.write(`kotwal: ${(err as Error).message}\n`);
        process.exitCode = 2;
      }
    });
  return transfers;
}

/** The sovereignty commands main.ts adds. */
export function sovereigntyCli(): Command[] {
  return [keysCommand(), transfersCommand()];
}
