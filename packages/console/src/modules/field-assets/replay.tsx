/**
 * Replay: the whole fleet at a past instant (each device's last fix at or
 * before it), or one device's track between two times played back at 1x,
 * 4x, 16x or 64x with a scrubber. The address keeps the choice
 * (?at=<ISO> or ?device=<id>&from=<ISO>&to=<ISO>), so a replay can be shared.
 * Beside a track: the device's trips and stops in the range; choosing a trip
 * replays just that trip, choosing a stop centres the map on it.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import L from 'leaflet';
import type { FieldPosition, FieldPositionHistory, FieldStop, FieldTrip, FieldTripsAndStops } from '@kotwal/contracts';
import { errorMessage } from '../../api/client.ts';
import { useSearchParams } from '../../router.tsx';
import { Alert, EmptyState, Loading } from '../../ui/feedback.tsx';
import { formatDateTime, isoToLocalInput, localInputToIso } from '../../ui/format.ts';
import { fieldApi } from './api.ts';
import type { LiveSnapshot } from './live.ts';
import { FieldMap, useFieldMap } from './map/field-map.tsx';
import { DeviceMarkers } from './map/device-markers.tsx';
import { PanTo } from './live-screen.tsx';
import { TripsAndStops, tripKey } from './trips.tsx';

export const REPLAY_SPEEDS = [1, 4, 16, 64] as const;
export type ReplaySpeed = (typeof REPLAY_SPEEDS)[number];

/** Where the device was at time t (ms) on its track: interpolated between the fixes either side. */
export function positionAt(track: readonly FieldPosition[], t: number): { lat: number; lon: number; index: number; fix: FieldPosition } | null {
  if (!track.length) return null;
  const times = track.map((p) => Date.parse(p.fixTime));
  if (t <= times[0]) return { lat: track[0].lat, lon: track[0].lon, index: 0, fix: track[0] };
  const last = track.length - 1;
  if (t >= times[last]) return { lat: track[last].lat, lon: track[last].lon, index: last, fix: track[last] };
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= t) lo = mid;
    else hi = mid;
  }
  const f = (t - times[lo]) / (times[hi] - times[lo] || 1);
  return { lat: track[lo].lat + (track[hi].lat - track[lo].lat) * f, lon: track[lo].lon + (track[hi].lon - track[lo].lon) * f, index: lo, fix: track[lo] };
}

function TrackLayer({ track, at }: { track: readonly FieldPosition[]; at: { lat: number; lon: number } | null }) {
  const map = useFieldMap();
  const marker = useRef<L.Marker | null>(null);
  useEffect(() => {
    if (!track.length) return;
    const line = L.polyline(
      track.map((p) => [p.lat, p.lon] as L.LatLngTuple),
      { color: '#4cc2ff', weight: 3, opacity: 0.85, className: 'fa-track-line' },
    ).addTo(map);
    const start = L.circleMarker([track[0].lat, track[0].lon], { radius: 5, color: '#3fd394', fillOpacity: 1 }).bindTooltip('start').addTo(map);
    const end = L.circleMarker([track[track.length - 1].lat, track[track.length - 1].lon], { radius: 5, color: '#ff6b78', fillOpacity: 1 })
      .bindTooltip('end')
      .addTo(map);
    map.fitBounds(line.getBounds().pad(0.2), { maxZoom: 16, animate: false });
    const m = L.marker([track[0].lat, track[0].lon], {
      icon: L.divIcon({
        className: 'fa-marker fa-replay-marker',
        iconSize: [22, 22],
        iconAnchor: [11, 11],
        html: '<span class="fa-marker-dot" data-testid="fa-replay-marker">\u25b6</span>',
      }),
      zIndexOffset: 1000,
    }).addTo(map);
    marker.current = m;
    return () => {
      line.remove();
      start.remove();
      end.remove();
      m.remove();
      marker.current = null;
    };
  }, [map, track]);
  useEffect(() => {
    if (at) marker.current?.setLatLng([at.lat, at.lon]);
  }, [at]);
  return null;
}

