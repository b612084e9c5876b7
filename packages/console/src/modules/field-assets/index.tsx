/**
 * Field assets (Field Assets / ECV) console: the live map with clustering
 * and the device list beside it, device detail, the geofence editor, replay
 * (the fleet at a past instant, one device's track at 1x-64x) and the alert
 * banner over every screen (SOS first).
 *
 * Mounted at /systems/field-assets; routes inside itself on `subPath`:
 *   (none)           live map and device list
 *   /devices/<id>    device detail
 *   /geofences       geofence editor
 *   /replay          replay (?device=<id>&from=&to= or ?at=<ISO>)
 *
 * Leaflet and its CSS load with this chunk only (the module is lazy).
 */
import { useEffect, useSyncExternalStore, type ReactNode } from 'react';
import type { ModuleScreenProps } from '../index.ts';
import { modulePath } from '../../core/layout/nav.ts';
import { useSession } from '../../core/auth/session.tsx';
import { Link } from '../../router.tsx';
import { EmptyState } from '../../ui/feedback.tsx';
import { PageHeader } from '../../ui/page.tsx';
import { liveStore } from './live.ts';
import { AlertBanner } from './alerts.tsx';
import { LiveScreen } from './live-screen.tsx';
import { DeviceDetailScreen } from './device-detail.tsx';
import { GeofencesScreen } from './geofences.tsx';
import { ReplayScreen } from './replay.tsx';
import { MapSourceButton } from './map-source.tsx';
import './field-assets.css';

type Section = 'live' | 'geofences' | 'replay';

const TABS: readonly { section: Section; path: string; label: string }[] = [
  { section: 'live', path: '', label: 'Live map' },
  { section: 'geofences', path: '/geofences', label: 'Geofences' },
  { section: 'replay', path: '/replay', label: 'Replay' },
];

export default function FieldAssetsScreen({ module, subPath }: ModuleScreenProps) {
  const { can } = useSession();
  const base = modulePath(module.name);
  const parts = subPath.split('/').filter(Boolean).map(decodeURIComponent);
  const readable = can('field-assets.read');

  // One live connection while any field-assets screen is open.
  useEffect(() => (readable ? liveStore.retain() : undefined), [readable]);
  const live = useSyncExternalStore(liveStore.subscribe, liveStore.getSnapshot);

  let section: Section | null = null;
  let body: ReactNode;
  if (!readable) {
    body = <EmptyState title="Not available">Seeing field assets needs the field-assets.read permission.</EmptyState>;
  } else if (parts.length === 0) {
    section = 'live';
    body = <LiveScreen base={base} live={live} />;
  } else if (parts[0] === 'devices' && parts[1]) {
    // Keyed: going from one device to another (a link, the vehicle) starts its forms afresh.
    body = <DeviceDetailScreen key={parts[1]} base={base} deviceId={parts[1]} live={live} />;
  } else if (parts[0] === 'geofences' && parts.length === 1) {
    section = 'geofences';
    body = <GeofencesScreen />;
  } else if (parts[0] === 'replay' && parts.length === 1) {
    section = 'replay';
    body = <ReplayScreen live={live} />;
  } else {
    body = (
      <EmptyState title="No such screen">
        <Link to={base}>Back to the live map</Link>
      </EmptyState>
    );
  }

  return (
    <div className="field-assets" data-testid="field-assets-screen">
      <PageHeader
        title={module.programmeName ? `${module.title} (${module.programmeName})` : module.title}
        description="Command vehicles, patrol cars, motorcycles, handhelds and cameras, live. Covert cameras are shown only to those allowed, and every view of them is recorded in the ledger."
        actions={<MapSourceButton />}
      />
      {readable ? <AlertBanner live={live} base={base} /> : null}
      {readable ? (
        <nav className="fa-tabs" aria-label="Field assets screens" data-testid="field-assets-nav">
          {TABS.map((t) => (
            <Link
              key={t.section}
              to={`${base}${t.path}`}
              className={`fa-tab${section === t.section ? ' active' : ''}`}
              aria-current={section === t.section ? 'page' : undefined}
              data-testid={`fa-tab-${t.section}`}
            >
              {t.label}
            </Link>
          ))}
          <LiveIndicator status={live.status} reason={live.reason} />
        </nav>
      ) : null}
      {body}
    </div>
  );
}

function LiveIndicator({ status, reason }: { status: string; reason: string | null }) {
  const label =
    status === 'open' ? 'Live' : status === 'connecting' ? 'Connecting\u2026' : status === 'reconnecting' ? 'Reconnecting\u2026' : 'Live stream closed';
  return (
    <span className={`fa-live fa-live-${status}`} data-testid="fa-live-status" data-status={status} title={reason ?? undefined} role="status">
      <span className="fa-live-dot" aria-hidden="true" />
      {label}
    </span>
  );
}
