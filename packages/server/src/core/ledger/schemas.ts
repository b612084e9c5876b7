/**
 * API shapes the ledger routes need beyond those in @kotwal/contracts
 * (candidates to move there, so the console can share them).
 */
import Type from 'typebox';
import { Checkpoint } from '@kotwal/contracts';

export const LedgerSeqParams = Type.Object({ seq: Type.Integer({ minimum: 0, description: 'sequence number (leaf index, from 0)' }) });
export type LedgerSeqParams = Type.Static<typeof LedgerSeqParams>;

export const CheckpointSizeParams = Type.Object({ treeSize: Type.Integer({ minimum: 0, description: 'tree size of the checkpoint' }) });
export type CheckpointSizeParams = Type.Static<typeof CheckpointSizeParams>;

export const LedgerDetails = Type.Object({
  seq: Type.Integer({ minimum: 0 }),
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
    before: Type.Optional(Type.Integer({ minimum: 0, description: 'only checkpoints with a smaller tree size (paging backwards)' })),
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
