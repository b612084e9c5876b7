/**
 * The alert banner over every field-assets screen: unacknowledged alerts,
 * SOS first, then critical, warning and information, newest first within
 * each. Alerts that arrived while the page was open are marked new and
 * announced (role=alert for SOS and critical). Holders of
 * field-assets.write acknowledge them here.
 */
import { useState } from 'react';
import type { FieldEvent } from '@kotwal/contracts';
import { errorMessage } from '../../api/client.ts';
import { useSession } from '../../core/auth/session.tsx';
import { Link } from '../../router.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { useNow } from '../../ui/use-now.ts';
import { ago, EVENT_LABELS, eventKindOf, fieldApi, severityOf } from './api.ts';
import { liveStore, type LiveSnapshot } from './live.ts';

const SHOWN = 5;

export function AlertBanner({ live, base }: { live: LiveSnapshot; base: string }) {
  const { can } = useSession();
  const [expanded, setExpanded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const now = useNow(15_000);
  const alerts = live.alerts;
  if (alerts.length === 0) return null;
  const sos = alerts.filter((a) => eventKindOf(a) === 'sos').length;
  const shown = expanded ? alerts : alerts.slice(0, SHOWN);
  const urgent = alerts.some((a) => live.fresh.has(a.id) && (eventKindOf(a) === 'sos' || severityOf(a) === 'critical'));

  const ack = async (e: FieldEvent) => {
    setBusy(e.id);
    setError(null);
    try {
      await fieldApi.acknowledge(e.id);
      liveStore.dropAlert(e.id);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section
      className={`fa-alerts${sos ? ' fa-alerts-sos' : ''}`}
      aria-label="Field alerts"
      data-testid="fa-alert-banner"
      data-count={alerts.length}
      role={urgent ? 'alert' : 'status'}
    >
      <div className="fa-alerts-head">
        <strong>
          {alerts.length} alert{alerts.length === 1 ? '' : 's'}
          {sos ? ` \u00b7 ${sos} SOS` : ''}
        </strong>
        {alerts.length > SHOWN ? (
          <button type="button" className="btn btn-ghost btn-sm" onClick={() => setExpanded((x) => !x)} data-testid="fa-alerts-toggle">
            {expanded ? 'Show fewer' : `Show all ${alerts.length}`}
          </button>
        ) : null}
      </div>
      {error ? <div className="field-error">{error}</div> : null}
      <ul className="fa-alert-list">
        {shown.map((a) => {
          const kind = eventKindOf(a);
          const device = live.devices.get(a.deviceId);
          return (
            <li
              key={a.id}
              className={`fa-alert fa-alert-${kind === 'sos' ? 'sos' : severityOf(a)}${live.fresh.has(a.id) ? ' fa-alert-new' : ''}`}
              data-testid={`fa-alert-${a.id}`}
              data-kind={kind}
              data-device={device?.uniqueId ?? a.deviceId}
            >
              <span className="fa-alert-kind">{EVENT_LABELS[kind]}</span>
              {live.fresh.has(a.id) ? <span className="fa-alert-newtag">new</span> : null}
              <span className="fa-alert-msg">{a.message}</span>
              <Link to={`${base}/devices/${encodeURIComponent(a.deviceId)}`} className="fa-alert-device">
                {device?.name ?? 'device'}
              </Link>
              <time className="muted small" dateTime={a.at} title={formatDateTime(a.at)}>
                {ago(a.at, now)}
              </time>
              {can('field-assets.write') ? (
                <button
                  type="button"
                  className="btn btn-secondary btn-sm"
                  disabled={busy === a.id}
                  onClick={() => void ack(a)}
                  data-testid={`fa-alert-ack-${a.id}`}
                >
                  Acknowledge
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
