/**
 * The source side of an executing transfer. Replication: pages of the
 * dataset become signed batches, each recorded in the source's ledger
 * (`transfers.batch.sent`), covered by a signed checkpoint with an inclusion
 * proof (and a consistency proof from the checkpoint the destination last
 * acknowledged), pushed through the egress gateway, and answered by a
 * receipt signed by the destination's key, which is verified and recorded
 * (`transfers.receipt.recorded`). Before every batch the transfer is read
 * again: a revocation or the expiry stops the flow at once.
 *
 * Export: a signed bundle under <data dir>/exports/<id>/ instead of a push.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import Value from 'typebox/value';
import {
  PROBLEM_TYPES,
  ReplicationReceipt,
  canonicalHash,
  canonicalJson,
  fromHex,
  type BatchRecord,
  type ReplicationBatch,
  type RevocationNotice,
  type TransferManifest,
} from '@kotwal/contracts';
import { EgressRefusedError, EgressRequestError } from '#core/egress/index.ts';
import type { DatasetRecord } from '#core/module.ts';
import * as repo from './repository.ts';
import { parseManifest } from './presenters.ts';
import { batchHash, batchSentDetailsText, recordsHash, revocationHash, verifyReceipt } from './replication-format.ts';
import type { SovDeps } from './service-support.ts';
import type { TransferRunner } from './transfer-service.ts';

export const BATCH_PATH = '/api/v1/replication/batches';
/** Tries of one batch that got no answer at all (then the run fails), and the first pause between them (doubling). */
export const DELIVERY_ATTEMPTS = 4;
export const DELIVERY_RETRY_MS = 500;
export const REVOCATION_PATH = '/api/v1/replication/revocations';

export interface Sender extends TransferRunner {
  /** Transfers left executing by a previous process resume from their last acknowledged batch. */
  resume(): Promise<void>;
  /** Resolves when the transfer's run (if any) has ended. */
  settled(transferId: string): Promise<void>;
  /**
   * Builds (ledgers, checkpoints, signs) the next batch of a transfer
   * without sending it, whatever its status: tests send it, replay it and
   * tamper with it. `after` is the last key already sent; `consistencyFrom`
   * the source tree size the destination last verified (default: from its receipts).
   */
  buildNextBatch(transferId: string, opts: { after: string | null; limit?: number; consistencyFrom?: number | null }): Promise<ReplicationBatch>;
  close(): Promise<void>;
  /** The expiry hook, set by the service (avoids a cycle with the transfer service). */
  onExpired: (transferId: string) => Promise<boolean>;
}

/** Why a run stopped without completing; `quiet` when the status already says so (revoked, expired). */
class StopRun extends Error {
  constructor(
    message: string,
    readonly quiet: boolean,
  ) {
    super(message);
  }
}

interface RunState {
  transferId: string;
  manifest: TransferManifest;
  manifestHash: string;
  seq: number;
  prevHash: string | null;
  cursor: string | null;
  /** The approvals the batches carry (read once per run). */
  approvals: { publicKey: string; signature: string }[] | null;
}

