/**
 * Replica mode (`kotwal serve --replica-of URL`): the node pins its source's
 * identity (fetched once through the egress gateway, key stored; a changed
 * key later is refused and ledgered, never adopted) and accepts a batch only
 * when everything checks: the source's signature, the manifest (this node
 * and jurisdiction as destination, unexpired, not revoked, M valid
 * approvals), the chain (seq and prevBatchHash), the records' hash, the
 * source's ledger entry for the batch, its inclusion in a checkpoint signed
 * by the source, and that checkpoint's consistency with the last one seen.
 * Then records, chain position and its own ledger entry commit together and
 * a receipt signed by this node goes back. Every refusal is ledgered.
 */
import {
  PROBLEM_TYPES,
  canonicalJson,
  entryBytes,
  fromHex,
  leafHash,
  manifestHash as hashManifest,
  parseCheckpointBody,
  parseEd25519PublicKey,
  publicKeyId,
  sha256Hex,
  toHex,
  verifyCheckpointSignature,
  verifyConsistency,
  verifyHashSignature,
  verifyInclusion,
  type ReplicationBatch,
  type ReplicationReceipt,
  type RevocationAck,
  type RevocationNotice,
  type TransferManifest,
} from '@kotwal/contracts';
import { EgressRefusedError, EgressRequestError } from '#core/egress/index.ts';
import { HttpProblem } from '#core/http/problem.ts';
import { IdentityFetchError, fetchIdentity } from './identity.ts';
import * as repo from './repository.ts';
import { batchHash, batchSentDetailsText, receiptHash, recordsHash, revocationHash, signHashWith, type UnsignedReceipt } from './replication-format.ts';
import { problem, refuse, type RequestMeta, type SovDeps } from './service-support.ts';

export interface Replica {
  /** Fetches and pins the source identity (replica mode); returns the pinned row or null with the reason logged. */
  pin(): Promise<repo.ReplicaSourceRow | null>;
  receiveBatch(batch: ReplicationBatch, meta: RequestMeta): Promise<ReplicationReceipt>;
  receiveRevocation(notice: RevocationNotice, meta: RequestMeta): Promise<RevocationAck>;
}

/** A batch refusal before it is ledgered: status, problem type, title, precise reason. */
class BatchRefusal extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    /** Extension members of the problem (the repeated receipt of a replayed last batch). */
    readonly extensions?: Record<string, unknown>,
  ) {
    super(detail);
  }
}

const chain = (detail: string) => new BatchRefusal(422, PROBLEM_TYPES.batchChainMismatch, 'Batch chain mismatch', detail);
const notAuthorised = (detail: string) => new BatchRefusal(403, PROBLEM_TYPES.batchNotAuthorised, 'Batch not authorised', detail);
const badSignature = (detail: string) => new BatchRefusal(422, PROBLEM_TYPES.signatureInvalid, 'Signature invalid', detail);

