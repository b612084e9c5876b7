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
} as const;

export type ProblemType = (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES];
