/**
 * Prometheus metrics (prom-client): HTTP latency by route pattern and status,
 * ledger size and the event outbox backlog.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  ledgerDenials: Counter<'action'>;
  ledgerTreeSize: Gauge;
  outboxPending: Gauge;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kotwal_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'kotwal_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    ledgerDenials: new Counter({ name: 'kotwal_denials_total', help: 'requests refused, by ledger action', labelNames: ['action'], registers: [registry] }),
    ledgerTreeSize: new Gauge({ name: 'kotwal_ledger_entries', help: 'sequenced ledger entries', registers: [registry] }),
    outboxPending: new Gauge({ name: 'kotwal_event_outbox_pending', help: 'events committed but not yet dispatched', registers: [registry] }),
  };
}
