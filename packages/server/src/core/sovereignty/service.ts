/**
 * The sovereignty service: node identity, setup (peers, datasets,
 * approvers, policies), transfers, the replication sender and the replica,
 * plus the background work (expiry sweeper, resuming transfers, pinning the
 * replica's source).
 */
import type { NodeIdentity } from '@kotwal/contracts';
import { ownIdentity } from './identity.ts';
import { createReplica, type Replica } from './replica.ts';
import { createSender, type Sender } from './sender.ts';
import type { RegisteredDataset, SovDeps, SovereigntyOptions } from './service-support.ts';
import { createSetupService, type SetupService } from './setup-service.ts';
import { createTransferService, type TransferService } from './transfer-service.ts';

export interface SovereigntyService {
  deps: SovDeps;
  identity(): NodeIdentity;
  setup: SetupService;
  transfers: TransferService;
  sender: Sender;
  replica: Replica;
  /** Starts the sweeper, resumes executing transfers, pins the replica source; returns the stopper. */
  start(): Promise<() => Promise<void>>;
}

export function createSovereigntyService(opts: SovereigntyOptions): SovereigntyService {
  const datasets = new Map<string, RegisteredDataset>();
  for (const d of opts.datasets) {
    if (datasets.has(d.name)) throw new Error(`two datasets are named ${d.name}`);
    datasets.set(d.name, d);
  }
  const deps: SovDeps = { ctx: opts.ctx, ledger: opts.ledger, datasets, version: opts.version, now: opts.now ?? (() => new Date()) };
  const setup = createSetupService(deps);
  const sender = createSender(deps);
  const transfers = createTransferService(deps, setup, sender);
  sender.onExpired = (id) => transfers.expireOne(id);
  const replica = createReplica(deps);
  const { ctx } = deps;

  return {
    deps,
    identity: () => ownIdentity(ctx, deps.version, deps.now()),
    setup,
    transfers,
    sender,
    replica,
    async start() {
      let stopped = false;
      let sweeping: Promise<unknown> | null = null;
      const sweep = setInterval(() => {
        if (sweeping || stopped) return;
        sweeping = transfers
          .sweepExpired()
          .catch((err: unknown) => ctx.logger.error({ err }, 'transfer expiry sweep failed'))
          .finally(() => {
            sweeping = null;
          });
      }, opts.sweepIntervalMs ?? 15_000);
      sweep.unref();
      await transfers.sweepExpired();
      await sender.resume();
      let pinTimer: NodeJS.Timeout | null = null;
      let pinningNow: Promise<unknown> | null = null;
      if (ctx.config.replicaOf) {
        const tryPin = async (): Promise<void> => {
          const pinned = await replica.pin().catch((err: unknown) => {
            ctx.logger.error({ err }, 'replica: pinning the source failed');
            return null;
          });
          if (pinned && pinTimer) {
            clearInterval(pinTimer);
            pinTimer = null;
          }
        };
        pinTimer = setInterval(() => {
          if (!pinningNow && !stopped) pinningNow = tryPin().finally(() => (pinningNow = null));
        }, opts.pinRetryMs ?? 10_000);
        pinTimer.unref();
        // The first attempt runs in the background: the source may start after its replica.
        pinningNow = tryPin().finally(() => (pinningNow = null));
      }
      return async () => {
        stopped = true;
        clearInterval(sweep);
        if (pinTimer) clearInterval(pinTimer);
        await sweeping;
        await pinningNow;
        await sender.close();
      };
    },
  };
}
