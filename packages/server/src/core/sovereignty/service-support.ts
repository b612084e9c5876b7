/**
 * What every sovereignty use case shares: its dependencies, who acts, and
 * refusals that are written to the ledger (outcome denied, with the precise
 * reason) before the problem reaches the caller.
 */
import type { LedgerActorType } from '@kotwal/contracts';
import type { CoreContext, LedgerAppend } from '#core/context.ts';
import type { DatasetDefinition } from '#core/module.ts';
import { HttpProblem, type FieldError } from '#core/http/problem.ts';
import type { Ledger } from '#core/ledger/index.ts';

/** A module's dataset as the composition root hands it in (`<module>/<collection>`). */
export interface RegisteredDataset {
  name: string;
  module: string;
  definition: DatasetDefinition;
}

export interface SovereigntyOptions {
  ctx: CoreContext;
  /** The ledger itself: checkpoints and proofs for replication batches. */
  ledger: Ledger;
  datasets: readonly RegisteredDataset[];
  /** Product version stated in the node identity. */
  version: string;
  now?: () => Date;
  /** How often expired transfers are swept (ms, default 15 s). */
  sweepIntervalMs?: number;
  /** How often a replica retries fetching its source's identity until pinned (ms, default 10 s). */
  pinRetryMs?: number;
}

export interface SovDeps {
  ctx: CoreContext;
  ledger: Ledger;
  datasets: ReadonlyMap<string, RegisteredDataset>;
  version: string;
  now: () => Date;
}

export interface Actor {
  type: LedgerActorType;
  id: string;
  /** Username or token name, when known (written into created_by columns). */
  name: string;
}

export interface RequestMeta {
  requestId: string | null;
  ip: string;
}

const RECORDED = Symbol('kotwal.sovereignty.recorded');

/** Marks a problem as already written to the ledger (the HTTP error handler does not write it again). */
export function markRecorded<E extends Error>(err: E): E {
  (err as E & { [RECORDED]?: boolean })[RECORDED] = true;
  return err;
}

export function wasRecorded(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { [RECORDED]?: boolean })[RECORDED] === true;
}

export const problem = (status: number, type: string, title: string, detail: string, errors?: FieldError[]): HttpProblem =>
  new HttpProblem(status, type, title, detail, errors);

/**
 * Ledgers a refusal (outcome denied, details {type, detail, ...}) and
 * returns the problem to throw. Never call inside a transaction.
 */
export async function refuse(
  deps: Pick<SovDeps, 'ctx'>,
  who: { actorType: LedgerActorType; actorId: string },
  action: string,
  resource: string,
  meta: RequestMeta,
  p: HttpProblem,
  details: Record<string, unknown> = {},
): Promise<HttpProblem> {
  const entry: LedgerAppend = {
    actorType: who.actorType,
    actorId: who.actorId,
    action,
    resource,
    outcome: 'denied',
    requestId: meta.requestId,
    details: { status: p.status, type: p.type, reason: p.detail ?? p.title, ...details },
  };
  await deps.ctx.ledger.append(entry);
  return markRecorded(p);
}

export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

/** The base URL as stored: scheme, host and port, and path without a trailing slash. */
export function normaliseAddress(address: string): string | null {
  let u: URL;
  try {
    u = new URL(address);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  if (u.username || u.password || u.search || u.hash) return null;
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}
