import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LAHORE_BOUNDS, LAHORE_ROADS, type LatLon } from '@kotwal/contracts';
import { buildNetwork, createFleet, distanceMetres, KIND_PROFILES, kindFor, seededRandom, type SimFix } from './model.ts';

/** Runs a fleet for `steps` fixes of `dt` seconds each; fixes per device. */
function drive(devices: number, seed: number, steps: number, dt = 1): SimFix[][] {
  const fleet = createFleet({ devices, seed, sosProbability: 0 });
  const t0 = Date.UTC(2026, 0, 1, 8);
  return fleet.map((d) => Array.from({ length: steps }, (_, i) => d.step(dt, t0 + (i + 1) * dt * 1000)));
}

/** Distance from p to segment ab, metres (local flat projection: fine at city scale). */
function toSegment(p: LatLon, a: LatLon, b: LatLon): number {
  const k = Math.cos((p[0] * Math.PI) / 180);
  const ax = a[1] * k,
    ay = a[0],
    bx = b[1] * k,
    by = b[0],
    px = p[1] * k,
    py = p[0];
  const dx = bx - ax,
    dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
  return distanceMetres(p, [ay + t * dy, (ax + t * dx) / k]);
}

function toNearestRoad(p: LatLon): number {
  let best = Infinity;
  for (const r of LAHORE_ROADS) for (let i = 1; i < r.points.length; i++) best = Math.min(best, toSegment(p, r.points[i - 1], r.points[i]));
  return best;
}

