/**
 * The live map and the device list beside it. The list searches by name,
 * serial (uniqueId), unit or officer (assigned officer's id or name) as you
 * type; selecting a device centres the map on it.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { FieldDevice, FieldPosition } from '@kotwal/contracts';
import { FIELD_ASSET_KINDS, type DeviceConnection, type FieldAssetKind } from '@kotwal/contracts';
import { useSession } from '../../core/auth/session.tsx';
import { Link, navigate } from '../../router.tsx';
import { Badge, EmptyState } from '../../ui/feedback.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { useNow } from '../../ui/use-now.ts';
import { ago, connectionOf, eventKindOf, KIND_LABELS, kindOf } from './api.ts';
import { liveStore, type LiveSnapshot } from './live.ts';
import { FieldMap, useFieldMap } from './map/field-map.tsx';
import { DeviceMarkers } from './map/device-markers.tsx';
import { RegisterDeviceButton } from './register-device.tsx';

export function deviceMatches(d: FieldDevice, q: string): boolean {
  const s = q.trim().toLowerCase();
  if (!s) return true;
  const a = d.assignment;
  return [d.name, d.uniqueId, d.unit, a?.officerId, a?.officerName].some((v) => typeof v === 'string' && v.toLowerCase().includes(s));
}

export function ConnectionBadge({ device }: { device: FieldDevice }) {
  const c: DeviceConnection = connectionOf(device);
  return (
    <span data-testid="connection" data-connection={c}>
      <Badge tone={c === 'online' ? 'success' : c === 'offline' ? 'warning' : 'neutral'}>{c}</Badge>
    </span>
  );
}

export function BatteryText({ level, charging }: { level: number | null | undefined; charging: boolean | null | undefined }) {
  if (level === null || level === undefined) return <span className="muted">{'\u2014'}</span>;
  return (
    <span className={level <= 15 ? 'fa-battery-low' : undefined} data-testid="battery">
      {Math.round(level)}%{charging ? ' \u26a1' : ''}
    </span>
  );
}

/** Centres the map on a point when `target` changes. */
export function PanTo({ target, zoom }: { target: { lat: number; lon: number; key: string } | null; zoom?: number }) {
  const map = useFieldMap();
  const key = target?.key;
  useEffect(() => {
    if (!target) return;
    map.setView([target.lat, target.lon], Math.max(map.getZoom(), zoom ?? 15), { animate: false });
    // Only when the target itself changes, not on every position update.
  }, [key]);
  return null;
}

