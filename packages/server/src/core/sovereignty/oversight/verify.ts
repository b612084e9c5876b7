/**
 * `kotwal oversight verify DIR`: checks an oversight bundle offline, with no
 * database and without trusting the node that wrote it:
 *  1. the ledger bundle (every leaf recomputed, every checkpoint signature and
 *     root, with the key the auditor trusts);
 *  2. transfers: the manifest text is canonical JSON hashing to the recorded
 *     manifest hash and describing the record; each approval's signature
 *     verifies over that hash with a key the manifest names (once per key);
 *     an executed transfer had the threshold of valid approvals;
 *  3. batches: the hash chain, and each receipt signed by the destination's
 *     key for this batch's hash;
 *  4. grants: as transfers; an activated grant had the threshold; the count
 *     of requests made under it matches its grant.action entries;
 *  5. cosignatures: each verifies with its witness's key over the signed
 *     checkpoint (from the ledger bundle) at its tree size;
 *  6. every cited ledger entry is in the ledger bundle with the action and
 *     resource stated, and its exported details hash to the sealed hash and
 *     name the same manifest hash, signature or batch hash as the record.
 * It names the first thing that fails (and lists the others).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  canonicalJson,
  publicKeyId,
  sha256HexBytes,
  verifyCosignature,
  verifyHashSignature,
  type Checkpoint,
  type GrantManifest,
  type LedgerEntry,
  type TransferManifest,
} from '@kotwal/contracts';
import { verifyBundle, type VerifyReport } from '#core/ledger/index.ts';
import { verifyReceipt } from '../replication-format.ts';
import {
  LEDGER_DIR,
  OVERSIGHT_FILES,
  OVERSIGHT_FORMAT,
  type LedgerDetailsLine,
  type LedgerRef,
  type OversightApproval,
  type OversightApprover,
  type OversightBatch,
  type OversightCosignature,
  type OversightGrant,
  type OversightManifest,
  type OversightPeer,
  type OversightPolicy,
  type OversightTransfer,
  type OversightWitness,
  type RecordFile,
} from './format.ts';

export interface OversightProblem {
  /** What failed: `transfer <id>`, `grant <id> approval by <keyId>`, `batch <transfer>#<seq>`, `ledger bundle`... */
  subject: string;
  message: string;
}

export interface OversightReport {
  ok: boolean;
  /** `<subject>: <message>` of the first failure, or null. */
  firstFailure: string | null;
  problems: OversightProblem[];
  ledger: Pick<VerifyReport, 'ok' | 'entries' | 'checkpoints' | 'firstFailingSeq' | 'trustedKeyIds'> & { firstProblem: string | null };
  counts: Record<RecordFile, number>;
  checked: {
    manifests: number;
    approvalSignatures: number;
    receipts: number;
    cosignatures: number;
    ledgerEntries: number;
    ledgerDetails: number;
  };
  node: OversightManifest['node'] | null;
}

/** The bundle cannot be read at all (missing files, wrong format): exit 2. */
export class OversightBundleError extends Error {
  override name = 'OversightBundleError';
}

function readJsonl<T>(file: string): T[] {
  if (!existsSync(file)) throw new OversightBundleError(`${path.basename(file)} is missing from the bundle`);
  const out: T[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (err) {
      throw new OversightBundleError(`${path.basename(file)} line ${i + 1} is not JSON: ${(err as Error).message}`);
    }
  }
  return out;
}

export interface VerifyOversightOptions {
  /** Ledger key(s) to trust (PEM or base64 raw); default: the bundle's own ledger/public-key.pem. */
  publicKey?: string | readonly string[];
}

