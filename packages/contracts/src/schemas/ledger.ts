import Type from 'typebox';

/** Largest sequence number or tree size accepted (JavaScript's safe integer range). */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

export const LedgerEntry = Type.Object({
  seq: Type.Integer({ minimum: 0, maximum: MAX_SEQ }),
  at: Type.String({ description: 'ISO 8601 UTC, milliseconds' }),
  actorType: Type.Union([Type.Literal('user'), Type.Literal('token'), Type.Literal('device'), Type.Literal('system'), Type.Literal('anonymous')]),
  actorId: Type.String(),
  action: Type.String(),
  resource: Type.String(),
  purpose: Type.Union([Type.String(), Type.Null()]),
  caseRef: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.Union([Type.Literal('allowed'), Type.Literal('denied')]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  detailsHash: Type.Union([Type.String(), Type.Null()]),
  leafHash: Type.String({ description: 'hex RFC 9162 leaf hash of the entry bytes' }),
});
export type LedgerEntry = Type.Static<typeof LedgerEntry>;

export const LedgerEntriesQuery = Type.Object(
  {
    from: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SEQ, description: 'first sequence number' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    actor: Type.Optional(Type.String({ maxLength: 128 })),
    action: Type.Optional(Type.String({ maxLength: 128, description: 'exact action, or a prefix ending in *' })),
    resource: Type.Optional(Type.String({ maxLength: 256, description: 'exact resource, or a prefix ending in *' })),
    outcome: Type.Optional(Type.Union([Type.Literal('allowed'), Type.Literal('denied')])),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' })),
  },
  { additionalProperties: false },
);
export type LedgerEntriesQuery = Type.Static<typeof LedgerEntriesQuery>;

export const LedgerEntryList = Type.Object({
  items: Type.Array(LedgerEntry),
  treeSize: Type.Integer({ description: 'number of sequenced entries when the page was read' }),
  next: Type.Union([Type.Integer(), Type.Null()], { description: 'value of `from` for the next page' }),
});
export type LedgerEntryList = Type.Static<typeof LedgerEntryList>;

export const Checkpoint = Type.Object({
  origin: Type.String(),
  treeSize: Type.Integer({ minimum: 0, maximum: MAX_SEQ }),
  rootHash: Type.String({ description: 'hex' }),
  timestamp: Type.String(),
  body: Type.String({ description: 'the exact signed text (C2SP tlog-checkpoint body)' }),
  signature: Type.String({ description: 'base64 Ed25519 signature over body' }),
  publicKey: Type.String({ description: 'base64 raw 32-byte Ed25519 public key of the node' }),
  keyId: Type.String({ description: 'hex SHA-256 of the public key, first 8 bytes' }),
});
export type Checkpoint = Type.Static<typeof Checkpoint>;

export const InclusionProofQuery = Type.Object(
  { seq: Type.Integer({ minimum: 0, maximum: MAX_SEQ }), treeSize: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SEQ })) },
  { additionalProperties: false },
);
export type InclusionProofQuery = Type.Static<typeof InclusionProofQuery>;

export const InclusionProof = Type.Object({
  seq: Type.Integer(),
  treeSize: Type.Integer(),
  leafHash: Type.String({ description: 'hex' }),
  rootHash: Type.String({ description: 'hex root at treeSize' }),
  proof: Type.Array(Type.String({ description: 'hex' })),
});
export type InclusionProof = Type.Static<typeof InclusionProof>;

export const ConsistencyProofQuery = Type.Object(
  { from: Type.Integer({ minimum: 0, maximum: MAX_SEQ }), to: Type.Integer({ minimum: 0, maximum: MAX_SEQ }) },
  { additionalProperties: false },
);
export type ConsistencyProofQuery = Type.Static<typeof ConsistencyProofQuery>;

export const ConsistencyProof = Type.Object({
  from: Type.Integer(),
  to: Type.Integer(),
  fromRoot: Type.String(),
  toRoot: Type.String(),
  proof: Type.Array(Type.String()),
});
export type ConsistencyProof = Type.Static<typeof ConsistencyProof>;

// Route parameters, details records, checkpoint pages and the node's public key.

export const LedgerSeqParams = Type.Object({ seq: Type.Integer({ minimum: 0, maximum: MAX_SEQ, description: 'sequence number (leaf index, from 0)' }) });
export type LedgerSeqParams = Type.Static<typeof LedgerSeqParams>;

export const CheckpointSizeParams = Type.Object({ treeSize: Type.Integer({ minimum: 0, maximum: MAX_SEQ, description: 'tree size of the checkpoint' }) });
export type CheckpointSizeParams = Type.Static<typeof CheckpointSizeParams>;

export const LedgerDetails = Type.Object({
  seq: Type.Integer({ minimum: 0, maximum: MAX_SEQ }),
  detailsHash: Type.String({ description: 'hex SHA-256 of the details text, as sealed in the entry' }),
  state: Type.Union([Type.Literal('present'), Type.Literal('erased')], { description: 'erased: removed by a lawful erasure; its hash stays sealed' }),
  details: Type.Unknown({ description: 'the details record (JSON), or null once erased' }),
  erasedAt: Type.Union([Type.String(), Type.Null()]),
  hashMatches: Type.Union([Type.Boolean(), Type.Null()], { description: 'whether the stored text still hashes to detailsHash (null once erased)' }),
});
export type LedgerDetails = Type.Static<typeof LedgerDetails>;

export const CheckpointListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20 })),
    before: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SEQ, description: 'only checkpoints with a smaller tree size (paging backwards)' })),
  },
  { additionalProperties: false },
);
export type CheckpointListQuery = Type.Static<typeof CheckpointListQuery>;

export const CheckpointList = Type.Object({
  items: Type.Array(Checkpoint, { description: 'newest first' }),
  next: Type.Union([Type.Integer(), Type.Null()], { description: 'value of `before` for the next page' }),
});
export type CheckpointList = Type.Static<typeof CheckpointList>;

export const LedgerPublicKey = Type.Object({
  algorithm: Type.Literal('Ed25519'),
  origin: Type.String({ description: "origin line of this node's checkpoints" }),
  publicKey: Type.String({ description: 'base64 raw 32-byte Ed25519 public key' }),
  keyId: Type.String({ description: 'hex SHA-256 of the public key, first 8 bytes' }),
  pem: Type.String({ description: 'SPKI PEM' }),
});
export type LedgerPublicKey = Type.Static<typeof LedgerPublicKey>;
