/**
 * Trips and stops of one device over a range (GET /devices/{id}/trips), as
 * the server computes them: a stop is a stretch of minutes within a small
 * radius, a trip the movement between two stops. Shown beside the replay:
 * choosing a trip replays just that trip, choosing a stop centres the map on it.
 */
import type { FieldStop, FieldTrip, FieldTripsAndStops } from '@kotwal/contracts';
import { errorMessage } from '../../api/client.ts';
import { Alert, Loading } from '../../ui/feedback.tsx';
import { formatDateTime } from '../../ui/format.ts';

/** "45 s", "4 min 30 s", "2 h 05 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}

/** "850 m", "12.4 km". */
export function formatDistance(metres: number): string {
  return metres < 1000 ? `${Math.round(metres)} m` : `${(metres / 1000).toFixed(metres < 100_000 ? 1 : 0)} km`;
}

const kph = (v: number): string => `${Math.round(v)} km/h`;
/** The key of a trip or a stop: its start time (they do not overlap). */
export const tripKey = (x: FieldTrip | FieldStop): string => x.startTime;

export function TripsAndStops({
  data,
  loading,
  error,
  selectedTrip,
  selectedStop,
  onTrip,
  onStop,
}: {
  data: FieldTripsAndStops | null;
  loading: boolean;
  error: unknown;
  selectedTrip: string | null;
  selectedStop: string | null;
  onTrip: (t: FieldTrip) => void;
  onStop: (s: FieldStop) => void;
}) {
  if (loading && !data) return <Loading label="Finding trips and stops\u2026" />;
  if (error) return <Alert tone="danger">{errorMessage(error)}</Alert>;
  if (!data) return null;
  return (
    <div className="fa-trips" data-testid="fa-trips" data-trips={data.trips.length} data-stops={data.stops.length}>
      <h3 className="subheading">Trips ({data.trips.length})</h3>
      {data.trips.length ? (
        <ol className="fa-device-list" aria-label="Trips in the range; choose one to replay it">
          {data.trips.map((t, i) => {
            const key = tripKey(t);
            const selected = selectedTrip === key;
            return (
              <li key={key} className={selected ? 'selected' : undefined}>
                <button
                  type="button"
                  className="fa-device-row"
                  onClick={() => onTrip(t)}
                  aria-pressed={selected}
                  title="Replay this trip"
                  data-testid={`fa-trip-${i}`}
                  data-start={t.startTime}
                  data-end={t.endTime}
                  data-distance={t.distanceMetres}
                >
                  <span className="fa-device-name">
                    {formatDateTime(t.startTime)} {'\u2192'} {formatDateTime(t.endTime)}
                  </span>
                  <span className="fa-device-meta muted small">
                    {formatDistance(t.distanceMetres)} in {formatDuration(t.durationSeconds)} · max {kph(t.maxSpeedKph)} · avg {kph(t.averageSpeedKph)}
                  </span>
                </button>
              </li>
            );
          })}
        </ol>
      ) : (
        <p className="muted small">No trips in this range.</p>
      )}
      <h3 className="subheading">Stops ({data.stops.length})</h3>
      {data.stops.length ? (
        <ol className="fa-device-list" aria-label="Stops in the range; choose one to show it on the map">
          {data.stops.map((s, i) => {
            const key = tripKey(s);
            const selected = selectedStop === key;
            return (
              <li key={key} className={selected ? 'selected' : undefined}>
                <button
                  type="button"
                  className="fa-device-row"
                  onClick={() => onStop(s)}
                  aria-pressed={selected}
                  title="Show this stop on the map"
                  data-testid={`fa-stop-${i}`}
                  data-start={s.startTime}
                  data-end={s.endTime}
                  data-lat={s.lat}
                  data-lon={s.lon}
                >
                  <span className="fa-device-name">
                    {formatDuration(s.durationSeconds)} at <span className="mono">{`${s.lat.toFixed(5)}, ${s.lon.toFixed(5)}`}</span>
                  </span>
                  <span className="fa-device-meta muted small">
                    {formatDateTime(s.startTime)} {'\u2192'} {formatDateTime(s.endTime)}
                  </span>
                </button>
              </li>
            );
          })}
        </ol>
      ) : (
        <p className="muted small">No stops in this range.</p>
      )}
    </div>
  );
}
