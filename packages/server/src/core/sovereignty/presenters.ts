/** Rows of core/sovereignty's tables to their API shapes. */
import type {
  Approver,
  Peer,
  Policy,
  ReplicationReceipt,
  Transfer,
  TransferApproval,
  TransferManifest,
  TransferReceipt,
  TransferStatus,
} from '@kotwal/contracts';
import type { ApprovalRow, ApproverRow, BatchRow, PeerRow, PolicyRow, TransferRow } from './repository.ts';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function presentPeer(r: PeerRow): Peer {
  return {
    id: r.id,
    name: r.name,
    address: r.address,
    publicKey: r.public_key,
    keyId: r.key_id,
    jurisdiction: r.jurisdiction,
    status: r.status,
    createdAt: iso(r.created_ms),
    createdBy: r.created_by,
    lastVerifiedAt: isoOrNull(r.verified_ms),
  };
}

export function presentApprover(r: ApproverRow): Approver {
  return {
    id: r.id,
    scope: r.scope,
    name: r.name,
    publicKey: r.public_key,
    keyId: r.key_id,
    createdAt: iso(r.created_ms),
    createdBy: r.created_by,
    removedAt: isoOrNull(r.removed_ms),
  };
}

/** Jurisdictions a policy allows: the stored list, or the node's own when it is empty. */
export function effectiveJurisdictions(p: Pick<PolicyRow, 'allowed_jurisdictions'> | null, own: string): string[] {
  return p && p.allowed_jurisdictions.length ? p.allowed_jurisdictions : [own];
}

export function presentPolicy(r: PolicyRow, approvers: number, ownJurisdiction: string): Policy {
  return {
    scope: r.scope,
    threshold: r.threshold,
    allowedJurisdictions: effectiveJurisdictions(r, ownJurisdiction),
    allowedDestinations: r.allowed_destinations,
    approvers,
    updatedAt: iso(r.updated_ms),
    updatedBy: r.updated_by,
  };
}

export function presentApproval(r: ApprovalRow, ledgerSeq: number | null): TransferApproval {
  return {
    id: r.id,
    publicKey: r.public_key,
    keyId: r.key_id,
    approverName: r.approver_name,
    signature: r.signature,
    signedForm: r.signed_form,
    at: iso(r.at_ms),
    ledgerSeq,
  };
}

export function presentReceipt(b: BatchRow): TransferReceipt {
  const receipt = JSON.parse(b.receipt ?? '{}') as Partial<ReplicationReceipt>;
  return {
    batchSeq: b.seq,
    batchHash: b.batch_hash,
    records: b.records,
    receivedAt: receipt.receivedAt ?? iso(b.received_ms ?? b.sent_ms),
    replicaLedgerSeq: b.replica_ledger_seq,
    signature: b.receipt_signature ?? '',
  };
}

export function parseManifest(r: Pick<TransferRow, 'manifest'>): TransferManifest {
  return JSON.parse(r.manifest) as TransferManifest;
}

export function presentTransfer(r: TransferRow, approvals: TransferApproval[], receipts: TransferReceipt[], validApprovals: number): Transfer {
  const manifest = parseManifest(r);
  return {
    id: r.id,
    manifestHash: r.manifest_hash,
    status: r.status as TransferStatus,
    manifest,
    approvals,
    approvalsNeeded: Math.max(0, manifest.approvers.threshold - validApprovals),
    refusal: r.refusal_type ? { type: r.refusal_type, detail: r.refusal_detail ?? '' } : null,
    progress: {
      batchesSent: r.batches_sent,
      batchesAcknowledged: r.batches_acknowledged,
      recordsSent: Number(r.records_sent),
      recordsAcknowledged: Number(r.records_acknowledged),
    },
    receipts,
    createdAt: iso(r.created_ms),
    createdBy: r.created_by,
    executedAt: isoOrNull(r.executed_ms),
    completedAt: isoOrNull(r.completed_ms),
    revokedAt: isoOrNull(r.revoked_ms),
    revokedBy: r.revoked_by,
    revokeReason: r.revoke_reason,
    error: r.error,
  };
}
