/**
 * `kotwal grants approve --key FILE --url URL ID`: an official's tool. It
 * fetches the grant's manifest (public), recomputes its hash and refuses to
 * sign when the server's stated hash differs, shows what is being approved
 * (on stderr), signs the 32 raw hash bytes with the official's Ed25519 key
 * and submits the approval. It runs on the official's machine, needs no
 * database, and reaches only the --url origin (client-mode egress).
 * Exit status: 0 recorded, 1 refused (the server's reason is printed), 2
 * could not run.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { Value } from 'typebox/value';
import {
  GrantForSigning,
  grantManifestHash,
  parseEd25519PrivateKey,
  publicKeyId,
  publicKeyOfSecret,
  signHash,
  type Grant,
  type GrantManifest,
} from '@kotwal/contracts';
import { createClientEgress } from '#core/egress/index.ts';

/** The server (or the manifest) refused: exit 1. */
export class GrantApprovalRefused extends Error {
  override name = 'GrantApprovalRefused';
}

export interface ApproveGrantOptions {
  key: string;
  url: string;
  id: string;
  /** Where the summary goes (default stderr). */
  log?: (text: string) => void;
}

function detailOf(text: string): string {
  try {
    const p = JSON.parse(text) as { type?: string; detail?: string; title?: string };
    return `${p.type ? `${p.type.replace(/^.*\//, '')}: ` : ''}${p.detail ?? p.title ?? ''}`;
  } catch {
    return text.slice(0, 300);
  }
}

function summary(m: GrantManifest, hash: string, status: string, needed: number): string {
  return [
    `grant ${m.id} on node ${m.node} (${status}${status === 'pending-approval' ? `, ${needed} more approval${needed === 1 ? '' : 's'} needed` : ''})`,
    `  grantee:   ${m.grantee.username}`,
    `  role:      ${m.role}`,
    `  duration:  ${m.durationMinutes} minutes from activation`,
    `  reason:    ${m.reason}`,
    `  ticket:    ${m.ticket ?? '(none)'}`,
    `  requested: ${m.requestedAt} by ${m.requestedBy}`,
    `  approvers: ${m.approvers.threshold} of ${m.approvers.publicKeys.length} (${m.approvers.publicKeys.map(publicKeyId).join(', ')})`,
    `  manifest hash (recomputed): ${hash}`,
    '',
  ].join('\n');
}

export async function approveGrant(opts: ApproveGrantOptions): Promise<Grant> {
  const log = opts.log ?? ((t: string) => process.stderr.write(t));
  let secret: Uint8Array;
  try {
    secret = parseEd25519PrivateKey(readFileSync(opts.key, 'utf8'));
  } catch (err) {
    throw new Error(`--key ${opts.key}: ${(err as Error).message}`, { cause: err });
  }
  const base = opts.url.replace(/\/+$/, '');
  const egress = createClientEgress({ allow: [base], tool: 'kotwal grants approve' });
  try {
    const id = encodeURIComponent(opts.id);
    const res = await egress.request(`${base}/api/v1/grants/${id}/manifest`, { method: 'GET', headers: { accept: 'application/json' } });
    if (res.status !== 200) throw new GrantApprovalRefused(`the manifest of grant ${opts.id} could not be fetched: ${res.status} ${detailOf(res.text())}`);
    const body = res.json<unknown>();
    if (!Value.Check(GrantForSigning, body)) throw new GrantApprovalRefused('the server did not answer a grant manifest');
    const manifest = body.manifest as GrantManifest;
    const hash = grantManifestHash(manifest);
    if (hash !== body.manifestHash) {
      throw new GrantApprovalRefused(
        `the manifest does not hash to the manifestHash the server states (${body.manifestHash}; recomputed ${hash}): not signing`,
      );
    }
    if (manifest.id !== opts.id) throw new GrantApprovalRefused(`the server answered the manifest of grant ${manifest.id}, not ${opts.id}: not signing`);
    log(summary(manifest, hash, body.status, body.approvalsNeeded));
    const publicKey = publicKeyOfSecret(secret);
    if (!manifest.approvers.publicKeys.includes(publicKey)) log(`note: your key ${publicKeyId(publicKey)} is not among this grant's approvers\n`);
    const signature = signHash(hash, secret);
    const post = await egress.request(`${base}/api/v1/grants/${id}/approvals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ publicKey, signature }),
    });
    if (post.status !== 201) throw new GrantApprovalRefused(`approval refused: ${post.status} ${detailOf(post.text())}`);
    return post.json<Grant>();
  } finally {
    egress.close();
  }
}

export function grantsCommand(): Command {
  const grants = new Command('grants').description('break-glass grants: time-boxed support access approved by M officials');
  grants
    .command('approve')
    .description('fetch a grant\u2019s manifest, recompute its hash, show it, sign the hash with your key and submit the approval')
    .requiredOption('--key <file>', 'your Ed25519 private key (from kotwal keys generate)')
    .requiredOption('--url <url>', 'base URL of the node (e.g. http://127.0.0.1:8080)')
    .argument('<id>', 'grant id')
    .action(async (id: string, opts: { key: string; url: string }) => {
      try {
        const g = await approveGrant({ key: opts.key, url: opts.url, id });
        process.stdout.write(
          g.status === 'active'
            ? `approved: grant ${g.id} is active for ${g.grantee.username} (role ${g.role}) until ${g.expiresAt ?? '?'}\n`
            : `approved: grant ${g.id} is ${g.status} (${g.approvalsNeeded} more approval${g.approvalsNeeded === 1 ? '' : 's'} needed)\n`,
        );
      } catch (err) {
        process.stderr.write(`kotwal: ${(err as Error).message}\n`);
        process.exitCode = err instanceof GrantApprovalRefused ? 1 : 2;
      }
    });
  return grants;
}