export function LiveScreen({ base, live }: { base: string; live: LiveSnapshot }) {
  const { can } = useSession();
  const now = useNow(5000);
  const [q, setQ] = useState('');
  const [kind, setKind] = useState<FieldAssetKind | ''>('');
  const [connection, setConnection] = useState<DeviceConnection | ''>('');
  const [selected, setSelected] = useState<string | null>(null);
  const [panKey, setPanKey] = useState(0);

  const devices = useMemo(() => [...live.devices.values()].sort((a, b) => a.name.localeCompare(b.name)), [live.devices]);
  const shown = useMemo(
    () => devices.filter((d) => deviceMatches(d, q) && (!kind || kindOf(d) === kind) && (!connection || connectionOf(d) === connection)),
    [devices, q, kind, connection],
  );
  const shownIds = useMemo(() => new Set(shown.map((d) => d.id)), [shown]);
  const positions = useMemo(() => {
    const m = new Map<string, FieldPosition>();
    for (const [id, p] of live.positions) if (shownIds.has(id)) m.set(id, p);
    return m;
  }, [live.positions, shownIds]);
  const sosDevices = useMemo(() => new Set(live.alerts.filter((a) => eventKindOf(a) === 'sos').map((a) => a.deviceId)), [live.alerts]);
  const subscribe = useCallback(
    (l: (items: readonly FieldPosition[]) => void) => liveStore.onPositions((items) => l(items.filter((p) => shownIds.has(p.deviceId)))),
    [shownIds],
  );

  const sel = selected ? live.devices.get(selected) : undefined;
  const selPos = selected ? live.positions.get(selected) : undefined;
  const target = selPos && selected ? { lat: selPos.lat, lon: selPos.lon, key: `${selected}:${panKey}` } : null;
  const select = (id: string) => {
    setSelected(id);
    setPanKey((k) => k + 1);
  };
  const online = devices.filter((d) => connectionOf(d) === 'online').length;

  return (
    <div className="fa-live-layout">
      <FieldMap testId="fa-live-map">
        <DeviceMarkers
          devices={live.devices}
          positions={positions}
          sosDevices={sosDevices}
          selectedId={selected}
          onSelect={select}
          subscribe={subscribe}
          fitOnFirst
        />
        <PanTo target={target} />
      </FieldMap>
      <aside className="fa-side panel" aria-label="Devices">
        <div className="fa-side-head">
          <h2>
            Devices <span className="muted small">{`${online} online of ${devices.length}`}</span>
          </h2>
          {can('field-assets.write') ? <RegisterDeviceButton onCreated={(d) => liveStore.upsertDevice(d)} /> : null}
        </div>
        <div className="fa-filters">
          <input
            type="search"
            placeholder="Name, serial or officer"
            aria-label="Search devices by name, serial or officer"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            data-testid="fa-search"
          />
          <select aria-label="Kind" value={kind} onChange={(e) => setKind(e.target.value as FieldAssetKind | '')} data-testid="fa-filter-kind">
            <option value="">All kinds</option>
            {FIELD_ASSET_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
          <select
            aria-label="Connection"
            value={connection}
            onChange={(e) => setConnection(e.target.value as DeviceConnection | '')}
            data-testid="fa-filter-connection"
          >
            <option value="">Any state</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
            <option value="unknown">Never reported</option>
          </select>
        </div>
        {sel ? (
          <div className="fa-selected" data-testid="fa-selected">
            <div className="strong">{sel.name}</div>
            <div className="muted small">
              {KIND_LABELS[kindOf(sel)]} · {sel.uniqueId}
              {selPos ? ` · ${selPos.lat.toFixed(5)}, ${selPos.lon.toFixed(5)}` : ''}
            </div>
            <Link to={`${base}/devices/${encodeURIComponent(sel.id)}`} className="btn btn-secondary btn-sm" data-testid="fa-selected-open">
              Details
            </Link>
          </div>
        ) : null}
        {devices.length === 0 ? (
          <EmptyState title={live.status === 'open' ? 'No devices yet' : 'Loading devices\u2026'}>
            {live.status === 'open' ? 'Register a device, then point its tracker (Traccar Client, OsmAnd) at this node.' : null}
          </EmptyState>
        ) : shown.length === 0 ? (
          <EmptyState title="Nothing matches">Try part of a name, serial number or officer.</EmptyState>
        ) : (
          <ul className="fa-device-list" data-testid="fa-device-list">
            {shown.map((d) => {
              const p = live.positions.get(d.id);
              const officer = d.assignment?.officerName ?? d.assignment?.officerId ?? null;
              return (
                <li key={d.id} className={selected === d.id ? 'selected' : undefined}>
                  <button
                    type="button"
                    className="fa-device-row"
                    onClick={() => select(d.id)}
                    onDoubleClick={() => navigate(`${base}/devices/${encodeURIComponent(d.id)}`)}
                    data-testid={`fa-device-${d.uniqueId}`}
                    data-lat={p?.lat}
                    data-lon={p?.lon}
                    data-fix-time={p?.fixTime}
                    aria-pressed={selected === d.id}
                  >
                    <span className="fa-device-name">
                      {d.name}
                      {d.covert ? (
                        <span className="fa-covert-tag" title="Covert camera: every view is ledgered">
                          covert
                        </span>
                      ) : null}
                    </span>
                    <span className="fa-device-meta muted small">
                      {KIND_LABELS[kindOf(d)]} · {d.uniqueId}
                      {officer ? ` · ${officer}` : ''}
                    </span>
                    <span className="fa-device-state">
                      <ConnectionBadge device={d} />
                      <BatteryText level={d.state.batteryLevel} charging={d.state.charging} />
                      <span className="muted small" title={p ? formatDateTime(p.fixTime) : undefined}>
                        {p ? ago(p.fixTime, now) : 'no position'}
                      </span>
                    </span>
                  </button>
                </li>
              );
            })}
          </ul>
        )}
      </aside>
    </div>
  );
}
