/**
 * core/sovereignty: node identity and jurisdiction, peers, datasets,
 * approvers and policies, transfers with M-of-N officials' signatures, the
 * replication source and the replica. Core never imports a module: the
 * composition root hands the modules' datasets in.
 */
import { fileURLToPath } from 'node:url';
import type { MigrationSet } from '#core/db/migrate.ts';

export const sovereigntyMigrations: MigrationSet = {
  scope: 'core.sovereignty',
  dir: fileURLToPath(new URL('./migrations', import.meta.url)),
};

export { sovereigntyRoutes } from './routes.ts';
export { createSovereigntyService, type SovereigntyService } from './service.ts';
export { sovereigntyCli, keysCommand, transfersCommand, approveTransfer, generateKeyFiles, SovereigntyCliRefusal } from './cli.ts';
export type { RegisteredDataset, SovereigntyOptions } from './service-support.ts';
export { BATCH_PATH, REVOCATION_PATH } from './sender.ts';
export { recordsHash, batchHash, receiptHash, verifyReceipt, identityHash, verifyIdentity } from './replication-format.ts';
