/**
 * The geofence editor. Draw on the map:
 *   circle    click the centre, then click the edge (or type the radius)
 *   polygon   click each corner; Finish (or double-click) closes it
 *   corridor  click along the route; Finish (or double-click); set its width
 * then drag the handles to adjust (circle centre and edge, polygon and
 * corridor vertices) and save. Existing geofences open in the same editor.
 * Devices are shown for context; the cursor's coordinates are shown while
 * the pointer is over the map.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import L from 'leaflet';
import type { FieldGeofence, FieldGeofenceGeometry, FieldPosition } from '@kotwal/contracts';
import { errorMessage, isApiError } from '../../api/client.ts';
import { useSession } from '../../core/auth/session.tsx';
import { Alert, Badge, EmptyState, Loading } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { ConfirmDialog } from '../../ui/modal.tsx';
import { useAsync } from '../../ui/use-async.ts';
import { fieldApi } from './api.ts';
import { liveStore } from './live.ts';
import { FieldMap, useFieldMap } from './map/field-map.tsx';
import { DeviceMarkers } from './map/device-markers.tsx';
import { describeGeometry, geometryBounds, geometryLayer, type LatLon } from './map/geofence-layers.ts';

type Tool = 'circle' | 'polygon' | 'corridor';

type DraftGeometry =
  | { type: 'circle'; center: LatLon | null; radiusMetres: number | null }
  | { type: 'polygon'; points: LatLon[] }
  | { type: 'corridor'; points: LatLon[]; widthMetres: number };

interface Draft {
  id: string | null;
  name: string;
  description: string;
  active: boolean;
  geometry: DraftGeometry;
  /** Clicks on the map add to the shape. */
  drawing: boolean;
}

const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;
const ll = (e: L.LatLng): LatLon => ({ lat: round6(e.lat), lon: round6(e.lng) });

export function completeGeometry(g: DraftGeometry): FieldGeofenceGeometry | null {
  switch (g.type) {
    case 'circle':
      return g.center && g.radiusMetres && g.radiusMetres > 0 ? { type: 'circle', center: g.center, radiusMetres: Math.round(g.radiusMetres * 10) / 10 } : null;
    case 'polygon':
      return g.points.length >= 3 ? { type: 'polygon', points: g.points } : null;
    case 'corridor':
      return g.points.length >= 2 && g.widthMetres > 0 ? { type: 'corridor', points: g.points, widthMetres: g.widthMetres } : null;
  }
}

function draftOf(g: FieldGeofence): Draft {
  const geo = g.geometry;
  const geometry: DraftGeometry =
    geo.type === 'circle'
      ? { type: 'circle', center: geo.center, radiusMetres: geo.radiusMetres }
      : geo.type === 'polygon'
        ? { type: 'polygon', points: [...geo.points] }
        : { type: 'corridor', points: [...geo.points], widthMetres: geo.widthMetres };
  return { id: g.id, name: g.name, description: g.description ?? '', active: g.active, geometry, drawing: false };
}

function newDraft(tool: Tool): Draft {
  const geometry: DraftGeometry =
    tool === 'circle'
      ? { type: 'circle', center: null, radiusMetres: null }
      : tool === 'polygon'
        ? { type: 'polygon', points: [] }
        : { type: 'corridor', points: [], widthMetres: 100 };
  return { id: null, name: '', description: '', active: true, geometry, drawing: true };
}

const HANDLE_PANE = 'fa-handles';

