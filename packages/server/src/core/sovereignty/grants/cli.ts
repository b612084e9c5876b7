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
import { Command } from 'commander';
import { GrantForSigning, grantManifestHash, publicKeyId, type Grant, type GrantManifest } from '@kotwal/contracts';
import { addApproveCommand, approveWithKey, type ApproveCliOptions, type ApproveCliSpec } from '../approve-cli.ts';

/** The server (or the manifest) refused: exit 1. */
export class GrantApprovalRefused extends Error {
  override name = 'GrantApprovalRefused';
}

export type ApproveGrantOptions = ApproveCliOptions;

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

const GRANT_APPROVAL: ApproveCliSpec<GrantManifest, GrantForSigning> = {
  tool: 'kotwal grants approve',
  collection: 'grants',
  schema: GrantForSigning,
  hash: grantManifestHash,
  noun: 'grant ',
  approversOf: "this grant's",
  summary: (m, hash, body) => summary(m, hash, body.status, body.approvalsNeeded),
  refused: (message) => new GrantApprovalRefused(message),
};

export async function approveGrant(opts: ApproveGrantOptions): Promise<Grant> {
  return approveWithKey<GrantManifest, GrantForSigning, Grant>(GRANT_APPROVAL, opts);
}

export function grantsCommand(): Command {
  const grants = new Command('grants').description('break-glass grants: time-boxed support access approved by M officials');
  addApproveCommand(grants, {
    description: 'fetch a grant\u2019s manifest, recompute its hash, show it, sign the hash with your key and submit the approval',
    urlHelp: 'base URL of the node (e.g. http://127.0.0.1:8080)',
    idHelp: 'grant id',
    approve: approveGrant,
    done: (g) =>
      g.status === 'active'
        ? `approved: grant ${g.id} is active for ${g.grantee.username} (role ${g.role}) until ${g.expiresAt ?? '?'}\n`
        : `approved: grant ${g.id} is ${g.status} (${g.approvalsNeeded} more approval${g.approvalsNeeded === 1 ? '' : 's'} needed)\n`,
    isRefusal: (err) => err instanceof GrantApprovalRefused,
  });
  return grants;
}
