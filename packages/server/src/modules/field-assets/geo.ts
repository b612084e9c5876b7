/**
 * Geometry for geofences and separation: great-circle distance, point in
 * polygon, distance to a polyline (corridors), bounding boxes and a grid
 * index that pre-filters geofences by bounding box so that hundreds of
 * geofences cost a handful of exact tests per position.
 */
import type { FieldGeofenceGeometry } from '@kotwal/contracts';

const R = 6_371_008.8; // mean Earth radius, metres
const RAD = Math.PI / 180;

export interface Pt {
  lat: number;
  lon: number;
}

export interface BBox {
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
}

/** Haversine distance in metres. */
export function distanceMetres(a: Pt, b: Pt): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Ray casting; the ring is not closed (first point not repeated). Works in degrees (geofences are city-sized). */
export function pointInPolygon(p: Pt, ring: readonly Pt[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i];
    const b = ring[j];
    if (a.lat > p.lat !== b.lat > p.lat && p.lon < ((b.lon - a.lon) * (p.lat - a.lat)) / (b.lat - a.lat) + a.lon) inside = !inside;
  }
  return inside;
}

/** Distance in metres from p to segment ab, on a local equirectangular projection (accurate at city scale). */
export function distanceToSegmentMetres(p: Pt, a: Pt, b: Pt): number {
  const kx = Math.cos(p.lat * RAD) * RAD * R;
  const ky = RAD * R;
  const ax = (a.lon - p.lon) * kx;
  const ay = (a.lat - p.lat) * ky;
  const bx = (b.lon - p.lon) * kx;
  const by = (b.lat - p.lat) * ky;
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 === 0 ? 0 : -(ax * dx + ay * dy) / len2;
  t = Math.max(0, Math.min(1, t));
  const x = ax + t * dx;
  const y = ay + t * dy;
  return Math.sqrt(x * x + y * y);
}

export function distanceToPolylineMetres(p: Pt, line: readonly Pt[]): number {
  let best = Infinity;
  for (let i = 1; i < line.length; i++) best = Math.min(best, distanceToSegmentMetres(p, line[i - 1], line[i]));
  return best;
}

/** Metres to degrees of latitude; and of longitude at a latitude. */
const metresToLat = (m: number): number => m / (R * RAD);
const metresToLon = (m: number, lat: number): number => m / (R * RAD * Math.max(0.01, Math.cos(lat * RAD)));

export function bboxOf(g: FieldGeofenceGeometry): BBox {
  if (g.type === 'circle') {
    const dLat = metresToLat(g.radiusMetres);
    const dLon = metresToLon(g.radiusMetres, g.center.lat);
    return { minLat: g.center.lat - dLat, maxLat: g.center.lat + dLat, minLon: g.center.lon - dLon, maxLon: g.center.lon + dLon };
  }
  const b: BBox = { minLat: Infinity, maxLat: -Infinity, minLon: Infinity, maxLon: -Infinity };
  for (const p of g.points) {
    b.minLat = Math.min(b.minLat, p.lat);
    b.maxLat = Math.max(b.maxLat, p.lat);
    b.minLon = Math.min(b.minLon, p.lon);
    b.maxLon = Math.max(b.maxLon, p.lon);
  }
  if (g.type === 'corridor') {
    const half = g.widthMetres / 2;
    const dLat = metresToLat(half);
    const dLon = metresToLon(half, Math.max(Math.abs(b.minLat), Math.abs(b.maxLat)));
    b.minLat -= dLat;
    b.maxLat += dLat;
    b.minLon -= dLon;
    b.maxLon += dLon;
  }
  return b;
}

export function inBBox(p: Pt, b: BBox): boolean {
  return p.lat >= b.minLat && p.lat <= b.maxLat && p.lon >= b.minLon && p.lon <= b.maxLon;
}

/** Exact test: is p inside the geometry? */
export function contains(g: FieldGeofenceGeometry, p: Pt): boolean {
  switch (g.type) {
    case 'circle':
      return distanceMetres(g.center, p) <= g.radiusMetres;
    case 'polygon':
      return pointInPolygon(p, g.points);
    case 'corridor':
      return distanceToPolylineMetres(p, g.points) <= g.widthMetres / 2;
  }
}

export interface Indexed {
  id: string;
  geometry: FieldGeofenceGeometry;
  bbox: BBox;
}

/**
 * A uniform grid over longitude/latitude (cells of `cellDeg` degrees): each
 * geofence is listed in the cells its bounding box covers; one that would
 * cover too many cells goes to a short "large" list tested by bounding box.
 */
export class GeofenceGrid {
  private readonly cells = new Map<string, Indexed[]>();
  private readonly large: Indexed[] = [];
  private readonly all = new Map<string, Indexed>();

  constructor(
    private readonly cellDeg = 0.02,
    private readonly maxCells = 400,
  ) {}

  get size(): number {
    return this.all.size;
  }

  private key(ix: number, iy: number): string {
    return `${ix}:${iy}`;
  }

  add(id: string, geometry: FieldGeofenceGeometry): void {
    this.remove(id);
    const item: Indexed = { id, geometry, bbox: bboxOf(geometry) };
    this.all.set(id, item);
    const x0 = Math.floor(item.bbox.minLon / this.cellDeg);
    const x1 = Math.floor(item.bbox.maxLon / this.cellDeg);
    const y0 = Math.floor(item.bbox.minLat / this.cellDeg);
    const y1 = Math.floor(item.bbox.maxLat / this.cellDeg);
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > this.maxCells) {
      this.large.push(item);
      return;
    }
    for (let x = x0; x <= x1; x++) {
      for (let y = y0; y <= y1; y++) {
        const k = this.key(x, y);
        const list = this.cells.get(k);
        if (list) list.push(item);
        else this.cells.set(k, [item]);
      }
    }
  }

  remove(id: string): void {
    const item = this.all.get(id);
    if (!item) return;
    this.all.delete(id);
    const li = this.large.indexOf(item);
    if (li >= 0) {
      this.large.splice(li, 1);
      return;
    }
    for (const [k, list] of this.cells) {
      const i = list.indexOf(item);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.cells.delete(k);
    }
  }

  /** Ids of the geofences that contain p (bounding-box pre-filter, then the exact test). */
  containing(p: Pt): string[] {
    const out: string[] = [];
    const list = this.cells.get(this.key(Math.floor(p.lon / this.cellDeg), Math.floor(p.lat / this.cellDeg)));
    if (list) for (const g of list) if (inBBox(p, g.bbox) && contains(g.geometry, p)) out.push(g.id);
    for (const g of this.large) if (inBBox(p, g.bbox) && contains(g.geometry, p)) out.push(g.id);
    return out;
  }
}
