/**
 * The simulated fleet's motion: deterministic for a seed. Vehicles drive
 * along Lahore's main roads (LAHORE_ROADS in @kotwal/contracts, the lines
 * the console draws), turning onto crossing roads at junctions,
 * accelerating and braking within realistic speeds, stopping now and then
 * (signals, checkpoints); officers with handhelds and body
 * cameras walk a beat of a few hundred metres. Batteries drain on handheld
 * kinds and charge in vehicles; an SOS is raised rarely.
 *
 * Nothing here does I/O: `SimDevice.step(dt, at)` returns the next fix.
 */
import { LAHORE_ROADS, type FieldAssetKind, type LahoreRoad as Road, type LatLon } from '@kotwal/contracts';

// ---- deterministic randomness ----------------------------------------------------

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (rnd: () => number, lo: number, hi: number): number => lo + (hi - lo) * rnd();

// ---- geometry -------------------------------------------------------------------

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (d: number): number => (d * Math.PI) / 180;
const deg = (r: number): number => (r * 180) / Math.PI;

export function distanceMetres(a: LatLon, b: LatLon): number {
  const dLat = rad(b[0] - a[0]);
  const dLon = rad(b[1] - a[1]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[0])) * Math.cos(rad(b[0])) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial bearing from a to b, degrees clockwise from north in [0, 360). */
export function bearingDegrees(a: LatLon, b: LatLon): number {
  const y = Math.sin(rad(b[1] - a[1])) * Math.cos(rad(b[0]));
  const x = Math.cos(rad(a[0])) * Math.sin(rad(b[0])) - Math.sin(rad(a[0])) * Math.cos(rad(b[0])) * Math.cos(rad(b[1] - a[1]));
  return (deg(Math.atan2(y, x)) + 360) % 360;
}

function interpolate(a: LatLon, b: LatLon, f: number): LatLon {
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
}

// ---- road network ---------------------------------------------------------------

/** Where a vertex of one road meets a vertex of another (within JUNCTION_METRES). */
interface Junction {
  road: number;
  vertex: number;
}

/** Roads meet where they share a vertex (LAHORE_ROADS spells junctions as the same point). */
const JUNCTION_METRES = 30;

export interface RoadNetwork {
  roads: readonly Road[];
  /** Segment lengths per road. */
  lengths: readonly (readonly number[])[];
  /** junctions[road][vertex]: the other roads' vertices reachable from there. */
  junctions: readonly (readonly (readonly Junction[])[])[];
}

export function buildNetwork(roads: readonly Road[] = LAHORE_ROADS): RoadNetwork {
  const lengths = roads.map((r) => r.points.slice(1).map((p, i) => distanceMetres(r.points[i], p)));
  const junctions = roads.map((r, ri) =>
    r.points.map((p) => {
      const out: Junction[] = [];
      roads.forEach((o, oi) => {
        if (oi === ri) return;
        o.points.forEach((q, vi) => {
          if (distanceMetres(p, q) <= JUNCTION_METRES) out.push({ road: oi, vertex: vi });
        });
      });
      return out;
    }),
  );
  return { roads, lengths, junctions };
}

// ---- kinds ---------------------------------------------------------------------

export type SimKind = Extract<FieldAssetKind, 'command-vehicle' | 'patrol-vehicle' | 'motorcycle' | 'handheld' | 'body-camera'>;

interface KindProfile {
  /** Cruising speed range, km/h (capped by the road's limit). */
  cruiseKmh: readonly [number, number];
  /** Acceleration / braking, m/s². */
  accel: number;
  /** Chance per second of a stop, and its length in seconds. */
  stopPerSecond: number;
  stopSeconds: readonly [number, number];
  /** Battery change per hour, percent (negative drains); vehicles charge. */
  batteryPerHour: number;
  charging: boolean;
  /** Walks a beat of this many metres either side of its post instead of roaming. */
  beatMetres?: number;
  /** Typical horizontal accuracy, metres. */
  accuracy: readonly [number, number];
}

export const KIND_PROFILES: Readonly<Record<SimKind, KindProfile>> = {
  'patrol-vehicle': {
    cruiseKmh: [20, 60],
    accel: 2,
    stopPerSecond: 1 / 240,
    stopSeconds: [15, 120],
    batteryPerHour: 20,
    charging: true,
    accuracy: [4, 12],
  },
  motorcycle: { cruiseKmh: [15, 50], accel: 2.5, stopPerSecond: 1 / 200, stopSeconds: [10, 90], batteryPerHour: 15, charging: true, accuracy: [4, 15] },
  'command-vehicle': {
    cruiseKmh: [15, 45],
    accel: 1.2,
    stopPerSecond: 1 / 120,
    stopSeconds: [120, 900],
    batteryPerHour: 20,
    charging: true,
    accuracy: [3, 10],
  },
  handheld: {
    cruiseKmh: [3, 6],
    accel: 0.5,
    stopPerSecond: 1 / 90,
    stopSeconds: [30, 300],
    batteryPerHour: -9,
    charging: false,
    beatMetres: 600,
    accuracy: [5, 30],
  },
  'body-camera': {
    cruiseKmh: [3, 6],
    accel: 0.5,
    stopPerSecond: 1 / 90,
    stopSeconds: [30, 300],
    batteryPerHour: -14,
    charging: false,
    beatMetres: 500,
    accuracy: [5, 30],
  },
};