/** Map clicks while drawing, the preview, and draggable handles. */
function DraftEditor({ draft, onChange }: { draft: Draft; onChange: (update: (d: Draft) => Draft) => void }) {
  const map = useFieldMap();
  const layers = useRef<L.LayerGroup | null>(null);
  const previewRadius = useRef<L.Circle | null>(null);

  useEffect(() => {
    if (!map.getPane(HANDLE_PANE)) {
      const pane = map.createPane(HANDLE_PANE);
      pane.style.zIndex = '650';
    }
    const g = L.layerGroup().addTo(map);
    layers.current = g;
    return () => {
      g.remove();
      layers.current = null;
    };
  }, [map]);

  // Clicks add to the shape while drawing.
  useEffect(() => {
    if (!draft.drawing) return;
    const container = map.getContainer();
    container.classList.add('fa-drawing');
    map.doubleClickZoom.disable();
    const onClick = (e: L.LeafletMouseEvent) => {
      const p = ll(e.latlng);
      onChange((d) => {
        const g = d.geometry;
        if (g.type === 'circle') {
          if (!g.center) return { ...d, geometry: { ...g, center: p } };
          const r = map.distance([g.center.lat, g.center.lon], e.latlng);
          return r > 0 ? { ...d, geometry: { ...g, radiusMetres: Math.round(r) }, drawing: false } : d;
        }
        const last = g.points.at(-1);
        // The clicks of a double-click land on the same spot: one point.
        if (last && map.latLngToContainerPoint([last.lat, last.lon]).distanceTo(e.containerPoint) < 4) return d;
        return { ...d, geometry: { ...g, points: [...g.points, p] } };
      });
    };
    const onDbl = () => onChange((d) => (completeGeometry(d.geometry) ? { ...d, drawing: false } : d));
    const onMove = (e: L.LeafletMouseEvent) => {
      const g = draft.geometry;
      if (g.type !== 'circle' || !g.center) return;
      const r = map.distance([g.center.lat, g.center.lon], e.latlng);
      if (!previewRadius.current) {
        previewRadius.current = L.circle([g.center.lat, g.center.lon], {
          radius: r,
          color: '#f5b642',
          weight: 1,
          dashArray: '4 4',
          fillOpacity: 0.08,
          interactive: false,
        }).addTo(map);
      } else previewRadius.current.setRadius(r);
    };
    map.on('click', onClick);
    map.on('dblclick', onDbl);
    map.on('mousemove', onMove);
    return () => {
      map.off('click', onClick);
      map.off('dblclick', onDbl);
      map.off('mousemove', onMove);
      previewRadius.current?.remove();
      previewRadius.current = null;
      container.classList.remove('fa-drawing');
      map.doubleClickZoom.enable();
    };
  }, [map, draft.drawing, draft.geometry, onChange]);

  // The shape and its handles.
  useEffect(() => {
    const g = layers.current;
    if (!g) return;
    g.clearLayers();
    const geo = draft.geometry;
    const style = { color: '#f5b642', weight: 2, fillOpacity: 0.15, className: 'fa-draft-shape' };
    const complete = completeGeometry(geo);
    if (complete) geometryLayer(complete, style).addTo(g);
    else if (geo.type !== 'circle' && geo.points.length)
      L.polyline(
        geo.points.map((p) => [p.lat, p.lon] as L.LatLngTuple),
        { color: '#f5b642', weight: 2, dashArray: '4 4' },
      ).addTo(g);

    const handle = (p: LatLon, testId: string, onDrag: (to: LatLon) => void, cls = '') => {
      const m = L.marker([p.lat, p.lon], {
        draggable: !draft.drawing,
        pane: HANDLE_PANE,
        keyboard: false,
        icon: L.divIcon({ className: `fa-handle ${cls}`, iconSize: [14, 14], iconAnchor: [7, 7], html: `<span data-testid="${testId}"></span>` }),
      });
      m.on('dragend', () => onDrag(ll(m.getLatLng())));
      m.addTo(g);
    };
    if (geo.type === 'circle') {
      if (geo.center) {
        const c = geo.center;
        handle(c, 'fa-handle-center', (to) => onChange((d) => (d.geometry.type === 'circle' ? { ...d, geometry: { ...d.geometry, center: to } } : d)));
        if (geo.radiusMetres) {
          const edge = L.latLng(c.lat, c.lon)
            .toBounds(geo.radiusMetres * 2)
            .getEast();
          handle(
            { lat: c.lat, lon: edge },
            'fa-handle-radius',
            (to) =>
              onChange((d) =>
                d.geometry.type === 'circle' && d.geometry.center
                  ? {
                      ...d,
                      geometry: { ...d.geometry, radiusMetres: Math.round(map.distance([d.geometry.center.lat, d.geometry.center.lon], [to.lat, to.lon])) },
                    }
                  : d,
              ),
            'fa-handle-edge',
          );
        }
      }
    } else {
      geo.points.forEach((p, i) =>
        handle(p, `fa-handle-${i}`, (to) =>
          onChange((d) => {
            if (d.geometry.type === 'circle') return d;
            const points = [...d.geometry.points];
            points[i] = to;
            return { ...d, geometry: { ...d.geometry, points } };
          }),
        ),
      );
    }
  }, [draft, map, onChange]);

  return null;
}

