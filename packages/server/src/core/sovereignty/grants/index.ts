/**
 * core/sovereignty/grants: break-glass grants. Support access exists only
 * as a grant requested for one account, approved by M of the designated
 * officials' Ed25519 signatures, time-boxed, with every request made under
 * it ledgered, and ending by itself. The composition root wraps the core
 * authenticator with grantsAuthenticator and mounts grantsRoutes.
 */
import { fileURLToPath } from 'node:url';
import type { MigrationSet } from '#core/db/migrate.ts';

/** After core.sovereignty's (sov_approvers, sov_policies, sov_approvals). */
export const grantsMigrations: MigrationSet = {
  scope: 'core.sovereignty.grants',
  dir: fileURLToPath(new URL('./migrations', import.meta.url)),
};

export { createGrantsService, grantRefusalRecorded, GRANT_APPROVAL_WINDOW_MS, type GrantsService, type GrantsOptions, type AppliedGrant } from './service.ts';
export { grantsAuthenticator, grantOfRequest, registerGrantActionLog } from './enforcement.ts';
export { grantsRoutes } from './routes.ts';
export { grantsCommand, approveGrant, GrantApprovalRefused } from './cli.ts';
