/**
 * `kotwal ledger witness`: the tool of an outside party (the data owner, an
 * ombudsman) that keeps the node honest. It runs on the witness's own
 * machine, with the witness's own key, against the node's HTTP API (an API
 * token with ledger.read); it needs no database.
 *
 * Each run: fetch the node's public key (pinned in the state file on first
 * use; a changed key is an error), fetch the latest checkpoint and check its
 * signature with the pinned key, fetch a consistency proof from the tree size
 * in the state file and verify it against the root remembered there (a
 * smaller tree is a rollback, a proof that fails is a fork: reported and NOT
 * countersigned, exit 1), then countersign (contracts signCosignature),
 * submit it, and update the state file.
 *
 * Outbound HTTP here is the witness's client, not the server's (it never
 * runs inside `kotwal serve`): client-mode egress, which reaches only the
 * origin given with --url.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { createClientEgress, type ClientEgress } from '#core/egress/index.ts';
import {
  fromHex,
  parseEd25519PrivateKey,
  publicKeyId,
  publicKeyOfSecret,
  signCosignature,
  verifyCheckpointSignature,
  verifyConsistency,
  type Checkpoint,
  type ConsistencyProof,
  type Cosignature,
  type LedgerPublicKey,
} from '@kotwal/contracts';

export const WITNESS_STATE_FORMAT = 'kotwal-witness-state-v1';

export interface WitnessState {
  format: typeof WITNESS_STATE_FORMAT;
  url: string;
  origin: string;
  nodePublicKey: string;
  nodeKeyId: string;
  pinnedAt: string;
  witnessKeyId: string;
  /** The last checkpoint this witness verified and countersigned. */
  treeSize: number;
  rootHash: string;
  checkpointBody: string;
  checkpointSignature: string;
  cosignedAt: string;
  timestamp: number;
}

/** Exit 1: the node failed a check (or refused the countersignature). */
export class WitnessCheckFailed extends Error {
  override name = 'WitnessCheckFailed';
}

/** Exit 2: the command could not run (arguments, files, network). */
export class WitnessCliError extends Error {
  override name = 'WitnessCliError';
}

interface HttpResult<T> {
  status: number;
  body: T | null;
  text: string;
}

type Client = Pick<ClientEgress, 'request'>;

async function call<T>(client: Client, method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: unknown): Promise<HttpResult<T>> {
  let status: number;
  let text: string;
  try {
    const res = await client.request(url, {
      method,
      headers: { accept: 'application/json', ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      timeoutMs: 30_000,
    });
    status = res.status;
    text = res.text();
  } catch (err) {
    throw new WitnessCliError(`${method} ${url}: ${(err as Error).message}`);
  }
  let parsed: T | null;
  try {
    parsed = JSON.parse(text) as T;
  } catch {
    parsed = null;
  }
  return { status, body: parsed, text };
}

function problemText(r: HttpResult<unknown>): string {
  const b = r.body as { title?: string; detail?: string } | null;
  return `${r.status}${b?.title ? ` ${b.title}` : ''}${b?.detail ? `: ${b.detail}` : r.body ? '' : `: ${r.text.slice(0, 200)}`}`;
}

function readState(file: string): WitnessState | null {
  if (!existsSync(file)) return null;
  let s: WitnessState;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as WitnessState;
  } catch (err) {
    throw new WitnessCliError(`the state file ${file} is not JSON: ${(err as Error).message}`);
  }
  if (s.format !== WITNESS_STATE_FORMAT || typeof s.treeSize !== 'number' || typeof s.rootHash !== 'string' || typeof s.nodePublicKey !== 'string') {
    throw new WitnessCliError(`the state file ${file} is not a ${WITNESS_STATE_FORMAT} file`);
  }
  return s;
}

function writeState(file: string, s: WitnessState): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export interface WitnessRunOptions {
  url: string;
  keyFile: string;
  stateFile: string;
  token: string;
  /** Lines of what was checked (stdout). */
  print: (line: string) => void;
  now?: () => Date;
}

export interface WitnessRunResult {
  treeSize: number;
  rootHash: string;
  previousTreeSize: number | null;
  cosignature: Cosignature | null;
  alreadyCosigned: boolean;
}

/** One witness run; throws WitnessCheckFailed (exit 1) or WitnessCliError (exit 2). */
export async function runWitness(opts: WitnessRunOptions): Promise<WitnessRunResult> {
  const base = opts.url.replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) throw new WitnessCliError(`--url must be an http:// or https:// URL, got "${opts.url}"`);
  const client = createClientEgress({ allow: [base], tool: 'kotwal ledger witness' });
  try {
    return await witnessRun(opts, base, client);
  } finally {
    client.close();
  }
}