/** The fleet's mix: mostly patrol cars, then motorcycles and officers on foot. */
export function kindFor(index: number): SimKind {
  const slot = index % 20;
  if (slot === 0) return 'command-vehicle';
  if (slot < 10) return 'patrol-vehicle';
  if (slot < 14) return 'motorcycle';
  if (slot < 18) return 'handheld';
  return 'body-camera';
}

const KIND_LABEL: Readonly<Record<SimKind, string>> = {
  'command-vehicle': 'Command vehicle',
  'patrol-vehicle': 'Patrol car',
  motorcycle: 'Motorcycle',
  handheld: 'Handheld',
  'body-camera': 'Body camera',
};

// ---- one device -----------------------------------------------------------------

export interface SimFix {
  uniqueId: string;
  /** Epoch milliseconds of the fix. */
  time: number;
  lat: number;
  lon: number;
  speedKmh: number;
  bearing: number;
  altitude: number;
  accuracy: number;
  battery: number;
  charging: boolean;
  /** "sos" on the rare fix that raises one. */
  alarm?: 'sos';
  /** Cameras only. */
  recording?: boolean;
}

export interface SimDeviceOptions {
  /** Chance per fix of an SOS (default 1 in 5,000). */
  sosProbability?: number;
}

export class SimDevice {
  readonly uniqueId: string;
  readonly name: string;
  readonly kind: SimKind;
  readonly #net: RoadNetwork;
  readonly #rnd: () => number;
  readonly #profile: KindProfile;
  readonly #sosProbability: number;
  #road: number;
  /** Current segment: from points[#seg] to points[#seg + #dir]. */
  #seg: number;
  #dir: 1 | -1;
  /** Metres travelled along the current segment. */
  #along = 0;
  #speed = 0;
  #target: number;
  #stopLeft = 0;
  #battery: number;
  #beatOffset = 0;
  #recording: boolean;

  constructor(net: RoadNetwork, index: number, seed: number, prefix: string, opts: SimDeviceOptions = {}) {
    this.#net = net;
    // Each device has its own stream, so adding devices does not change the others' routes.
    this.#rnd = seededRandom((seed * 1_000_003 + index * 7919) >>> 0);
    this.kind = kindFor(index);
    this.#profile = KIND_PROFILES[this.kind];
    this.#sosProbability = opts.sosProbability ?? 1 / 5000;
    this.uniqueId = `${prefix}-${String(index + 1).padStart(4, '0')}`;
    this.name = `${KIND_LABEL[this.kind]} ${index + 1} (simulated)`;
    this.#road = Math.floor(this.#rnd() * net.roads.length);
    const n = net.roads[this.#road].points.length;
    this.#dir = this.#rnd() < 0.5 ? 1 : -1;
    this.#seg = this.#dir === 1 ? Math.floor(this.#rnd() * (n - 1)) : 1 + Math.floor(this.#rnd() * (n - 1));
    this.#along = this.#rnd() * this.#segmentLength();
    this.#target = this.#newTarget();
    this.#speed = this.#target * this.#rnd();
    this.#battery = this.#profile.charging ? between(this.#rnd, 60, 100) : between(this.#rnd, 25, 100);
    this.#recording = this.kind === 'body-camera' && this.#rnd() < 0.3;
  }

  #points(): readonly LatLon[] {
    return this.#net.roads[this.#road].points;
  }

