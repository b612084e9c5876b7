/**
 * The ledger writer and reader.
 *
 * Writing: append() queues the entry in memory and a single flusher loop
 * sequences everything waiting in ONE transaction (group commit): it locks
 * the ledger_state row (FOR UPDATE, so several processes on one PostgreSQL
 * take turns and stay gapless), drains committed ledger_queue rows (written
 * by appendInTx inside callers' transactions), assigns the next sequence
 * numbers, computes leaf hashes and the perfect subtrees they complete, and
 * writes entries, details and subtrees with one multi-row statement each.
 * Promises resolve with their seq after the commit.
 *
 * Checkpoints: every checkpointEveryEntries entries (inside the sequencing
 * transaction) or checkpointIntervalSeconds after the last one when entries
 * are waiting (a background timer, unref'd), signed with the node's Ed25519
 * key, and copied to `<data dir>/ledger/latest-checkpoint`.
 *
 * Never await append() inside a db.transaction(): on PGlite the flusher
 * needs the same single connection. Use appendInTx() there.
 */
import type { Logger } from 'pino';
import {
  checkpointBody,
  fromHex,
  verifyInclusion,
  type Checkpoint,
  type ConsistencyProof,
  type InclusionProof,
  type LedgerEntriesQuery,
  type LedgerEntry,
  type LedgerEntryList,
} from '@kotwal/contracts';
import type { KotwalConfig } from '#core/config/index.ts';
import type { EventBus, LedgerAppend, LedgerWriter } from '#core/context.ts';
import type { Database, Queryable } from '#core/db/index.ts';
import { checkpointFilePath, readCheckpointFile, writeCheckpointFile } from './checkpoint-file.ts';
import { entryOfRow, prepareEntry, sealedFields, type PreparedEntry } from './entries.ts';
import { CompactRange, entryLeafHash, sha256HexOf, type TreeNode } from './merkle.ts';
import { consistencyProofBetween, inclusionProofAt, rootAtSize } from './proofs.ts';
import { sign } from 'node:crypto';
import { loadOrCreateSigningKey, signBody, type LedgerPublicKey, type SigningKey } from './signing-key.ts';
import {
  checkpointOfRow,
  checkpointRowAt,
  detailsRow,
  drainQueue,
  enqueue,
  enqueueMany,
  entryRow,
  eraseDetailsRow,
  insertCheckpoint,
  insertSequenced,
  latestCheckpointRow,
  listCheckpointRows,
  listEntryRows,
  loadCompactRange,
  readState,
  writeState,
  LedgerTreeDamagedError,
  type LedgerState,
} from './store.ts';

export interface LedgerOpenOptions {
  db: Database;
  config: KotwalConfig;
  logger: Logger;
  /** Most entries sequenced in one transaction (default 5000). */
  maxBatch?: number;
  /** How often the background timer looks for queued entries and due checkpoints (default 1000 ms). */
  pollIntervalMs?: number;
  /** Run the background timer (default true). */
  background?: boolean;
  /** Clock, for tests. */
  now?: () => Date;
  /**
   * When given, each checkpoint emits core.ledger.checkpoint-signed in the
   * transaction that records it (the outbox row commits with the checkpoint).
   */
  events?: Pick<EventBus, 'emit' | 'kick'>;
}