export function createSender(deps: SovDeps): Sender {
  const { ctx, ledger } = deps;
  const runs = new Map<string, Promise<void>>();
  const revoked = new Set<string>();
  const destinationLocks = new Map<string, Promise<unknown>>();
  let closing = false;
  const actor = { actorType: 'system' as const, actorId: `node:${ctx.node.name}` };

  /** One batch at a time per destination, so consistency proofs start where that destination's receipts left off. */
  const withDestination = async <T>(node: string, fn: () => Promise<T>): Promise<T> => {
    const prev = destinationLocks.get(node) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    destinationLocks.set(node, tail);
    try {
      return await next;
    } finally {
      if (destinationLocks.get(node) === tail) destinationLocks.delete(node);
    }
  };

  /** Stops unless the transfer may still move: executing, not revoked, unexpired. */
  const check = async (id: string): Promise<repo.TransferRow> => {
    if (revoked.has(id)) throw new StopRun(`transfer ${id} was revoked`, true);
    if (closing) throw new StopRun('the node is shutting down', true);
    const t = await repo.findTransfer(ctx.db, id);
    if (!t) throw new StopRun(`transfer ${id} disappeared`, false);
    if (t.status !== 'executing') throw new StopRun(`transfer ${id} is ${t.status}`, true);
    if (t.expires_ms <= deps.now().getTime()) {
      await sender.onExpired(id);
      throw new StopRun(`transfer ${id} expired at ${new Date(t.expires_ms).toISOString()}`, true);
    }
    return t;
  };

  const dataset = (manifest: TransferManifest) => {
    const d = deps.datasets.get(manifest.dataset);
    if (!d) throw new StopRun(`the dataset ${manifest.dataset} is not installed on this node any more`, false);
    return d.definition;
  };

  const readPage = (manifest: TransferManifest, after: string | null, limit: number): Promise<DatasetRecord[]> =>
    dataset(manifest).read(ctx.db, { after, limit, filter: manifest.filter, ...(manifest.items.length ? { items: manifest.items } : {}) });

  /** Ledgers the batch, takes a checkpoint covering it and the proofs, and signs it. Call under the destination lock. */
  const prepareBatch = async (st: RunState, records: readonly BatchRecord[], final: boolean, consistencyFrom?: number | null): Promise<ReplicationBatch> => {
    const seq = st.seq + 1;
    const prevBatchHash = st.prevHash;
    const rHash = recordsHash(records);
    const bHash = batchHash({ transferId: st.transferId, manifestHash: st.manifestHash, seq, prevBatchHash, recordsHash: rHash });
    const details = { transferId: st.transferId, seq, batchHash: bHash, records: records.length };
    const { seq: ledgerSeq } = await ctx.ledger.append({
      ...actor,
      action: 'transfers.batch.sent',
      resource: `transfer:${st.transferId}/batch/${seq}`,
      outcome: 'allowed',
      details: { ...details },
    });
    const checkpoint = await ledger.checkpointNow();
    const inclusionProof = await ledger.inclusionProof(ledgerSeq, checkpoint.treeSize);
    const acknowledged = consistencyFrom !== undefined ? consistencyFrom : await repo.acknowledgedTreeSize(ctx.db, st.manifest.destination.node);
    const consistencyProof =
      acknowledged !== null && acknowledged > 0 && acknowledged <= checkpoint.treeSize
        ? await ledger.consistencyProof(acknowledged, checkpoint.treeSize)
        : null;
    const entry = await ledger.getEntry(ledgerSeq);
    if (!entry) throw new Error(`ledger entry ${ledgerSeq} of batch ${seq} is missing`);
    st.approvals ??= (await repo.approvalsOf(ctx.db, st.transferId)).map((a) => ({ publicKey: a.public_key, signature: a.signature }));
    const approvals = st.approvals;
    await ctx.unitOfWork((tx) =>
      repo.insertBatch(tx, {
        transferId: st.transferId,
        seq,
        batchHash: bHash,
        prevHash: prevBatchHash,
        records: records.length,
        ledgerSeq,
        checkpointSize: checkpoint.treeSize,
        sentAt: deps.now(),
      }),
    );
    st.seq = seq;
    st.prevHash = bHash;
    return {
      transferId: st.transferId,
      manifest: st.manifest,
      approvals,
      seq,
      prevBatchHash,
      records: [...records],
      recordsHash: rHash,
      batchHash: bHash,
      ledgerEntry: entry,
      details: batchSentDetailsText(details),
      inclusionProof,
      checkpoint,
      consistencyProof,
      final,
      signature: ctx.node.sign(fromHex(bHash)),
    };
  };

  /** Pushes a batch and records the verified receipt. */
  const push = async (st: RunState, batch: ReplicationBatch, lastKey: string | null): Promise<void> => {
    const address = st.manifest.destination.address;
    const destKey = st.manifest.destination.publicKey;
    if (!address || !destKey) throw new StopRun(`transfer ${st.transferId} has no destination address`, false);
    const body = JSON.stringify(batch);
    let receipt: unknown;
    for (let attempt = 1; ; attempt++) {
      let res;
      try {
        res = await ctx.egress.request(
          `${address}${BATCH_PATH}`,
          { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body, timeoutMs: 120_000 },
          { kind: 'transfer', transferId: st.transferId },
          { type: 'system', id: actor.actorId },
        );
      } catch (err) {
        // No answer (connection lost, timeout): the destination may or may not have taken the batch. The same batch is
        // sent again; if it was taken, the destination refuses the replay and repeats its receipt.
        if (!(err instanceof EgressRequestError) || err.code === 'too-large' || attempt >= DELIVERY_ATTEMPTS) throw err;
        ctx.logger.warn({ transferId: st.transferId, seq: batch.seq, attempt, err: err.message }, 'batch delivery got no answer; sending it again');
        await new Promise((resolve) => setTimeout(resolve, DELIVERY_RETRY_MS * 2 ** (attempt - 1)));
        await check(st.transferId);
        continue;
      }
      if (res.status === 201) {
        try {
          receipt = res.json<unknown>();
        } catch {
          throw new StopRun(`the destination answered batch ${batch.seq} without a JSON receipt`, false);
        }
        break;
      }
      let detail = res.text().slice(0, 500);
      let repeated: unknown;
      try {
        const p = res.json<{ type?: string; detail?: string; receipt?: unknown }>();
        detail = `${p.type ?? ''} ${p.detail ?? ''}`.trim();
        if (res.status === 409 && p.type === PROBLEM_TYPES.batchReplayed && attempt > 1) repeated = p.receipt;
      } catch {
        // not problem+json: keep the text
      }
      // A batch sent again after a lost answer, which the destination had taken: its repeated receipt is checked below
      // exactly as a first answer is (names this batch, signed by the destination's key).
      if (repeated !== undefined) {
        receipt = repeated;
        break;
      }
      throw new StopRun(`the destination refused batch ${batch.seq}: ${res.status} ${detail}`, false);
    }
    if (!Value.Check(ReplicationReceipt, receipt)) throw new StopRun(`the destination's receipt for batch ${batch.seq} is malformed`, false);
    const r = receipt;
    if (r.transferId !== st.transferId || r.batchSeq !== batch.seq || r.batchHash !== batch.batchHash || r.records !== batch.records.length) {
      throw new StopRun(`the destination's receipt for batch ${batch.seq} names another batch (${r.transferId} #${r.batchSeq} ${r.batchHash})`, false);
    }
    if (r.replicaNode !== st.manifest.destination.node)
      throw new StopRun(`the receipt for batch ${batch.seq} is from ${r.replicaNode}, not ${st.manifest.destination.node}`, false);
    if (!verifyReceipt(r, destKey)) throw new StopRun(`the receipt for batch ${batch.seq} is not signed by the destination's key ${destKey}`, false);
    await ctx.unitOfWork(async (tx) => {
      await repo.recordReceipt(tx, {
        transferId: st.transferId,
        seq: batch.seq,
        receipt: canonicalJson({ ...r }),
        signature: r.signature,
        receivedAt: new Date(r.receivedAt),
        replicaLedgerSeq: r.replicaLedgerSeq,
        records: r.records,
        sourceTreeSize: r.sourceTreeSize,
        cursor: lastKey,
      });
      await ctx.ledger.appendInTx(tx, {
        ...actor,
        action: 'transfers.receipt.recorded',
        resource: `transfer:${st.transferId}/batch/${batch.seq}`,
        outcome: 'allowed',
        details: {
          transferId: st.transferId,
          seq: batch.seq,
          batchHash: batch.batchHash,
          records: r.records,
          replicaNode: r.replicaNode,
          replicaLedgerSeq: r.replicaLedgerSeq,
          receivedAt: r.receivedAt,
          receiptHash: canonicalHash({ ...r, signature: undefined }),
          signature: r.signature,
        },
      });
    });
  };

  const complete = async (id: string, records: number, extra: Record<string, unknown> = {}): Promise<void> => {
    await ctx.unitOfWork(async (tx) => {
      const t = await repo.findTransfer(tx, id, true);
      if (!t || t.status !== 'executing') return;
      await repo.setTransferStatus(tx, id, 'completed', { completedAt: deps.now() });
      await ctx.ledger.appendInTx(tx, {
        ...actor,
        action: 'transfers.transfer.completed',
        resource: `transfer:${id}`,
        outcome: 'allowed',
        details: { records, batches: t.batches_acknowledged, ...extra },
      });
      await ctx.events.emit(tx, 'core.transfer.completed', { transferId: id, records });
    });
  };

  const fail = async (id: string, error: string): Promise<void> => {
    ctx.logger.error({ transferId: id, error }, 'transfer failed');
    await ctx.unitOfWork(async (tx) => {
      const t = await repo.findTransfer(tx, id, true);
      if (!t || t.status !== 'executing') return;
      await repo.setTransferStatus(tx, id, 'failed', { error });
      await ctx.ledger.appendInTx(tx, {
        ...actor,
        action: 'transfers.transfer.failed',
        resource: `transfer:${id}`,
        outcome: 'denied',
        details: { reason: error },
      });
    });
  };

  const initialState = async (t: repo.TransferRow, resume: boolean): Promise<RunState> => {
    const manifest = parseManifest(t);
    // Batches sent but never acknowledged (a previous process stopped mid-flight) are sent again.
    if (resume && t.batches_sent > t.batches_acknowledged) {
      await ctx.unitOfWork(async (tx) => {
        await tx.query('DELETE FROM sov_batches WHERE transfer_id = $1 AND receipt IS NULL', [t.id]);
        await tx.query(
          `UPDATE sov_transfers SET batches_sent = batches_acknowledged, records_sent = records_acknowledged,
              last_batch_hash = (SELECT batch_hash FROM sov_batches WHERE transfer_id = $1 ORDER BY seq DESC LIMIT 1)
            WHERE id = $1`,
          [t.id],
        );
      });
    }
    const last = await ctx.db.query<{ seq: number; batch_hash: string }>(
      'SELECT seq, batch_hash FROM sov_batches WHERE transfer_id = $1 ORDER BY seq DESC LIMIT 1',
      [t.id],
    );
    return {
      transferId: t.id,
      manifest,
      manifestHash: t.manifest_hash,
      seq: last.rows[0]?.seq ?? 0,
      prevHash: last.rows[0]?.batch_hash ?? null,
      cursor: t.cursor,
      approvals: null,
    };
  };

  /** A sealed batch that will not be pushed (revoked, expired, failed): said in the ledger, so its batch.sent entry is not read as delivered. */
  const withhold = async (st: RunState, batch: ReplicationBatch, reason: string): Promise<void> => {
    await ctx.ledger
      .append({
        ...actor,
        action: 'transfers.batch.withheld',
        resource: `transfer:${st.transferId}/batch/${batch.seq}`,
        outcome: 'allowed',
        details: { transferId: st.transferId, seq: batch.seq, batchHash: batch.batchHash, records: batch.records.length, reason },
      })
      .catch((err: unknown) => ctx.logger.error({ err }, 'could not ledger a withheld batch'));
  };

  interface Sealed {
    batch: ReplicationBatch;
    lastKey: string | null;
  }

  /**
   * One batch in flight and the next one sealed meanwhile (read, ledgered,
   * checkpointed, proved, signed). The destination is held for the whole
   * run, so the replica's last verified source checkpoint is the previous
   * batch's, and the next batch's consistency proof starts there.
   */
  const runReplication = async (t: repo.TransferRow): Promise<void> => {
    const st = await initialState(t, true);
    const limit = ctx.config.replicationBatchRecords;
    let total = Number(t.records_acknowledged);
    const seal = async (after: string | null, consistencyFrom: number | undefined): Promise<Sealed> => {
      const page = await readPage(st.manifest, after, limit);
      await check(st.transferId);
      const batch = await prepareBatch(st, page, page.length < limit, consistencyFrom);
      return { batch, lastKey: page.length ? page[page.length - 1].key : after };
    };
    await withDestination(st.manifest.destination.node, async () => {
      let current = await seal(st.cursor, undefined);
      for (;;) {
        const next = current.batch.final ? null : seal(current.lastKey, current.batch.checkpoint.treeSize);
        // Awaited below; a rejection while the current batch is in flight is not unhandled.
        next?.catch(() => undefined);
        let pushed = false;
        try {
          await check(st.transferId);
          pushed = true;
          await push(st, current.batch, current.lastKey);
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          await withhold(st, current.batch, pushed ? `sent but not acknowledged: ${reason}` : `not sent: ${reason}`);
          const sealed = next ? await next.catch(() => null) : null;
          if (sealed) await withhold(st, sealed.batch, `not sent: ${reason}`);
          throw err;
        }
        st.cursor = current.lastKey;
        total += current.batch.records.length;
        if (!next) break;
        current = await next;
      }
    });
    await complete(st.transferId, total);
  };

  const runExport = async (t: repo.TransferRow): Promise<void> => {
    const manifest = parseManifest(t);
    const dir = path.join(ctx.config.dataDir, 'exports', t.id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, 'records.jsonl');
    const out = createWriteStream(file, { mode: 0o600 });
    const hash = createHash('sha256');
    let count = 0;
    let after: string | null = null;
    const limit = ctx.config.replicationBatchRecords;
    try {
      for (;;) {
        await check(t.id);
        const page = await readPage(manifest, after, limit);
        for (const r of page) {
          const line = `${JSON.stringify({ key: r.key, record: r.record })}\n`;
          hash.update(line);
          if (!out.write(line)) await once(out, 'drain');
        }
        count += page.length;
        if (page.length) after = page[page.length - 1].key;
        if (page.length < limit) break;
      }
    } finally {
      out.end();
      await once(out, 'close');
    }
    const recordsSha256 = hash.digest('hex');
    const approvals = (await repo.approvalsOf(ctx.db, t.id)).map((a) => ({ publicKey: a.public_key, signature: a.signature, signedForm: a.signed_form }));
    const statement = { transferId: t.id, manifestHash: t.manifest_hash, records: count, recordsSha256 };
    const statementHash = canonicalHash(statement);
    writeFileSync(path.join(dir, 'manifest.json'), `${canonicalJson(manifest)}\n`, { mode: 0o600 });
    writeFileSync(path.join(dir, 'approvals.json'), `${JSON.stringify(approvals, null, 2)}\n`, { mode: 0o600 });
    writeFileSync(
      path.join(dir, 'signature.json'),
      `${JSON.stringify({ ...statement, statementHash, node: ctx.node.name, publicKey: ctx.node.publicKey, signature: ctx.node.sign(fromHex(statementHash)) }, null, 2)}\n`,
      { mode: 0o600 },
    );
    await ctx.ledger.append({
      ...actor,
      action: 'transfers.export.written',
      resource: `transfer:${t.id}`,
      outcome: 'allowed',
      details: { directory: dir, records: count, recordsSha256, statementHash },
    });
    await complete(t.id, count, { directory: dir, recordsSha256 });
  };

  const run = async (id: string): Promise<void> => {
    try {
      const t = await check(id);
      if (parseManifest(t).kind === 'export') await runExport(t);
      else await runReplication(t);
    } catch (err) {
      if (err instanceof StopRun && err.quiet) {
        ctx.logger.info({ transferId: id, reason: err.message }, 'transfer stopped');
        return;
      }
      if (err instanceof EgressRefusedError) {
        // The gateway refuses once a transfer is revoked or expired: that is the stop, not a failure.
        const t = await repo.findTransfer(ctx.db, id);
        if (t && t.status !== 'executing') return;
      }
      await fail(id, err instanceof Error ? err.message : String(err)).catch((e: unknown) =>
        ctx.logger.error({ err: e }, 'could not record a failed transfer'),
      );
    }
  };

  const sender: Sender = {
    onExpired: async () => false,

    start(id) {
      if (runs.has(id) || closing) return;
      const p = run(id).finally(() => runs.delete(id));
      runs.set(id, p);
    },

    async settled(id) {
      await runs.get(id);
    },

    async revoked(id, revokedAt, reason) {
      revoked.add(id);
      const t = await repo.findTransfer(ctx.db, id);
      if (!t) return;
      const manifest = parseManifest(t);
      const address = manifest.destination.address;
      // Only a destination that may have received something is told.
      if (!address || t.batches_sent === 0) return;
      const unsigned = { transferId: id, manifestHash: t.manifest_hash, revokedAt: revokedAt.toISOString(), reason };
      const notice: RevocationNotice = {
        ...unsigned,
        manifest: manifest,
        signature: ctx.node.sign(fromHex(revocationHash(unsigned))),
      };
      try {
        const res = await ctx.egress.request(
          `${address}${REVOCATION_PATH}`,
          { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notice), timeoutMs: 10_000 },
          { kind: 'transfer', transferId: id },
          { type: 'system', id: actor.actorId },
        );
        await ctx.ledger.append({
          ...actor,
          action: res.status === 200 ? 'transfers.revocation.notified' : 'transfers.revocation.notice-refused',
          resource: `transfer:${id}`,
          outcome: res.status === 200 ? 'allowed' : 'denied',
          details: { destination: manifest.destination.node, status: res.status, answer: res.status === 200 ? null : res.text().slice(0, 500) },
        });
      } catch (err) {
        ctx.logger.warn({ err, transferId: id }, 'the revocation notice could not be delivered');
        await ctx.ledger.append({
          ...actor,
          action: 'transfers.revocation.notice-failed',
          resource: `transfer:${id}`,
          outcome: 'denied',
          details: { destination: manifest.destination.node, reason: (err as Error).message },
        });
      }
      await runs.get(id);
    },

    async resume() {
      for (const t of await repo.executingTransfers(ctx.db)) {
        ctx.logger.info({ transferId: t.id }, 'resuming an executing transfer');
        sender.start(t.id);
      }
    },

    async buildNextBatch(id, opts) {
      const t = await repo.findTransfer(ctx.db, id);
      if (!t) throw new Error(`no transfer ${id}`);
      const st = await initialState(t, false);
      const limit = opts.limit ?? ctx.config.replicationBatchRecords;
      const page = await readPage(st.manifest, opts.after, limit);
      return withDestination(st.manifest.destination.node, () => prepareBatch(st, page, page.length < limit, opts.consistencyFrom));
    },

    async close() {
      closing = true;
      await Promise.allSettled([...runs.values()]);
    },
  };
  return sender;
}