/** The stops of the range as small circles on the map (the chosen one larger). */
function StopsLayer({ stops, selected }: { stops: readonly FieldStop[]; selected: string | null }) {
  const map = useFieldMap();
  useEffect(() => {
    const layers = stops.map((s) =>
      L.circleMarker([s.lat, s.lon], {
        radius: tripKey(s) === selected ? 9 : 6,
        color: '#ffb547',
        weight: 2,
        fillOpacity: 0.35,
        className: 'fa-stop-marker',
      })
        .bindTooltip(`stop ${formatDateTime(s.startTime)} \u2192 ${formatDateTime(s.endTime)}`)
        .addTo(map),
    );
    return () => {
      for (const l of layers) l.remove();
    };
  }, [map, stops, selected]);
  return null;
}

export function ReplayScreen({ live }: { live: LiveSnapshot }) {
  const [params, setParams] = useSearchParams();
  const mode: 'fleet' | 'track' = params.get('at') ? 'fleet' : params.get('device') ? 'track' : params.get('mode') === 'fleet' ? 'fleet' : 'track';
  const setMode = (m: 'fleet' | 'track') => setParams(new URLSearchParams(m === 'fleet' ? { mode: 'fleet' } : {}), { replace: true });
  return (
    <div className="fa-replay" data-testid="fa-replay">
      <div className="fa-subtabs" role="tablist" aria-label="Replay">
        <button
          type="button"
          role="tab"
          aria-selected={mode === 'track'}
          className={`fa-tab${mode === 'track' ? ' active' : ''}`}
          onClick={() => setMode('track')}
          data-testid="fa-replay-mode-track"
        >
          One device&rsquo;s track
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={mode === 'fleet'}
          className={`fa-tab${mode === 'fleet' ? ' active' : ''}`}
          onClick={() => setMode('fleet')}
          data-testid="fa-replay-mode-fleet"
        >
          Fleet at an instant
        </button>
      </div>
      {mode === 'fleet' ? <FleetAt live={live} params={params} setParams={setParams} /> : <TrackReplay live={live} params={params} setParams={setParams} />}
    </div>
  );
}

type SetParams = (next: URLSearchParams, opts?: { replace?: boolean }) => void;