/** A read the caller got wrong: status 400 or 404, naming the offending parameter. */
export class LedgerQueryError extends Error {
  override name = 'LedgerQueryError';
  constructor(
    readonly status: 400 | 404,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export class LedgerClosedError extends Error {
  override name = 'LedgerClosedError';
  constructor() {
    super('the ledger is closed');
  }
}

export interface LedgerDetailsRecord {
  seq: number;
  detailsHash: string;
  /** present: the record is there; erased: lawfully erased (its hash stays sealed). */
  state: 'present' | 'erased';
  /** The parsed details, or null once erased. */
  details: unknown;
  erasedAt: string | null;
  /** Whether the stored text still hashes to the sealed detailsHash (null once erased). */
  hashMatches: boolean | null;
}

export interface LedgerPublicKeyInfo {
  algorithm: 'Ed25519';
  origin: string;
  /** base64 raw 32-byte public key. */
  publicKey: string;
  keyId: string;
  /** SPKI PEM. */
  pem: string;
}

interface Pending {
  entry: PreparedEntry;
  resolve: (v: { seq: number }) => void;
  reject: (err: unknown) => void;
}

interface PassResult {
  range: CompactRange;
  firstMemorySeq: number;
  checkpoint: Checkpoint | null;
  queueFull: boolean;
}

const QUEUE_MIN_PER_PASS = 1000;
const RETRY_DELAYS_MS = [25, 150];

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Ledger implements LedgerWriter {
  readonly origin: string;
  readonly checkpointFile: string;
  private readonly db: Database;
  private readonly config: KotwalConfig;
  private readonly logger: Logger;
  private readonly key: SigningKey;
  private readonly maxBatch: number;
  private readonly now: () => Date;
  private readonly events: Pick<EventBus, 'emit' | 'kick'> | null;

  private pending: Pending[] = [];
  /** Bumped by every request for a pass; a pass started at generation g covers all requests up to g. */
  private requested = 0;
  private completed = 0;
  private lastFailure: { gen: number; error: unknown } | null = null;
  private loop: Promise<void> | null = null;
  /** Compact range of the committed tree, when known. */
  private cache: CompactRange | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private readonly listeners = new Set<(cp: Checkpoint) => void>();
  private fileNext: Checkpoint | null = null;
  private fileWriter: Promise<void> | null = null;

  private constructor(opts: LedgerOpenOptions, key: SigningKey) {
    this.db = opts.db;
    this.config = opts.config;
    this.logger = opts.logger;
    this.key = key;
    this.origin = opts.config.nodeName;
    this.checkpointFile = checkpointFilePath(opts.config.dataDir);
    this.maxBatch = Math.max(1, Math.floor(opts.maxBatch ?? 5000));
    this.now = opts.now ?? (() => new Date());
    this.events = opts.events ?? null;
  }

  /** Loads (or creates) the signing key, checks the stored state and starts the background timer. */
  static async open(opts: LedgerOpenOptions): Promise<Ledger> {
    const key = loadOrCreateSigningKey(opts.config.signingKeyPath, opts.logger);
    const ledger = new Ledger(opts, key);
    await ledger.start(opts.background ?? true, opts.pollIntervalMs ?? 1000);
    return ledger;
  }

  private async start(background: boolean, pollIntervalMs: number): Promise<void> {
    const state = await readState(this.db, false);
    let file: Checkpoint | null = null;
    try {
      file = readCheckpointFile(this.checkpointFile);
    } catch (err) {
      this.logger.error({ err, path: this.checkpointFile }, 'the ledger checkpoint file cannot be read');
    }
    if (file && file.treeSize > state.treeSize) {
      this.logger.error(
        { path: this.checkpointFile, fileTreeSize: file.treeSize, databaseTreeSize: state.treeSize },
        'the database holds fewer ledger entries than the last checkpoint this node signed: the ledger may have been truncated; run "kotwal ledger verify"',
      );
    }
    const latest = await latestCheckpointRow(this.db);
    if (!latest) {
      await this.checkpointNow();
    } else if (!file || file.treeSize < latest.tree_size) {
      this.writeFile(checkpointOfRow(latest));
    }
    await this.fileWriter;
    if (background) {
      this.timer = setInterval(() => this.onTimer(), Math.max(10, pollIntervalMs));
      this.timer.unref();
    }
  }

  // ---------------------------------------------------------------- writing

  append(entry: LedgerAppend): Promise<{ seq: number }> {
    if (this.closing) return Promise.reject(new LedgerClosedError());
    let prepared: PreparedEntry;
    try {
      prepared = prepareEntry(entry, this.now());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ entry: prepared, resolve, reject });
      this.requested++;
      this.ensureLoop();
    });
  }

  async appendInTx(tx: Queryable, entry: LedgerAppend): Promise<void> {
    await enqueue(tx, prepareEntry(entry, this.now()));
  }

  async appendManyInTx(tx: Queryable, entries: readonly LedgerAppend[]): Promise<void> {
    if (!entries.length) return;
    const at = this.now();
    await enqueueMany(
      tx,
      entries.map((e) => prepareEntry(e, at)),
    );
  }

  kick(): void {
    if (this.closing) return;
    this.requested++;
    this.ensureLoop();
  }

  /** Sequences everything appended so far and every committed queue row; rejects if that failed. */
  async flush(): Promise<void> {
    const target = ++this.requested;
    this.ensureLoop();
    while (this.completed < target) {
      if (!this.loop) this.ensureLoop();
      await this.loop;
    }
    if (this.lastFailure && this.lastFailure.gen >= target) throw this.lastFailure.error;
    await this.fileWriter;
  }

  /** Calls fn after every checkpoint this process signs (e.g. to emit core.ledger.checkpoint-signed). */
  onCheckpoint(fn: (cp: Checkpoint) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Sequences what is pending, then signs a checkpoint at the current size (or returns the latest when it is current). */
  async checkpointNow(): Promise<Checkpoint> {
    await this.flush();
    const r = await this.retrying(() =>
      this.db.transaction(async (tx) => {
        const state = await readState(tx, true);
        if (state.checkpointSize === state.treeSize) {
          const row = await latestCheckpointRow(tx);
          if (row && row.tree_size === state.treeSize) return { checkpoint: checkpointOfRow(row), range: null, signed: false };
        }
        const range = await this.rangeAt(tx, state.treeSize);
        return { checkpoint: await this.signInTx(tx, state, range), range, signed: true };
      }),
    );
    if (r.range) this.adopt(r.range);
    if (r.signed) this.published(r.checkpoint);
    await this.fileWriter;
    return r.checkpoint;
  }

  /**
   * Erases the details record of an entry (lawful erasure): its text goes,
   * its hash stays sealed. The erasure itself is ledgered in the same
   * transaction. Returns false when there was nothing left to erase.
   */
  async eraseDetails(
    seq: number,
    by: Pick<LedgerAppend, 'actorType' | 'actorId' | 'purpose' | 'caseRef' | 'requestId'> & { reason: string },
  ): Promise<boolean> {
    const erased = await this.db.transaction(async (tx) => {
      const done = await eraseDetailsRow(tx, seq);
      if (done) {
        await this.appendInTx(tx, {
          actorType: by.actorType,
          actorId: by.actorId,
          action: 'ledger.details.erased',
          resource: `ledger:entry/${seq}`,
          outcome: 'allowed',
          purpose: by.purpose ?? null,
          caseRef: by.caseRef ?? null,
          requestId: by.requestId ?? null,
          details: { reason: by.reason },
        });
      }
      return done;
    });
    if (erased) this.kick();
    return erased;
  }

  /** Stops the timer, sequences what is pending and signs a final checkpoint. Does not close the database. */
  async close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.closing = (async () => {
      await this.ticking;
      try {
        await this.flush();
        const state = await readState(this.db, false);
        if (state.treeSize !== state.checkpointSize) await this.checkpointNow();
      } catch (err) {
        this.logger.error({ err }, 'the ledger could not sequence or sign everything while closing');
      }
      await this.fileWriter;
    })();
    return this.closing;
  }

  private ensureLoop(): void {
    if (this.loop) return;
    this.loop = this.runLoop().finally(() => {
      this.loop = null;
      if (this.completed < this.requested) this.ensureLoop();
    });
  }

  private async runLoop(): Promise<void> {
    // Let the appends of this tick gather into one batch.
    await new Promise<void>((r) => setImmediate(r));
    while (this.completed < this.requested) {
      const gen = this.requested;
      let more = false;
      try {
        more = await this.pass();
      } catch (error) {
        this.lastFailure = { gen, error };
      }
      if (!more) this.completed = Math.max(this.completed, gen);
    }
  }

  /** One sequencing transaction; true when the queue had more rows than it took. */
  private async pass(): Promise<boolean> {
    const batch = this.pending.splice(0, this.maxBatch);
    const queueLimit = Math.max(QUEUE_MIN_PER_PASS, this.maxBatch - batch.length);
    let result: PassResult;
    try {
      result = await this.retrying(() =>
        this.db.transaction((tx) =>
          this.sequence(
            tx,
            batch.map((b) => b.entry),
            queueLimit,
          ),
        ),
      );
    } catch (err) {
      this.cache = null;
      this.logger.error({ err, entries: batch.length }, 'ledger sequencing failed');
      for (const b of batch) b.reject(err);
      throw err;
    }
    this.adopt(result.range);
    batch.forEach((b, i) => b.resolve({ seq: result.firstMemorySeq + i }));
    if (result.checkpoint) this.published(result.checkpoint);
    return result.queueFull || this.pending.length > 0;
  }

  private async sequence(tx: Queryable, memory: PreparedEntry[], queueLimit: number): Promise<PassResult> {
    const state = await readState(tx, true);
    const range = await this.rangeAt(tx, state.treeSize);
    const queued = await drainQueue(tx, queueLimit);
    const all = queued.length ? [...queued, ...memory] : memory;
    const first = state.treeSize;
    const leaves: Buffer[] = new Array<Buffer>(all.length);
    const nodes: TreeNode[] = [];
    const onNode = (n: TreeNode): void => {
      nodes.push(n);
    };
    for (let i = 0; i < all.length; i++) {
      const leaf = entryLeafHash(sealedFields(first + i, all[i]));
      leaves[i] = leaf;
      range.push(leaf, onNode);
    }
    await insertSequenced(tx, first, all, leaves, nodes);
    const size = first + all.length;
    let checkpoint: Checkpoint | null = null;
    if (all.length && this.checkpointDue(state, size)) checkpoint = await this.signInTx(tx, state, range);
    else if (all.length) await writeState(tx, size);
    return { range, firstMemorySeq: first + queued.length, checkpoint, queueFull: queued.length === queueLimit };
  }

  private checkpointDue(state: LedgerState, size: number): boolean {
    if (state.checkpointSize === null) return true;
    if (size <= state.checkpointSize) return false;
    if (size - state.checkpointSize >= this.config.checkpointEveryEntries) return true;
    return state.checkpointAt === null || this.now().getTime() - state.checkpointAt >= this.config.checkpointIntervalSeconds * 1000;
  }

  /** Signs a checkpoint at range.size and records it; the caller holds the state lock. */
  private async signInTx(tx: Queryable, state: LedgerState, range: CompactRange): Promise<Checkpoint> {
    const root = range.root();
    // Checkpoint times never go backwards, even across processes with skewed clocks.
    const timestamp = new Date(Math.max(this.now().getTime(), state.checkpointAt ?? 0)).toISOString();
    const rootHash = root.toString('hex');
    const body = checkpointBody({ origin: this.origin, treeSize: range.size, rootHash, timestamp });
    const signature = signBody(this.key, body);
    await insertCheckpoint(tx, {
      treeSize: range.size,
      rootHash: root,
      timestamp,
      body,
      signature,
      keyId: this.key.publicKey.keyId,
      publicKey: this.key.publicKey.base64,
    });
    await writeState(tx, range.size, { size: range.size, at: timestamp });
    await this.events?.emit(tx, 'core.ledger.checkpoint-signed', { treeSize: range.size, rootHash });
    return {
      origin: this.origin,
      treeSize: range.size,
      rootHash,
      timestamp,
      body,
      signature: signature.toString('base64'),
      publicKey: this.key.publicKey.base64,
      keyId: this.key.publicKey.keyId,
    };
  }

  /** A private copy of the compact range at `size`: from the cache, or from ledger_tree. */
  private async rangeAt(q: Queryable, size: number): Promise<CompactRange> {
    if (this.cache && this.cache.size === size) return this.cache.clone();
    return loadCompactRange(q, size);
  }

  private adopt(range: CompactRange): void {
    if (!this.cache || range.size >= this.cache.size) this.cache = range;
  }

  private published(cp: Checkpoint): void {
    this.events?.kick();
    this.writeFile(cp);
    for (const fn of this.listeners) {
      try {
        fn(cp);
      } catch (err) {
        this.logger.error({ err }, 'a ledger checkpoint listener failed');
      }
    }
  }

  /**
   * Copies a checkpoint to the data dir's file without blocking the event
   * loop: one writer at a time, and only the newest waiting checkpoint is
   * written (the file only moves forward anyway).
   */
  private writeFile(cp: Checkpoint): void {
    if (!this.fileNext || cp.treeSize >= this.fileNext.treeSize) this.fileNext = cp;
    if (this.fileWriter) return;
    this.fileWriter = (async () => {
      while (this.fileNext) {
        const next = this.fileNext;
        this.fileNext = null;
        try {
          await writeCheckpointFile(this.checkpointFile, next);
        } catch (err) {
          this.logger.error({ err, path: this.checkpointFile }, 'could not write the ledger checkpoint file');
        }
      }
    })().finally(() => {
      this.fileWriter = null;
    });
  }

  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const wait = RETRY_DELAYS_MS[attempt];
        if (wait === undefined) throw err;
        this.cache = null;
        this.logger.warn({ err, attempt: attempt + 1 }, 'ledger transaction failed; retrying');
        await delay(wait);
      }
    }
  }

  private onTimer(): void {
    if (this.ticking || this.closing) return;
    this.ticking = this.tick()
      .catch((err: unknown) => this.logger.error({ err }, 'ledger background work failed'))
      .finally(() => {
        this.ticking = null;
      });
  }

  private async tick(): Promise<void> {
    const r = await this.db.query<{ tree_size: number; checkpoint_size: number | null; checkpoint_ms: number | null; queued: boolean }>(
      `SELECT tree_size, checkpoint_size, (extract(epoch FROM checkpoint_at) * 1000)::int8 AS checkpoint_ms,
              EXISTS (SELECT 1 FROM ledger_queue) AS queued
         FROM ledger_state WHERE id = 1`,
    );
    const s = r.rows[0];
    if (!s) return;
    if (s.queued) await this.flush();
    const waiting = s.queued || this.pending.length > 0 || s.tree_size !== s.checkpoint_size;
    const age = s.checkpoint_ms === null ? Infinity : this.now().getTime() - s.checkpoint_ms;
    if (waiting && age >= this.config.checkpointIntervalSeconds * 1000) await this.checkpointNow();
  }

  // ---------------------------------------------------------------- reading

  /** Number of sequenced entries (the next seq). */
  async treeSize(): Promise<number> {
    return (await readState(this.db, false)).treeSize;
  }

  /** Signs bytes with the node's Ed25519 key (identity, replication batches, receipts); base64 signature. */
  signBytes(data: Uint8Array): string {
    return sign(null, data, this.key.privateKey).toString('base64');
  }

  publicKey(): LedgerPublicKeyInfo {
    const k: LedgerPublicKey = this.key.publicKey;
    return { algorithm: 'Ed25519', origin: this.origin, publicKey: k.base64, keyId: k.keyId, pem: k.pem };
  }

  /** A page of entries below the current tree size (so the page is stable while the ledger grows). */
  async listEntries(q: LedgerEntriesQuery = {}): Promise<LedgerEntryList> {
    const since = parseTime('since', q.since);
    const until = parseTime('until', q.until);
    const limit = Math.min(1000, Math.max(1, Math.floor(q.limit ?? 100)));
    const treeSize = await this.treeSize();
    const rows = await listEntryRows(this.db, { ...q, since, until }, treeSize, limit);
    return {
      items: rows.slice(0, limit).map(entryOfRow),
      treeSize,
      next: rows.length > limit ? rows[limit].seq : null,
    };
  }

  async getEntry(seq: number): Promise<LedgerEntry | null> {
    const row = await entryRow(this.db, seq);
    return row ? entryOfRow(row) : null;
  }

  /** The details record behind an entry; throws LedgerQueryError 404 when the entry or its record does not exist. */
  async getDetails(seq: number): Promise<LedgerDetailsRecord> {
    const entry = await entryRow(this.db, seq);
    if (!entry) throw new LedgerQueryError(404, 'seq', `there is no ledger entry with seq ${seq}`);
    if (entry.details_hash === null) throw new LedgerQueryError(404, 'seq', `ledger entry ${seq} has no details record`);
    const d = await detailsRow(this.db, seq);
    if (!d || d.details === null) {
      return {
        seq,
        detailsHash: entry.details_hash,
        state: 'erased',
        details: null,
        erasedAt: d?.erased_ms != null ? new Date(d.erased_ms).toISOString() : null,
        hashMatches: null,
      };
    }
    let details: unknown = d.details;
    try {
      details = JSON.parse(d.details);
    } catch {
      // Not JSON any more: hashMatches is false and the raw text is shown.
    }
    return { seq, detailsHash: entry.details_hash, state: 'present', details, erasedAt: null, hashMatches: sha256HexOf(d.details) === entry.details_hash };
  }

  /** The latest checkpoint; signs one when none exists yet. */
  async latestCheckpoint(): Promise<Checkpoint> {
    const row = await latestCheckpointRow(this.db);
    return row ? checkpointOfRow(row) : this.checkpointNow();
  }

  async checkpointAt(treeSize: number): Promise<Checkpoint | null> {
    const row = await checkpointRowAt(this.db, treeSize);
    return row ? checkpointOfRow(row) : null;
  }

  /** Checkpoints, newest first; `before` pages backwards by tree size. */
  async listCheckpoints(opts: { limit?: number; before?: number } = {}): Promise<Checkpoint[]> {
    const limit = Math.min(1000, Math.max(1, Math.floor(opts.limit ?? 100)));
    return (await listCheckpointRows(this.db, { limit, before: opts.before })).map(checkpointOfRow);
  }

  /** RFC 9162 root of the first `treeSize` entries. */
  async rootAt(treeSize: number): Promise<string> {
    const size = await this.treeSize();
    if (!Number.isSafeInteger(treeSize) || treeSize < 0) throw new LedgerQueryError(400, 'treeSize', 'treeSize must be a whole number of entries');
    if (treeSize > size) throw new LedgerQueryError(400, 'treeSize', `treeSize ${treeSize} is beyond the ledger's ${size} entries`);
    return (await rootAtSize(this.db, treeSize)).toString('hex');
  }

  /**
   * RFC 9162 inclusion proof (PATH) of entry `seq` in the tree of `treeSize`
   * entries. treeSize defaults to the latest checkpoint's size; when that
   * does not cover seq yet, a checkpoint is signed now. An explicit treeSize
   * may not exceed the latest checkpoint's.
   */
  async inclusionProof(seq: number, treeSize?: number): Promise<InclusionProof> {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new LedgerQueryError(400, 'seq', 'seq must be a whole number');
    let latest = await this.latestCheckpoint();
    let size: number;
    if (treeSize === undefined) {
      if (seq >= latest.treeSize) {
        const current = await this.treeSize();
        if (seq >= current) throw new LedgerQueryError(404, 'seq', `there is no ledger entry with seq ${seq} (the ledger holds ${current} entries)`);
        latest = await this.checkpointNow();
      }
      size = latest.treeSize;
    } else {
      if (!Number.isSafeInteger(treeSize) || treeSize < 1) throw new LedgerQueryError(400, 'treeSize', 'treeSize must be a whole number above 0');
      if (treeSize > latest.treeSize) {
        throw new LedgerQueryError(
          400,
          'treeSize',
          `treeSize ${treeSize} is beyond the latest checkpoint (tree size ${latest.treeSize}); omit treeSize to get a proof against a fresh checkpoint`,
        );
      }
      if (seq >= treeSize) throw new LedgerQueryError(400, 'seq', `seq ${seq} is not inside a tree of treeSize ${treeSize} (seq must be below treeSize)`);
      size = treeSize;
    }
    const proof = await inclusionProofAt(this.db, seq, size);
    await this.assertSignedRoot(size, proof.rootHash);
    if (!verifyInclusion(seq, size, fromHex(proof.leafHash), proof.proof.map(fromHex), fromHex(proof.rootHash))) {
      throw new LedgerTreeDamagedError(`the inclusion proof of ${seq} in ${size} does not verify; run "kotwal ledger verify"`);
    }
    return proof;
  }

  /** RFC 9162 consistency proof (SUBPROOF) between tree sizes `from` and `to` (at most the latest checkpoint's size). */
  async consistencyProof(from: number, to: number): Promise<ConsistencyProof> {
    if (!Number.isSafeInteger(from) || from < 0) throw new LedgerQueryError(400, 'from', 'from must be a whole number');
    if (!Number.isSafeInteger(to) || to < 0) throw new LedgerQueryError(400, 'to', 'to must be a whole number');
    if (from > to) throw new LedgerQueryError(400, 'from', `from (${from}) must not be greater than to (${to})`);
    const latest = await this.latestCheckpoint();
    if (to > latest.treeSize) throw new LedgerQueryError(400, 'to', `to ${to} is beyond the latest checkpoint (tree size ${latest.treeSize})`);
    const proof = await consistencyProofBetween(this.db, from, to);
    await this.assertSignedRoot(from, proof.fromRoot);
    await this.assertSignedRoot(to, proof.toRoot);
    return proof;
  }

  /** A root computed from ledger_tree must equal the signed root at that size, if one was signed. */
  private async assertSignedRoot(size: number, rootHex: string): Promise<void> {
    const cp = await checkpointRowAt(this.db, size);
    if (cp && Buffer.from(cp.root_hash).toString('hex') !== rootHex) {
      throw new LedgerTreeDamagedError(`the stored tree gives a root at size ${size} that differs from the signed checkpoint; run "kotwal ledger verify"`);
    }
  }
}

function parseTime(field: string, v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new LedgerQueryError(400, field, `${field} must be an ISO 8601 date-time, got "${v}"`);
  return d;
}