async function witnessRun(opts: WitnessRunOptions, base: string, client: Client): Promise<WitnessRunResult> {
  const now = opts.now ?? (() => new Date());
  let secret: Uint8Array;
  try {
    secret = parseEd25519PrivateKey(readFileSync(opts.keyFile, 'utf8'));
  } catch (err) {
    throw new WitnessCliError(`--key ${opts.keyFile}: ${(err as Error).message}`);
  }
  const witnessKey = publicKeyOfSecret(secret);
  const witnessKeyId = publicKeyId(witnessKey);
  const state = readState(opts.stateFile);
  if (state && state.url !== base) {
    opts.print(`note: the state file was written for ${state.url}; checking ${base} against it`);
  }
  if (state && state.witnessKeyId && state.witnessKeyId !== witnessKeyId) {
    throw new WitnessCliError(`the state file belongs to witness key ${state.witnessKeyId}, but --key is ${witnessKeyId}`);
  }
  const auth = { authorization: `Bearer ${opts.token}` };

  // 1. The node's key: pinned on first use.
  const keyRes = await call<LedgerPublicKey>(client, 'GET', `${base}/api/v1/ledger/public-key`, auth);
  if (keyRes.status !== 200 || !keyRes.body) throw new WitnessCliError(`fetching the node's public key: ${problemText(keyRes)}`);
  const nodeKey = keyRes.body;
  if (state) {
    if (nodeKey.publicKey !== state.nodePublicKey) {
      throw new WitnessCheckFailed(
        `the node's key CHANGED: it now presents key ${nodeKey.keyId}, but key ${state.nodeKeyId} was pinned on ${state.pinnedAt}; not countersigning (if the node's operator rotated the key, confirm it out of band and start a new state file)`,
      );
    }
    opts.print(`node key:    ${nodeKey.keyId} (pinned ${state.pinnedAt}): unchanged`);
  } else {
    opts.print(`node key:    ${nodeKey.keyId} (origin "${nodeKey.origin}"): pinned now (first run: compare this key id with the one the operator gave you)`);
  }

  // 2. The latest checkpoint, signed by the pinned key.
  const cpRes = await call<Checkpoint>(client, 'GET', `${base}/api/v1/ledger/checkpoints/latest`, auth);
  if (cpRes.status !== 200 || !cpRes.body) throw new WitnessCliError(`fetching the latest checkpoint: ${problemText(cpRes)}`);
  const cp = cpRes.body;
  const pinned = state?.nodePublicKey ?? nodeKey.publicKey;
  if (!verifyCheckpointSignature(cp.body, cp.signature, pinned)) {
    throw new WitnessCheckFailed(
      `the latest checkpoint (tree size ${cp.treeSize}) is NOT signed by the pinned node key ${publicKeyId(pinned)}; not countersigning`,
    );
  }
  const bodyLines = cp.body.split('\n');
  if (bodyLines[1] !== String(cp.treeSize)) throw new WitnessCheckFailed(`the checkpoint's signed body states tree size ${bodyLines[1]}, not ${cp.treeSize}`);
  if (Buffer.from(bodyLines[2] ?? '', 'base64').toString('hex') !== cp.rootHash) {
    throw new WitnessCheckFailed(`the checkpoint's signed body states another root than ${cp.rootHash}`);
  }
  const origin = state?.origin ?? bodyLines[0] ?? '';
  if (bodyLines[0] !== origin) throw new WitnessCheckFailed(`the checkpoint's origin is "${bodyLines[0]}", the pinned origin "${origin}"`);
  opts.print(`checkpoint:  tree size ${cp.treeSize}, root ${cp.rootHash}, ${cp.timestamp}: signature valid`);

  // 3. Consistency with the last checkpoint this witness countersigned.
  if (!state) {
    opts.print('consistency: first run, no earlier checkpoint to compare with');
  } else if (cp.treeSize < state.treeSize) {
    throw new WitnessCheckFailed(
      `ROLLBACK: the node's latest checkpoint has tree size ${cp.treeSize}, smaller than tree size ${state.treeSize} (root ${state.rootHash}) that this witness countersigned on ${state.cosignedAt}; not countersigning`,
    );
  } else if (cp.treeSize === state.treeSize) {
    if (cp.rootHash !== state.rootHash) {
      throw new WitnessCheckFailed(
        `FORK: at tree size ${cp.treeSize} the node now signs root ${cp.rootHash}, but this witness countersigned root ${state.rootHash} on ${state.cosignedAt}; not countersigning`,
      );
    }
    opts.print(`consistency: tree size ${cp.treeSize} unchanged since ${state.cosignedAt}, same root`);
  } else {
    const pr = await call<ConsistencyProof>(client, 'GET', `${base}/api/v1/ledger/proofs/consistency?from=${state.treeSize}&to=${cp.treeSize}`, auth);
    if (pr.status !== 200 || !pr.body) {
      throw new WitnessCheckFailed(
        `the node gave no consistency proof from tree size ${state.treeSize} to ${cp.treeSize} (${problemText(pr)}); not countersigning`,
      );
    }
    const proof = pr.body;
    let ok: boolean;
    try {
      ok = verifyConsistency(state.treeSize, cp.treeSize, fromHex(state.rootHash), fromHex(cp.rootHash), proof.proof.map(fromHex));
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new WitnessCheckFailed(
        `FORK: the consistency proof from tree size ${state.treeSize} (root ${state.rootHash}, countersigned ${state.cosignedAt}) to ${cp.treeSize} (root ${cp.rootHash}) does not verify${proof.fromRoot !== state.rootHash ? `; the node now gives root ${proof.fromRoot} at size ${state.treeSize}` : ''}: the node's history was rewritten; not countersigning`,
      );
    }
    opts.print(
      `consistency: tree size ${state.treeSize} -> ${cp.treeSize}: proof of ${proof.proof.length} hash(es) verified against the remembered root ${state.rootHash}`,
    );
  }

  // 4. Countersign and submit.
  const timestamp = Math.floor(now().getTime() / 1000);
  const signature = signCosignature(cp.body, timestamp, secret);
  const post = await call<Cosignature>(
    client,
    'POST',
    `${base}/api/v1/ledger/cosignatures`,
    {},
    { treeSize: cp.treeSize, publicKey: witnessKey, timestamp, signature },
  );
  let cosignature: Cosignature | null = null;
  let alreadyCosigned = false;
  if (post.status === 201 && post.body) {
    cosignature = post.body;
    opts.print(`cosigned:    tree size ${cp.treeSize} at time ${timestamp} with witness key ${witnessKeyId}: recorded by the node (${cosignature.receivedAt})`);
  } else if (post.status === 409 && state && state.treeSize === cp.treeSize) {
    alreadyCosigned = true;
    opts.print(`cosigned:    this witness had already countersigned tree size ${cp.treeSize}`);
  } else {
    throw new WitnessCheckFailed(`the node refused the countersignature: ${problemText(post)}`);
  }

  writeState(opts.stateFile, {
    format: WITNESS_STATE_FORMAT,
    url: base,
    origin,
    nodePublicKey: pinned,
    nodeKeyId: publicKeyId(pinned),
    pinnedAt: state?.pinnedAt ?? now().toISOString(),
    witnessKeyId,
    treeSize: cp.treeSize,
    rootHash: cp.rootHash,
    checkpointBody: cp.body,
    checkpointSignature: cp.signature,
    cosignedAt: alreadyCosigned && state ? state.cosignedAt : now().toISOString(),
    timestamp: alreadyCosigned && state ? state.timestamp : timestamp,
  });
  opts.print(`state:       ${opts.stateFile} updated (tree size ${cp.treeSize})`);
  return { treeSize: cp.treeSize, rootHash: cp.rootHash, previousTreeSize: state?.treeSize ?? null, cosignature, alreadyCosigned };
}

