/**
 * Lahore, drawn by hand at a few hundred metres' precision: the district
 * outline, the main roads and the places an operator looks for. One source
 * for two uses: the console draws them as its offline base map (no tile
 * server, no internet), and the device simulator drives its fleet along the
 * roads. Orientation and plausible demo traffic, not navigation.
 * Coordinates are [lat, lon] in WGS 84; roads that cross share the exact
 * vertex where they meet (a junction).
 */
export type LatLon = readonly [lat: number, lon: number];

export interface LahoreRoad {
  name: string;
  /** Ring and arterial roads are drawn wider on the map. */
  major: boolean;
  /** A usual speed limit on the road, km/h (the simulator keeps to it). */
  limitKmh: number;
  /** Vertices in order; vehicles drive either way. */
  points: readonly LatLon[];
}

/** Lahore's centre (the Mall at Charing Cross) and a zoom that shows the city. */
export const LAHORE_CENTER: LatLon = [31.5204, 74.3587];
export const LAHORE_ZOOM = 11;

/** The box the simulated fleet must stay in (Lahore district, generously). */
export const LAHORE_BOUNDS = { minLat: 31.2, maxLat: 31.75, minLon: 74.0, maxLon: 74.7 } as const;

/** An approximate outline of Lahore district. */
export const LAHORE_DISTRICT: readonly LatLon[] = [
  [31.705, 74.205],
  [31.672, 74.352],
  [31.642, 74.482],
  [31.622, 74.572],
  [31.552, 74.602],
  [31.452, 74.572],
  [31.352, 74.522],
  [31.252, 74.422],
  [31.252, 74.282],
  [31.332, 74.182],
  [31.422, 74.102],
  [31.552, 74.122],
  [31.632, 74.162],
  [31.705, 74.205],
];

export const LAHORE_ROADS: readonly LahoreRoad[] = [
  {
    name: 'Mall Road',
    major: false,
    limitKmh: 50,
    points: [
      [31.5745, 74.3045],
      [31.5712, 74.3088],
      [31.5683, 74.3125],
      [31.5645, 74.3188],
      [31.5603, 74.3262],
      [31.5561, 74.3318],
      [31.5528, 74.3365],
      [31.5497, 74.3421],
      [31.5531, 74.3492],
    ],
  },
  {
    name: 'Canal Road',
    major: true,
    limitKmh: 60,
    points: [
      [31.5862, 74.4405],
      [31.5788, 74.4112],
      [31.5705, 74.3862],
      [31.5608, 74.3662],
      [31.5531, 74.3492],
      [31.5402, 74.3395],
      [31.5262, 74.3281],
      [31.5118, 74.3168],
      [31.4985, 74.3035],
      [31.4852, 74.2868],
      [31.4712, 74.2662],
      [31.4605, 74.2458],
    ],
  },
  {
    name: 'Ferozepur Road',
    major: true,
    limitKmh: 60,
    points: [
      [31.5402, 74.3168],
      [31.5262, 74.3225],
      [31.5118, 74.3282],
      [31.5052, 74.3312],
      [31.4905, 74.3418],
      [31.4732, 74.3522],
      [31.4521, 74.3598],
      [31.4308, 74.3668],
      [31.4052, 74.3752],
      [31.3702, 74.3852],
    ],
  },
  {
    name: 'GT Road',
    major: true,
    limitKmh: 60,
    points: [
      [31.6142, 74.2952],
      [31.6008, 74.3038],
      [31.5902, 74.3102],
      [31.5871, 74.3305],
      [31.5862, 74.3552],
      [31.5868, 74.3802],
      [31.5881, 74.4152],
      [31.5902, 74.4605],
      [31.5975, 74.5152],
      [31.6048, 74.5728],
    ],
  },
  {
    name: 'Ring Road',
    major: true,
    limitKmh: 80,
    points: [
      [31.6052, 74.2852],
      [31.6142, 74.2952],
      [31.6102, 74.3502],
      [31.6001, 74.4002],
      [31.5862, 74.4405],
      [31.5552, 74.4352],
      [31.5252, 74.4152],
      [31.4902, 74.4002],
      [31.4652, 74.3802],
      [31.4521, 74.3598],
      [31.4452, 74.3252],
      [31.4552, 74.2852],
      [31.4605, 74.2458],
    ],
  },
  {
    name: 'Jail Road',
    major: false,
    limitKmh: 50,
    points: [
      [31.5505, 74.3215],
      [31.5452, 74.3262],
      [31.5402, 74.3395],
      [31.5352, 74.3452],
      [31.5301, 74.3505],
    ],
  },
  {
    name: 'Multan Road',
    major: true,
    limitKmh: 60,
    points: [
      [31.5552, 74.3032],
      [31.5402, 74.2952],
      [31.5252, 74.2852],
      [31.5052, 74.2702],
      [31.4852, 74.2552],
      [31.4605, 74.2458],
    ],
  },
  {
    name: 'Main Boulevard Gulberg',
    major: false,
    limitKmh: 50,
    points: [
      [31.5301, 74.3505],
      [31.5202, 74.3452],
      [31.5111, 74.3442],
      [31.5052, 74.3312],
    ],
  },
  {
    name: 'Airport Road',
    major: false,
    limitKmh: 60,
    points: [
      [31.5301, 74.3505],
      [31.5302, 74.3702],
      [31.5252, 74.3902],
      [31.5222, 74.4032],
      [31.5252, 74.4152],
    ],
  },
  {
    name: 'Lower Mall and Circular Road',
    major: false,
    limitKmh: 40,
    points: [
      [31.5745, 74.3045],
      [31.5812, 74.3062],
      [31.5902, 74.3102],
      [31.5872, 74.3202],
      [31.5805, 74.3252],
      [31.5712, 74.3222],
      [31.5683, 74.3125],
    ],
  },
];

/** Places an operator looks for, as labels on the offline map. */
export const LAHORE_PLACES: readonly { name: string; at: LatLon }[] = [
  { name: 'Walled City', at: [31.582, 74.316] },
  { name: 'Gulberg', at: [31.516, 74.348] },
  { name: 'Model Town', at: [31.483, 74.324] },
  { name: 'Johar Town', at: [31.469, 74.272] },
  { name: 'Cantt', at: [31.536, 74.385] },
  { name: 'DHA', at: [31.475, 74.4] },
  { name: 'Shahdara', at: [31.624, 74.287] },
  { name: 'Airport', at: [31.5216, 74.4036] },
  { name: 'Thokar Niaz Baig', at: [31.464, 74.242] },
  { name: 'Wagah', at: [31.6045, 74.572] },
];
