/**
 * Device markers in a clustering layer (leaflet.markercluster). Markers are
 * DOM icons (no images), coloured by connection, lettered by kind, with a
 * ring for an active SOS; each carries data-testid="marker-<uniqueId>" and
 * its coordinates as data attributes. Positions move markers directly
 * (no React render per fix).
 */
import { useEffect, useRef } from 'react';
import L from 'leaflet';
import 'leaflet.markercluster';
import 'leaflet.markercluster/dist/MarkerCluster.css';
import 'leaflet.markercluster/dist/MarkerCluster.Default.css';
import type { FieldDevice, FieldPosition } from '@kotwal/contracts';
import { connectionOf, KIND_GLYPH, KIND_LABELS, kindOf } from '../api.ts';
import { escapeHtml, useFieldMap } from './field-map.tsx';

export interface MarkerInfo {
  device: FieldDevice | undefined;
  position: FieldPosition;
  sos: boolean;
  selected: boolean;
}

function iconFor(info: MarkerInfo, uniqueId: string): L.DivIcon {
  const d = info.device;
  const kind = d ? kindOf(d) : 'handheld';
  const conn = d ? connectionOf(d) : 'unknown';
  const cls = ['fa-marker', `fa-kind-${kind}`, `fa-conn-${conn}`, info.sos ? 'fa-sos' : '', info.selected ? 'fa-selected' : '', d?.covert ? 'fa-covert' : '']
    .filter(Boolean)
    .join(' ');
  const course = info.position.course;
  const arrow =
    course !== null && (info.position.speedKph ?? 0) > 2 ? `<span class="fa-marker-heading" style="transform: rotate(${Math.round(course)}deg)"></span>` : '';
  return L.divIcon({
    className: cls,
    iconSize: [26, 26],
    iconAnchor: [13, 13],
    html:
      `<span class="fa-marker-dot" data-testid="marker-${escapeHtml(uniqueId)}" data-lat="${info.position.lat}" data-lon="${info.position.lon}"` +
      ` data-connection="${conn}" title="${escapeHtml(d ? `${d.name} (${KIND_LABELS[kind]})` : uniqueId)}">${KIND_GLYPH[kind]}</span>${arrow}`,
  });
}

function clusterIcon(cluster: L.MarkerCluster): L.DivIcon {
  const children = cluster.getAllChildMarkers();
  const sos = children.some((m) => (m.options as { sos?: boolean }).sos);
  const n = cluster.getChildCount();
  const size = n < 10 ? 'small' : n < 100 ? 'medium' : 'large';
  return L.divIcon({
    html: `<div><span data-testid="cluster" data-count="${n}">${n}</span></div>`,
    className: `marker-cluster marker-cluster-${size}${sos ? ' fa-cluster-sos' : ''}`,
    iconSize: L.point(40, 40),
  });
}

/**
 * Keeps one marker per device with a position. `devices` gives names and
 * states; `positions` the latest fix of each; `onSelect` is called with a
 * device id when its marker is clicked.
 */
export function DeviceMarkers({
  devices,
  positions,
  sosDevices,
  selectedId,
  onSelect,
  subscribe,
  cluster = true,
  fitOnFirst = false,
}: {
  devices: ReadonlyMap<string, FieldDevice>;
  positions: ReadonlyMap<string, FieldPosition>;
  sosDevices?: ReadonlySet<string>;
  selectedId?: string | null;
  onSelect?: (deviceId: string) => void;
  /** Live position feed (moves markers between React renders). */
  subscribe?: (l: (items: readonly FieldPosition[]) => void) => () => void;
  cluster?: boolean;
  fitOnFirst?: boolean;
}) {
  const map = useFieldMap();
  const groupRef = useRef<L.MarkerClusterGroup | L.LayerGroup | null>(null);
  const markers = useRef(new Map<string, { marker: L.Marker; key: string }>());
  const props = useRef({ devices, sosDevices, selectedId, onSelect });
  props.current = { devices, sosDevices, selectedId, onSelect };
  const fitted = useRef(false);
  const lastSos = useRef('');

  useEffect(() => {
    const group = cluster
      ? L.markerClusterGroup({
          maxClusterRadius: 45,
          showCoverageOnHover: false,
          spiderfyOnMaxZoom: true,
          disableClusteringAtZoom: 17,
          chunkedLoading: true,
          iconCreateFunction: clusterIcon,
        })
      : L.layerGroup();
    group.addTo(map);
    groupRef.current = group;
    const all = markers.current;
    return () => {
      group.remove();
      groupRef.current = null;
      all.clear();
    };
  }, [map, cluster]);

  /** Adds or moves one marker. */
  const place = (p: FieldPosition): void => {
    const group = groupRef.current;
    if (!group) return;
    const { devices: devs, sosDevices: sos, selectedId: sel, onSelect: select } = props.current;
    const d = devs.get(p.deviceId);
    const info: MarkerInfo = { device: d, position: p, sos: sos?.has(p.deviceId) ?? false, selected: sel === p.deviceId };
    const uniqueId = d?.uniqueId ?? p.deviceId;
    const key = `${d?.name}|${d ? kindOf(d) : ''}|${d ? connectionOf(d) : ''}|${info.sos}|${info.selected}|${Math.round((p.course ?? -1) / 5)}|${(p.speedKph ?? 0) > 2}|${p.lat}|${p.lon}`;
    const existing = markers.current.get(p.deviceId);
    if (existing) {
      const ll = existing.marker.getLatLng();
      if (ll.lat !== p.lat || ll.lng !== p.lon) existing.marker.setLatLng([p.lat, p.lon]);
      if (existing.key !== key) {
        (existing.marker.options as { sos?: boolean }).sos = info.sos;
        existing.marker.setIcon(iconFor(info, uniqueId));
        existing.key = key;
      }
      return;
    }
    const marker = L.marker([p.lat, p.lon], { icon: iconFor(info, uniqueId), keyboard: true, title: d?.name ?? uniqueId, riseOnHover: true });
    (marker.options as { sos?: boolean }).sos = info.sos;
    marker.on('click', () => select?.(p.deviceId));
    markers.current.set(p.deviceId, { marker, key });
    group.addLayer(marker);
  };

  // Full sync on each React render (names, states, selection, removals).
  useEffect(() => {
    const group = groupRef.current;
    if (!group) return;
    for (const p of positions.values()) place(p);
    for (const [id, m] of markers.current) {
      if (!positions.has(id)) {
        group.removeLayer(m.marker);
        markers.current.delete(id);
      }
    }
    if (fitOnFirst && !fitted.current && positions.size > 0) {
      fitted.current = true;
      const b = L.latLngBounds([...positions.values()].map((p) => [p.lat, p.lon] as L.LatLngTuple));
      map.fitBounds(b.pad(0.3), { maxZoom: 14, animate: false });
    }
    // Cluster icons show an SOS inside them: redraw them when that set changes.
    const sosKey = [...(sosDevices ?? [])].sort().join(',');
    if (group instanceof L.MarkerClusterGroup && sosKey !== lastSos.current) group.refreshClusters();
    lastSos.current = sosKey;
  });

  // Live positions between renders.
  useEffect(() => {
    if (!subscribe) return;
    return subscribe((items) => {
      for (const p of items) place(p);
    });
    // `place` reads its inputs from props.current, so it need not be a dependency.
  }, [subscribe]);

  return null;
}