export function witnessCommand(): Command {
  return new Command('witness')
    .description(
      "an outside witness's run: fetch the latest checkpoint, check it against the last one this witness saw (consistency proof), countersign it; exit 1 on a rollback, fork or changed key (nothing is countersigned)",
    )
    .requiredOption('--url <url>', 'base URL of the node (e.g. https://kotwal.police.example)')
    .requiredOption('--key <file>', "the witness's Ed25519 private key (PKCS#8 PEM from `kotwal keys generate`, or base64 raw)")
    .requiredOption('--state <file>', 'where this witness remembers the node key and the last checkpoint it countersigned (created on first run)')
    .option('--token <token>', 'API token with ledger.read (default: KOTWAL_TOKEN)')
    .addHelpText(
      'after',
      '\nThe node administrator registers the witness key (POST /api/v1/ledger/witnesses) and gives the witness an API token holding ledger.read.\nRun it on a schedule (cron); keep the state file: it is what a rollback or fork is detected against.\n',
    )
    .action(async (opts: { url: string; key: string; state: string; token?: string }) => {
      const token = opts.token ?? process.env['KOTWAL_TOKEN'];
      try {
        if (!token) throw new WitnessCliError('an API token with ledger.read is needed: --token kwt_... or KOTWAL_TOKEN');
        await runWitness({ url: opts.url, keyFile: opts.key, stateFile: opts.state, token, print: (l) => process.stdout.write(`${l}\n`) });
      } catch (err) {
        if (err instanceof WitnessCheckFailed) {
          process.stderr.write(`kotwal ledger witness: ${err.message}\n`);
          process.exitCode = 1;
          return;
        }
        if (err instanceof WitnessCliError) {
          process.stderr.write(`kotwal ledger witness: ${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
    });
}