  #segmentLength(): number {
    const i = this.#dir === 1 ? this.#seg : this.#seg - 1;
    return this.#net.lengths[this.#road][i];
  }

  #limitKmh(): number {
    return this.#net.roads[this.#road].limitKmh;
  }

  /** A cruising speed in m/s for this kind on this road. */
  #newTarget(): number {
    const [lo, hi] = this.#profile.cruiseKmh;
    const top = Math.min(hi, this.#limitKmh() + 5);
    return between(this.#rnd, Math.min(lo, top), top) / 3.6;
  }

  /** Arrived at the vertex the segment leads to: carry on, turn onto a crossing road, or turn back. */
  #atVertex(): void {
    const pts = this.#points();
    const vertex = this.#seg + this.#dir;
    const junctions = this.#net.junctions[this.#road][vertex];
    const roams = this.#profile.beatMetres === undefined;
    if (roams && junctions.length > 0 && this.#rnd() < 0.35) {
      const j = junctions[Math.floor(this.#rnd() * junctions.length)];
      const n = this.#net.roads[j.road].points.length;
      this.#road = j.road;
      if (j.vertex === 0) this.#dir = 1;
      else if (j.vertex === n - 1) this.#dir = -1;
      else this.#dir = this.#rnd() < 0.5 ? 1 : -1;
      this.#seg = j.vertex;
      this.#target = this.#newTarget();
      return;
    }
    const next = vertex + this.#dir;
    if (next < 0 || next >= pts.length) {
      this.#dir = this.#dir === 1 ? -1 : 1;
    }
    this.#seg = vertex;
  }

  #turnBack(): void {
    // Walk back along the same segment: the far end becomes the start.
    const len = this.#segmentLength();
    this.#seg = this.#seg + this.#dir;
    this.#dir = this.#dir === 1 ? -1 : 1;
    this.#along = Math.max(0, len - this.#along);
  }

  #position(): { at: LatLon; bearing: number } {
    const pts = this.#points();
    const a = pts[this.#seg];
    const b = pts[this.#seg + this.#dir];
    const len = this.#segmentLength();
    return { at: interpolate(a, b, len > 0 ? Math.min(1, this.#along / len) : 0), bearing: bearingDegrees(a, b) };
  }

  /** Advances `dtSeconds` and returns the fix taken at `atMs`. */
  step(dtSeconds: number, atMs: number): SimFix {
    const dt = Math.max(0, Math.min(dtSeconds, 600));
    const p = this.#profile;
    if (this.#stopLeft > 0) {
      this.#stopLeft -= dt;
      this.#speed = Math.max(0, this.#speed - p.accel * 2 * dt);
      if (this.#stopLeft <= 0) this.#target = this.#newTarget();
    } else {
      if (this.#rnd() < 1 - Math.exp(-p.stopPerSecond * dt)) {
        this.#stopLeft = between(this.#rnd, p.stopSeconds[0], p.stopSeconds[1]);
      } else if (this.#rnd() < 1 - Math.exp(-dt / 30)) {
        this.#target = this.#newTarget();
      }
      const goal = this.#stopLeft > 0 ? 0 : this.#target;
      const dv = goal - this.#speed;
      this.#speed += Math.sign(dv) * Math.min(Math.abs(dv), p.accel * dt);
    }
    let left = this.#speed * dt;
    for (let guard = 0; left > 0 && guard < 1000; guard++) {
      const len = this.#segmentLength();
      const room = len - this.#along;
      const beatRoom = p.beatMetres === undefined ? Infinity : p.beatMetres - this.#dir * this.#beatOffset;
      if (beatRoom <= 0) {
        this.#turnBack();
        continue;
      }
      const move = Math.min(left, room, beatRoom);
      this.#along += move;
      this.#beatOffset += this.#dir * move;
      left -= move;
      if (this.#along >= len - 1e-9) {
        this.#along = 0;
        this.#atVertex();
      }
    }
    const hours = dt / 3600;
    this.#battery = Math.min(100, Math.max(1, this.#battery + p.batteryPerHour * hours));
    if (this.kind === 'body-camera' && this.#rnd() < 1 - Math.exp(-dt / 600)) this.#recording = !this.#recording;

    const { at, bearing } = this.#position();
    const fix: SimFix = {
      uniqueId: this.uniqueId,
      time: atMs,
      lat: round(at[0], 6),
      lon: round(at[1], 6),
      speedKmh: round(this.#speed * 3.6, 1),
      bearing: round(bearing, 1),
      altitude: round(between(this.#rnd, 208, 218), 1),
      accuracy: round(between(this.#rnd, p.accuracy[0], p.accuracy[1]), 1),
      battery: round(this.#battery, 1),
      charging: p.charging,
    };
    if (this.kind === 'body-camera') fix.recording = this.#recording;
    if (this.#rnd() < this.#sosProbability) fix.alarm = 'sos';
    return fix;
  }
}

function round(v: number, places: number): number {
  const f = 10 ** places;
  return Math.round(v * f) / f;
}

export interface FleetOptions extends SimDeviceOptions {
  devices: number;
  seed: number;
  /** uniqueId prefix (default "sim"): devices are <prefix>-0001, <prefix>-0002, ... */
  prefix?: string;
}

export function createFleet(opts: FleetOptions, net: RoadNetwork = buildNetwork()): SimDevice[] {
  return Array.from({ length: opts.devices }, (_, i) => new SimDevice(net, i, opts.seed, opts.prefix ?? 'sim', opts));
}