/** The pointer's coordinates (operators read them; the browser test uses them to draw). */
function CursorReadout() {
  const map = useFieldMap();
  const [at, setAt] = useState<LatLon | null>(null);
  useEffect(() => {
    const move = (e: L.LeafletMouseEvent) => setAt(ll(e.latlng));
    const out = () => setAt(null);
    map.on('mousemove', move);
    map.on('mouseout', out);
    return () => {
      map.off('mousemove', move);
      map.off('mouseout', out);
    };
  }, [map]);
  return (
    <div className="fa-cursor" data-testid="fa-cursor" data-lat={at?.lat} data-lon={at?.lon} aria-hidden="true">
      {at ? `${at.lat.toFixed(5)}, ${at.lon.toFixed(5)}` : ''}
    </div>
  );
}

/** Saved geofences (the one being edited is drawn by the editor instead). */
function SavedGeofences({
  items,
  editingId,
  onPick,
  interactive,
}: {
  items: readonly FieldGeofence[];
  editingId: string | null;
  onPick: (g: FieldGeofence) => void;
  interactive: boolean;
}) {
  const map = useFieldMap();
  useEffect(() => {
    const group = L.layerGroup().addTo(map);
    for (const g of items) {
      if (g.id === editingId) continue;
      const layer = geometryLayer(g.geometry, {
        color: g.active ? '#4cc2ff' : '#93a6bb',
        weight: 2,
        fillOpacity: 0.12,
        dashArray: g.active ? '' : '4 4',
        className: `fa-geofence-shape fa-geofence-${g.geometry.type}`,
      });
      if (interactive && (layer instanceof L.Path || layer instanceof L.FeatureGroup)) {
        layer.bindTooltip(g.name, { sticky: true });
        layer.on('click', () => onPick(g));
      }
      layer.addTo(group);
    }
    return () => {
      group.remove();
    };
  }, [map, items, editingId, onPick, interactive]);
  return null;
}

function FitTo({ bounds }: { bounds: { b: L.LatLngBounds; key: string } | null }) {
  const map = useFieldMap();
  const key = bounds?.key;
  useEffect(() => {
    if (bounds) map.fitBounds(bounds.b.pad(0.4), { maxZoom: 16, animate: false });
  }, [key]);
  return null;
}

