/**
 * Trips and stops from a device's track (oldest first), in the manner of
 * Traccar's reports: a stop is a stretch of at least MIN_STOP_SECONDS where
 * the device stays within STOP_RADIUS_METRES; a trip is the movement between
 * two stops (or the ends of the range).
 */
import type { FieldStop, FieldTrip } from '@kotwal/contracts';
import { distanceMetres } from './geo.ts';

export interface TrackPoint {
  t: number;
  lat: number;
  lon: number;
  speedKph: number | null;
}

export const MIN_STOP_SECONDS = 180;
export const STOP_RADIUS_METRES = 50;
const MIN_TRIP_METRES = 100;

const iso = (ms: number): string => new Date(ms).toISOString();

export function tripsAndStops(track: readonly TrackPoint[]): { trips: FieldTrip[]; stops: FieldStop[] } {
  const stops: { start: number; end: number }[] = []; // indices
  let i = 0;
  while (i < track.length) {
    const anchor = track[i];
    let j = i;
    while (j + 1 < track.length && distanceMetres(anchor, track[j + 1]) <= STOP_RADIUS_METRES) j++;
    const dur = (track[j].t - anchor.t) / 1000;
    if (j > i && dur >= MIN_STOP_SECONDS) {
      stops.push({ start: i, end: j });
      i = j + 1;
    } else i++;
  }
  const stopOut: FieldStop[] = stops.map(({ start, end }) => {
    const a = track[start];
    const b = track[end];
    return { startTime: iso(a.t), endTime: iso(b.t), lat: a.lat, lon: a.lon, durationSeconds: Math.round((b.t - a.t) / 1000) };
  });
  const trips: FieldTrip[] = [];
  const spans: [number, number][] = [];
  let from = 0;
  for (const s of stops) {
    if (s.start > from) spans.push([from, s.start]);
    from = s.end;
  }
  if (from < track.length - 1) spans.push([from, track.length - 1]);
  for (const [a, b] of spans) {
    let dist = 0;
    let maxSpeed = 0;
    for (let k = a + 1; k <= b; k++) {
      const p = track[k];
      const q = track[k - 1];
      const d = distanceMetres(q, p);
      dist += d;
      const dt = (p.t - q.t) / 1000;
      const v = p.speedKph ?? (dt > 0 ? (d / dt) * 3.6 : 0);
      maxSpeed = Math.max(maxSpeed, v);
    }
    const start = track[a];
    const end = track[b];
    const duration = (end.t - start.t) / 1000;
    if (dist < MIN_TRIP_METRES || duration <= 0) continue;
    trips.push({
      startTime: iso(start.t),
      endTime: iso(end.t),
      start: { lat: start.lat, lon: start.lon },
      end: { lat: end.lat, lon: end.lon },
      distanceMetres: Math.round(dist),
      durationSeconds: Math.round(duration),
      maxSpeedKph: Math.round(maxSpeed * 10) / 10,
      averageSpeedKph: Math.round((dist / duration) * 3.6 * 10) / 10,
      positions: b - a + 1,
    });
  }
  return { trips, stops: stopOut };
}
