/**
 * The tamper-evident ledger: group-committed appends sealed into an RFC 9162
 * Merkle tree, signed checkpoints, proofs, and offline verification.
 */
import { fileURLToPath } from 'node:url';
import type { MigrationSet } from '#core/db/migrate.ts';

export const ledgerMigrations: MigrationSet = {
  scope: 'core.ledger',
  dir: fileURLToPath(new URL('./migrations', import.meta.url)),
};

export { Ledger, LedgerClosedError, LedgerQueryError, type LedgerDetailsRecord, type LedgerOpenOptions, type LedgerPublicKeyInfo } from './ledger.ts';
export { LedgerAppendError } from './entries.ts';
export { LedgerNotMigratedError, LedgerTreeDamagedError } from './store.ts';
export { ledgerRoutes } from './routes.ts';
export { checkpointFilePath, readCheckpointFile } from './checkpoint-file.ts';
export { loadOrCreateSigningKey, parsePublicKey, readPublicKeyFile, type LedgerPublicKey, type SigningKey } from './signing-key.ts';
export {
  exportBundle,
  verifyBundle,
  verifyDatabase,
  type ExportBundleOptions,
  type ExportBundleResult,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyProblemKind,
  type VerifyProgress,
  type VerifyReport,
} from './verify.ts';