export function createReplica(deps: SovDeps): Replica {
  const { ctx, ledger } = deps;
  const locks = new Map<string, Promise<unknown>>();
  let pinned: repo.ReplicaSourceRow | null = null;
  let pinning: Promise<repo.ReplicaSourceRow | null> | null = null;

  const serial = async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    locks.set(key, tail);
    try {
      return await next;
    } finally {
      if (locks.get(key) === tail) locks.delete(key);
    }
  };

  const doPin = async (): Promise<repo.ReplicaSourceRow | null> => {
    const url = ctx.config.replicaOf;
    if (!url) return null;
    const stored = await repo.findReplicaSource(ctx.db);
    let identity;
    try {
      identity = await fetchIdentity(ctx, url, { kind: 'replica-source' });
    } catch (err) {
      if (err instanceof IdentityFetchError || err instanceof EgressRequestError || err instanceof EgressRefusedError) {
        ctx.logger.warn({ source: url, reason: err.message }, 'replica: the source identity could not be fetched');
        pinned = stored;
        return stored;
      }
      throw err;
    }
    const now = deps.now();
    if (!stored) {
      await ctx.unitOfWork(async (tx) => {
        await repo.pinReplicaSource(tx, {
          url,
          node: identity.name,
          jurisdiction: identity.jurisdiction,
          publicKey: identity.publicKey,
          keyId: identity.keyId,
          now,
        });
        await ctx.ledger.appendInTx(tx, {
          actorType: 'system',
          actorId: `node:${ctx.node.name}`,
          action: 'replication.source.pinned',
          resource: `node:${identity.name}`,
          outcome: 'allowed',
          details: { url, node: identity.name, jurisdiction: identity.jurisdiction, publicKey: identity.publicKey, keyId: identity.keyId },
        });
      });
      ctx.logger.info({ source: url, node: identity.name, keyId: identity.keyId }, 'replica: source identity pinned');
    } else if (stored.public_key !== identity.publicKey || stored.node !== identity.name) {
      const reason = `the source at ${url} now presents ${identity.name} with key ${identity.publicKey}; the pinned identity is ${stored.node} with key ${stored.public_key}: the new key is refused (batches signed by it will be refused)`;
      ctx.logger.error({ source: url, pinned: stored.key_id, presented: identity.keyId }, `replica: ${reason}`);
      await ctx.ledger.append({
        actorType: 'system',
        actorId: `node:${ctx.node.name}`,
        action: 'replication.source.key-changed',
        resource: `node:${stored.node}`,
        outcome: 'denied',
        details: { url, reason, pinnedKey: stored.public_key, presentedKey: identity.publicKey },
      });
    } else {
      await repo.touchReplicaSource(ctx.db, now);
    }
    pinned = (await repo.findReplicaSource(ctx.db)) ?? null;
    return pinned;
  };

  const pin = (): Promise<repo.ReplicaSourceRow | null> => {
    pinning ??= doPin().finally(() => {
      pinning = null;
    });
    return pinning;
  };

  const source = async (): Promise<repo.ReplicaSourceRow> => {
    if (!ctx.config.replicaOf)
      throw notAuthorised('this node is not a replica (it was not started with --replica-of / KOTWAL_REPLICA_OF): it accepts no batches');
    const s = pinned ?? (await repo.findReplicaSource(ctx.db)) ?? (await pin());
    if (!s)
      throw notAuthorised(`the identity of the source ${ctx.config.replicaOf} is not pinned yet (it could not be fetched): no batch is accepted until it is`);
    pinned = s;
    return s;
  };

  /** The manifest's own checks: from the pinned source, to this node, unexpired, with M valid approvals. */
  const checkManifest = (
    src: repo.ReplicaSourceRow,
    transferId: string,
    manifest: TransferManifest,
    approvals: readonly { publicKey: string; signature: string }[],
  ): string => {
    const mHash = hashManifest(manifest);
    if (manifest.id !== transferId) throw notAuthorised(`the manifest is for transfer ${manifest.id}, not ${transferId}`);
    if (manifest.source.publicKey !== src.public_key || manifest.source.node !== src.node) {
      throw notAuthorised(
        `the manifest names the source ${manifest.source.node} (key ${manifest.source.publicKey}); this replica's pinned source is ${src.node} (key ${src.public_key})`,
      );
    }
    if (manifest.destination.node !== ctx.node.name || manifest.destination.jurisdiction !== ctx.node.jurisdiction) {
      throw notAuthorised(
        `the transfer is for ${manifest.destination.node} in ${manifest.destination.jurisdiction}; this node is ${ctx.node.name} in ${ctx.node.jurisdiction}`,
      );
    }
    if (manifest.destination.publicKey !== ctx.node.publicKey) {
      throw notAuthorised(`the transfer is for the key ${manifest.destination.publicKey ?? '(none)'}, not this node's key ${ctx.node.publicKey}`);
    }
    if (manifest.kind === 'export') throw notAuthorised('an export transfer is not replicated');
    const expiresAt = new Date(manifest.expiresAt);
    if (!(expiresAt.getTime() > deps.now().getTime())) {
      throw new BatchRefusal(410, PROBLEM_TYPES.transferExpired, 'Transfer expired', `transfer ${transferId} expired at ${manifest.expiresAt}`);
    }
    const named = new Set(manifest.approvers.publicKeys);
    const valid = new Set<string>();
    const problems: string[] = [];
    for (const a of approvals) {
      let key: string;
      try {
        key = parseEd25519PublicKey(a.publicKey);
      } catch {
        problems.push(`${a.publicKey.slice(0, 20)}...: not an Ed25519 key`);
        continue;
      }
      if (!named.has(key)) problems.push(`${publicKeyId(key)}: not an approver the manifest names`);
      else if (!verifyHashSignature(mHash, a.signature, key)) problems.push(`${publicKeyId(key)}: signature does not verify over ${mHash}`);
      else valid.add(key);
    }
    if (valid.size < manifest.approvers.threshold) {
      throw notAuthorised(
        `the transfer carries ${valid.size} valid approval${valid.size === 1 ? '' : 's'} of the ${manifest.approvers.threshold} needed${problems.length ? ` (${problems.join('; ')})` : ''}`,
      );
    }
    if (!deps.datasets.has(manifest.dataset)) throw notAuthorised(`this node has no dataset ${manifest.dataset} to receive into`);
    return mHash;
  };

  /** The batch's own integrity and its place in the source's ledger; returns the verified checkpoint. */
  const checkProofs = (src: repo.ReplicaSourceRow, b: ReplicationBatch, mHash: string, last: repo.SourceCheckpointRow | null) => {
    const rHash = recordsHash(b.records);
    if (rHash !== b.recordsHash) throw chain(`the records do not hash to recordsHash ${b.recordsHash} (they hash to ${rHash}): the records were altered`);
    const bHash = batchHash({ transferId: b.transferId, manifestHash: mHash, seq: b.seq, prevBatchHash: b.prevBatchHash, recordsHash: rHash });
    if (bHash !== b.batchHash) throw chain(`batchHash ${b.batchHash} is not the hash of this batch (${bHash})`);
    if (verifyHashSignature(bHash, b.signature, src.public_key) !== 'raw') {
      throw badSignature(`the batch signature does not verify over batchHash ${bHash} with the source's pinned key ${src.key_id}`);
    }
    // The source's ledger entry for this batch, and its details record.
    const e = b.ledgerEntry;
    const expectedDetails = batchSentDetailsText({ transferId: b.transferId, seq: b.seq, batchHash: bHash, records: b.records.length });
    if (b.details !== expectedDetails) throw chain(`the ledger details do not name this batch (expected ${expectedDetails})`);
    if (e.detailsHash !== sha256Hex(b.details)) throw chain(`the ledger entry's detailsHash ${e.detailsHash ?? 'null'} is not the hash of the details`);
    if (e.action !== 'transfers.batch.sent' || e.resource !== `transfer:${b.transferId}/batch/${b.seq}`) {
      throw chain(`the ledger entry ${e.seq} is ${e.action} on ${e.resource}, not this batch's transfers.batch.sent`);
    }
    const leaf = leafHash(entryBytes(e));
    if (toHex(leaf) !== e.leafHash) throw chain(`the ledger entry ${e.seq} does not hash to its leafHash`);
    // The checkpoint: signed by the source, its origin the source.
    const cp = b.checkpoint;
    if (!verifyCheckpointSignature(cp.body, cp.signature, src.public_key)) {
      throw chain(`the checkpoint (tree size ${cp.treeSize}) is not signed by the source's pinned key ${src.key_id}`);
    }
    let body;
    try {
      body = parseCheckpointBody(cp.body);
    } catch (err) {
      throw chain(`the checkpoint body is malformed: ${(err as Error).message}`);
    }
    if (body.origin !== src.node) throw chain(`the checkpoint is of ${body.origin}, not the source ${src.node}`);
    const ip = b.inclusionProof;
    if (ip.seq !== e.seq || ip.treeSize !== body.treeSize || ip.leafHash !== e.leafHash || ip.rootHash !== body.rootHash) {
      throw chain(`the inclusion proof is for entry ${ip.seq} in a tree of ${ip.treeSize}, not entry ${e.seq} in the signed checkpoint of ${body.treeSize}`);
    }
    let proof: Uint8Array[];
    try {
      proof = ip.proof.map(fromHex);
    } catch {
      throw chain('the inclusion proof holds a value that is not hex');
    }
    if (!verifyInclusion(e.seq, body.treeSize, leaf, proof, fromHex(body.rootHash))) {
      throw chain(
        `the batch's ledger entry ${e.seq} is not included in the source's signed checkpoint of tree size ${body.treeSize} (the inclusion proof fails)`,
      );
    }
    // Consistency with the last source checkpoint this replica verified.
    if (last) {
      if (body.treeSize < last.tree_size) {
        throw chain(`the checkpoint (tree size ${body.treeSize}) is older than the source checkpoint already verified (tree size ${last.tree_size})`);
      }
      if (body.treeSize === last.tree_size) {
        if (body.rootHash !== last.root_hash)
          throw chain(`the checkpoint of tree size ${body.treeSize} has another root than the one already verified: the source's ledger forked`);
      } else {
        const c = b.consistencyProof;
        if (!c) throw chain(`no consistency proof from the source checkpoint already verified (tree size ${last.tree_size}) to ${body.treeSize}`);
        if (c.from !== last.tree_size || c.to !== body.treeSize) {
          throw chain(`the consistency proof is from ${c.from} to ${c.to}; this replica needs one from ${last.tree_size} to ${body.treeSize}`);
        }
        let cproof: Uint8Array[];
        try {
          cproof = c.proof.map(fromHex);
        } catch {
          throw chain('the consistency proof holds a value that is not hex');
        }
        if (!verifyConsistency(last.tree_size, body.treeSize, fromHex(last.root_hash), fromHex(body.rootHash), cproof)) {
          throw chain(
            `the source's checkpoint of tree size ${body.treeSize} is not consistent with the one verified at ${last.tree_size} (the ledger was rewritten)`,
          );
        }
      }
    }
    return body;
  };

  const refusalOf = async (
    err: BatchRefusal,
    who: { actorType: 'anonymous' | 'system'; actorId: string },
    resource: string,
    meta: RequestMeta,
    details: Record<string, unknown>,
  ): Promise<HttpProblem> =>
    refuse(
      deps,
      who,
      'replication.batch.refused',
      resource,
      meta,
      new HttpProblem(err.status, err.type, err.title, err.detail, undefined, undefined, err.extensions),
      details,
    );

  return {
    pin,

    async receiveBatch(b, meta) {
      const resource = `transfer:${b.transferId}/batch/${b.seq}`;
      const who = { actorType: 'anonymous' as const, actorId: meta.ip };
      const claimed = { source: b.manifest.source.node, seq: b.seq, batchHash: b.batchHash, records: b.records.length };
      try {
        return await serial(b.transferId, async () => {
          const src = await source();
          const mHash = checkManifest(src, b.transferId, b.manifest, b.approvals);
          const inbound = await repo.findInbound(ctx.db, b.transferId);
          if (inbound) {
            if (inbound.manifest_hash !== mHash)
              throw notAuthorised(`transfer ${b.transferId} was received with manifest hash ${inbound.manifest_hash}, not ${mHash}`);
            if (inbound.status === 'revoked') {
              throw new BatchRefusal(
                409,
                PROBLEM_TYPES.transferRevoked,
                'Transfer revoked',
                `transfer ${b.transferId} was revoked by its source at ${new Date(inbound.revoked_ms ?? 0).toISOString()}: no further batch is accepted`,
              );
            }
          }
          const lastSeq = inbound?.last_seq ?? 0;
          if (b.seq <= lastSeq) {
            // The very batch last accepted, sent again (its answer was lost on the way back): still refused, nothing is
            // written twice, but the source is handed the receipt it missed so that it can record it and go on.
            const again = inbound && b.seq === lastSeq && b.batchHash === inbound.last_batch_hash && inbound.last_receipt;
            throw new BatchRefusal(
              409,
              PROBLEM_TYPES.batchReplayed,
              'Batch replayed',
              `batch ${b.seq} of transfer ${b.transferId} was already received (the last received is ${lastSeq}, hash ${inbound?.last_batch_hash ?? 'none'})` +
                (again ? '; its signed receipt is repeated in "receipt"' : ''),
              again ? { receipt: JSON.parse(again) as unknown } : undefined,
            );
          }
          if (inbound?.status === 'completed') throw notAuthorised(`transfer ${b.transferId} is complete: its final batch ${lastSeq} was received`);
          if (b.seq !== lastSeq + 1) throw chain(`batch ${b.seq} does not follow the last batch received (${lastSeq}): batch ${lastSeq + 1} is expected`);
          const expectedPrev = inbound?.last_batch_hash ?? null;
          if (b.prevBatchHash !== expectedPrev) {
            throw chain(
              `prevBatchHash ${b.prevBatchHash ?? 'null'} is not the hash of the last batch received (${expectedPrev ?? 'null: this is the first batch'})`,
            );
          }
          const last = await repo.findSourceCheckpoint(ctx.db, src.public_key);
          const cp = checkProofs(src, b, mHash, last);
          const ds = deps.datasets.get(b.manifest.dataset)!;
          const now = deps.now();
          try {
            await ctx.unitOfWork(async (tx) => {
              if (!inbound) {
                await repo.insertInbound(tx, {
                  transferId: b.transferId,
                  sourceNode: src.node,
                  sourceKey: src.public_key,
                  dataset: b.manifest.dataset,
                  manifest: canonicalJson(b.manifest),
                  manifestHash: mHash,
                  approvals: JSON.stringify(b.approvals),
                  expiresAt: new Date(b.manifest.expiresAt),
                  status: 'receiving',
                  now,
                });
              }
              if (
                !(await repo.advanceInbound(tx, {
                  transferId: b.transferId,
                  seq: b.seq,
                  batchHash: b.batchHash,
                  records: b.records.length,
                  now,
                  completed: b.final,
                }))
              ) {
                throw chain(`batch ${b.seq} no longer follows the chain (a concurrent delivery moved it)`);
              }
              await ds.definition.write(tx, b.records);
              await repo.saveSourceCheckpoint(tx, {
                sourceKey: src.public_key,
                treeSize: cp.treeSize,
                rootHash: cp.rootHash,
                body: b.checkpoint.body,
                signature: b.checkpoint.signature,
                at: now,
              });
              await ctx.ledger.appendInTx(tx, {
                actorType: 'system',
                actorId: `node:${src.node}`,
                action: 'replication.batch.received',
                resource,
                outcome: 'allowed',
                requestId: meta.requestId,
                details: {
                  transferId: b.transferId,
                  seq: b.seq,
                  batchHash: b.batchHash,
                  records: b.records.length,
                  dataset: b.manifest.dataset,
                  manifestHash: mHash,
                  sourceLedgerSeq: b.ledgerEntry.seq,
                  sourceTreeSize: cp.treeSize,
                  sourceRootHash: cp.rootHash,
                  final: b.final,
                },
              });
              if (b.final) {
                await ctx.ledger.appendInTx(tx, {
                  actorType: 'system',
                  actorId: `node:${src.node}`,
                  action: 'replication.transfer.completed',
                  resource: `transfer:${b.transferId}`,
                  outcome: 'allowed',
                  requestId: meta.requestId,
                  details: { transferId: b.transferId, batches: b.seq, records: (inbound?.records ?? 0) + b.records.length },
                });
              }
            });
          } catch (err) {
            if (err instanceof BatchRefusal) throw err;
            // The dataset refused a record (validation) or the write failed: nothing of the batch was kept.
            const e = err as { code?: string; message?: string };
            if (typeof e.code === 'string' && !/^2[23]/.test(e.code)) throw err;
            throw new BatchRefusal(
              422,
              PROBLEM_TYPES.validation,
              'Records refused',
              `the dataset ${b.manifest.dataset} refused batch ${b.seq}: ${e.message ?? String(err)}`,
            );
          }
          await ledger.flush();
          const seqRow = await ledger.listEntries({ action: 'replication.batch.received', resource, limit: 1 });
          const stored = await repo.findSourceCheckpoint(ctx.db, src.public_key);
          const unsigned: UnsignedReceipt = {
            transferId: b.transferId,
            batchSeq: b.seq,
            batchHash: b.batchHash,
            records: b.records.length,
            receivedAt: now.toISOString(),
            replicaNode: ctx.node.name,
            replicaLedgerSeq: seqRow.items[0]?.seq ?? null,
            sourceTreeSize: stored?.tree_size ?? cp.treeSize,
          };
          const receipt: ReplicationReceipt = { ...unsigned, signature: signHashWith((d) => ctx.node.sign(d), receiptHash(unsigned)) };
          await repo.saveInboundReceipt(ctx.db, b.transferId, b.seq, canonicalJson({ ...receipt }));
          return receipt;
        });
      } catch (err) {
        if (err instanceof BatchRefusal) throw await refusalOf(err, who, resource, meta, claimed);
        throw err;
      }
    },

    async receiveRevocation(n, meta) {
      const resource = `transfer:${n.transferId}`;
      const who = { actorType: 'anonymous' as const, actorId: meta.ip };
      const fail = async (err: BatchRefusal): Promise<never> => {
        throw await refuse(deps, who, 'replication.revocation.refused', resource, meta, problem(err.status, err.type, err.title, err.detail), {
          source: n.manifest.source.node,
        });
      };
      let src: repo.ReplicaSourceRow;
      try {
        src = await source();
      } catch (err) {
        if (err instanceof BatchRefusal) return fail(err);
        throw err;
      }
      const mHash = hashManifest(n.manifest);
      if (mHash !== n.manifestHash || n.manifest.id !== n.transferId)
        return fail(notAuthorised(`the notice's manifest does not hash to ${n.manifestHash} or is for another transfer`));
      if (n.manifest.destination.node !== ctx.node.name)
        return fail(notAuthorised(`the notice concerns a transfer to ${n.manifest.destination.node}, not this node`));
      if (verifyHashSignature(revocationHash(n), n.signature, src.public_key) !== 'raw') {
        return fail(badSignature(`the revocation notice is not signed by the source's pinned key ${src.key_id}`));
      }
      const at = new Date(n.revokedAt);
      if (Number.isNaN(at.getTime())) return fail(new BatchRefusal(400, PROBLEM_TYPES.validation, 'Invalid request', 'revokedAt is not a date-time'));
      await serial(n.transferId, () =>
        ctx.unitOfWork(async (tx) => {
          const inbound = await repo.findInbound(tx, n.transferId, true);
          if (!inbound) {
            await repo.insertInbound(tx, {
              transferId: n.transferId,
              sourceNode: src.node,
              sourceKey: src.public_key,
              dataset: n.manifest.dataset,
              manifest: canonicalJson(n.manifest),
              manifestHash: mHash,
              approvals: '[]',
              expiresAt: new Date(n.manifest.expiresAt),
              status: 'receiving',
              now: at,
            });
          }
          await repo.revokeInbound(tx, n.transferId, at, n.reason);
          await ctx.ledger.appendInTx(tx, {
            actorType: 'system',
            actorId: `node:${src.node}`,
            action: 'replication.transfer.revoked',
            resource,
            outcome: 'allowed',
            requestId: meta.requestId,
            details: {
              transferId: n.transferId,
              revokedAt: n.revokedAt,
              reason: n.reason,
              batchesReceived: inbound?.last_seq ?? 0,
              records: inbound?.records ?? 0,
            },
          });
        }),
      );
      return { transferId: n.transferId, status: 'revoked', at: deps.now().toISOString() };
    },
  };
}
