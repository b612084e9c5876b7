/**
 * Sovereignty: node identity and jurisdiction, peers, datasets, approvers and
 * policies, transfers (replication, bulk export, evidence share) that execute
 * only with M-of-N officials' Ed25519 signatures, replication batches and
 * receipts, break-glass grants and ledger witnesses.
 *
 * Keys are Ed25519: public keys as the base64 of the raw 32 bytes (SPKI PEM
 * accepted on input), signatures base64. Hashes are hex SHA-256 of the
 * canonical JSON (see sovereignty-format.ts).
 */
import Type from 'typebox';
import { IsoDateTime, Str, Uuid } from './common.ts';

/** ISO 3166-2 style: country, optionally a subdivision (`PK`, `PK-PB`, `AE-DU`). */
export const JURISDICTION_PATTERN = '^[A-Z]{2}(-[A-Z0-9]{1,3})?$';
/** `<module>/<collection>`, both kebab-case. */
export const DATASET_PATTERN = '^[a-z][a-z0-9-]*/[a-z][a-z0-9-]*$';
/** Node names: DNS-like labels. */
export const NODE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9.-]{0,126}$';

export const Jurisdiction = Str(16, { pattern: JURISDICTION_PATTERN, description: 'ISO 3166 country or 3166-2 subdivision code, e.g. PK-PB' });
export const DatasetName = Str(128, { pattern: DATASET_PATTERN, description: '<module>/<collection>, e.g. registries/identity' });
export const NodeName = Str(127, { pattern: NODE_NAME_PATTERN, description: 'node name (the origin line of its ledger checkpoints)' });
export const PublicKeyText = Str(400, { description: 'Ed25519 public key: base64 of the raw 32 bytes, or SPKI PEM' });
export const SignatureB64 = Str(128, { description: 'base64 Ed25519 signature (64 bytes)' });
export const HashHex = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'hex SHA-256' });

// ---- node identity -------------------------------------------------------------

export const NodeIdentity = Type.Object({
  name: Type.String(),
  jurisdiction: Type.String(),
  publicKey: Type.String({ description: 'base64 raw Ed25519 public key (the ledger signing key)' }),
  keyId: Type.String(),
  mode: Type.Union([Type.Literal('primary'), Type.Literal('replica')]),
  replicaOf: Type.Union([Type.String(), Type.Null()], { description: 'URL of the source node when running as a replica' }),
  version: Type.String(),
  at: IsoDateTime,
  signature: Type.String({ description: 'base64 Ed25519 signature by publicKey over the canonical JSON of the other fields' }),
});
export type NodeIdentity = Type.Static<typeof NodeIdentity>;

// ---- peers ---------------------------------------------------------------------

export const PeerBody = Type.Object(
  {
    name: NodeName,
    address: Str(512, { description: 'base URL of the peer (http:// or https://)' }),
    publicKey: PublicKeyText,
    jurisdiction: Jurisdiction,
  },
  { additionalProperties: false },
);
export type PeerBody = Type.Static<typeof PeerBody>;

export const Peer = Type.Object({
  id: Uuid,
  name: Type.String(),
  address: Type.String(),
  publicKey: Type.String(),
  keyId: Type.String(),
  jurisdiction: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('removed')]),
  createdAt: IsoDateTime,
  createdBy: Type.String(),
  lastVerifiedAt: Type.Union([IsoDateTime, Type.Null()], { description: 'last time the peer proved its key and jurisdiction' }),
});
export type Peer = Type.Static<typeof Peer>;
export const PeerList = Type.Object({ items: Type.Array(Peer) });
export type PeerList = Type.Static<typeof PeerList>;

// ---- datasets, approvers, policy ------------------------------------------------

export const Dataset = Type.Object({
  name: Type.String({ description: '<module>/<collection>' }),
  module: Type.String(),
  collection: Type.String(),
  title: Type.String(),
  description: Type.String(),
  filters: Type.Array(Type.String(), { description: 'filter fields the dataset understands' }),
  records: Type.Union([Type.Integer(), Type.Null()], { description: 'records held now (null when not counted)' }),
  policy: Type.Union([
    Type.Object({
      threshold: Type.Integer(),
      approvers: Type.Integer({ description: 'N: designated approvers' }),
      allowedJurisdictions: Type.Array(Type.String()),
      allowedDestinations: Type.Array(Type.String()),
    }),
    Type.Null(),
  ]),
});
export type Dataset = Type.Static<typeof Dataset>;
export const DatasetList = Type.Object({ items: Type.Array(Dataset) });
export type DatasetList = Type.Static<typeof DatasetList>;

