/**
 * Transfers: requested (the manifest fixed and hashed), approved by M of the
 * N officials designated for the dataset (each an Ed25519 signature over the
 * manifest hash), executed (everything re-checked, the peer made to prove
 * itself), revoked (flow stops at once) or expired. Every step and every
 * refusal is ledgered with its precise reason.
 */
import { randomUUID } from 'node:crypto';
import {
  PROBLEM_TYPES,
  canonicalJson,
  manifestHash as hashManifest,
  publicKeyId,
  type ApprovalBody,
  type ManifestForSigning,
  type RevokeBody,
  type Transfer,
  type TransferBody,
  type TransferCreated,
  type TransferList,
  type TransferListQuery,
  type TransferManifest,
} from '@kotwal/contracts';
import { EgressRefusedError, EgressRequestError } from '#core/egress/index.ts';
import { HttpProblem, problems } from '#core/http/problem.ts';
import type { Queryable } from '#core/db/index.ts';
import { approvalLedgerSeqs, checkApproval, parseApproverKey, recordApproval, refuseIfConcurrentDuplicate, validApprovalKeys } from './approvals.ts';
import { IdentityFetchError } from './identity.ts';
import * as repo from './repository.ts';
import { effectiveJurisdictions, parseManifest, presentApproval, presentReceipt, presentTransfer } from './presenters.ts';
import { isUuid, problem, refuse, type Actor, type RequestMeta, type SovDeps } from './service-support.ts';
import type { SetupService } from './setup-service.ts';

export interface TransferService {
  request(actor: Actor, body: TransferBody, meta: RequestMeta): Promise<TransferCreated>;
  list(q: TransferListQuery): Promise<TransferList>;
  get(id: string): Promise<Transfer>;
  manifest(id: string): Promise<ManifestForSigning>;
  approve(id: string, body: ApprovalBody, meta: RequestMeta): Promise<Transfer>;
  execute(actor: Actor, id: string, meta: RequestMeta): Promise<Transfer>;
  revoke(actor: Actor, id: string, body: RevokeBody, meta: RequestMeta): Promise<Transfer>;
  /** Marks transfers past their expiry as expired (ledgered, event); returns how many. */
  sweepExpired(): Promise<number>;
  /** Marks one transfer expired if it is past its expiry and still active. */
  expireOne(id: string): Promise<boolean>;
}

/** What execute hands the runner (replication push, or export bundle). */
export interface TransferRunner {
  start(transferId: string): void;
  /** Stops further batches of a revoked transfer at once, and notifies the destination (best effort). */
  revoked(transferId: string, revokedAt: Date, reason: string | null): Promise<void>;
}

const field = (f: string, message: string) => [{ field: `/${f}`, message }];
const TRANSFER_NOT_FOUND = (id: string) => new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', `there is no transfer with id ${id}`);

