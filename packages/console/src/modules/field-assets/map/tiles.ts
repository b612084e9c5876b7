/**
 * Where the map's background comes from.
 *
 * By default: nothing remote. The console draws its bundled vector map of
 * Lahore (LAHORE_ROADS and friends in @kotwal/contracts), so the map works on an isolated network and
 * in tests with no internet. A city with its own tile server sets a URL
 * template ({z}/{x}/{y}, optional {s}) in the map's "Map source" dialog;
 * it is kept in this browser's localStorage under TILE_STORAGE_KEY.
 *
 * The console's Content-Security-Policy allows images from this node only
 * (img-src 'self' data: blob:), so the tile server is best served under the
 * node's own origin (a reverse-proxy path such as /tiles/{z}/{x}/{y}.png);
 * a tile server on another origin needs that origin added to img-src.
 */

export const TILE_STORAGE_KEY = 'kotwal.field-assets.tiles';

export interface TileSource {
  /** e.g. /tiles/{z}/{x}/{y}.png or https://tiles.example.gov.pk/{z}/{x}/{y}.png */
  urlTemplate: string;
  attribution: string;
  maxZoom: number;
}

export type TileSetting = { kind: 'offline' } | { kind: 'tiles'; source: TileSource };

export const OFFLINE: TileSetting = { kind: 'offline' };

/** Why a URL template cannot be used, or null when it can. */
export function tileTemplateProblem(template: string): string | null {
  const t = template.trim();
  if (!t) return 'enter a URL template';
  if (t.length > 500) return 'at most 500 characters';
  if (!t.includes('{z}') || !t.includes('{x}') || !t.includes('{y}')) return 'must contain {z}, {x} and {y}';
  let u: URL;
  try {
    u = new URL(t.replace(/\{[a-z]\}/g, '0'), window.location.origin);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be http(s) or a path on this node';
  return null;
}

/** True when tiles would come from another origin than the console's (the CSP blocks those unless allowed). */
export function isCrossOrigin(template: string): boolean {
  try {
    return new URL(template.replace(/\{[a-z]\}/g, '0'), window.location.origin).origin !== window.location.origin;
  } catch {
    return false;
  }
}

export function readTileSetting(storage: Storage | undefined = safeStorage()): TileSetting {
  try {
    const raw = storage?.getItem(TILE_STORAGE_KEY);
    if (!raw) return OFFLINE;
    const v = JSON.parse(raw) as Partial<TileSource> | null;
    if (!v || typeof v.urlTemplate !== 'string' || tileTemplateProblem(v.urlTemplate)) return OFFLINE;
    return {
      kind: 'tiles',
      source: {
        urlTemplate: v.urlTemplate,
        attribution: typeof v.attribution === 'string' ? v.attribution.slice(0, 200) : '',
        maxZoom: typeof v.maxZoom === 'number' && v.maxZoom >= 1 && v.maxZoom <= 22 ? Math.round(v.maxZoom) : 19,
      },
    };
  } catch {
    return OFFLINE;
  }
}

export function writeTileSetting(setting: TileSetting, storage: Storage | undefined = safeStorage()): void {
  if (!storage) return;
  if (setting.kind === 'offline') storage.removeItem(TILE_STORAGE_KEY);
  else storage.setItem(TILE_STORAGE_KEY, JSON.stringify(setting.source));
  window.dispatchEvent(new Event(TILE_CHANGED_EVENT));
}

export const TILE_CHANGED_EVENT = 'kotwal:field-assets-tiles';

function safeStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
