/**
 * RFC 9457 problem types. The `type` URI says why a request was refused so
 * that a client (the console, an integration) can act on it without parsing
 * prose.
 */
export const PROBLEM_BASE = 'https://kotwal.dev/problems/';

export const PROBLEM_TYPES = {
  validation: `${PROBLEM_BASE}validation`,
  malformedBody: `${PROBLEM_BASE}malformed-body`,
  bodyTooLarge: `${PROBLEM_BASE}body-too-large`,
  unsupportedMediaType: `${PROBLEM_BASE}unsupported-media-type`,
  unauthenticated: `${PROBLEM_BASE}unauthenticated`,
  invalidCredentials: `${PROBLEM_BASE}invalid-credentials`,
  accountLocked: `${PROBLEM_BASE}account-locked`,
  accountDisabled: `${PROBLEM_BASE}account-disabled`,
  sessionExpired: `${PROBLEM_BASE}session-expired`,
  mfaRequired: `${PROBLEM_BASE}mfa-required`,
  mfaInvalid: `${PROBLEM_BASE}mfa-invalid`,
  mfaEnrollmentRequired: `${PROBLEM_BASE}mfa-enrollment-required`,
  passwordChangeRequired: `${PROBLEM_BASE}password-change-required`,
  passwordPolicy: `${PROBLEM_BASE}password-policy`,
  csrf: `${PROBLEM_BASE}csrf-token-invalid`,
  forbidden: `${PROBLEM_BASE}forbidden`,
  notFound: `${PROBLEM_BASE}not-found`,
  conflict: `${PROBLEM_BASE}conflict`,
  rateLimited: `${PROBLEM_BASE}rate-limited`,
  methodNotAllowed: `${PROBLEM_BASE}method-not-allowed`,
  internal: `${PROBLEM_BASE}internal`,
  /** Registries: the query lacks a purpose or case reference (refused and ledgered). */
  accountabilityRequired: `${PROBLEM_BASE}accountability-required`,
  /** Registries: the anomaly control blocked this officer until a supervisor releases them. */
  registriesBlocked: `${PROBLEM_BASE}registries-blocked`,
  /** Sovereignty: a signature does not verify (forged, over another manifest, malformed). */
  signatureInvalid: `${PROBLEM_BASE}signature-invalid`,
  /** Sovereignty: the key is not a designated approver for this dataset (or grant scope). */
  approverNotDesignated: `${PROBLEM_BASE}approver-not-designated`,
  /** Sovereignty: the same approval (key or signature) was already recorded. */
  approvalDuplicate: `${PROBLEM_BASE}approval-duplicate`,
  /** Sovereignty: the transfer's expiry has passed. */
  transferExpired: `${PROBLEM_BASE}transfer-expired`,
  /** Sovereignty: the transfer was revoked. */
  transferRevoked: `${PROBLEM_BASE}transfer-revoked`,
  /** Sovereignty: fewer than M valid signatures. */
  approvalsMissing: `${PROBLEM_BASE}approvals-missing`,
  /** Sovereignty: the destination's jurisdiction (or node) is outside the dataset's policy. */
  destinationNotAllowed: `${PROBLEM_BASE}destination-not-allowed`,
  /** Sovereignty: a peer's identity (key, name or jurisdiction) does not match what it claims or what was registered. */
  peerMismatch: `${PROBLEM_BASE}peer-mismatch`,
  /** Replication: a batch already received (or older) was sent again. */
  batchReplayed: `${PROBLEM_BASE}batch-replayed`,
  /** Replication: the batch's hash chain, ledger entry or checkpoint does not match the source's signed checkpoints. */
  batchChainMismatch: `${PROBLEM_BASE}batch-chain-mismatch`,
  /** Replication: the batch is not covered by an approved, unexpired transfer to this node. */
  batchNotAuthorised: `${PROBLEM_BASE}batch-not-authorised`,
  /** Egress: the outbound destination is not an approved transfer's peer or a configured integration. */
  egressRefused: `${PROBLEM_BASE}egress-refused`,
} as const;

export type ProblemType = (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES];