export const ApproverBody = Type.Object(
  { dataset: DatasetName, publicKey: PublicKeyText, name: Str(200, { description: 'the official, as they sign (name, post)' }) },
  { additionalProperties: false },
);
export type ApproverBody = Type.Static<typeof ApproverBody>;

export const Approver = Type.Object({
  id: Uuid,
  scope: Type.String({ description: 'dataset name, or `break-glass` for support grants' }),
  name: Type.String(),
  publicKey: Type.String(),
  keyId: Type.String(),
  createdAt: IsoDateTime,
  createdBy: Type.String(),
  removedAt: Type.Union([IsoDateTime, Type.Null()]),
});
export type Approver = Type.Static<typeof Approver>;
export const ApproverList = Type.Object({ items: Type.Array(Approver) });
export type ApproverList = Type.Static<typeof ApproverList>;
export const ApproverListQuery = Type.Object({ dataset: Type.Optional(DatasetName) }, { additionalProperties: false });
export type ApproverListQuery = Type.Static<typeof ApproverListQuery>;

export const PolicyBody = Type.Object(
  {
    dataset: DatasetName,
    threshold: Type.Integer({ minimum: 1, maximum: 32, description: 'M: signatures needed' }),
    allowedJurisdictions: Type.Optional(
      Type.Array(Jurisdiction, { maxItems: 64, description: 'jurisdictions data may go to (default: this node\u2019s own)' }),
    ),
    allowedDestinations: Type.Optional(
      Type.Array(NodeName, { maxItems: 64, description: 'nodes named explicitly: allowed even outside allowedJurisdictions' }),
    ),
  },
  { additionalProperties: false },
);
export type PolicyBody = Type.Static<typeof PolicyBody>;

export const Policy = Type.Object({
  scope: Type.String(),
  threshold: Type.Integer(),
  allowedJurisdictions: Type.Array(Type.String()),
  allowedDestinations: Type.Array(Type.String()),
  approvers: Type.Integer({ description: 'N: designated approvers now' }),
  updatedAt: IsoDateTime,
  updatedBy: Type.String(),
});
export type Policy = Type.Static<typeof Policy>;

// ---- transfers -------------------------------------------------------------------

export const TRANSFER_KINDS = ['replication', 'export', 'evidence-share'] as const;
export const TRANSFER_STATUSES = ['pending-approval', 'approved', 'executing', 'completed', 'refused', 'revoked', 'expired', 'failed'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];
// Written out as tuples: a union over TRANSFER_*.map() types as never.
const TransferKindSchema = Type.Union([Type.Literal('replication'), Type.Literal('export'), Type.Literal('evidence-share')]);
const TransferStatusSchema = Type.Union([
  Type.Literal('pending-approval'),
  Type.Literal('approved'),
  Type.Literal('executing'),
  Type.Literal('completed'),
  Type.Literal('refused'),
  Type.Literal('revoked'),
  Type.Literal('expired'),
  Type.Literal('failed'),
]);

export const TransferBody = Type.Object(
  {
    dataset: DatasetName,
    destinationNode: NodeName,
    destinationJurisdiction: Jurisdiction,
    purpose: Str(500),
    legalBasis: Str(500, { description: 'the law, order or agreement that allows it' }),
    expiresAt: Type.String({ format: 'date-time' }),
    kind: Type.Optional(Type.Union([Type.Literal('replication'), Type.Literal('export'), Type.Literal('evidence-share')], { default: 'replication' })),
    filter: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-zA-Z0-9]{0,63}$' }), Str(200), { maxProperties: 8 })),
    items: Type.Optional(Type.Array(Str(200), { maxItems: 10000 })),
  },
  { additionalProperties: false },
);
export type TransferBody = Type.Static<typeof TransferBody>;

export const TransferCreated = Type.Object({ id: Uuid, manifestHash: HashHex, status: TransferStatusSchema });
export type TransferCreated = Type.Static<typeof TransferCreated>;

export const ApprovalBody = Type.Object(
  {
    publicKey: PublicKeyText,
    signature: SignatureB64,
  },
  { additionalProperties: false },
);
export type ApprovalBody = Type.Static<typeof ApprovalBody>;

