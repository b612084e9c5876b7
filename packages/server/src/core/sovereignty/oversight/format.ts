/**
 * The oversight bundle: what an auditor (an ombudsman, the data owner, a
 * court) needs to check, with no database and without trusting the node,
 * that every transfer and every break-glass grant had the officials'
 * signatures it needed, what left and what the destination signed for,
 * who witnessed the ledger, and that each of these records was itself
 * written in the tamper-evident ledger.
 *
 *   <dir>/ledger/                the ledger bundle (kotwal ledger export)
 *   <dir>/oversight.json         format, node, counts, file digests
 *   <dir>/transfers.jsonl        manifest text, hash, approvals, status history
 *   <dir>/batches.jsonl          batches sent with the destination's signed receipts
 *   <dir>/peers.jsonl            peer nodes
 *   <dir>/approvers.jsonl        designated officials (datasets and break-glass)
 *   <dir>/policies.jsonl         M-of-N policies
 *   <dir>/grants.jsonl           break-glass grants, approvals, action counts
 *   <dir>/witnesses.jsonl        witness keys
 *   <dir>/cosignatures.jsonl     witness countersignatures of checkpoints
 *   <dir>/ledger-details.jsonl   the details records of the ledger entries cited
 *
 * Each record cites the ledger entry that recorded it (`ledger`: seq,
 * action, resource): the verifier finds it in the ledger bundle and, where
 * the details record was exported, checks its hash against the sealed one
 * and that it states the same hash or signature as the record.
 */
import type { ReplicationReceipt } from '@kotwal/contracts';

export const OVERSIGHT_FORMAT = 'kotwal-oversight-bundle-v1';
export const LEDGER_DIR = 'ledger';

export const OVERSIGHT_FILES = {
  manifest: 'oversight.json',
  transfers: 'transfers.jsonl',
  batches: 'batches.jsonl',
  peers: 'peers.jsonl',
  approvers: 'approvers.jsonl',
  policies: 'policies.jsonl',
  grants: 'grants.jsonl',
  witnesses: 'witnesses.jsonl',
  cosignatures: 'cosignatures.jsonl',
  details: 'ledger-details.jsonl',
  readme: 'README.txt',
} as const;

export type RecordFile = Exclude<keyof typeof OVERSIGHT_FILES, 'manifest' | 'readme'>;

/** The ledger entry that recorded a record: found by seq, checked by action, resource (and actor). */
export interface LedgerRef {
  seq: number;
  action: string;
  resource: string;
  actorId?: string;
}

export interface HistoryItem {
  seq: number;
  at: string;
  action: string;
  outcome: string;
}

export interface OversightApproval {
  id: string;
  publicKey: string;
  keyId: string;
  approverName: string;
  signature: string;
  signedForm: string;
  at: string;
  ledger: LedgerRef | null;
}

export interface OversightTransfer {
  id: string;
  kind: string;
  dataset: string;
  status: string;
  /** The exact signed object: canonical JSON. */
  manifest: string;
  manifestHash: string;
  refusal: { type: string; detail: string } | null;
  expiresAt: string;
  createdAt: string;
  createdBy: string;
  executedAt: string | null;
  completedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
  error: string | null;
  progress: { batchesSent: number; batchesAcknowledged: number; recordsSent: number; recordsAcknowledged: number };
  approvals: OversightApproval[];
  ledger: LedgerRef | null;
  /** Every ledger entry on the transfer (requested, approved, executed, completed, revoked, expired...). */
  history: HistoryItem[];
}

export interface OversightBatch {
  transferId: string;
  seq: number;
  batchHash: string;
  prevHash: string | null;
  records: number;
  checkpointSize: number | null;
  sentAt: string;
  /** The destination's signed receipt, as received. */
  receipt: ReplicationReceipt | null;
  receivedAt: string | null;
  replicaLedgerSeq: number | null;
  ledger: LedgerRef | null;
  receiptLedger: LedgerRef | null;
}

export interface OversightPeer {
  id: string;
  name: string;
  address: string;
  publicKey: string;
  keyId: string;
  jurisdiction: string;
  status: string;
  createdAt: string;
  createdBy: string;
  lastVerifiedAt: string | null;
  ledger: LedgerRef | null;
  history: HistoryItem[];
}

export interface OversightApprover {
  id: string;
  scope: string;
  name: string;
  publicKey: string;
  keyId: string;
  createdAt: string;
  createdBy: string;
  removedAt: string | null;
  removedBy: string | null;
  ledger: LedgerRef | null;
  removedLedger: LedgerRef | null;
}

export interface OversightPolicy {
  scope: string;
  threshold: number;
  allowedJurisdictions: string[];
  allowedDestinations: string[];
  maxMinutes: number | null;
  updatedAt: string;
  updatedBy: string;
  /** The latest policy.set entry of the scope. */
  ledger: LedgerRef | null;
}

export interface OversightGrant {
  id: string;
  status: string;
  manifest: string;
  manifestHash: string;
  granteeId: string;
  grantee: string;
  role: string;
  permissions: string[];
  reason: string;
  ticket: string | null;
  durationMinutes: number;
  requestedAt: string;
  requestedBy: string;
  approvalDeadline: string;
  activatedAt: string | null;
  expiresAt: string | null;
  endedAt: string | null;
  endReason: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
  /** Requests made under the grant, as counted by the node (each one a grant.action entry). */
  actions: number;
  approvals: OversightApproval[];
  ledger: LedgerRef | null;
  history: HistoryItem[];
}

export interface OversightWitness {
  id: string;
  name: string;
  publicKey: string;
  keyId: string;
  createdAt: string;
  createdBy: string;
  removedAt: string | null;
  ledger: LedgerRef | null;
}

export interface OversightCosignature {
  treeSize: number;
  witnessId: string;
  witness: string;
  publicKey: string;
  keyId: string;
  timestamp: number;
  signature: string;
  receivedAt: string;
  ledger: LedgerRef | null;
}

export interface LedgerDetailsLine {
  seq: number;
  /** The exact details text (its SHA-256 is the entry's sealed detailsHash). */
  details: string;
}

export interface OversightManifest {
  format: typeof OVERSIGHT_FORMAT;
  exportedAt: string;
  node: { name: string; jurisdiction: string; publicKey: string; keyId: string };
  /** Ledger entries and checkpoints in the ledger bundle. */
  ledger: { entries: number; checkpoints: number; latestTreeSize: number | null };
  counts: Record<RecordFile, number>;
  /** SHA-256 of each file (accidental damage; the records themselves are checked against signatures and the ledger). */
  files: Record<string, string>;
}
