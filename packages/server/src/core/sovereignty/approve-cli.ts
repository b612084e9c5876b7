/**
 * The one approval flow behind `kotwal transfers approve` and `kotwal grants
 * approve`: read the official's key file, fetch the manifest through a
 * client-mode egress gateway that reaches only --url, recompute its hash and
 * refuse to sign when the server's stated hash (or id) differs, show what is
 * being approved, sign the hash, submit the approval, and (for the command)
 * print the result and set the exit status: 0 recorded, 1 refused (the
 * server's precise reason is printed) or the manifest did not check, 2 when
 * the command could not run.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import { parseEd25519PrivateKey, publicKeyId, publicKeyOfSecret, signHash } from '@kotwal/contracts';
import { createClientEgress } from '#core/egress/index.ts';

export interface ApproveCliOptions {
  key: string;
  url: string;
  id: string;
  /** Where the summary goes (default stderr). */
  log?: (text: string) => void;
}

/** What a signable manifest answer holds (ManifestForSigning, GrantForSigning). */
interface SigningBody {
  manifest: unknown;
  manifestHash: string;
  status: string;
}

/** What differs between the kinds of approval. */
export interface ApproveCliSpec<M extends { id: string; approvers: { publicKeys: string[] } }, B extends SigningBody> {
  /** Named in the egress gateway's refusals (e.g. `kotwal transfers approve`). */
  tool: string;
  /** The collection under /api/v1 (`transfers`, `grants`). */
  collection: string;
  /** The schema the manifest answer must match. */
  schema: TSchema;
  /** Recomputes the manifest's hash. */
  hash: (manifest: M) => string;
  /** Names the subject in messages, before its id ('' or 'grant '). */
  noun: string;
  /** Whose approvers a key is not among (`this manifest's`, `this grant's`). */
  approversOf: string;
  /** What is being approved, as shown before signing. */
  summary: (manifest: M, hash: string, body: B) => string;
  /** The refusal error (exit status 1). */
  refused: (message: string) => Error;
}

/** The problem's type (last segment) and detail, or the start of the text when it is not JSON. */
export function problemDetail(text: string): string {
  try {
    const p = JSON.parse(text) as { type?: string; detail?: string; title?: string };
    return `${p.type ? `${p.type.replace(/^.*\//, '')}: ` : ''}${p.detail ?? p.title ?? ''}`;
  } catch {
    return text.slice(0, 300);
  }
}

/** Fetches, checks, signs and submits; returns the subject as the server answered. Throws spec.refused(...) on a refusal. */
export async function approveWithKey<M extends { id: string; approvers: { publicKeys: string[] } }, B extends SigningBody, R>(
  spec: ApproveCliSpec<M, B>,
  opts: ApproveCliOptions,
): Promise<R> {
  const log = opts.log ?? ((t: string) => process.stderr.write(t));
  let secret: Uint8Array;
  try {
    secret = parseEd25519PrivateKey(readFileSync(opts.key, 'utf8'));
  } catch (err) {
    throw new Error(`--key ${opts.key}: ${(err as Error).message}`, { cause: err });
  }
  const base = opts.url.replace(/\/+$/, '');
  const egress = createClientEgress({ allow: [base], tool: spec.tool });
  try {
    const id = encodeURIComponent(opts.id);
    const res = await egress.request(`${base}/api/v1/${spec.collection}/${id}/manifest`, { method: 'GET', headers: { accept: 'application/json' } });
    if (res.status !== 200) throw spec.refused(`the manifest of ${spec.noun}${opts.id} could not be fetched: ${res.status} ${problemDetail(res.text())}`);
    const answer = res.json<unknown>();
    if (!Value.Check(spec.schema, answer)) throw spec.refused(`the server did not answer a ${spec.noun}manifest`);
    const body = answer as B;
    const manifest = body.manifest as M;
    const hash = spec.hash(manifest);
    if (hash !== body.manifestHash) {
      throw spec.refused(`the manifest does not hash to the manifestHash the server states (${body.manifestHash}; recomputed ${hash}): not signing`);
    }
    if (manifest.id !== opts.id) throw spec.refused(`the server answered the manifest of ${spec.noun}${manifest.id}, not ${opts.id}: not signing`);
    log(spec.summary(manifest, hash, body));
    const publicKey = publicKeyOfSecret(secret);
    if (!manifest.approvers.publicKeys.includes(publicKey)) log(`note: your key ${publicKeyId(publicKey)} is not among ${spec.approversOf} approvers\n`);
    const signature = signHash(hash, secret);
    const post = await egress.request(`${base}/api/v1/${spec.collection}/${id}/approvals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ publicKey, signature }),
    });
    if (post.status !== 201) throw spec.refused(`approval refused: ${post.status} ${problemDetail(post.text())}`);
    return post.json<R>();
  } finally {
    egress.close();
  }
}

/**
 * Adds `approve --key FILE --url URL <id>` to a command: runs approve, prints
 * done(result) on stdout; a refusal prints `kotwal: <reason>` on stderr and
 * exits 1, anything else that stops it exits 2.
 */
export function addApproveCommand<R>(
  parent: Command,
  o: {
    description: string;
    urlHelp: string;
    idHelp: string;
    approve: (opts: ApproveCliOptions) => Promise<R>;
    done: (result: R) => string;
    isRefusal: (err: unknown) => boolean;
  },
): void {
  parent
    .command('approve')
    .description(o.description)
    .requiredOption('--key <file>', 'your Ed25519 private key (from kotwal keys generate)')
    .requiredOption('--url <url>', o.urlHelp)
    .argument('<id>', o.idHelp)
    .action(async (id: string, opts: { key: string; url: string }) => {
      try {
        process.stdout.write(o.done(await o.approve({ key: opts.key, url: opts.url, id })));
      } catch (err) {
        process.stderr.write(`kotwal: ${(err as Error).message}\n`);
        process.exitCode = o.isRefusal(err) ? 1 : 2;
      }
    });
}
