/**
 * core/sovereignty/oversight: the oversight bundle an auditor verifies
 * offline (transfers with their manifests and approvals, batches with the
 * destination's receipts, peers, approvers, policies, break-glass grants,
 * witnesses and cosignatures, and the ledger bundle they are recorded in).
 */
export { exportOversight, type OversightExportResult, type OversightExportOptions } from './export.ts';
export { verifyOversight, OversightBundleError, type OversightReport, type OversightProblem, type VerifyOversightOptions } from './verify.ts';
export { oversightCommand } from './cli.ts';
export { OVERSIGHT_FORMAT, OVERSIGHT_FILES } from './format.ts';