export const TransferApproval = Type.Object({
  id: Uuid,
  publicKey: Type.String(),
  keyId: Type.String(),
  approverName: Type.String(),
  signature: Type.String(),
  signedForm: Type.Union([Type.Literal('raw'), Type.Literal('hex-text')], { description: 'whether the raw hash bytes or its hex text were signed' }),
  at: IsoDateTime,
  ledgerSeq: Type.Union([Type.Integer(), Type.Null()]),
});
export type TransferApproval = Type.Static<typeof TransferApproval>;

export const TransferManifestSchema = Type.Object({
  version: Type.Literal(1),
  id: Uuid,
  kind: TransferKindSchema,
  dataset: Type.String(),
  filter: Type.Record(Type.String(), Type.String()),
  items: Type.Array(Type.String()),
  source: Type.Object({ node: Type.String(), jurisdiction: Type.String(), publicKey: Type.String() }),
  destination: Type.Object({
    node: Type.String(),
    jurisdiction: Type.String(),
    publicKey: Type.Union([Type.String(), Type.Null()]),
    address: Type.Union([Type.String(), Type.Null()]),
  }),
  purpose: Type.String(),
  legalBasis: Type.String(),
  expiresAt: Type.String(),
  requestedAt: Type.String(),
  requestedBy: Type.String(),
  approvers: Type.Object({ threshold: Type.Integer(), publicKeys: Type.Array(Type.String()) }),
});

export const TransferReceipt = Type.Object({
  batchSeq: Type.Integer(),
  batchHash: HashHex,
  records: Type.Integer(),
  receivedAt: IsoDateTime,
  replicaLedgerSeq: Type.Union([Type.Integer(), Type.Null()]),
  signature: Type.String({ description: 'base64 Ed25519 signature of the destination node over the receipt' }),
});
export type TransferReceipt = Type.Static<typeof TransferReceipt>;

