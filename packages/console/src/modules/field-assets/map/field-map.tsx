/**
 * A Leaflet map with the configured background (tile server or the bundled
 * offline map of Lahore). Leaflet draws with DOM and SVG, no WebGL, so it
 * runs in any browser including headless Chromium without a GPU.
 *
 * Children add their layers through useFieldMap(); they render nothing
 * inside the Leaflet container itself.
 */
import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { LAHORE_CENTER, LAHORE_DISTRICT, LAHORE_PLACES, LAHORE_ROADS, LAHORE_ZOOM } from '@kotwal/contracts';
import { readTileSetting, TILE_CHANGED_EVENT, TILE_STORAGE_KEY, type TileSetting } from './tiles.ts';

const MapContext = createContext<L.Map | null>(null);

export function useFieldMap(): L.Map {
  const m = useContext(MapContext);
  if (!m) throw new Error('useFieldMap outside <FieldMap>');
  return m;
}

/** The bundled vector map: district outline, main roads, place names. Nothing is fetched. */
export function offlineBasemap(): L.LayerGroup {
  const g = L.layerGroup();
  L.polygon(
    LAHORE_DISTRICT.map(([a, b]) => [a, b] as L.LatLngTuple),
    { color: '#4c6a8a', weight: 1.5, dashArray: '6 4', fillColor: '#13202e', fillOpacity: 0.55, interactive: false, className: 'fa-basemap-district' },
  ).addTo(g);
  for (const r of LAHORE_ROADS) {
    L.polyline(
      r.points.map(([a, b]) => [a, b] as L.LatLngTuple),
      { color: r.major ? '#8a9bb0' : '#64768c', weight: r.major ? 4 : 2.5, opacity: 0.9, className: 'fa-basemap-road' },
    )
      .bindTooltip(r.name, { sticky: true, className: 'fa-road-tooltip' })
      .addTo(g);
  }
  for (const p of LAHORE_PLACES) {
    L.marker([p.at[0], p.at[1]], {
      interactive: false,
      keyboard: false,
      icon: L.divIcon({ className: 'fa-place-label', html: `<span>${escapeHtml(p.name)}</span>`, iconSize: [0, 0] }),
    }).addTo(g);
  }
  return g;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function subscribeTiles(l: () => void): () => void {
  const onStorage = (e: StorageEvent) => {
    if (e.key === TILE_STORAGE_KEY) l();
  };
  window.addEventListener(TILE_CHANGED_EVENT, l);
  window.addEventListener('storage', onStorage);
  return () => {
    window.removeEventListener(TILE_CHANGED_EVENT, l);
    window.removeEventListener('storage', onStorage);
  };
}

let cachedKey = '';
let cached: TileSetting = readTileSetting();
function tileSnapshot(): TileSetting {
  const next = readTileSetting();
  const key = JSON.stringify(next);
  if (key !== cachedKey) {
    cachedKey = key;
    cached = next;
  }
  return cached;
}

/** The tile setting, live (changes in the dialog or in another tab apply at once). */
export function useTileSetting(): TileSetting {
  return useSyncExternalStore(subscribeTiles, tileSnapshot);
}

export type BasemapState = 'offline' | 'tiles' | 'tiles-failing';

export function FieldMap({
  children,
  testId,
  className,
  center,
  zoom,
  onBasemapState,
}: {
  children?: ReactNode;
  testId?: string;
  className?: string;
  center?: readonly [number, number];
  zoom?: number;
  onBasemapState?: (s: BasemapState) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<L.Map | null>(null);
  const [basemap, setBasemap] = useState<BasemapState>('offline');
  const tiles = useTileSetting();
  const initial = useRef({ center: center ?? LAHORE_CENTER, zoom: zoom ?? LAHORE_ZOOM });

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const m = L.map(el, {
      center: [initial.current.center[0], initial.current.center[1]],
      zoom: initial.current.zoom,
      minZoom: 3,
      maxZoom: 19,
      zoomControl: true,
      attributionControl: true,
      worldCopyJump: false,
    });
    m.attributionControl.setPrefix('Leaflet');
    setMap(m);
    // The container may be laid out after the first paint (tabs, dialogs).
    const ro = new ResizeObserver(() => m.invalidateSize());
    ro.observe(el);
    return () => {
      ro.disconnect();
      m.remove();
      setMap(null);
    };
  }, []);

  useEffect(() => {
    if (!map) return;
    let layer: L.Layer;
    let fallback: L.LayerGroup | null = null;
    if (tiles.kind === 'tiles') {
      let loaded = 0;
      let failed = 0;
      const t = L.tileLayer(tiles.source.urlTemplate, { attribution: tiles.source.attribution, maxZoom: tiles.source.maxZoom, crossOrigin: false });
      t.on('tileload', () => {
        loaded++;
        if (fallback) {
          fallback.remove();
          fallback = null;
          setBasemap('tiles');
        }
      });
      t.on('tileerror', () => {
        failed++;
        // The tile server is not answering: draw the bundled map so the operator is not left with a blank screen.
        if (!fallback && loaded === 0 && failed >= 4) {
          fallback = offlineBasemap().addTo(map);
          setBasemap('tiles-failing');
        }
      });
      layer = t;
      setBasemap('tiles');
    } else {
      layer = offlineBasemap();
      setBasemap('offline');
    }
    layer.addTo(map);
    return () => {
      layer.remove();
      fallback?.remove();
    };
  }, [map, tiles]);

  useEffect(() => onBasemapState?.(basemap), [basemap, onBasemapState]);

  return (
    <div className={`fa-map-wrap${className ? ` ${className}` : ''}`}>
      <div ref={ref} className="fa-map" data-testid={testId} data-basemap={basemap} role="region" aria-label="Map" />
      {map ? <MapContext.Provider value={map}>{children}</MapContext.Provider> : null}
    </div>
  );
}
