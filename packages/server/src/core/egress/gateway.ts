/**
 * The server's egress gateway (ctx.egress): every outbound HTTP(S) request
 * of the product goes through request(), which checks the policy first and
 * refuses (EgressRefusedError) before any socket opens. A refusal is logged
 * and ledgered (`egress.refused`, outcome denied, resource
 * `egress:<host>:<port>`); an allowed request is ledgered (`egress.allowed`)
 * before it is sent.
 */
import type { Logger } from 'pino';
import type { KotwalConfig } from '#core/config/index.ts';
import type { EgressGateway, EgressPurpose, EgressRequest, EgressResponse, LedgerAppend, LedgerWriter } from '#core/context.ts';
import type { Queryable } from '#core/db/index.ts';
import type { LedgerActorType } from '@kotwal/contracts';
import { describeDestination, parseDestination, redactUrl, type ParsedDestination } from './destination.ts';
import { EgressRefusedError } from './errors.ts';
import { createAgents, sendHttp } from './http-client.ts';
import { decide, type Decision } from './policy.ts';

export interface EgressGatewayOptions {
  config: KotwalConfig;
  /** Refusals and allowed requests are ledgered when a ledger is given. */
  ledger?: LedgerWriter | null;
  /** Where transfers and peers are checked; without it those purposes are refused. */
  db?: Queryable | null;
  logger: Logger;
}

export interface ServerEgressGateway extends EgressGateway {
  /** The policy's answer for a request, without sending it (and without ledgering). */
  check(url: string, purpose: EgressPurpose, method?: string): Promise<Decision>;
  /** Closes idle keep-alive connections. */
  close(): void;
}

type Actor = { type: LedgerActorType; id: string };

export function createEgressGateway(opts: EgressGatewayOptions): ServerEgressGateway {
  const { config, logger } = opts;
  const ledger = opts.ledger ?? null;
  const db = opts.db ?? null;
  const agents = createAgents({ keepAlive: true });

  const record = async (entry: LedgerAppend): Promise<void> => {
    if (!ledger) return;
    try {
      await ledger.append(entry);
    } catch (err) {
      logger.error({ err, action: entry.action, resource: entry.resource }, 'egress: ledger append failed');
    }
  };

  const refuse = async (reason: string, url: string, dest: ParsedDestination | null, purpose: EgressPurpose, method: string, actor?: Actor): Promise<never> => {
    const safe = redactUrl(url);
    const where = dest ? describeDestination(dest) : null;
    logger.warn({ url: safe, destination: where, purpose, method, reason }, 'egress refused');
    await record({
      actorType: actor?.type ?? 'system',
      actorId: actor?.id ?? 'egress',
      action: 'egress.refused',
      resource: `egress:${where ?? '(invalid)'}`,
      outcome: 'denied',
      details: { url: safe, purpose, method, reason },
    });
    throw new EgressRefusedError(reason, safe, where, purpose);
  };

  const evaluate = async (url: string, purpose: EgressPurpose, method: string): Promise<{ dest: ParsedDestination | null; decision: Decision }> => {
    let dest: ParsedDestination;
    try {
      dest = parseDestination(url);
    } catch (err) {
      return { dest: null, decision: { allowed: false, reason: (err as Error).message } };
    }
    try {
      return { dest, decision: await decide(dest, method, purpose, { config, db }) };
    } catch (err) {
      // A policy that cannot be evaluated (database down) refuses.
      return { dest, decision: { allowed: false, reason: `the policy could not be checked: ${(err as Error).message}` } };
    }
  };

  return {
    async check(url, purpose, method = 'GET') {
      return (await evaluate(url, purpose, method.toUpperCase())).decision;
    },

    async request(url: string, req: EgressRequest, purpose: EgressPurpose, actor?: Actor): Promise<EgressResponse> {
      const method = (req.method ?? 'GET').toUpperCase();
      const { dest, decision } = await evaluate(url, purpose, method);
      if (!decision.allowed || !dest) return refuse(decision.allowed ? 'invalid URL' : decision.reason, url, dest, purpose, method, actor);
      const safe = redactUrl(dest.url);
      logger.debug({ url: safe, purpose, method }, 'egress allowed');
      await record({
        actorType: actor?.type ?? 'system',
        actorId: actor?.id ?? 'egress',
        action: 'egress.allowed',
        resource: `egress:${describeDestination(dest)}`,
        outcome: 'allowed',
        details: { url: safe, purpose, method, ...(decision.note ? { note: decision.note } : {}) },
      });
      return sendHttp(dest.url, req, agents);
    },

    close() {
      agents.destroy();
    },
  };
}
