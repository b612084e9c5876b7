/**
 * Verification of the ledger, from the database or from an exported bundle
 * (no database needed). Trusts nothing stored: every leaf hash is
 * recomputed from the row's columns (contracts entryBytes), roots are
 * recomputed incrementally with a compact range, and each signed checkpoint
 * (in the database, in the data dir's latest-checkpoint file, in the bundle)
 * is checked against the recomputed root at its size, with the public keys
 * the caller trusts.
 *
 * What it names:
 *  - leaf-mismatch:    a row whose columns no longer give its sealed leaf hash
 *                      (a changed column, or a row moved to another seq)
 *  - missing-entry:    a gap in the sequence numbers (deleted rows)
 *  - duplicate-entry:  the same seq twice
 *  - root-mismatch:    recomputed root at a checkpoint's size differs from the
 *                      signed root (leaf hashes rewritten consistently); names
 *                      the checkpoint and the range since the last good one
 *  - truncated:        a signed checkpoint (or the ledger state) covers more
 *                      entries than there are
 *  - checkpoint-*:     forged or malformed checkpoints, unknown signing keys
 *  - details-mismatch: a details record that no longer hashes to the sealed
 *                      details hash (an erased record is allowed, and counted)
 */
import { createHash, type KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { LEDGER_FORMAT_VERSION, parseCheckpointBody, type Checkpoint, type LedgerEntry, type LedgerEntryFields } from '@kotwal/contracts';
import type { Database } from '#core/db/index.ts';
import { parseCheckpointJson, readCheckpointFile } from './checkpoint-file.ts';
import { ENTRY_COLUMNS, ENTRY_JSON_FIELDS, entryOfRow, entryRowOfArray, fieldsOfRow, isEntryShape, type EntryRow } from './entries.ts';
import { CompactRange, entryLeafHash, sha256HexOf } from './merkle.ts';
import { parsePublicKey, verifyBody, type LedgerPublicKey } from './signing-key.ts';
import { allCheckpointRows, checkpointOfRow, readState } from './store.ts';

export type VerifyProblemKind =
  | 'leaf-mismatch'
  | 'missing-entry'
  | 'duplicate-entry'
  | 'root-mismatch'
  | 'truncated'
  | 'checkpoint-signature'
  | 'checkpoint-unknown-key'
  | 'checkpoint-malformed'
  | 'details-mismatch'
  | 'details-orphan'
  | 'bundle-malformed';

export interface VerifyProblem {
  kind: VerifyProblemKind;
  /** The first sequence number concerned, when there is one. */
  seq: number | null;
  /** The last sequence number concerned, for ranges. */
  endSeq?: number;
  /** The checkpoint concerned, by tree size. */
  treeSize?: number;
  message: string;
}

export interface VerifyProgress {
  phase: 'entries' | 'export';
  done: number;
  /** Expected total, when known. */
  total: number | null;
  elapsedMs: number;
  /** Entries per second so far. */
  rate: number;
}

export interface VerifyReport {
  ok: boolean;
  /** Entry rows read. */
  entries: number;
  /** Checkpoints whose signature verified and whose root matched the entries. */
  checkpoints: number;
  /** Checkpoints read (database, file and bundle), valid or not. */
  checkpointsRead: number;
  /** The largest validly signed checkpoint. */
  latestCheckpoint: { treeSize: number; rootHash: string; timestamp: string; source: string } | null;
  /** Lowest sequence number that fails, or null when intact. */
  firstFailingSeq: number | null;
  problems: VerifyProblem[];
  /** Problems found beyond maxProblems. */
  problemsOmitted: number;
  details: { present: number; erased: number; missing: number };
  /** Key ids of the public keys trusted. */
  trustedKeyIds: string[];
  durationMs: number;
}

type PublicKeyInput = string | KeyObject | LedgerPublicKey;

export interface VerifyOptions {
  /** Public key(s) to trust: SPKI PEM, private PEM (its public half), base64 raw, or a KeyObject. */
  publicKey?: PublicKeyInput | readonly PublicKeyInput[];
  /** Same as publicKey, for a PEM string. */
  publicKeyPem?: string;
  /** The data dir's latest-checkpoint file; null to skip. */
  checkpointFile?: string | null;
  onProgress?: (p: VerifyProgress) => void;
  /** Rows per page (default 10,000). */
  pageSize?: number;
  /** Problems listed in full (default 100); further ones are counted. */
  maxProblems?: number;
}

interface RawCheckpoint {
  source: string;
  treeSize: number;
  rootHash: string;
  body: string;
  signature: string;
  keyId: string;
}

interface Anchor {
  treeSize: number;
  rootHash: string;
  timestamp: string;
  source: string;
}

type DetailsState = { kind: 'none' } | { kind: 'present'; text: string } | { kind: 'erased' } | { kind: 'missing' };

const isLedgerPublicKey = (k: PublicKeyInput): k is LedgerPublicKey => typeof k === 'object' && 'keyId' in k && 'base64' in k;

function trustedKeys(opts: VerifyOptions): LedgerPublicKey[] {
  const inputs: PublicKeyInput[] = [];
  if (opts.publicKeyPem) inputs.push(opts.publicKeyPem);
  if (opts.publicKey !== undefined) {
    if (Array.isArray(opts.publicKey)) inputs.push(...(opts.publicKey as readonly PublicKeyInput[]));
    else inputs.push(opts.publicKey as PublicKeyInput);
  }
  return inputs.map((k) => (isLedgerPublicKey(k) ? k : parsePublicKey(k)));
}

/** Checks entries in seq order against the checkpoints it was given. */
class Verifier {
  private readonly started = Date.now();
  private readonly problems: VerifyProblem[] = [];
  private omitted = 0;
  private readonly range = new CompactRange();
  private next = 0;
  private rows = 0;
  private anchors: Anchor[] = [];
  private anchorIdx = 0;
  private readonly checkpointsRead: number[] = [];
  private confirmed = 0;
  /** Size of the last checkpoint whose root matched: the start of the range a mismatch is in. */
  private lastGood = 0;
  private rootMismatchSeen = false;
  /** The tree positions no longer line up (a gap or duplicate): later roots cannot be compared. */
  private misaligned = false;
  /** Lowest and highest seq of the entry-level findings so far. */
  private minEntryProblem: number | null = null;
  private maxEntryProblem: number | null = null;
  /** The first root mismatch's range start, unless an entry-level finding inside the range explains it. */
  private unexplainedMismatch: number | null = null;
  private readonly detailsCount = { present: 0, erased: 0, missing: 0 };
  private readonly trusted: Map<string, LedgerPublicKey>;

  constructor(
    trusted: LedgerPublicKey[],
    private readonly maxProblems: number,
  ) {
    if (trusted.length === 0) throw new Error('verification needs at least one trusted public key');
    this.trusted = new Map(trusted.map((k) => [k.keyId, k]));
  }

  /** A finding that concerns no entry (a file, a checkpoint). */
  problem(p: VerifyProblem): void {
    this.report(p, false);
  }

  private report(p: VerifyProblem, entryLevel: boolean): void {
    if (entryLevel && p.seq !== null) {
      this.minEntryProblem = this.minEntryProblem === null ? p.seq : Math.min(this.minEntryProblem, p.seq);
      this.maxEntryProblem = this.maxEntryProblem === null ? p.seq : Math.max(this.maxEntryProblem, p.seq);
    }
    if (this.problems.length < this.maxProblems) this.problems.push(p);
    else this.omitted++;
  }

  /** Validates a checkpoint's body and signature; a valid one becomes an anchor for the root checks. */
  addCheckpoint(c: RawCheckpoint): void {
    this.checkpointsRead.push(c.treeSize);
    const where = `checkpoint at tree size ${c.treeSize} (${c.source})`;
    let body;
    try {
      body = parseCheckpointBody(c.body);
    } catch (err) {
      this.report(
        { kind: 'checkpoint-malformed', seq: null, treeSize: c.treeSize, message: `${where}: its body cannot be parsed: ${(err as Error).message}` },
        false,
      );
      return;
    }
    const key = this.trusted.get(c.keyId);
    let signer: LedgerPublicKey | undefined;
    let sig: Buffer;
    try {
      sig = Buffer.from(c.signature, 'base64');
    } catch {
      sig = Buffer.alloc(0);
    }
    if (key && verifyBody(key, c.body, sig)) signer = key;
    else for (const k of this.trusted.values()) if (verifyBody(k, c.body, sig)) signer = k;
    if (!signer) {
      if (!key) {
        this.report(
          {
            kind: 'checkpoint-unknown-key',
            seq: null,
            treeSize: c.treeSize,
            message: `${where}: signed by key ${c.keyId}, which is not trusted (trusted: ${[...this.trusted.keys()].join(', ')}), and no trusted key verifies it`,
          },
          false,
        );
      } else {
        this.report(
          {
            kind: 'checkpoint-signature',
            seq: null,
            treeSize: c.treeSize,
            message: `${where}: the Ed25519 signature does not verify with key ${c.keyId}: forged or altered`,
          },
          false,
        );
      }
      return;
    }
    if (body.treeSize !== c.treeSize || body.rootHash !== c.rootHash.toLowerCase()) {
      this.report(
        {
          kind: 'checkpoint-malformed',
          seq: null,
          treeSize: c.treeSize,
          message: `${where}: its stored tree size or root hash differs from its signed body (size ${body.treeSize}, root ${body.rootHash}); the signed body is used`,
        },
        false,
      );
    }
    this.anchors.push({ treeSize: body.treeSize, rootHash: body.rootHash, timestamp: body.timestamp, source: c.source });
  }

  begin(): void {
    this.anchors.sort((a, b) => a.treeSize - b.treeSize);
    this.checkAnchors();
  }

  private checkAnchors(): void {
    while (this.anchorIdx < this.anchors.length && this.anchors[this.anchorIdx].treeSize <= this.next) {
      const a = this.anchors[this.anchorIdx++];
      if (a.treeSize < this.next || this.misaligned) continue; // reported as a gap or duplicate already
      const root = this.range.root().toString('hex');
      if (root === a.rootHash) {
        this.confirmed++;
        this.lastGood = a.treeSize;
        continue;
      }
      if (this.rootMismatchSeen) continue; // every later root differs too
      this.rootMismatchSeen = true;
      const from = this.lastGood;
      const to = a.treeSize - 1;
      // Entries are checked in order, so every entry-level finding so far lies below a.treeSize.
      if (this.maxEntryProblem === null || this.maxEntryProblem < from) this.unexplainedMismatch = from;
      this.report(
        {
          kind: 'root-mismatch',
          seq: from,
          endSeq: to,
          treeSize: a.treeSize,
          message:
            `the entries do not give the root signed in the checkpoint at tree size ${a.treeSize} (${a.source}, signed ${a.timestamp}): ` +
            `an entry between seq ${from} and ${to} differs from what was signed (rows changed together with their leaf hashes, or replaced)`,
        },
        false,
      );
    }
  }

  entry(fields: LedgerEntryFields, storedLeaf: Uint8Array, details: DetailsState): void {
    const seq = fields.seq;
    this.rows++;
    if (seq !== this.next) {
      if (seq < this.next) {
        this.report({ kind: 'duplicate-entry', seq, message: `entry ${seq} appears more than once` }, true);
        this.misaligned = true;
        return;
      }
      this.report(
        {
          kind: 'missing-entry',
          seq: this.next,
          endSeq: seq - 1,
          message: seq - 1 === this.next ? `entry ${this.next} is missing (deleted)` : `entries ${this.next} to ${seq - 1} are missing (deleted)`,
        },
        true,
      );
      this.misaligned = true;
      this.next = seq;
    }
    const leaf = entryLeafHash(fields);
    if (!leaf.equals(storedLeaf)) {
      this.report(
        {
          kind: 'leaf-mismatch',
          seq,
          message: `entry ${seq}: its columns no longer give its sealed leaf hash (a column was changed, or the row was moved from another seq)`,
        },
        true,
      );
    }
    this.range.push(leaf);
    this.next++;
    if (this.anchorIdx < this.anchors.length && this.anchors[this.anchorIdx].treeSize <= this.next) this.checkAnchors();
    switch (details.kind) {
      case 'none':
        break;
      case 'present':
        if (fields.detailsHash === null) {
          this.report({ kind: 'details-orphan', seq, message: `entry ${seq} seals no details hash, yet a details record is stored for it` }, true);
        } else if (sha256HexOf(details.text) !== fields.detailsHash) {
          this.report(
            {
              kind: 'details-mismatch',
              seq,
              message: `entry ${seq}: its details record no longer matches the sealed details hash (the record was altered; erasure would have removed it)`,
            },
            true,
          );
        } else {
          this.detailsCount.present++;
        }
        break;
      case 'erased':
        if (fields.detailsHash !== null) this.detailsCount.erased++;
        break;
      case 'missing':
        if (fields.detailsHash !== null) this.detailsCount.missing++;
        break;
      default: {
        const never: never = details;
        throw new Error(`unexpected details state ${String(never)}`);
      }
    }
  }

  get done(): number {
    return this.rows;
  }

  finish(extra: { stateTreeSize?: number; stateSource?: string } = {}): VerifyReport {
    // Checkpoints (and the state row) beyond the last entry: truncation.
    const beyond = this.anchors.filter((a) => a.treeSize > this.next);
    if (beyond.length) {
      const far = beyond[beyond.length - 1];
      this.report(
        {
          kind: 'truncated',
          seq: this.next,
          endSeq: far.treeSize - 1,
          treeSize: far.treeSize,
          message: `the signed checkpoint at tree size ${far.treeSize} (${far.source}, signed ${far.timestamp}) covers entries up to seq ${far.treeSize - 1}, but the ledger ends ${this.next === 0 ? 'before seq 0' : `at seq ${this.next - 1}`}: entries ${this.next} to ${far.treeSize - 1} were removed`,
        },
        true,
      );
    } else if (extra.stateTreeSize !== undefined && extra.stateTreeSize > this.next) {
      this.report(
        {
          kind: 'truncated',
          seq: this.next,
          endSeq: extra.stateTreeSize - 1,
          message: `${extra.stateSource ?? 'the ledger state'} records ${extra.stateTreeSize} entries, but the ledger ends ${this.next === 0 ? 'before seq 0' : `at seq ${this.next - 1}`}: entries ${this.next} to ${extra.stateTreeSize - 1} were removed`,
        },
        true,
      );
    }
    // The first failing seq: the lowest entry-level finding; a root mismatch
    // counts only when no entry-level finding inside its range explains it.
    let first = this.minEntryProblem;
    if (this.unexplainedMismatch !== null) first = first === null ? this.unexplainedMismatch : Math.min(first, this.unexplainedMismatch);
    const valid = this.anchors.filter((a) => a.treeSize <= this.next);
    const latest = valid.length ? valid[valid.length - 1] : null;
    return {
      ok: this.problems.length === 0 && this.omitted === 0,
      entries: this.rows,
      checkpoints: this.confirmed,
      checkpointsRead: this.checkpointsRead.length,
      latestCheckpoint: latest ? { treeSize: latest.treeSize, rootHash: latest.rootHash, timestamp: latest.timestamp, source: latest.source } : null,
      firstFailingSeq: first,
      problems: this.problems,
      problemsOmitted: this.omitted,
      details: { ...this.detailsCount },
      trustedKeyIds: [...this.trusted.keys()],
      durationMs: Date.now() - this.started,
    };
  }

  progress(total: number | null, phase: VerifyProgress['phase'] = 'entries'): VerifyProgress {
    const elapsedMs = Date.now() - this.started;
    return { phase, done: this.rows, total, elapsedMs, rate: elapsedMs > 0 ? Math.round((this.rows * 1000) / elapsedMs) : 0 };
  }
}

function rawOf(cp: Checkpoint, source: string): RawCheckpoint {
  return { source, treeSize: cp.treeSize, rootHash: cp.rootHash, body: cp.body, signature: cp.signature, keyId: cp.keyId };
}

interface VerifyRow extends EntryRow {
  has_details: boolean;
  details: string | null;
}

/**
 * Verifies the ledger in the database: every entry (streamed in seq order),
 * every checkpoint, the details records, and the data dir's checkpoint file.
 */
export async function verifyDatabase(db: Database, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const v = new Verifier(trustedKeys(opts), opts.maxProblems ?? 100);
  // Anchors and the state first: entries sequenced meanwhile are simply verified too.
  const state = await readState(db, false);
  for (const row of await allCheckpointRows(db)) v.addCheckpoint(rawOf(checkpointOfRow(row), 'database'));
  if (opts.checkpointFile) {
    let file: Checkpoint | null = null;
    try {
      file = readCheckpointFile(opts.checkpointFile);
    } catch (err) {
      v.problem({ kind: 'checkpoint-malformed', seq: null, message: `the checkpoint file cannot be read: ${(err as Error).message}` });
    }
    if (file) v.addCheckpoint(rawOf(file, `file ${opts.checkpointFile}`));
  }
  v.begin();
  const total = state.treeSize;
  const pageSize = opts.pageSize ?? 10_000;
  // Pages are checked one step behind the fetch: while the database
  // produces page k + 1, page k is hashed (setImmediate runs after the
  // stream has sent its next FETCH).
  const check = (rows: VerifyRow[]): void => {
    for (const r of rows) {
      const details: DetailsState = !r.has_details
        ? r.details_hash === null
          ? { kind: 'none' }
          : { kind: 'missing' }
        : r.details === null
          ? { kind: 'erased' }
          : { kind: 'present', text: r.details };
      v.entry(fieldsOfRow(r), r.leaf_hash, details);
    }
    opts.onProgress?.(v.progress(Math.max(total, v.done)));
  };
  let behind: Promise<void> = Promise.resolve();
  const pglite = db.kind === 'pglite';
  const from = 'FROM ledger_entries e LEFT JOIN ledger_details d ON d.seq = e.seq ORDER BY e.seq';
  const sql = pglite
    ? `SELECT json_build_array(${ENTRY_JSON_FIELDS}, d.seq IS NOT NULL, d.details)::text AS r ${from}`
    : `SELECT e.seq, (extract(epoch FROM e.at) * 1000000)::int8 AS at_us, e.actor_type, e.actor_id, e.action, e.resource, e.purpose,
              e.case_ref, e.outcome, e.request_id, e.details_hash, e.leaf_hash, d.seq IS NOT NULL AS has_details, d.details ${from}`;
  const rowsOf = (page: unknown[]): VerifyRow[] =>
    pglite
      ? page.map((p) => {
          const a = JSON.parse((p as { r: string }).r) as unknown[];
          return { ...entryRowOfArray(a), has_details: a[12] as boolean, details: a[13] as string | null };
        })
      : (page as VerifyRow[]);
  await db.stream<unknown>(sql, [], pageSize, async (page) => {
    await behind; // at most one page waiting
    behind = new Promise<void>((resolve, reject) =>
      setImmediate(() => {
        try {
          check(rowsOf(page));
          resolve();
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
    // A failure surfaces on the next page or after the stream.
    behind.catch(() => undefined);
  });
  await behind;
  // Details records whose entry is gone entirely.
  const orphans = await db.query<{ seq: number }>(
    'SELECT d.seq FROM ledger_details d LEFT JOIN ledger_entries e ON e.seq = d.seq WHERE e.seq IS NULL AND d.details IS NOT NULL ORDER BY d.seq LIMIT 10',
  );
  const report = v.finish({ stateTreeSize: state.treeSize, stateSource: 'the ledger_state row' });
  for (const o of orphans.rows) {
    report.problems.push({ kind: 'details-orphan', seq: o.seq, message: `a details record is stored for seq ${o.seq}, which has no entry` });
  }
  if (orphans.rows.length) {
    report.ok = false;
    const s = orphans.rows[0].seq;
    report.firstFailingSeq = report.firstFailingSeq === null ? s : Math.min(report.firstFailingSeq, s);
  }
  return report;
}

// ------------------------------------------------------------------ bundles

export const BUNDLE_FORMAT = 'kotwal-ledger-bundle-v1';

const BUNDLE_FILES = {
  entries: 'entries.jsonl',
  checkpoints: 'checkpoints.jsonl',
  publicKey: 'public-key.pem',
  latest: 'latest-checkpoint.json',
  manifest: 'manifest.json',
  readme: 'README.txt',
} as const;

interface BundleManifest {
  format: string;
  ledgerFormat: string;
  exportedAt: string;
  entries: number;
  checkpoints: number;
  keyId: string;
  files: Record<string, { sha256: string; bytes: number }>;
}

export interface ExportBundleOptions {
  /** The public key to ship in the bundle (the node's). */
  publicKey: PublicKeyInput;
  /** The data dir's latest-checkpoint file, copied into the bundle when present. */
  checkpointFile?: string | null;
  onProgress?: (p: VerifyProgress) => void;
  pageSize?: number;
  /** Write into a directory that is not empty. */
  force?: boolean;
}

export interface ExportBundleResult {
  dir: string;
  entries: number;
  checkpoints: number;
  keyId: string;
  files: string[];
}

class HashingWriter {
  private readonly out: WriteStream;
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(file: string) {
    this.out = createWriteStream(file, { flags: 'w' });
  }

  async write(text: string): Promise<void> {
    const buf = Buffer.from(text, 'utf8');
    this.hash.update(buf);
    this.bytes += buf.length;
    if (!this.out.write(buf)) await new Promise<void>((r) => this.out.once('drain', r));
  }

  async close(): Promise<{ sha256: string; bytes: number }> {
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return { sha256: this.hash.digest('hex'), bytes: this.bytes };
  }
}

const sha256File = (file: string): { sha256: string; bytes: number } => {
  const buf = readFileSync(file);
  return { sha256: createHash('sha256').update(buf).digest('hex'), bytes: buf.length };
};

/**
 * Writes a self-contained bundle: entries (JSONL, without the personal-data
 * details records), checkpoints, the public key, the latest-checkpoint file
 * when given, a manifest and a README on how to verify it.
 */
export async function exportBundle(db: Database, outDir: string, opts: ExportBundleOptions): Promise<ExportBundleResult> {
  const key = isLedgerPublicKey(opts.publicKey) ? opts.publicKey : parsePublicKey(opts.publicKey);
  if (existsSync(outDir) && readdirSync(outDir).length > 0 && !opts.force) {
    throw new Error(`${outDir} is not empty; choose a new directory (or force)`);
  }
  mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  // Checkpoints and the size first; then every entry up to that size at least.
  const checkpoints = (await allCheckpointRows(db)).map(checkpointOfRow);
  const state = await readState(db, false);
  const files: BundleManifest['files'] = {};

  const cw = new HashingWriter(path.join(outDir, BUNDLE_FILES.checkpoints));
  for (const cp of checkpoints) await cw.write(`${JSON.stringify(cp)}\n`);
  files[BUNDLE_FILES.checkpoints] = await cw.close();

  const ew = new HashingWriter(path.join(outDir, BUNDLE_FILES.entries));
  let count = 0;
  const progress = (): VerifyProgress => {
    const elapsedMs = Date.now() - started;
    return {
      phase: 'export',
      done: count,
      total: Math.max(state.treeSize, count),
      elapsedMs,
      rate: elapsedMs > 0 ? Math.round((count * 1000) / elapsedMs) : 0,
    };
  };
  const pglite = db.kind === 'pglite';
  const sql = pglite
    ? `SELECT json_build_array(${ENTRY_JSON_FIELDS})::text AS r FROM ledger_entries e ORDER BY e.seq`
    : `SELECT ${ENTRY_COLUMNS} FROM ledger_entries ORDER BY seq`;
  await db.stream<unknown>(sql, [], opts.pageSize ?? 10_000, async (page) => {
    const rows = pglite ? page.map((p) => entryRowOfArray(JSON.parse((p as { r: string }).r) as unknown[])) : (page as EntryRow[]);
    let chunk = '';
    for (const r of rows) chunk += `${JSON.stringify(entryOfRow(r))}\n`;
    count += rows.length;
    await ew.write(chunk);
    opts.onProgress?.(progress());
  });
  files[BUNDLE_FILES.entries] = await ew.close();

  writeFileSync(path.join(outDir, BUNDLE_FILES.publicKey), key.pem);
  files[BUNDLE_FILES.publicKey] = sha256File(path.join(outDir, BUNDLE_FILES.publicKey));
  if (opts.checkpointFile && existsSync(opts.checkpointFile)) {
    const latest = readCheckpointFile(opts.checkpointFile);
    if (latest) {
      writeFileSync(path.join(outDir, BUNDLE_FILES.latest), `${JSON.stringify(latest, null, 2)}\n`);
      files[BUNDLE_FILES.latest] = sha256File(path.join(outDir, BUNDLE_FILES.latest));
    }
  }
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    ledgerFormat: LEDGER_FORMAT_VERSION,
    exportedAt: new Date().toISOString(),
    entries: count,
    checkpoints: checkpoints.length,
    keyId: key.keyId,
    files,
  };
  writeFileSync(path.join(outDir, BUNDLE_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(path.join(outDir, BUNDLE_FILES.readme), bundleReadme(manifest));
  return {
    dir: outDir,
    entries: count,
    checkpoints: checkpoints.length,
    keyId: key.keyId,
    files: [...Object.keys(files), BUNDLE_FILES.manifest, BUNDLE_FILES.readme],
  };
}

export interface VerifyBundleOptions {
  /** Keys to trust; default: the bundle's own public-key.pem (compare its key id with one you hold). */
  publicKey?: PublicKeyInput | readonly PublicKeyInput[];
  onProgress?: (p: VerifyProgress) => void;
  maxProblems?: number;
}

/** Verifies an exported bundle with no database. */
export async function verifyBundle(dir: string, opts: VerifyBundleOptions = {}): Promise<VerifyReport> {
  const file = (name: string): string => path.join(dir, name);
  if (!existsSync(file(BUNDLE_FILES.manifest))) throw new Error(`${dir} is not a ledger bundle: ${BUNDLE_FILES.manifest} is missing`);
  const manifest = JSON.parse(readFileSync(file(BUNDLE_FILES.manifest), 'utf8')) as BundleManifest;
  if (manifest.format !== BUNDLE_FORMAT) throw new Error(`${dir}: unsupported bundle format "${String(manifest.format)}" (expected ${BUNDLE_FORMAT})`);
  const keys = opts.publicKey !== undefined ? trustedKeys({ publicKey: opts.publicKey }) : [parsePublicKey(readFileSync(file(BUNDLE_FILES.publicKey), 'utf8'))];
  const v = new Verifier(keys, opts.maxProblems ?? 100);
  const fileProblems: VerifyProblem[] = [];
  const checkFile = (name: string, actual: { sha256: string; bytes: number }): void => {
    const expected = manifest.files[name];
    if (expected && expected.sha256 !== actual.sha256) {
      fileProblems.push({
        kind: 'bundle-malformed',
        seq: null,
        message: `${name} differs from the manifest (sha256 ${actual.sha256}, manifest ${expected.sha256})`,
      });
    }
  };

  if (existsSync(file(BUNDLE_FILES.checkpoints))) {
    checkFile(BUNDLE_FILES.checkpoints, sha256File(file(BUNDLE_FILES.checkpoints)));
    const lines = readFileSync(file(BUNDLE_FILES.checkpoints), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        v.addCheckpoint(rawOf(parseCheckpointJson(line, `${BUNDLE_FILES.checkpoints} line ${i + 1}`), 'bundle'));
      } catch (err) {
        fileProblems.push({ kind: 'bundle-malformed', seq: null, message: (err as Error).message });
      }
    });
  }
  if (existsSync(file(BUNDLE_FILES.latest))) {
    checkFile(BUNDLE_FILES.latest, sha256File(file(BUNDLE_FILES.latest)));
    try {
      v.addCheckpoint(rawOf(parseCheckpointJson(readFileSync(file(BUNDLE_FILES.latest), 'utf8'), BUNDLE_FILES.latest), `bundle ${BUNDLE_FILES.latest}`));
    } catch (err) {
      fileProblems.push({ kind: 'bundle-malformed', seq: null, message: (err as Error).message });
    }
  } else if (manifest.files[BUNDLE_FILES.latest]) {
    fileProblems.push({ kind: 'bundle-malformed', seq: null, message: `${BUNDLE_FILES.latest} is listed in the manifest but missing` });
  }
  v.begin();

  const hash = createHash('sha256');
  let lineNo = 0;
  let sinceProgress = 0;
  const line = (text: string): void => {
    lineNo++;
    if (!text) return;
    let e: unknown;
    try {
      e = JSON.parse(text);
    } catch {
      e = null;
    }
    if (!isEntryShape(e)) {
      fileProblems.push({ kind: 'bundle-malformed', seq: null, message: `${BUNDLE_FILES.entries} line ${lineNo} is not a ledger entry` });
      return;
    }
    const entry: LedgerEntry = e;
    const fields: LedgerEntryFields = {
      seq: entry.seq,
      at: entry.at,
      actorType: entry.actorType,
      actorId: entry.actorId,
      action: entry.action,
      resource: entry.resource,
      purpose: entry.purpose,
      caseRef: entry.caseRef,
      outcome: entry.outcome,
      requestId: entry.requestId,
      detailsHash: entry.detailsHash,
    };
    v.entry(fields, Buffer.from(entry.leafHash, 'hex'), { kind: 'none' });
    if (++sinceProgress >= 10_000) {
      sinceProgress = 0;
      opts.onProgress?.(v.progress(manifest.entries));
    }
  };
  // Large chunks split by hand: a line-by-line async iterator costs more than the hashing.
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of createReadStream(file(BUNDLE_FILES.entries), { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    hash.update(buf);
    const text = rest + decoder.write(buf);
    let at = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', at)) {
      line(text.endsWith('\r', nl) ? text.slice(at, nl - 1) : text.slice(at, nl));
      at = nl + 1;
    }
    rest = text.slice(at);
  }
  rest += decoder.end();
  if (rest) line(rest);
  opts.onProgress?.(v.progress(manifest.entries));
  checkFile(BUNDLE_FILES.entries, { sha256: hash.digest('hex'), bytes: 0 });
  const report = v.finish({ stateTreeSize: manifest.entries, stateSource: 'the bundle manifest' });
  if (fileProblems.length) {
    report.problems.push(...fileProblems);
    report.ok = false;
  }
  return report;
}

function bundleReadme(m: BundleManifest): string {
  return `Kotwal ledger bundle (${BUNDLE_FORMAT})
Exported ${m.exportedAt}: ${m.entries} entries, ${m.checkpoints} signed checkpoints.
Signing key id: ${m.keyId} (first 8 bytes of SHA-256 of the raw Ed25519 public key)

HOW TO VERIFY
  kotwal ledger verify --bundle <this directory> [--public-key <key you trust>]

Without --public-key the bundle's own public-key.pem is trusted: compare its
key id (printed by the command, and above) with the one the data owner gave
you out of band. No database and no network are needed. Exit status 0 means
intact; 1 means not, with the first failing sequence number and the reason.

FILES
  entries.jsonl           one entry per line, in sequence order (seq 0, 1, 2...)
  checkpoints.jsonl       every signed checkpoint, one per line
  latest-checkpoint.json  the node's latest-checkpoint file, when it had one
  public-key.pem          the node's Ed25519 public key (SPKI PEM)
  manifest.json           counts and SHA-256 of each file

Personal data (the details records) is NOT in this bundle; each entry carries
only detailsHash, the SHA-256 of its details record's exact JSON text.

TO WRITE YOUR OWN VERIFIER
1. Entry bytes: the UTF-8 of the JSON array (JSON.stringify, no spaces)
     ["${LEDGER_FORMAT_VERSION}", seq, at, actorType, actorId, action, resource,
      purpose, caseRef, outcome, requestId, detailsHash]
   using the fields of the entry's line, in that order (null stays null).
2. Leaf hash = SHA-256(0x00 || entry bytes); it must equal leafHash.
   Sequence numbers must run 0, 1, 2... with no gap (seq is the leaf index).
3. Tree (RFC 9162 section 2.1): node = SHA-256(0x01 || left || right); the
   root of n leaves splits at the largest power of two below n. The empty
   tree's root is SHA-256 of nothing.
4. Checkpoints: "body" is the signed text (C2SP tlog-checkpoint):
     <origin>\\n<tree size>\\n<base64 root hash>\\ntimestamp <ISO 8601>\\n
   "signature" is the base64 Ed25519 signature of the body's UTF-8 bytes.
   Check each signature with the trusted public key, then check that the
   root of the first <tree size> leaves equals the body's root hash. A
   checkpoint larger than the number of entries means entries were removed.
`;
}