export async function verifyOversight(dir: string, opts: VerifyOversightOptions = {}): Promise<OversightReport> {
  const file = (name: string) => path.join(dir, name);
  if (!existsSync(file(OVERSIGHT_FILES.manifest))) throw new OversightBundleError(`no ${OVERSIGHT_FILES.manifest} in ${dir}: not an oversight bundle`);
  let manifest: OversightManifest;
  try {
    manifest = JSON.parse(readFileSync(file(OVERSIGHT_FILES.manifest), 'utf8')) as OversightManifest;
  } catch (err) {
    throw new OversightBundleError(`${OVERSIGHT_FILES.manifest} is not JSON: ${(err as Error).message}`);
  }
  if (manifest.format !== OVERSIGHT_FORMAT)
    throw new OversightBundleError(`${OVERSIGHT_FILES.manifest} states format "${String(manifest.format)}", not ${OVERSIGHT_FORMAT}`);
  if (!existsSync(path.join(dir, LEDGER_DIR))) throw new OversightBundleError(`the ledger bundle (${LEDGER_DIR}/) is missing`);

  const transfers = readJsonl<OversightTransfer>(file(OVERSIGHT_FILES.transfers));
  const batches = readJsonl<OversightBatch>(file(OVERSIGHT_FILES.batches));
  const peers = readJsonl<OversightPeer>(file(OVERSIGHT_FILES.peers));
  const approvers = readJsonl<OversightApprover>(file(OVERSIGHT_FILES.approvers));
  const policies = readJsonl<OversightPolicy>(file(OVERSIGHT_FILES.policies));
  const grants = readJsonl<OversightGrant>(file(OVERSIGHT_FILES.grants));
  const witnesses = readJsonl<OversightWitness>(file(OVERSIGHT_FILES.witnesses));
  const cosignatures = readJsonl<OversightCosignature>(file(OVERSIGHT_FILES.cosignatures));
  const detailLines = readJsonl<LedgerDetailsLine>(file(OVERSIGHT_FILES.details));

  const problems: OversightProblem[] = [];
  const fail = (subject: string, message: string) => problems.push({ subject, message });
  const checked = { manifests: 0, approvalSignatures: 0, receipts: 0, cosignatures: 0, ledgerEntries: 0, ledgerDetails: 0 };

  // 1. The ledger bundle.
  const keys = opts.publicKey === undefined ? undefined : typeof opts.publicKey === 'string' ? [opts.publicKey] : [...opts.publicKey];
  let ledgerReport: VerifyReport;
  try {
    ledgerReport = await verifyBundle(path.join(dir, LEDGER_DIR), keys ? { publicKey: keys } : {});
  } catch (err) {
    throw new OversightBundleError(`the ledger bundle cannot be verified: ${(err as Error).message}`);
  }
  const firstLedgerProblem = ledgerReport.problems.find((p) => p.seq === ledgerReport.firstFailingSeq) ?? ledgerReport.problems[0];
  if (!ledgerReport.ok) fail('ledger bundle', firstLedgerProblem?.message ?? 'not intact');
  if (manifest.node?.keyId && !ledgerReport.trustedKeyIds.includes(manifest.node.keyId)) {
    fail(
      'node',
      `${OVERSIGHT_FILES.manifest} names ledger key ${manifest.node.keyId}, not a key trusted for the ledger bundle (${ledgerReport.trustedKeyIds.join(', ')})`,
    );
  }

  // The cited entries, the signed checkpoints, and grant.action counts, from the ledger bundle.
  const cited = new Map<number, LedgerEntry | null>();
  const cite = (l: { seq: number } | null | undefined) => {
    if (l) cited.set(l.seq, null);
  };
  for (const t of transfers) [t.ledger, ...t.approvals.map((a) => a.ledger), ...t.history].forEach(cite);
  for (const b of batches) [b.ledger, b.receiptLedger].forEach(cite);
  for (const g of grants) [g.ledger, ...g.approvals.map((a) => a.ledger), ...g.history].forEach(cite);
  for (const p of peers) [p.ledger, ...p.history].forEach(cite);
  for (const x of [...policies, ...witnesses, ...cosignatures]) cite(x.ledger);
  for (const a of approvers) [a.ledger, a.removedLedger].forEach(cite);
  const grantActions = new Map<string, number>();
  const entriesFile = path.join(dir, LEDGER_DIR, 'entries.jsonl');
  if (existsSync(entriesFile)) {
    const rl = createInterface({ input: createReadStream(entriesFile, 'utf8'), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line) continue;
      let e: LedgerEntry;
      try {
        e = JSON.parse(line) as LedgerEntry;
      } catch {
        continue; // reported by the ledger verification
      }
      if (cited.has(e.seq)) cited.set(e.seq, e);
      if (e.action === 'grant.action') grantActions.set(e.resource, (grantActions.get(e.resource) ?? 0) + 1);
    }
  }
  const checkpoints = new Map<number, Checkpoint>();
  const cpFile = path.join(dir, LEDGER_DIR, 'checkpoints.jsonl');
  if (existsSync(cpFile)) for (const c of readJsonl<Checkpoint>(cpFile)) checkpoints.set(c.treeSize, c);
  const details = new Map<number, string>(detailLines.map((d) => [d.seq, d.details]));

  /** The cited entry is in the ledger bundle as stated; returns its details (parsed) when exported and intact. */
  const entryOf = (subject: string, l: LedgerRef | null, what: string): Record<string, unknown> | null => {
    if (!l) {
      fail(subject, `no ledger entry recorded ${what}`);
      return null;
    }
    const e = cited.get(l.seq);
    if (!e) {
      fail(subject, `the ledger entry seq ${l.seq} that recorded ${what} is not in the ledger bundle`);
      return null;
    }
    checked.ledgerEntries++;
    if (e.action !== l.action || e.resource !== l.resource || (l.actorId !== undefined && e.actorId !== l.actorId)) {
      fail(
        subject,
        `ledger entry seq ${l.seq} is ${e.action} on ${e.resource}${l.actorId ? ` by ${e.actorId}` : ''}, not ${l.action} on ${l.resource}${l.actorId ? ` by ${l.actorId}` : ''}`,
      );
      return null;
    }
    const text = details.get(l.seq);
    if (text === undefined) return null; // erased lawfully, or none
    checked.ledgerDetails++;
    if (sha256HexBytes(text) !== e.detailsHash) {
      fail(subject, `the details record of ledger entry seq ${l.seq} does not hash to the sealed details hash ${String(e.detailsHash)}`);
      return null;
    }
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      fail(subject, `the details record of ledger entry seq ${l.seq} is not JSON`);
      return null;
    }
  };

  /** Checks one signed manifest and its approvals; returns the number of valid approvals. */
  const checkSigned = (
    kind: 'transfer' | 'grant',
    id: string,
    text: string,
    recordedHash: string,
    approvals: readonly OversightApproval[],
  ): { manifest: TransferManifest | GrantManifest | null; valid: number } => {
    const subject = `${kind} ${id}`;
    let m: TransferManifest | GrantManifest;
    try {
      m = JSON.parse(text) as TransferManifest | GrantManifest;
    } catch {
      fail(subject, 'its manifest text is not JSON');
      return { manifest: null, valid: 0 };
    }
    checked.manifests++;
    const hash = sha256HexBytes(text);
    if (hash !== recordedHash) {
      fail(subject, `the manifest text hashes to ${hash}, not the recorded manifest hash ${recordedHash}: the manifest was altered`);
      return { manifest: m, valid: 0 };
    }
    let canonical: string | null;
    try {
      canonical = canonicalJson(m);
    } catch {
      canonical = null;
    }
    if (canonical !== text) fail(subject, 'its manifest text is not canonical JSON (the signed form)');
    if (m.id !== id) fail(subject, `its manifest is the manifest of ${kind} ${String(m.id)}`);
    const named = new Set(m.approvers?.publicKeys ?? []);
    const seen = new Set<string>();
    let valid = 0;
    for (const a of approvals) {
      const who = `${subject} approval by ${publicKeyId(a.publicKey)} (${a.approverName})`;
      checked.approvalSignatures++;
      if (!named.has(a.publicKey)) {
        fail(who, `the key is not among the manifest's approvers`);
        continue;
      }
      if (!verifyHashSignature(recordedHash, a.signature, a.publicKey)) {
        fail(who, `the signature does not verify over manifest hash ${recordedHash}`);
        continue;
      }
      if (seen.has(a.publicKey)) {
        fail(who, 'a second approval by the same key');
        continue;
      }
      seen.add(a.publicKey);
      valid++;
      const d = entryOf(who, a.ledger, 'this approval');
      if (d && (d['signature'] !== a.signature || d['manifestHash'] !== recordedHash)) {
        fail(who, `the ledger entry seq ${a.ledger?.seq} records another signature or manifest hash than this approval`);
      }
    }
    return { manifest: m, valid };
  };

  const historyOk = (subject: string, history: readonly { seq: number; action: string }[], resource: string) => {
    for (const h of history) {
      const e = cited.get(h.seq);
      if (!e) fail(subject, `status history: ledger entry seq ${h.seq} (${h.action}) is not in the ledger bundle`);
      else if (e.action !== h.action || e.resource !== resource)
        fail(subject, `status history: ledger entry seq ${h.seq} is ${e.action} on ${e.resource}, not ${h.action}`);
    }
  };

  // 2. Transfers.
  const transferById = new Map(transfers.map((t) => [t.id, t]));
  for (const t of transfers) {
    const subject = `transfer ${t.id}`;
    const { manifest: m, valid } = checkSigned('transfer', t.id, t.manifest, t.manifestHash, t.approvals);
    const tm = m as TransferManifest | null;
    if (tm && (tm.dataset !== t.dataset || (tm.kind ?? t.kind) !== t.kind))
      fail(subject, `the record names ${t.kind} of ${t.dataset}, its manifest ${tm.kind} of ${tm.dataset}`);
    const executed = t.executedAt !== null || t.status === 'executing' || t.status === 'completed';
    if (tm && executed && valid < tm.approvers.threshold) {
      fail(subject, `it was executed with ${valid} valid approval${valid === 1 ? '' : 's'} of the ${tm.approvers.threshold} its manifest requires`);
    }
    const d = entryOf(subject, t.ledger, 'its request');
    if (d && d['manifestHash'] !== t.manifestHash)
      fail(subject, `its request entry seq ${t.ledger?.seq} records manifest hash ${String(d['manifestHash'])}, not ${t.manifestHash}`);
    historyOk(subject, t.history, `transfer:${t.id}`);
  }

  // 3. Batches and receipts.
  const peerByName = new Map(peers.map((p) => [p.name, p]));
  const lastHash = new Map<string, { seq: number; hash: string }>();
  for (const b of batches) {
    const subject = `batch ${b.transferId}#${b.seq}`;
    const t = transferById.get(b.transferId);
    if (!t) {
      fail(subject, 'its transfer is not in the bundle');
      continue;
    }
    const prev = lastHash.get(b.transferId);
    if (b.seq === 1 ? b.prevHash !== null : !prev || prev.seq !== b.seq - 1 || prev.hash !== b.prevHash) {
      fail(subject, `the hash chain is broken: previous batch hash ${String(b.prevHash)} is not the hash of batch ${b.seq - 1}`);
    }
    lastHash.set(b.transferId, { seq: b.seq, hash: b.batchHash });
    const d = entryOf(subject, b.ledger, 'this batch being sent');
    if (d && d['batchHash'] !== b.batchHash)
      fail(subject, `its ledger entry seq ${b.ledger?.seq} records batch hash ${String(d['batchHash'])}, not ${b.batchHash}`);
    if (!b.receipt) continue;
    let m: TransferManifest;
    try {
      m = JSON.parse(t.manifest) as TransferManifest;
    } catch {
      continue; // reported above
    }
    const key = m.destination?.publicKey;
    const peer = peerByName.get(m.destination?.node);
    checked.receipts++;
    if (!key) {
      fail(subject, 'a receipt, but the manifest names no destination key');
      continue;
    }
    if (peer && peer.publicKey !== key) fail(subject, `the peer ${peer.name} is registered with key ${peer.keyId}, the manifest names ${publicKeyId(key)}`);
    if (b.receipt.transferId !== b.transferId || b.receipt.batchSeq !== b.seq || b.receipt.batchHash !== b.batchHash) {
      fail(subject, `the receipt is for ${b.receipt.transferId}#${b.receipt.batchSeq} (batch hash ${b.receipt.batchHash}), not this batch (${b.batchHash})`);
    } else if (!verifyReceipt(b.receipt, key)) {
      fail(subject, `the receipt signature does not verify with the destination ${m.destination.node}'s key ${publicKeyId(key)}`);
    }
    const rd = entryOf(subject, b.receiptLedger, 'this receipt');
    if (rd && rd['signature'] !== undefined && rd['signature'] !== b.receipt.signature) {
      fail(subject, `its receipt entry seq ${b.receiptLedger?.seq} records another receipt signature`);
    }
  }

  // Peers, approvers, policies, witnesses: recorded in the ledger.
  for (const p of peers) {
    entryOf(`peer ${p.name} (${p.id})`, p.ledger, 'its registration');
    historyOk(`peer ${p.name}`, p.history, `peer:${p.id}`);
  }
  for (const a of approvers) {
    const subject = `approver ${a.name} (${a.keyId}, ${a.scope})`;
    const d = entryOf(subject, a.ledger, 'its designation');
    if (d && d['publicKey'] !== a.publicKey) fail(subject, `its designation entry seq ${a.ledger?.seq} records another key`);
    if (a.removedAt) entryOf(subject, a.removedLedger, 'its removal');
  }
  for (const p of policies) {
    const subject = `policy ${p.scope}`;
    const d = entryOf(subject, p.ledger, 'the policy as it stands');
    if (d && d['threshold'] !== p.threshold)
      fail(subject, `its ledger entry seq ${p.ledger?.seq} sets threshold ${String(d['threshold'])}, not ${p.threshold}`);
  }

  // 4. Grants.
  for (const g of grants) {
    const subject = `grant ${g.id}`;
    const { manifest: m, valid } = checkSigned('grant', g.id, g.manifest, g.manifestHash, g.approvals);
    const gm = m as GrantManifest | null;
    if (gm && (gm.grantee?.id !== g.granteeId || gm.role !== g.role || gm.durationMinutes !== g.durationMinutes)) {
      fail(
        subject,
        `the record (${g.grantee}, ${g.role}, ${g.durationMinutes} min) is not what its manifest states (${gm.grantee?.username}, ${gm.role}, ${gm.durationMinutes} min)`,
      );
    }
    if (gm && g.activatedAt !== null && valid < gm.approvers.threshold) {
      fail(subject, `it was activated with ${valid} valid approval${valid === 1 ? '' : 's'} of the ${gm.approvers.threshold} its manifest requires`);
    }
    if (g.activatedAt !== null && g.expiresAt !== null && gm && Date.parse(g.expiresAt) - Date.parse(g.activatedAt) > gm.durationMinutes * 60_000) {
      fail(subject, `it lasted beyond the ${gm.durationMinutes} minutes its manifest allows (${g.activatedAt} to ${g.expiresAt})`);
    }
    const d = entryOf(subject, g.ledger, 'its request');
    if (d && d['manifestHash'] !== g.manifestHash)
      fail(subject, `its request entry seq ${g.ledger?.seq} records manifest hash ${String(d['manifestHash'])}, not ${g.manifestHash}`);
    historyOk(subject, g.history, `grant:${g.id}`);
    const inLedger = grantActions.get(`grant:${g.id}`) ?? 0;
    const ended = g.status === 'expired' || g.status === 'revoked';
    if (inLedger < g.actions || (ended && inLedger !== g.actions)) {
      fail(
        subject,
        `${g.actions} request${g.actions === 1 ? ' was' : 's were'} made under it by the node's count, but the ledger bundle holds ${inLedger} grant.action entr${inLedger === 1 ? 'y' : 'ies'}`,
      );
    }
  }

  // 5. Witnesses and cosignatures.
  const witnessById = new Map(witnesses.map((w) => [w.id, w]));
  for (const w of witnesses) entryOf(`witness ${w.name} (${w.keyId})`, w.ledger, 'its registration');
  for (const c of cosignatures) {
    const subject = `cosignature of checkpoint ${c.treeSize} by ${c.witness} (${c.keyId})`;
    checked.cosignatures++;
    const w = witnessById.get(c.witnessId);
    if (!w) {
      fail(subject, 'its witness is not in the bundle');
      continue;
    }
    if (w.publicKey !== c.publicKey) fail(subject, `the witness ${w.name} is registered with key ${w.keyId}, not ${publicKeyId(c.publicKey)}`);
    const cp = checkpoints.get(c.treeSize);
    if (!cp) {
      fail(subject, `the ledger bundle holds no signed checkpoint at tree size ${c.treeSize}`);
      continue;
    }
    if (!verifyCosignature(cp.body, c.timestamp, c.signature, w.publicKey)) {
      fail(subject, `the cosignature does not verify with the witness key ${w.keyId} over the checkpoint at tree size ${c.treeSize}`);
    }
    const d = entryOf(subject, c.ledger, 'this cosignature');
    if (d && d['signature'] !== c.signature) fail(subject, `its ledger entry seq ${c.ledger?.seq} records another signature`);
  }

  // 6. Files as exported (accidental damage).
  for (const [name, digest] of Object.entries(manifest.files ?? {})) {
    const p = file(name);
    if (!existsSync(p)) fail(`file ${name}`, 'missing');
    else if (createHash('sha256').update(readFileSync(p)).digest('hex') !== digest)
      fail(`file ${name}`, `its SHA-256 is not the one ${OVERSIGHT_FILES.manifest} states`);
  }

  const first = problems[0];
  return {
    ok: problems.length === 0,
    firstFailure: first ? `${first.subject}: ${first.message}` : null,
    problems,
    ledger: {
      ok: ledgerReport.ok,
      entries: ledgerReport.entries,
      checkpoints: ledgerReport.checkpoints,
      firstFailingSeq: ledgerReport.firstFailingSeq,
      trustedKeyIds: ledgerReport.trustedKeyIds,
      firstProblem: firstLedgerProblem?.message ?? null,
    },
    counts: {
      transfers: transfers.length,
      batches: batches.length,
      peers: peers.length,
      approvers: approvers.length,
      policies: policies.length,
      grants: grants.length,
      witnesses: witnesses.length,
      cosignatures: cosignatures.length,
      details: detailLines.length,
    },
    checked,
    node: manifest.node ?? null,
  };
}