export const Transfer = Type.Object({
  id: Uuid,
  manifestHash: HashHex,
  status: TransferStatusSchema,
  manifest: TransferManifestSchema,
  approvals: Type.Array(TransferApproval),
  approvalsNeeded: Type.Integer({ description: 'signatures still missing' }),
  refusal: Type.Union([Type.Object({ type: Type.String(), detail: Type.String() }), Type.Null()], {
    description: 'why the transfer cannot execute (policy, jurisdiction, peer), when it cannot',
  }),
  progress: Type.Object({
    batchesSent: Type.Integer(),
    batchesAcknowledged: Type.Integer(),
    recordsSent: Type.Integer(),
    recordsAcknowledged: Type.Integer(),
  }),
  receipts: Type.Array(TransferReceipt, { description: 'latest receipts, newest first (at most 100)' }),
  createdAt: IsoDateTime,
  createdBy: Type.String(),
  executedAt: Type.Union([IsoDateTime, Type.Null()]),
  completedAt: Type.Union([IsoDateTime, Type.Null()]),
  revokedAt: Type.Union([IsoDateTime, Type.Null()]),
  revokedBy: Type.Union([Type.String(), Type.Null()]),
  revokeReason: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type Transfer = Type.Static<typeof Transfer>;

export const TransferList = Type.Object({ items: Type.Array(Transfer), next: Type.Union([Type.String(), Type.Null()]) });
export type TransferList = Type.Static<typeof TransferList>;
export const TransferListQuery = Type.Object(
  {
    status: Type.Optional(TransferStatusSchema),
    dataset: Type.Optional(DatasetName),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    before: Type.Optional(IsoDateTime),
  },
  { additionalProperties: false },
);
export type TransferListQuery = Type.Static<typeof TransferListQuery>;

export const TransferIdParams = Type.Object({ id: Uuid });
export type TransferIdParams = Type.Static<typeof TransferIdParams>;

export const RevokeBody = Type.Object({ reason: Type.Optional(Str(500)) }, { additionalProperties: false });
export type RevokeBody = Type.Static<typeof RevokeBody>;

/** What an approver's tool fetches to sign: the manifest and its hash (recompute it before signing). */
export const ManifestForSigning = Type.Object({ id: Uuid, manifestHash: HashHex, manifest: TransferManifestSchema, status: Type.String() });
export type ManifestForSigning = Type.Static<typeof ManifestForSigning>;

// ---- replication batches (node to node) ----------------------------------------------

export const BatchRecord = Type.Object({ key: Type.String(), record: Type.Unknown() });
export type BatchRecord = Type.Static<typeof BatchRecord>;

// ---- break-glass grants -------------------------------------------------------------------

export const GRANT_STATUSES = ['pending-approval', 'active', 'expired', 'revoked'] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

export const GrantBody = Type.Object(
  {
    grantee: Str(64, { description: 'username of the support account' }),
    role: Str(64),
    reason: Str(1000),
    ticket: Type.Optional(Str(200)),
    durationMinutes: Type.Integer({ minimum: 5, maximum: 7 * 24 * 60 }),
  },
  { additionalProperties: false },
);
export type GrantBody = Type.Static<typeof GrantBody>;

export const Grant = Type.Object({
  id: Uuid,
  manifestHash: HashHex,
  status: Type.Union([Type.Literal('pending-approval'), Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  grantee: Type.Object({ id: Type.String(), username: Type.String() }),
  role: Type.String(),
  reason: Type.String(),
  ticket: Type.Union([Type.String(), Type.Null()]),
  durationMinutes: Type.Integer(),
  approvals: Type.Array(TransferApproval),
  approvalsNeeded: Type.Integer(),
  requestedAt: IsoDateTime,
  requestedBy: Type.String(),
  activatedAt: Type.Union([IsoDateTime, Type.Null()]),
  expiresAt: Type.Union([IsoDateTime, Type.Null()]),
  revokedAt: Type.Union([IsoDateTime, Type.Null()]),
  revokedBy: Type.Union([Type.String(), Type.Null()]),
  actions: Type.Integer({ description: 'requests made under the grant (each ledgered)' }),
});
export type Grant = Type.Static<typeof Grant>;
export const GrantList = Type.Object({ items: Type.Array(Grant) });
export type GrantList = Type.Static<typeof GrantList>;

export const GrantApproverBody = Type.Object({ publicKey: PublicKeyText, name: Str(200) }, { additionalProperties: false });
export type GrantApproverBody = Type.Static<typeof GrantApproverBody>;
export const GrantPolicyBody = Type.Object(
  { threshold: Type.Integer({ minimum: 1, maximum: 32 }), maxMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 7 * 24 * 60 })) },
  { additionalProperties: false },
);
export type GrantPolicyBody = Type.Static<typeof GrantPolicyBody>;

// ---- witnesses ------------------------------------------------------------------------------

export const WitnessBody = Type.Object({ name: Str(200), publicKey: PublicKeyText }, { additionalProperties: false });
export type WitnessBody = Type.Static<typeof WitnessBody>;

export const Witness = Type.Object({
  id: Uuid,
  name: Type.String(),
  publicKey: Type.String(),
  keyId: Type.String(),
  createdAt: IsoDateTime,
  createdBy: Type.String(),
  lastCosignedTreeSize: Type.Union([Type.Integer(), Type.Null()]),
  lastCosignedAt: Type.Union([IsoDateTime, Type.Null()]),
});
export type Witness = Type.Static<typeof Witness>;
export const WitnessList = Type.Object({ items: Type.Array(Witness) });
export type WitnessList = Type.Static<typeof WitnessList>;

export const CosignatureBody = Type.Object(
  {
    treeSize: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    publicKey: PublicKeyText,
    timestamp: Type.Integer({ minimum: 0, description: 'seconds since the epoch, as signed' }),
    signature: SignatureB64,
  },
  { additionalProperties: false },
);
export type CosignatureBody = Type.Static<typeof CosignatureBody>;

export const Cosignature = Type.Object({
  treeSize: Type.Integer(),
  witness: Type.String({ description: 'witness name' }),
  publicKey: Type.String(),
  keyId: Type.String(),
  timestamp: Type.Integer(),
  signature: Type.String(),
  receivedAt: IsoDateTime,
});
export type Cosignature = Type.Static<typeof Cosignature>;
export const CosignatureList = Type.Object({ items: Type.Array(Cosignature) });
export type CosignatureList = Type.Static<typeof CosignatureList>;

// ---- replication wire format (node to node; helper "transfers") -----------------------------
// A source pushes signed batches to a replica; the replica answers each with
// a signed receipt. See core/sovereignty/replication-format.ts for hashing.

export const BatchApproval = Type.Object({ publicKey: Type.String({ maxLength: 400 }), signature: Type.String({ maxLength: 128 }) });
export type BatchApproval = Type.Static<typeof BatchApproval>;

const WireLedgerEntry = Type.Object({
  seq: Type.Integer({ minimum: 0 }),
  at: Type.String(),
  actorType: Type.Union([Type.Literal('user'), Type.Literal('token'), Type.Literal('device'), Type.Literal('system'), Type.Literal('anonymous')]),
  actorId: Type.String(),
  action: Type.String(),
  resource: Type.String(),
  purpose: Type.Union([Type.String(), Type.Null()]),
  caseRef: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.Union([Type.Literal('allowed'), Type.Literal('denied')]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  detailsHash: Type.Union([Type.String(), Type.Null()]),
  leafHash: Type.String(),
});

export const ReplicationBatch = Type.Object(
  {
    transferId: Uuid,
    manifest: TransferManifestSchema,
    approvals: Type.Array(BatchApproval, { maxItems: 64 }),
    seq: Type.Integer({ minimum: 1, description: '1, 2, ... within the transfer' }),
    prevBatchHash: Type.Union([HashHex, Type.Null()], { description: 'batchHash of batch seq-1 (null for the first)' }),
    records: Type.Array(BatchRecord, { maxItems: 100_000 }),
    recordsHash: HashHex,
    batchHash: Type.String({ description: 'canonicalHash of {transferId, manifestHash, seq, prevBatchHash, recordsHash}' }),
    ledgerEntry: WireLedgerEntry,
    details: Type.String({ description: 'the exact details text of ledgerEntry ({transferId, seq, batchHash, records})' }),
    inclusionProof: Type.Object({
      seq: Type.Integer(),
      treeSize: Type.Integer(),
      leafHash: Type.String(),
      rootHash: Type.String(),
      proof: Type.Array(Type.String(), { maxItems: 64 }),
    }),
    checkpoint: Type.Object({
      origin: Type.String(),
      treeSize: Type.Integer(),
      rootHash: Type.String(),
      timestamp: Type.String(),
      body: Type.String({ maxLength: 1024 }),
      signature: Type.String({ maxLength: 128 }),
      publicKey: Type.String(),
      keyId: Type.String(),
    }),
    consistencyProof: Type.Union([
      Type.Object({
        from: Type.Integer(),
        to: Type.Integer(),
        fromRoot: Type.String(),
        toRoot: Type.String(),
        proof: Type.Array(Type.String(), { maxItems: 128 }),
      }),
      Type.Null(),
    ]),
    final: Type.Boolean({ description: 'the last batch of the transfer' }),
    signature: Type.String({ maxLength: 128, description: 'base64 Ed25519 signature of the source node over the 32 raw bytes of batchHash' }),
  },
  { additionalProperties: false },
);
export type ReplicationBatch = Type.Static<typeof ReplicationBatch>;

export const ReplicationReceipt = Type.Object({
  transferId: Uuid,
  batchSeq: Type.Integer(),
  batchHash: HashHex,
  records: Type.Integer(),
  receivedAt: IsoDateTime,
  replicaNode: Type.String(),
  replicaLedgerSeq: Type.Union([Type.Integer(), Type.Null()], { description: "seq of the replica's own replication.batch.received entry" }),
  sourceTreeSize: Type.Integer({ description: 'size of the latest source checkpoint the replica has verified (consistency proofs start there)' }),
  signature: Type.String({ description: 'base64 Ed25519 signature of the replica node over canonicalHash(receipt without signature), raw hash bytes' }),
});
export type ReplicationReceipt = Type.Static<typeof ReplicationReceipt>;

export const RevocationNotice = Type.Object(
  {
    transferId: Uuid,
    manifest: TransferManifestSchema,
    manifestHash: HashHex,
    revokedAt: Type.String(),
    reason: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
    signature: Type.String({
      maxLength: 128,
      description: 'source node over canonicalHash({kind: "revocation", transferId, manifestHash, revokedAt, reason})',
    }),
  },
  { additionalProperties: false },
);
export type RevocationNotice = Type.Static<typeof RevocationNotice>;

export const RevocationAck = Type.Object({ transferId: Uuid, status: Type.String(), at: IsoDateTime });
export type RevocationAck = Type.Static<typeof RevocationAck>;