function FleetAt({ live, params, setParams }: { live: LiveSnapshot; params: URLSearchParams; setParams: SetParams }) {
  const at = params.get('at');
  const [input, setInput] = useState(() => isoToLocalInput(at ?? new Date(Date.now() - 10 * 60_000).toISOString()));
  const [maxAge, setMaxAge] = useState('3600');
  const [state, setState] = useState<{ loading: boolean; error: unknown; items: FieldPosition[] | null; time: string | null }>({
    loading: false,
    error: null,
    items: null,
    time: null,
  });

  useEffect(() => {
    if (!at) return;
    const ac = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    fieldApi.fleetAt(at, Number(maxAge) || undefined, ac.signal).then(
      (r) => setState({ loading: false, error: null, items: r.items, time: r.time }),
      (err: unknown) => {
        if (!ac.signal.aborted) setState({ loading: false, error: err, items: null, time: null });
      },
    );
    return () => ac.abort();
  }, [at, maxAge]);

  const show = (iso: string | undefined) => {
    if (!iso) return;
    setInput(isoToLocalInput(iso));
    setParams(new URLSearchParams({ at: iso }), { replace: true });
  };
  const step = (minutes: number) => {
    const base = localInputToIso(input);
    if (base) show(new Date(Date.parse(base) + minutes * 60_000).toISOString());
  };
  const positions = useMemo(() => new Map((state.items ?? []).map((p) => [p.deviceId, p])), [state.items]);

  return (
    <div className="fa-live-layout">
      <FieldMap testId="fa-replay-map">{state.items ? <DeviceMarkers devices={live.devices} positions={positions} fitOnFirst /> : null}</FieldMap>
      <aside className="fa-side panel" aria-label="Fleet at an instant">
        <form
          className="form-stack"
          onSubmit={(e) => {
            e.preventDefault();
            show(localInputToIso(input));
          }}
        >
          <div className="field">
            <label htmlFor="fa-fleet-at">Instant</label>
            <input id="fa-fleet-at" type="datetime-local" step={1} value={input} onChange={(e) => setInput(e.target.value)} data-testid="fa-fleet-at" />
          </div>
          <div className="field">
            <label htmlFor="fa-fleet-maxage">Only fixes at most this old</label>
            <select id="fa-fleet-maxage" value={maxAge} onChange={(e) => setMaxAge(e.target.value)}>
              <option value="300">5 minutes</option>
              <option value="3600">1 hour</option>
              <option value="86400">1 day</option>
            </select>
          </div>
          <div className="button-row">
            <button type="submit" className="btn btn-primary btn-sm" data-testid="fa-fleet-show" disabled={!localInputToIso(input)}>
              Show
            </button>
            <button type="button" className="btn btn-secondary btn-sm" onClick={() => step(-5)} data-testid="fa-fleet-back">
              {'\u2212'}5 min
            </button>
            <button type="button" className="btn btn-secondary btn-sm" onClick={() => step(5)} data-testid="fa-fleet-forward">
              +5 min
            </button>
          </div>
        </form>
        {state.loading ? <Loading /> : null}
        {state.error ? <Alert tone="danger">{errorMessage(state.error)}</Alert> : null}
        {state.items && state.time ? (
          <div data-testid="fa-fleet-result" data-count={state.items.length} data-time={state.time}>
            <p className="small">
              {state.items.length} device{state.items.length === 1 ? '' : 's'} at {formatDateTime(state.time)}
            </p>
            <ul className="fa-device-list">
              {state.items.map((p) => {
                const d = live.devices.get(p.deviceId);
                return (
                  <li key={p.deviceId} data-testid={`fa-fleet-item-${d?.uniqueId ?? p.deviceId}`} data-lat={p.lat} data-lon={p.lon}>
                    <span className="fa-device-row">
                      <span className="fa-device-name">{d?.name ?? p.deviceId}</span>
                      <span className="fa-device-meta muted small">
                        {p.lat.toFixed(5)}, {p.lon.toFixed(5)} · fix {formatDateTime(p.fixTime)}
                      </span>
                    </span>
                  </li>
                );
              })}
            </ul>
          </div>
        ) : null}
      </aside>
    </div>
  );
}