export function GeofencesScreen() {
  const { can } = useSession();
  const writable = can('field-assets.write');
  const list = useAsync((signal) => fieldApi.geofences(signal), []);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [fit, setFit] = useState<{ b: L.LatLngBounds; key: string } | null>(null);
  const live = useSyncExternalStore(liveStore.subscribe, liveStore.getSnapshot);
  const subscribe = useCallback((l: (items: readonly FieldPosition[]) => void) => liveStore.onPositions(l), []);

  const update = useCallback((fn: (d: Draft) => Draft) => setDraft((d) => (d ? fn(d) : d)), []);
  const items = useMemo(() => list.data?.items ?? [], [list.data]);
  const pick = useCallback(
    (g: FieldGeofence) => {
      if (!writable) return;
      setDraft(draftOf(g));
      setError(null);
      setNotice(null);
      setFit({ b: geometryBounds(g.geometry), key: `${g.id}:${Date.now()}` });
    },
    [writable],
  );

  const complete = draft ? completeGeometry(draft.geometry) : null;
  const save = async () => {
    if (!draft || !complete) return;
    setBusy(true);
    setError(null);
    try {
      const body = { name: draft.name.trim(), description: draft.description.trim() || null, geometry: complete, active: draft.active };
      const saved = draft.id ? await fieldApi.updateGeofence(draft.id, body) : await fieldApi.createGeofence(body);
      setNotice(`Saved \u201c${saved.name}\u201d (${describeGeometry(saved.geometry)}).`);
      setDraft(null);
      list.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!draft?.id) return;
    setBusy(true);
    try {
      await fieldApi.deleteGeofence(draft.id);
      setNotice(`Deleted \u201c${draft.name}\u201d.`);
      setDraft(null);
      setConfirmDelete(false);
      list.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fe = (f: string) => (isApiError(error) ? error.fieldError(f) : undefined);
  const g = draft?.geometry;

  return (
    <div className="fa-live-layout">
      <FieldMap testId="fa-geofence-map">
        <SavedGeofences items={items} editingId={draft?.id ?? null} onPick={pick} interactive={!draft} />
        <DeviceMarkers devices={live.devices} positions={live.positions} subscribe={subscribe} />
        {draft ? <DraftEditor draft={draft} onChange={update} /> : null}
        <CursorReadout />
        <FitTo bounds={fit} />
      </FieldMap>
      <aside className="fa-side panel" aria-label="Geofences">
        <div className="fa-side-head">
          <h2>Geofences</h2>
        </div>
        {notice ? (
          <Alert tone="success" testId="fa-geofence-notice">
            {notice}
          </Alert>
        ) : null}
        {writable && !draft ? (
          <div className="fa-tools" role="group" aria-label="Draw a new geofence">
            {(['circle', 'polygon', 'corridor'] as const).map((t) => (
              <button
                key={t}
                type="button"
                className="btn btn-secondary btn-sm"
                onClick={() => {
                  setDraft(newDraft(t));
                  setNotice(null);
                  setError(null);
                }}
                data-testid={`fa-draw-${t}`}
              >
                New {t}
              </button>
            ))}
          </div>
        ) : null}
        {draft && g ? (
          <form
            className="form-stack fa-geofence-form"
            data-testid="fa-geofence-form"
            data-complete={complete ? 'true' : 'false'}
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <p className="small" data-testid="fa-draw-hint">
              {draft.drawing
                ? g.type === 'circle'
                  ? g.center
                    ? 'Click the edge of the circle.'
                    : 'Click the centre of the circle.'
                  : `Click each ${g.type === 'polygon' ? 'corner' : 'point along the route'}; double-click or Finish when done (${g.points.length} so far).`
                : complete
                  ? `${describeGeometry(complete)}. Drag the handles to adjust.`
                  : 'Incomplete shape.'}
            </p>
            {draft.drawing && g.type !== 'circle' ? (
              <div className="button-row">
                <button
                  type="button"
                  className="btn btn-secondary btn-sm"
                  disabled={!completeGeometry(g)}
                  onClick={() => update((d) => ({ ...d, drawing: false }))}
                  data-testid="fa-draw-finish"
                >
                  Finish
                </button>
                <button
                  type="button"
                  className="btn btn-ghost btn-sm"
                  disabled={g.points.length === 0}
                  onClick={() =>
                    update((d) => (d.geometry.type === 'circle' ? d : { ...d, geometry: { ...d.geometry, points: d.geometry.points.slice(0, -1) } }))
                  }
                  data-testid="fa-draw-undo"
                >
                  Remove last point
                </button>
              </div>
            ) : null}
            {!draft.drawing && g.type !== 'circle' ? (
              <button type="button" className="btn btn-ghost btn-sm" onClick={() => update((d) => ({ ...d, drawing: true }))} data-testid="fa-draw-continue">
                Add points
              </button>
            ) : null}
            {g.type === 'circle' && g.center ? (
              <div className="form-row">
                <Field label="Centre" value={`${g.center.lat.toFixed(6)}, ${g.center.lon.toFixed(6)}`} readOnly testId="fa-circle-center" />
                <Field
                  label="Radius (m)"
                  type="number"
                  min={1}
                  max={100000}
                  value={g.radiusMetres ?? ''}
                  onChange={(e) => {
                    const r = Number(e.target.value);
                    update((d) =>
                      d.geometry.type === 'circle'
                        ? { ...d, geometry: { ...d.geometry, radiusMetres: e.target.value && r > 0 ? r : null }, drawing: false }
                        : d,
                    );
                  }}
                  error={fe('geometry/radiusMetres')}
                  testId="fa-circle-radius"
                />
              </div>
            ) : null}
            {g.type === 'corridor' ? (
              <Field
                label="Width (m)"
                hint="full width: inside means within half of it from the line"
                type="number"
                min={1}
                max={10000}
                value={g.widthMetres}
                onChange={(e) => {
                  const w = Number(e.target.value);
                  update((d) => (d.geometry.type === 'corridor' ? { ...d, geometry: { ...d.geometry, widthMetres: w > 0 ? w : 0 } } : d));
                }}
                error={fe('geometry/widthMetres')}
                testId="fa-corridor-width"
              />
            ) : null}
            <Field
              label="Name"
              value={draft.name}
              onChange={(e) => update((d) => ({ ...d, name: e.target.value }))}
              error={fe('name')}
              maxLength={120}
              testId="fa-geofence-name"
            />
            <Field
              label="Description"
              value={draft.description}
              onChange={(e) => update((d) => ({ ...d, description: e.target.value }))}
              error={fe('description')}
              maxLength={1000}
              testId="fa-geofence-description"
            />
            <label className="checkbox">
              <input
                type="checkbox"
                checked={draft.active}
                onChange={(e) => update((d) => ({ ...d, active: e.target.checked }))}
                data-testid="fa-geofence-active"
              />
              <span className="checkbox-text">
                <span className="checkbox-label">Active (raises enter and exit alerts)</span>
              </span>
            </label>
            {error && !fe('name') && !fe('description') ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
            <div className="button-row">
              <button type="submit" className="btn btn-primary btn-sm" disabled={busy || !complete || !draft.name.trim()} data-testid="fa-geofence-save">
                {busy ? 'Saving\u2026' : draft.id ? 'Save changes' : 'Save geofence'}
              </button>
              <button type="button" className="btn btn-secondary btn-sm" onClick={() => setDraft(null)} disabled={busy} data-testid="fa-geofence-cancel">
                Cancel
              </button>
              {draft.id ? (
                <button
                  type="button"
                  className="btn btn-danger-ghost btn-sm"
                  onClick={() => setConfirmDelete(true)}
                  disabled={busy}
                  data-testid="fa-geofence-delete"
                >
                  Delete
                </button>
              ) : null}
            </div>
          </form>
        ) : null}
        {list.loading && !list.data ? (
          <Loading />
        ) : list.error ? (
          <Alert tone="danger">{errorMessage(list.error)}</Alert>
        ) : items.length === 0 ? (
          <EmptyState title="No geofences">{writable ? 'Draw one: choose a shape, then click on the map.' : null}</EmptyState>
        ) : (
          <ul className="fa-device-list" data-testid="fa-geofence-list">
            {items.map((x) => (
              <li key={x.id} className={draft?.id === x.id ? 'selected' : undefined}>
                <button
                  type="button"
                  className="fa-device-row"
                  onClick={() => (writable ? pick(x) : setFit({ b: geometryBounds(x.geometry), key: `${x.id}:${Date.now()}` }))}
                  data-testid={`fa-geofence-${x.name}`}
                >
                  <span className="fa-device-name">
                    {x.name} {x.active ? null : <Badge>inactive</Badge>}
                  </span>
                  <span className="fa-device-meta muted small">{describeGeometry(x.geometry)}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </aside>
      <ConfirmDialog
        open={confirmDelete}
        title="Delete geofence"
        confirmLabel="Delete"
        tone="danger"
        busy={busy}
        onConfirm={() => void remove()}
        onClose={() => setConfirmDelete(false)}
        testId="fa-geofence-delete-dialog"
      >
        Delete &ldquo;{draft?.name}&rdquo;? Its past alerts stay in the record.
      </ConfirmDialog>
    </div>
  );
}