describe('field simulator: motion model', () => {
  it('the PRNG is deterministic for a seed and uniform enough', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    assert.deepEqual(
      xs.slice(0, 5),
      Array.from({ length: 5 }, () => b()),
    );
    assert.ok(
      xs.every((x) => x >= 0 && x < 1),
      'in [0, 1)',
    );
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
    assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, seededRandom(43)));
  });

  it('routes are deterministic with a seed, and differ between seeds', () => {
    const a = drive(12, 7, 300);
    const b = drive(12, 7, 300);
    assert.deepEqual(a, b, 'same seed, same fixes');
    const c = drive(12, 8, 300);
    assert.notDeepEqual(
      a.map((f) => f.at(-1)),
      c.map((f) => f.at(-1)),
      'another seed drives elsewhere',
    );
    // Adding devices does not change the existing devices' routes.
    const more = drive(20, 7, 300);
    assert.deepEqual(more.slice(0, 12), a);
  });

  it('stays inside Lahore and on its roads for an hour of driving', () => {
    const tracks = drive(40, 3, 3600);
    const net = buildNetwork();
    assert.ok(
      net.junctions.some((r) => r.some((j) => j.length > 0)),
      'the road network has junctions',
    );
    for (const track of tracks) {
      for (const f of track) {
        assert.ok(Number.isFinite(f.lat) && Number.isFinite(f.lon), 'finite coordinates');
        assert.ok(f.lat >= LAHORE_BOUNDS.minLat && f.lat <= LAHORE_BOUNDS.maxLat, `lat ${f.lat} in Lahore`);
        assert.ok(f.lon >= LAHORE_BOUNDS.minLon && f.lon <= LAHORE_BOUNDS.maxLon, `lon ${f.lon} in Lahore`);
      }
      // Rounding to 6 decimals moves a point by at most ~0.1 m.
      const worst = Math.max(...track.filter((_, i) => i % 60 === 0).map((f) => toNearestRoad([f.lat, f.lon])));
      assert.ok(worst < 2, `${track[0].uniqueId} stays on a road (off by ${worst.toFixed(1)} m)`);
    }
  });

  it('speeds are plausible for each kind, and movement matches the reported speed', () => {
    const tracks = drive(40, 11, 1800);
    const maxByKind = new Map<string, number>();
    let roamed = 0;
    for (const [i, track] of tracks.entries()) {
      const kind = kindFor(i);
      const [, top] = KIND_PROFILES[kind].cruiseKmh;
      let moved = 0;
      for (let j = 1; j < track.length; j++) {
        const f = track[j];
        assert.ok(f.speedKmh >= 0 && f.speedKmh <= top + 5 + 0.05, `${kind} at ${f.speedKmh} km/h (top ${top})`);
        assert.ok(f.bearing >= 0 && f.bearing < 360, 'bearing in [0, 360)');
        const d = distanceMetres([track[j - 1].lat, track[j - 1].lon], [f.lat, f.lon]);
        // Straight-line displacement in one second never exceeds the faster of the two reported speeds.
        const bound = (Math.max(f.speedKmh, track[j - 1].speedKmh) / 3.6) * 1 + 0.5;
        assert.ok(d <= bound, `${f.uniqueId} jumped ${d.toFixed(1)} m in 1 s at ${f.speedKmh} km/h`);
        moved += d;
      }
      maxByKind.set(kind, Math.max(maxByKind.get(kind) ?? 0, ...track.map((f) => f.speedKmh)));
      if (KIND_PROFILES[kind].beatMetres === undefined && moved > 2000) roamed++;
      if (KIND_PROFILES[kind].beatMetres !== undefined) {
        const home: LatLon = [track[0].lat, track[0].lon];
        const far = Math.max(...track.map((f) => distanceMetres(home, [f.lat, f.lon])));
        assert.ok(far <= 2 * (KIND_PROFILES[kind].beatMetres ?? 0) + 10, `an officer on foot keeps to the beat (${far.toFixed(0)} m)`);
      }
    }
    assert.ok((maxByKind.get('patrol-vehicle') ?? 0) >= 20, 'patrol cars reach city speeds');
    assert.ok((maxByKind.get('handheld') ?? 99) <= 6.05, 'officers on foot walk');
    assert.ok((maxByKind.get('handheld') ?? 0) >= 2, 'and do walk');
    assert.ok(roamed >= 10, `vehicles cover ground in half an hour (${roamed} did)`);
    const stopped = tracks.flat().filter((f) => f.speedKmh === 0).length;
    assert.ok(stopped > 0, 'vehicles stop now and then');
  });

  it('batteries drain on handhelds and charge in vehicles; SOS is rare but happens', () => {
    const tracks = drive(20, 5, 3600);
    for (const [i, track] of tracks.entries()) {
      const p = KIND_PROFILES[kindFor(i)];
      const first = track[0].battery;
      const lastB = track.at(-1)?.battery ?? first;
      assert.ok(track.every((f) => f.battery >= 1 && f.battery <= 100));
      if (p.charging) assert.ok(lastB >= first, `${kindFor(i)} charges (${first} -> ${lastB})`);
      else assert.ok(lastB < first, `${kindFor(i)} drains (${first} -> ${lastB})`);
      assert.equal(
        track.every((f) => f.charging === p.charging),
        true,
      );
    }
    const fleet = createFleet({ devices: 50, seed: 9, sosProbability: 1 / 500 });
    let sos = 0;
    for (let i = 0; i < 200; i++) for (const d of fleet) if (d.step(1, Date.now()).alarm === 'sos') sos++;
    assert.ok(sos > 0 && sos < 100, `about 20 SOS in 10,000 fixes at 1/500 (got ${sos})`);
    const quiet = createFleet({ devices: 10, seed: 9, sosProbability: 0 });
    for (let i = 0; i < 500; i++) for (const d of quiet) assert.equal(d.step(1, Date.now()).alarm, undefined);
  });

  it('names and kinds: unique ids with the prefix, a fleet mix of every simulated kind', () => {
    const fleet = createFleet({ devices: 40, seed: 1, prefix: 'lhr' });
    assert.equal(new Set(fleet.map((d) => d.uniqueId)).size, 40);
    assert.ok(fleet.every((d) => /^lhr-\d{4}$/.test(d.uniqueId)));
    assert.deepEqual([...new Set(fleet.map((d) => d.kind))].sort(), ['body-camera', 'command-vehicle', 'handheld', 'motorcycle', 'patrol-vehicle']);
  });
});