function TrackReplay({ live, params, setParams }: { live: LiveSnapshot; params: URLSearchParams; setParams: SetParams }) {
  const deviceParam = params.get('device') ?? '';
  const [deviceId, setDeviceId] = useState(deviceParam);
  const [from, setFrom] = useState(() => isoToLocalInput(params.get('from') ?? new Date(Date.now() - 60 * 60_000).toISOString()));
  const [to, setTo] = useState(() => isoToLocalInput(params.get('to') ?? new Date(Date.now() + 60_000).toISOString()));
  const [history, setHistory] = useState<FieldPositionHistory | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [speed, setSpeed] = useState<ReplaySpeed>(16);
  const [playing, setPlaying] = useState(false);
  const [t, setT] = useState(0);
  const [trips, setTrips] = useState<FieldTripsAndStops | null>(null);
  const [tripsLoading, setTripsLoading] = useState(false);
  const [tripsError, setTripsError] = useState<unknown>(null);
  const [selectedTrip, setSelectedTrip] = useState<string | null>(null);
  const [selectedStop, setSelectedStop] = useState<string | null>(null);
  const [focus, setFocus] = useState<{ lat: number; lon: number; key: string } | null>(null);
  const speedRef = useRef(speed);
  speedRef.current = speed;
  const tRef = useRef(t);
  tRef.current = t;

  const devices = useMemo(() => [...live.devices.values()].sort((a, b) => a.name.localeCompare(b.name)), [live.devices]);
  const track = useMemo(() => history?.items ?? [], [history]);
  const t0 = track.length ? Date.parse(track[0].fixTime) : 0;
  const t1 = track.length ? Date.parse(track[track.length - 1].fixTime) : 0;

  const load = useCallback(async (id: string, fromIso: string, toIso: string) => {
    setLoading(true);
    setError(null);
    setPlaying(false);
    try {
      const h = await fieldApi.history(id, fromIso, toIso);
      setHistory(h);
      setT(h.items.length ? Date.parse(h.items[0].fixTime) : 0);
    } catch (err) {
      setHistory(null);
      setError(err);
    } finally {
      setLoading(false);
    }
  }, []);

  const loadTrips = useCallback(async (id: string, fromIso: string, toIso: string) => {
    setTripsLoading(true);
    setTripsError(null);
    setSelectedTrip(null);
    setSelectedStop(null);
    setFocus(null);
    try {
      setTrips(await fieldApi.trips(id, fromIso, toIso));
    } catch (err) {
      setTrips(null);
      setTripsError(err);
    } finally {
      setTripsLoading(false);
    }
  }, []);

  // A shared address loads at once.
  const initial = useRef(true);
  useEffect(() => {
    if (!initial.current) return;
    initial.current = false;
    const f = params.get('from');
    const tt = params.get('to');
    if (deviceParam && f && tt) {
      void load(deviceParam, f, tt);
      void loadTrips(deviceParam, f, tt);
    }
  }, [deviceParam, load, loadTrips, params]);

  // Playback: track time advances by real time x speed.
  useEffect(() => {
    if (!playing) return;
    let last = performance.now();
    const timer = setInterval(() => {
      const nowMs = performance.now();
      const dt = nowMs - last;
      last = nowMs;
      const next = tRef.current + dt * speedRef.current;
      tRef.current = Math.min(next, t1);
      setT(tRef.current);
      if (next >= t1) setPlaying(false);
    }, 100);
    return () => clearInterval(timer);
  }, [playing, t1]);

  const at = positionAt(track, t);
  const ended = track.length > 0 && t >= t1;
  const state = !track.length ? 'empty' : playing ? 'playing' : ended ? 'ended' : t > t0 ? 'paused' : 'ready';
  const submit = () => {
    const f = localInputToIso(from);
    const tt = localInputToIso(to);
    if (!deviceId || !f || !tt) return;
    setParams(new URLSearchParams({ device: deviceId, from: f, to: tt }), { replace: true });
    void load(deviceId, f, tt);
    void loadTrips(deviceId, f, tt);
  };
  /** A trip: the player replays just that trip (the list stays, for the whole range). */
  const chooseTrip = (trip: FieldTrip) => {
    if (!trips) return;
    setSelectedTrip(tripKey(trip));
    setSelectedStop(null);
    setFocus(null);
    void load(trips.deviceId, trip.startTime, trip.endTime);
  };
  const wholeRange = () => {
    if (!trips) return;
    setSelectedTrip(null);
    void load(trips.deviceId, trips.from, trips.to);
  };
  /** A stop: the map centres on it, and the player moves to its start when the loaded track covers it. */
  const chooseStop = (stop: FieldStop) => {
    setSelectedStop(tripKey(stop));
    setFocus({ lat: stop.lat, lon: stop.lon, key: tripKey(stop) });
    const st = Date.parse(stop.startTime);
    if (track.length && st >= t0 && st <= t1) {
      setPlaying(false);
      setT(st);
    }
  };

  return (
    <div className="fa-live-layout">
      <FieldMap testId="fa-replay-map">
        <TrackLayer track={track} at={at} />
        {trips ? <StopsLayer stops={trips.stops} selected={selectedStop} /> : null}
        <PanTo target={focus} />
      </FieldMap>
      <aside className="fa-side panel" aria-label="Track replay">
        <form
          className="form-stack"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <div className="field">
            <label htmlFor="fa-replay-device">Device</label>
            <select id="fa-replay-device" value={deviceId} onChange={(e) => setDeviceId(e.target.value)} data-testid="fa-replay-device">
              <option value="">Choose a device</option>
              {devices.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name} ({d.uniqueId})
                </option>
              ))}
            </select>
          </div>
          <div className="form-row">
            <div className="field">
              <label htmlFor="fa-replay-from">From</label>
              <input id="fa-replay-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} data-testid="fa-replay-from" />
            </div>
            <div className="field">
              <label htmlFor="fa-replay-to">To</label>
              <input id="fa-replay-to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} data-testid="fa-replay-to" />
            </div>
          </div>
          <button type="submit" className="btn btn-primary btn-sm" disabled={!deviceId || loading} data-testid="fa-replay-load">
            {loading ? 'Loading\u2026' : 'Load track'}
          </button>
        </form>
        {error ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
        {history ? (
          track.length === 0 ? (
            <EmptyState title="No positions in this range">Choose another time range.</EmptyState>
          ) : (
            <div
              className="fa-player"
              data-testid="fa-player"
              data-state={state}
              data-points={track.length}
              data-time={new Date(Math.round(t)).toISOString()}
              data-index={at?.index ?? 0}
              data-speed={speed}
              data-range-from={history.from}
              data-range-to={history.to}
            >
              <p className="small">
                {track.length} positions, {formatDateTime(track[0].fixTime)} to {formatDateTime(track[track.length - 1].fixTime)}
                {history.truncated ? ' (cut short: narrow the range to see the rest)' : ''}
                {selectedTrip ? ' (one trip)' : ''}
              </p>
              {selectedTrip ? (
                <button type="button" className="btn btn-secondary btn-sm" onClick={wholeRange} data-testid="fa-replay-whole-range">
                  Replay the whole range
                </button>
              ) : null}
              <div className="button-row">
                <button
                  type="button"
                  className="btn btn-primary btn-sm"
                  onClick={() => {
                    if (ended) setT(t0);
                    setPlaying((p) => !p);
                  }}
                  data-testid="fa-replay-play"
                >
                  {playing ? 'Pause' : ended ? 'Replay' : 'Play'}
                </button>
                <div className="fa-speeds" role="group" aria-label="Replay speed">
                  {REPLAY_SPEEDS.map((s) => (
                    <button
                      key={s}
                      type="button"
                      className={`btn btn-sm ${speed === s ? 'btn-primary' : 'btn-secondary'}`}
                      aria-pressed={speed === s}
                      onClick={() => setSpeed(s)}
                      data-testid={`fa-replay-speed-${s}`}
                    >
                      {s}x
                    </button>
                  ))}
                </div>
              </div>
              <input
                type="range"
                className="fa-scrubber"
                min={t0}
                max={t1}
                step={1000}
                value={Math.round(t)}
                onChange={(e) => setT(Number(e.target.value))}
                aria-label="Replay time"
                data-testid="fa-replay-scrubber"
              />
              <dl className="kv kv-compact">
                <dt>Time</dt>
                <dd data-testid="fa-replay-clock">{formatDateTime(new Date(Math.round(t)).toISOString())}</dd>
                <dt>Speed</dt>
                <dd>{at?.fix.speedKph !== null && at?.fix.speedKph !== undefined ? `${Math.round(at.fix.speedKph)} km/h` : '\u2014'}</dd>
                <dt>Position</dt>
                <dd className="mono">{at ? `${at.lat.toFixed(5)}, ${at.lon.toFixed(5)}` : '\u2014'}</dd>
              </dl>
            </div>
          )
        ) : null}
        <TripsAndStops
          data={trips}
          loading={tripsLoading}
          error={tripsError}
          selectedTrip={selectedTrip}
          selectedStop={selectedStop}
          onTrip={chooseTrip}
          onStop={chooseStop}
        />
      </aside>
    </div>
  );
}
