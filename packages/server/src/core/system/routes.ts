/**
 * Liveness, readiness, metrics and what this node runs.
 */
import Type from 'typebox';
import { SystemInfo } from '@kotwal/contracts';
import type { KotwalFastify } from '#core/http/types.ts';
import type { CoreContext } from '#core/context.ts';
import type { ModuleDefinition } from '#core/module.ts';
import type { Metrics } from '#core/observability/metrics.ts';

const Health = Type.Object({ status: Type.String(), checks: Type.Optional(Type.Record(Type.String(), Type.String())) });

export interface SystemRoutesDeps {
  version: string;
  modules: readonly ModuleDefinition[];
  metrics: Metrics;
  eventTransport: () => string;
  outboxPending: () => Promise<number>;
  ledgerTreeSize: () => Promise<number>;
  readiness: () => Promise<Record<string, string>>;
}

export function systemRoutes(deps: SystemRoutesDeps) {
  return async (app: KotwalFastify, ctx: CoreContext): Promise<void> => {
    app.get(
      '/healthz',
      { config: { permission: 'public', rateLimit: false }, schema: { tags: ['system'], summary: 'Liveness: the process is up', response: { 200: Health } } },
      async () => ({
        status: 'ok',
      }),
    );

    app.get(
      '/readyz',
      {
        config: { permission: 'public', rateLimit: false },
        schema: { tags: ['system'], summary: 'Readiness: database, ledger and event bus answer', response: { 200: Health, 503: Health } },
      },
      async (_req, reply) => {
        const checks = await deps.readiness();
        const ok = Object.values(checks).every((v) => v === 'ok');
        return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
      },
    );

    app.get(
      '/metrics',
      {
        config: { permission: 'system.metrics', rateLimit: false },
        schema: { tags: ['system'], summary: 'Prometheus metrics (scrape with an API token holding system.metrics)', security: [{ bearer: [] }] },
      },
      async (_req, reply) => {
        deps.metrics.outboxPending.set(await deps.outboxPending());
        deps.metrics.ledgerTreeSize.set(await deps.ledgerTreeSize());
        return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
      },
    );

    app.get(
      '/api/openapi.json',
      { config: { permission: 'public' }, schema: { tags: ['system'], summary: 'This OpenAPI 3.1 document' } },
      async (_req, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger())),
    );

    app.get(
      '/api/v1/system/info',
      {
        config: { permission: 'auth.self', allowPending: true },
        schema: { tags: ['system'], summary: 'This node and the systems it runs', response: { 200: SystemInfo } },
      },
      async () => ({
        version: deps.version,
        nodeName: ctx.config.nodeName,
        database: ctx.db.kind,
        eventTransport: deps.eventTransport(),
        modules: deps.modules
          .filter((m) => m.console !== false)
          .map((m) => ({ name: m.name, title: m.title, ...(m.programmeName ? { programmeName: m.programmeName } : {}) })),
      }),
    );
  };
}
