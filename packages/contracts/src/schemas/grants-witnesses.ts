/**
 * Break-glass grants and ledger witnesses: the payloads not already in
 * sovereignty.ts (route parameters, the grant manifest as an approver's tool
 * fetches it, the grant policy, cosignature listings) and the oversight
 * bundle's record shapes.
 */
import Type from 'typebox';
import { IsoDateTime, Uuid } from './common.ts';
import { Cosignature, HashHex, Witness } from './sovereignty.ts';

export const GrantStatusSchema = Type.Union([Type.Literal('pending-approval'), Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]);

export const GrantIdParams = Type.Object({ id: Uuid });
export type GrantIdParams = Type.Static<typeof GrantIdParams>;

export const GrantApproverIdParams = Type.Object({ id: Uuid });
export type GrantApproverIdParams = Type.Static<typeof GrantApproverIdParams>;

export const GrantListQuery = Type.Object(
  {
    status: Type.Optional(GrantStatusSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);
export type GrantListQuery = Type.Static<typeof GrantListQuery>;

/** The signed object of a grant (contracts sovereignty-format.ts GrantManifest). */
export const GrantManifestSchema = Type.Object({
  version: Type.Literal(1),
  id: Uuid,
  node: Type.String(),
  grantee: Type.Object({ id: Type.String(), username: Type.String() }),
  role: Type.String(),
  reason: Type.String(),
  ticket: Type.Union([Type.String(), Type.Null()]),
  durationMinutes: Type.Integer(),
  requestedAt: Type.String(),
  requestedBy: Type.String(),
  approvers: Type.Object({ threshold: Type.Integer(), publicKeys: Type.Array(Type.String()) }),
});

/** What an approver's tool fetches to sign a grant: recompute manifestHash from manifest before signing. */
export const GrantForSigning = Type.Object({
  id: Uuid,
  manifestHash: HashHex,
  manifest: GrantManifestSchema,
  status: GrantStatusSchema,
  approvalsNeeded: Type.Integer(),
});
export type GrantForSigning = Type.Static<typeof GrantForSigning>;

export const GrantPolicy = Type.Object({
  threshold: Type.Integer({ description: 'M: signatures needed to activate a grant' }),
  maxMinutes: Type.Integer({ description: 'longest a grant may last' }),
  approvers: Type.Integer({ description: 'N: designated break-glass approvers now' }),
  updatedAt: IsoDateTime,
  updatedBy: Type.String(),
});
export type GrantPolicy = Type.Static<typeof GrantPolicy>;

export const WitnessIdParams = Type.Object({ id: Uuid });
export type WitnessIdParams = Type.Static<typeof WitnessIdParams>;

/** A registered witness and where it stands: its latest cosigned checkpoint. */
export const WitnessWithLatest = Type.Object({
  ...Witness.properties,
  status: Type.Union([Type.Literal('active'), Type.Literal('removed')]),
  removedAt: Type.Union([IsoDateTime, Type.Null()]),
  lastCosignature: Type.Union([Cosignature, Type.Null()], { description: 'the latest checkpoint this witness countersigned' }),
});
export type WitnessWithLatest = Type.Static<typeof WitnessWithLatest>;
export const WitnessWithLatestList = Type.Object({ items: Type.Array(WitnessWithLatest) });
export type WitnessWithLatestList = Type.Static<typeof WitnessWithLatestList>;
