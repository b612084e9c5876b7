/**
 * Drawing geofences on the map: circle, polygon and corridor (a polyline
 * with a width: drawn as its buffer, segment bands plus round joints).
 */
import L from 'leaflet';
import type { FieldGeofenceGeometry } from '@kotwal/contracts';

export type LatLon = { lat: number; lon: number };

const M_PER_DEG_LAT = 110_574;
const mPerDegLon = (lat: number): number => 111_320 * Math.cos((lat * Math.PI) / 180);

/** The band either side of segment a-b, `half` metres wide on each side. */
function band(a: LatLon, b: LatLon, half: number): L.LatLngTuple[] {
  const k = mPerDegLon((a.lat + b.lat) / 2);
  const dx = (b.lon - a.lon) * k;
  const dy = (b.lat - a.lat) * M_PER_DEG_LAT;
  const len = Math.hypot(dx, dy) || 1;
  // Unit normal, in metres, turned back into degrees.
  const nx = (-dy / len) * half;
  const ny = (dx / len) * half;
  const off = (p: LatLon, s: number): L.LatLngTuple => [p.lat + (s * ny) / M_PER_DEG_LAT, p.lon + (s * nx) / k];
  return [off(a, 1), off(b, 1), off(b, -1), off(a, -1)];
}

export interface ShapeStyle {
  color: string;
  fillOpacity: number;
  weight: number;
  dashArray?: string;
  className?: string;
}

/** A Leaflet layer for a geofence geometry. */
export function geometryLayer(g: FieldGeofenceGeometry, style: ShapeStyle): L.Layer {
  switch (g.type) {
    case 'circle':
      return L.circle([g.center.lat, g.center.lon], { radius: g.radiusMetres, ...style });
    case 'polygon':
      return L.polygon(
        g.points.map((p) => [p.lat, p.lon] as L.LatLngTuple),
        style,
      );
    case 'corridor': {
      const half = g.widthMetres / 2;
      const group = L.featureGroup();
      const fill = { ...style, stroke: false, fillOpacity: style.fillOpacity };
      for (let i = 1; i < g.points.length; i++) L.polygon(band(g.points[i - 1], g.points[i], half), fill).addTo(group);
      for (const p of g.points) L.circle([p.lat, p.lon], { ...fill, radius: half }).addTo(group);
      L.polyline(
        g.points.map((p) => [p.lat, p.lon] as L.LatLngTuple),
        { color: style.color, weight: 2, dashArray: '6 6', className: style.className ?? '' },
      ).addTo(group);
      return group;
    }
  }
}

/** Where to put a label or centre the map for a geometry. */
export function geometryCenter(g: FieldGeofenceGeometry): LatLon {
  if (g.type === 'circle') return g.center;
  const pts = g.points;
  return { lat: pts.reduce((s, p) => s + p.lat, 0) / pts.length, lon: pts.reduce((s, p) => s + p.lon, 0) / pts.length };
}

export function geometryBounds(g: FieldGeofenceGeometry): L.LatLngBounds {
  if (g.type === 'circle') {
    const dLat = g.radiusMetres / M_PER_DEG_LAT;
    const dLon = g.radiusMetres / mPerDegLon(g.center.lat);
    return L.latLngBounds([g.center.lat - dLat, g.center.lon - dLon], [g.center.lat + dLat, g.center.lon + dLon]);
  }
  const pad = g.type === 'corridor' ? g.widthMetres / 2 / M_PER_DEG_LAT : 0;
  const b = L.latLngBounds(g.points.map((p) => [p.lat, p.lon] as L.LatLngTuple));
  return pad
    ? b
        .pad(0)
        .extend([b.getSouth() - pad, b.getWest() - pad])
        .extend([b.getNorth() + pad, b.getEast() + pad])
    : b;
}

export function describeGeometry(g: FieldGeofenceGeometry): string {
  switch (g.type) {
    case 'circle':
      return `circle, ${Math.round(g.radiusMetres)} m radius`;
    case 'polygon':
      return `polygon, ${g.points.length} corners`;
    case 'corridor':
      return `corridor, ${g.points.length} points, ${Math.round(g.widthMetres)} m wide`;
  }
}