export function createTransferService(deps: SovDeps, setup: SetupService, runner: TransferRunner): TransferService {
  const { ctx } = deps;

  const present = async (q: Queryable, row: repo.TransferRow): Promise<Transfer> => {
    const approvals = await repo.approvalsOf(q, row.id);
    const resources = approvals.map((a) => `transfer:${row.id}/approval/${a.key_id}`);
    const seqs = await approvalLedgerSeqs(q, 'transfer', resources);
    const manifest = parseManifest(row);
    const valid = validApprovalKeys(manifest, row.manifest_hash, approvals);
    const receipts = (await repo.receiptsOf(q, row.id, 100)).map(presentReceipt);
    return presentTransfer(
      row,
      approvals.map((a) => presentApproval(a, seqs.get(`transfer:${row.id}/approval/${a.key_id}`) ?? null)),
      receipts,
      valid.size,
    );
  };

  const load = async (id: string): Promise<repo.TransferRow> => {
    const row = isUuid(id) ? await repo.findTransfer(ctx.db, id) : null;
    if (!row) throw TRANSFER_NOT_FOUND(id);
    return row;
  };

  const expired = (row: repo.TransferRow): boolean => row.expires_ms <= deps.now().getTime();

  const expireOne = async (id: string): Promise<boolean> => {
    const done = await ctx.unitOfWork(async (tx) => {
      const t = await repo.findTransfer(tx, id, true);
      if (!t || !['pending-approval', 'approved', 'executing'].includes(t.status) || t.expires_ms > deps.now().getTime()) return false;
      await repo.setTransferStatus(tx, id, 'expired');
      await ctx.ledger.appendInTx(tx, {
        actorType: 'system',
        actorId: `node:${ctx.node.name}`,
        action: 'transfers.transfer.expired',
        resource: `transfer:${id}`,
        outcome: 'allowed',
        details: { expiresAt: new Date(t.expires_ms).toISOString(), previousStatus: t.status, recordsSent: Number(t.records_sent) },
      });
      await ctx.events.emit(tx, 'core.transfer.expired', { transferId: id });
      return true;
    });
    return done;
  };

  /** The policy's verdict on a destination: null when allowed, else the precise reason. */
  const policyVerdict = (policy: repo.PolicyRow, dataset: string, node: string, jurisdiction: string): string | null => {
    const allowed = effectiveJurisdictions(policy, ctx.node.jurisdiction);
    if (policy.allowed_destinations.includes(node) || allowed.includes(jurisdiction)) return null;
    return (
      `the destination jurisdiction ${jurisdiction} is outside the policy of ${dataset} (allowed jurisdictions: ${allowed.join(', ')}` +
      `${policy.allowed_jurisdictions.length ? '' : ', this node\u2019s own by default'}; nodes named: ${policy.allowed_destinations.join(', ') || 'none'}), ` +
      'so it is refused whatever the approvals unless the policy names the node'
    );
  };

  /** Explains why a key is not among a manifest's approvers. */
  const notDesignatedReason = async (manifest: TransferManifest, key: string, createdMs: number): Promise<string> => {
    const rows = await repo.approversByKey(ctx.db, key);
    const keyId = publicKeyId(key);
    const sameDataset = rows.find((r) => r.scope === manifest.dataset);
    if (sameDataset && sameDataset.removed_ms === null && sameDataset.created_ms > createdMs) {
      return `the key ${keyId} was designated for ${manifest.dataset} at ${new Date(sameDataset.created_ms).toISOString()}, after this transfer was requested; the manifest names the approvers as they stood at the request`;
    }
    if (sameDataset && sameDataset.removed_ms !== null) {
      return `the key ${keyId} was designated for ${manifest.dataset} but is not among this manifest's approvers (removed at ${new Date(sameDataset.removed_ms).toISOString()})`;
    }
    const others = [...new Set(rows.filter((r) => r.scope !== manifest.dataset && r.removed_ms === null).map((r) => r.scope))];
    if (others.length) return `the key ${keyId} is designated for ${others.join(', ')}, not for ${manifest.dataset}`;
    return `the key ${keyId} is not a designated approver of ${manifest.dataset} (nor of any dataset)`;
  };

  return {
    expireOne,

    async request(actor, body, meta) {
      const ds = deps.datasets.get(body.dataset);
      if (!ds) {
        throw problems.validation(
          `dataset: there is no dataset "${body.dataset}" (datasets: ${[...deps.datasets.keys()].sort().join(', ') || 'none'})`,
          field('dataset', 'unknown dataset'),
        );
      }
      const kind = body.kind ?? 'replication';
      const filter = body.filter ?? {};
      const known = new Set(ds.definition.filters ?? []);
      for (const k of Object.keys(filter)) {
        if (!known.has(k)) {
          throw problems.validation(
            `filter: ${body.dataset} has no filter "${k}" (filters: ${[...known].join(', ') || 'none'})`,
            field(`filter/${k}`, 'unknown filter'),
          );
        }
      }
      const items = [...new Set(body.items ?? [])].sort();
      if (kind === 'evidence-share' && !items.length) throw problems.validation('items: an evidence share names its items', field('items', 'is empty'));
      const now = deps.now();
      const expiresAt = new Date(body.expiresAt);
      if (Number.isNaN(expiresAt.getTime())) throw problems.validation('expiresAt is not a date-time', field('expiresAt', 'invalid date-time'));
      if (expiresAt <= now) throw problems.validation(`expiresAt ${expiresAt.toISOString()} is in the past`, field('expiresAt', 'must be in the future'));
      if (body.destinationNode === ctx.node.name) throw problems.validation('destinationNode is this node', field('destinationNode', 'is this node'));

      const policy = await repo.findPolicy(ctx.db, body.dataset);
      if (!policy) throw problems.conflict(`${body.dataset} has no transfer policy: set one with PUT /api/v1/transfers/policy (threshold M of N approvers)`);
      const approvers = await repo.listActiveApprovers(ctx.db, body.dataset);
      if (approvers.length < policy.threshold) {
        throw problems.conflict(
          `${body.dataset} needs ${policy.threshold} approvals but only ${approvers.length} approver${approvers.length === 1 ? ' is' : 's are'} designated: designate at least ${policy.threshold - approvers.length} more`,
        );
      }

      let destination: TransferManifest['destination'];
      let refusal: { type: string; detail: string } | null = null;
      if (kind === 'export') {
        destination = { node: body.destinationNode, jurisdiction: body.destinationJurisdiction, publicKey: null, address: null };
      } else {
        const peer = await repo.findActivePeerByName(ctx.db, body.destinationNode);
        if (!peer) {
          throw problems.validation(
            `destinationNode: "${body.destinationNode}" is not a registered peer; register it with POST /api/v1/transfers/peers`,
            field('destinationNode', 'not a registered peer'),
          );
        }
        destination = { node: peer.name, jurisdiction: body.destinationJurisdiction, publicKey: peer.public_key, address: peer.address };
        if (peer.jurisdiction !== body.destinationJurisdiction) {
          refusal = {
            type: PROBLEM_TYPES.peerMismatch,
            detail: `the registered peer ${peer.name} is in ${peer.jurisdiction}, not ${body.destinationJurisdiction} as the transfer states`,
          };
        }
      }
      const verdict = policyVerdict(policy, body.dataset, body.destinationNode, body.destinationJurisdiction);
      if (verdict) refusal = { type: PROBLEM_TYPES.destinationNotAllowed, detail: verdict };

      const id = randomUUID();
      const manifest: TransferManifest = {
        version: 1,
        id,
        kind,
        dataset: body.dataset,
        filter,
        items,
        source: { node: ctx.node.name, jurisdiction: ctx.node.jurisdiction, publicKey: ctx.node.publicKey },
        destination,
        purpose: body.purpose,
        legalBasis: body.legalBasis,
        expiresAt: expiresAt.toISOString(),
        requestedAt: now.toISOString(),
        requestedBy: actor.name,
        approvers: { threshold: policy.threshold, publicKeys: approvers.map((a) => a.public_key).sort() },
      };
      const hash = hashManifest(manifest);
      const status = refusal ? 'refused' : 'pending-approval';
      await ctx.unitOfWork(async (tx) => {
        await repo.insertTransfer(tx, {
          id,
          dataset: body.dataset,
          kind,
          destinationNode: body.destinationNode,
          manifest: canonicalJson(manifest),
          manifestHash: hash,
          status,
          refusalType: refusal?.type ?? null,
          refusalDetail: refusal?.detail ?? null,
          expiresAt,
          now,
          by: actor.name,
        });
        await ctx.ledger.appendInTx(tx, {
          actorType: actor.type,
          actorId: actor.id,
          action: 'transfers.transfer.requested',
          resource: `transfer:${id}`,
          outcome: 'allowed',
          requestId: meta.requestId,
          details: {
            manifestHash: hash,
            kind,
            dataset: body.dataset,
            destinationNode: body.destinationNode,
            destinationJurisdiction: body.destinationJurisdiction,
            purpose: body.purpose,
            legalBasis: body.legalBasis,
            expiresAt: manifest.expiresAt,
            threshold: policy.threshold,
            approvers: manifest.approvers.publicKeys.length,
          },
        });
        await ctx.events.emit(
          tx,
          'core.transfer.requested',
          { transferId: id, dataset: body.dataset, destinationNode: body.destinationNode, destinationJurisdiction: body.destinationJurisdiction },
          { requestId: meta.requestId },
        );
        if (refusal) {
          await ctx.ledger.appendInTx(tx, {
            actorType: actor.type,
            actorId: actor.id,
            action: 'transfers.transfer.refused',
            resource: `transfer:${id}`,
            outcome: 'denied',
            requestId: meta.requestId,
            details: { type: refusal.type, reason: refusal.detail },
          });
          await ctx.events.emit(tx, 'core.transfer.refused', { transferId: id, reason: refusal.detail }, { requestId: meta.requestId });
        }
      });
      return { id, manifestHash: hash, status };
    },

    async list(q) {
      const rows = await repo.listTransfers(ctx.db, {
        status: q.status,
        dataset: q.dataset,
        before: q.before ? new Date(q.before) : undefined,
        limit: (q.limit ?? 50) + 1,
      });
      const limit = q.limit ?? 50;
      const page = rows.slice(0, limit);
      const items = [];
      for (const r of page) items.push(await present(ctx.db, r));
      return { items, next: rows.length > limit && page.length ? new Date(page[page.length - 1].created_ms).toISOString() : null };
    },

    async get(id) {
      return present(ctx.db, await load(id));
    },

    async manifest(id) {
      const row = await load(id);
      return { id: row.id, manifestHash: row.manifest_hash, manifest: parseManifest(row), status: row.status };
    },

    async approve(id, body, meta) {
      const { key, keyId } = parseApproverKey(body.publicKey);
      const who = { actorType: 'system' as const, actorId: `approver:${keyId}` };
      const resource = `transfer:${id}`;
      const refusal = (status: number, type: string, title: string, detail: string) =>
        refuse(deps, who, 'transfers.approval.refused', resource, meta, problem(status, type, title, detail), { publicKey: key, keyId });

      const row = isUuid(id) ? await repo.findTransfer(ctx.db, id) : null;
      if (!row) throw await refusal(404, PROBLEM_TYPES.notFound, 'Not found', `there is no transfer with id ${id}`);
      const manifest = parseManifest(row);
      const form = await checkApproval(ctx.db, {
        kind: 'transfer',
        id,
        manifestHash: row.manifest_hash,
        approvers: manifest.approvers.publicKeys,
        key,
        keyId,
        signature: body.signature,
        notDesignatedReason: () => notDesignatedReason(manifest, key, row.created_ms),
        manifestsNamingKey: async (k, excludeId, limit) =>
          (await repo.transfersNamingKey(ctx.db, k, excludeId, limit)).map((t) => ({ kind: 'transfer', id: t.id, manifest_hash: t.manifest_hash })),
        refusal,
      });
      if (row.status === 'expired' || expired(row)) {
        throw await refusal(410, PROBLEM_TYPES.transferExpired, 'Transfer expired', `transfer ${id} expired at ${new Date(row.expires_ms).toISOString()}`);
      }
      if (row.status === 'revoked') {
        throw await refusal(
          409,
          PROBLEM_TYPES.transferRevoked,
          'Transfer revoked',
          `transfer ${id} was revoked at ${new Date(row.revoked_ms ?? 0).toISOString()} by ${row.revoked_by ?? 'unknown'}${row.revoke_reason ? `: ${row.revoke_reason}` : ''}`,
        );
      }
      if (!['pending-approval', 'approved', 'refused'].includes(row.status)) {
        throw await refusal(409, PROBLEM_TYPES.conflict, 'Conflict', `transfer ${id} is ${row.status}; approvals are closed`);
      }
      const designation = (await repo.approversByKey(ctx.db, key)).find((a) => a.scope === manifest.dataset);
      const approverName = designation?.name ?? keyId;
      try {
        const result = await ctx.unitOfWork(async (tx) => {
          const t = (await repo.findTransfer(tx, id, true))!;
          await recordApproval(tx, ctx.ledger, {
            kind: 'transfer',
            approvalId: randomUUID(),
            subjectId: id,
            manifestHash: t.manifest_hash,
            key,
            keyId,
            approverName,
            signature: body.signature,
            form,
            at: deps.now(),
            actor: who,
            requestId: meta.requestId,
          });
          const valid = validApprovalKeys(manifest, t.manifest_hash, await repo.approvalsOf(tx, id));
          if (t.status === 'pending-approval' && valid.size >= manifest.approvers.threshold) {
            await repo.setTransferStatus(tx, id, 'approved');
            await ctx.ledger.appendInTx(tx, {
              actorType: 'system',
              actorId: `node:${ctx.node.name}`,
              action: 'transfers.transfer.approved',
              resource: `transfer:${id}`,
              outcome: 'allowed',
              requestId: meta.requestId,
              details: { approvals: valid.size, threshold: manifest.approvers.threshold, manifestHash: t.manifest_hash },
            });
            await ctx.events.emit(tx, 'core.transfer.approved', { transferId: id, approvals: valid.size }, { requestId: meta.requestId });
          }
          return (await repo.findTransfer(tx, id))!;
        });
        return await present(ctx.db, result);
      } catch (err) {
        // Two submissions of the same signature at once: the unique index decides.
        await refuseIfConcurrentDuplicate(err, refusal);
        throw err;
      }
    },

    async execute(actor, id, meta) {
      const who = { actorType: actor.type, actorId: actor.id };
      const resource = `transfer:${id}`;
      const refusal = (status: number, type: string, title: string, detail: string) =>
        refuse(deps, who, 'transfers.execute.refused', resource, meta, problem(status, type, title, detail));
      const row = await load(id);
      const manifest = parseManifest(row);
      if (row.status === 'refused') {
        const status = 403;
        const type = row.refusal_type ?? PROBLEM_TYPES.destinationNotAllowed;
        throw await refusal(
          status,
          type,
          'Transfer refused',
          `transfer ${id} was refused at its request and cannot execute whatever the approvals: ${row.refusal_detail ?? ''}`,
        );
      }
      if (row.status === 'revoked') {
        throw await refusal(
          409,
          PROBLEM_TYPES.transferRevoked,
          'Transfer revoked',
          `transfer ${id} was revoked at ${new Date(row.revoked_ms ?? 0).toISOString()}`,
        );
      }
      if (row.status === 'expired' || expired(row)) {
        await expireOne(id);
        throw await refusal(410, PROBLEM_TYPES.transferExpired, 'Transfer expired', `transfer ${id} expired at ${new Date(row.expires_ms).toISOString()}`);
      }
      if (row.status !== 'approved' && row.status !== 'pending-approval') {
        throw await refusal(409, PROBLEM_TYPES.conflict, 'Conflict', `transfer ${id} is ${row.status}; only an approved transfer executes`);
      }
      // Approvals re-verified now: valid signatures by keys the manifest names that are still designated.
      const approvals = await repo.approvalsOf(ctx.db, id);
      const valid = validApprovalKeys(manifest, row.manifest_hash, approvals);
      const active = new Set((await repo.listActiveApprovers(ctx.db, manifest.dataset)).map((a) => a.public_key));
      const counted = [...valid].filter((k) => active.has(k));
      const policy = await repo.findPolicy(ctx.db, manifest.dataset);
      const needed = Math.max(manifest.approvers.threshold, policy?.threshold ?? 0);
      if (counted.length < needed) {
        const dropped = valid.size - counted.length;
        throw await refusal(
          403,
          PROBLEM_TYPES.approvalsMissing,
          'Approvals missing',
          `transfer ${id} has ${counted.length} valid approval${counted.length === 1 ? '' : 's'} of the ${needed} needed` +
            (dropped ? ` (${dropped} by an approver no longer designated)` : '') +
            (needed > manifest.approvers.threshold ? ` (the policy now requires ${needed})` : ''),
        );
      }
      if (!policy)
        throw await refusal(403, PROBLEM_TYPES.destinationNotAllowed, 'Destination not allowed', `${manifest.dataset} has no transfer policy any more`);
      const verdict = policyVerdict(policy, manifest.dataset, manifest.destination.node, manifest.destination.jurisdiction);
      if (verdict)
        throw await refusal(403, PROBLEM_TYPES.destinationNotAllowed, 'Destination not allowed', `the policy now refuses this destination: ${verdict}`);
      if (manifest.kind !== 'export') {
        const peer = await repo.findActivePeerByName(ctx.db, manifest.destination.node);
        if (!peer) {
          throw await refusal(403, PROBLEM_TYPES.peerMismatch, 'Peer mismatch', `the destination ${manifest.destination.node} is no longer a registered peer`);
        }
        if (peer.address !== manifest.destination.address) {
          throw await refusal(
            403,
            PROBLEM_TYPES.peerMismatch,
            'Peer mismatch',
            `the peer ${peer.name} is now registered at ${peer.address}, not ${manifest.destination.address ?? '(none)'} as the manifest states`,
          );
        }
        let mismatches: string[];
        try {
          mismatches = await setup.verifyPeer(peer, { publicKey: manifest.destination.publicKey, jurisdiction: manifest.destination.jurisdiction });
        } catch (err) {
          if (err instanceof IdentityFetchError && err.kind === 'invalid') mismatches = [err.message];
          else if (err instanceof IdentityFetchError || err instanceof EgressRequestError || err instanceof EgressRefusedError) {
            // 409, not 502: the request is sound, the transfer cannot run until the peer proves itself (retry later).
            throw await refusal(
              409,
              PROBLEM_TYPES.peerMismatch,
              'Peer unreachable',
              `the peer ${peer.name} could not prove its identity before execution: ${err.message}`,
            );
          } else throw err;
        }
        if (mismatches.length) {
          throw await refusal(
            403,
            PROBLEM_TYPES.peerMismatch,
            'Peer mismatch',
            `the peer ${peer.name} at ${peer.address} does not match: ${mismatches.join('; ')}`,
          );
        }
      }
      const started = await ctx.unitOfWork(async (tx) => {
        const t = (await repo.findTransfer(tx, id, true))!;
        if (t.status !== 'approved' && t.status !== 'pending-approval') return null;
        await repo.setTransferStatus(tx, id, 'executing', { executedAt: deps.now() });
        await ctx.ledger.appendInTx(tx, {
          actorType: actor.type,
          actorId: actor.id,
          action: 'transfers.transfer.executed',
          resource,
          outcome: 'allowed',
          requestId: meta.requestId,
          details: { manifestHash: t.manifest_hash, approvals: counted.length, kind: manifest.kind, destination: manifest.destination },
        });
        await ctx.events.emit(tx, 'core.transfer.executed', { transferId: id }, { requestId: meta.requestId });
        return (await repo.findTransfer(tx, id))!;
      });
      if (!started) throw await refusal(409, PROBLEM_TYPES.conflict, 'Conflict', `transfer ${id} changed while it was being checked; fetch it and try again`);
      runner.start(id);
      return present(ctx.db, started);
    },

    async revoke(actor, id, body, meta) {
      const reason = body.reason?.trim() || null;
      const now = deps.now();
      const row = await ctx.unitOfWork(async (tx) => {
        const t = isUuid(id) ? await repo.findTransfer(tx, id, true) : null;
        if (!t) throw TRANSFER_NOT_FOUND(id);
        if (!['pending-approval', 'approved', 'executing', 'refused'].includes(t.status)) {
          throw new HttpProblem(
            409,
            t.status === 'revoked' ? PROBLEM_TYPES.transferRevoked : PROBLEM_TYPES.conflict,
            'Conflict',
            `transfer ${id} is ${t.status}; there is no flow left to revoke`,
          );
        }
        await repo.setTransferStatus(tx, id, 'revoked', { revokedAt: now, revokedBy: actor.name, revokeReason: reason });
        await ctx.ledger.appendInTx(tx, {
          actorType: actor.type,
          actorId: actor.id,
          action: 'transfers.transfer.revoked',
          resource: `transfer:${id}`,
          outcome: 'allowed',
          requestId: meta.requestId,
          details: { reason, previousStatus: t.status, recordsSent: Number(t.records_sent), batchesSent: t.batches_sent },
        });
        await ctx.events.emit(tx, 'core.transfer.revoked', { transferId: id, by: actor.name }, { requestId: meta.requestId });
        return t;
      });
      await runner.revoked(id, now, reason);
      void row;
      return present(ctx.db, await load(id));
    },

    async sweepExpired() {
      let n = 0;
      for (const t of await repo.dueForExpiry(ctx.db, deps.now())) if (await expireOne(t.id)) n++;
      return n;
    },
  };
}
