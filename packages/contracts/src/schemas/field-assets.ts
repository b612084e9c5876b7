/**
 * Field assets (Field Assets / ECV): command vehicles, patrol cars,
 * motorcycles, handhelds, field laptops, body cameras and covert cameras,
 * tracked live. The shapes of the device registry, positions, replay,
 * geofences, alerts, the live WebSocket and the MQTT topic layout.
 *
 * Units: coordinates WGS 84 decimal degrees, speeds km/h, distances metres,
 * courses degrees clockwise from true north, battery percent, times ISO 8601
 * UTC strings.
 */
import Type from 'typebox';
import { IsoDateTime, Str, Uuid } from './common.ts';

// ---- vocabulary ------------------------------------------------------------

export const FIELD_ASSET_KINDS = ['command-vehicle', 'patrol-vehicle', 'motorcycle', 'handheld', 'laptop', 'body-camera', 'covert-camera'] as const;
export type FieldAssetKind = (typeof FIELD_ASSET_KINDS)[number];
/** Kinds that carry people or devices (a handheld or camera may be assigned to one). */
export const VEHICLE_KINDS: readonly FieldAssetKind[] = ['command-vehicle', 'patrol-vehicle', 'motorcycle'];
/** Kinds whose positions only holders of field-assets.covert see (each view ledgered). */
export const COVERT_KINDS: readonly FieldAssetKind[] = ['covert-camera'];

/** Administrative status of a device (set by people). */
export const DEVICE_SERVICE_STATUSES = ['in-service', 'maintenance', 'retired'] as const;
export type DeviceServiceStatus = (typeof DEVICE_SERVICE_STATUSES)[number];

/** Connectivity (computed): online while reports arrive within KOTWAL_DEVICE_OFFLINE_SECONDS; unknown = never reported. */
export const DEVICE_CONNECTIONS = ['online', 'offline', 'unknown'] as const;
export type DeviceConnection = (typeof DEVICE_CONNECTIONS)[number];

/** Where a position came from. */
export const POSITION_PROTOCOLS = ['osmand', 'osmand-json', 'mqtt'] as const;
export type PositionProtocol = (typeof POSITION_PROTOCOLS)[number];

/** Alert (event) kinds. */
export const FIELD_EVENT_KINDS = [
  'geofence-enter',
  'geofence-exit',
  'overspeed',
  'sos',
  'low-battery',
  'offline',
  'online',
  'separation',
  'gap',
  'alarm',
] as const;
export type FieldEventKind = (typeof FIELD_EVENT_KINDS)[number];
export const FIELD_EVENT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type FieldEventSeverity = (typeof FIELD_EVENT_SEVERITIES)[number];

const lit = <const T extends readonly string[]>(values: T, description?: string) => Type.Enum<[...T]>([...values], description ? { description } : {});

export const FieldAssetKindSchema = lit(FIELD_ASSET_KINDS, 'kind of field asset');
export const DeviceServiceStatusSchema = lit(DEVICE_SERVICE_STATUSES, 'administrative status');
export const DeviceConnectionSchema = lit(DEVICE_CONNECTIONS, 'online, offline (silent for longer than the timeout) or unknown (never reported)');
export const FieldEventKindSchema = lit(FIELD_EVENT_KINDS);
export const FieldEventSeveritySchema = lit(FIELD_EVENT_SEVERITIES);

/** Unique device identifier as the device sends it (IMEI, serial, Traccar Client id). */
export const UNIQUE_ID_PATTERN = '^[A-Za-z0-9._:-]{1,64}$';
export const FieldUniqueId = Type.String({ pattern: UNIQUE_ID_PATTERN, minLength: 1, maxLength: 64, description: 'IMEI or serial as the device reports it' });

export const FieldLatitude = Type.Number({ minimum: -90, maximum: 90 });
export const FieldLongitude = Type.Number({ minimum: -180, maximum: 180 });
export const FieldLatLon = Type.Object({ lat: FieldLatitude, lon: FieldLongitude }, { additionalProperties: false });
export type FieldLatLon = Type.Static<typeof FieldLatLon>;

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);

// ---- devices -----------------------------------------------------------------

/** Live state of a device, derived from its reports. */
export const FieldDeviceState = Type.Object({
  connection: DeviceConnectionSchema,
  lastSeenAt: Nullable(IsoDateTime),
  lastFixAt: Nullable(IsoDateTime),
  batteryLevel: Nullable(Type.Number({ description: 'percent 0-100' })),
  charging: Nullable(Type.Boolean()),
  /** Cameras: recording now (attribute `recording`). */
  recording: Nullable(Type.Boolean()),
  /** Cameras: in the dock (attribute `docked`). */
  docked: Nullable(Type.Boolean()),
  moving: Nullable(Type.Boolean()),
});
export type FieldDeviceState = Type.Static<typeof FieldDeviceState>;

/** Who or what a device is assigned to now. */
export const FieldDeviceAssignment = Type.Object({
  id: Uuid,
  deviceId: Uuid,
  /** Free-text officer identifier (belt number, service number). */
  officerId: Nullable(Type.String()),
  officerName: Nullable(Type.String()),
  /** A Kotwal user account, when the officer has one. */
  userId: Nullable(Type.String()),
  /** The vehicle (a device of a vehicle kind) this device rides in. */
  vehicleDeviceId: Nullable(Uuid),
  note: Nullable(Type.String()),
  startedAt: IsoDateTime,
  endedAt: Nullable(IsoDateTime),
  assignedBy: Type.String(),
});
export type FieldDeviceAssignment = Type.Static<typeof FieldDeviceAssignment>;

/** A link between two devices that belong together (body camera with its handheld and vehicle); separation alerts use it. */
export const FieldDeviceLink = Type.Object({
  deviceId: Uuid,
  uniqueId: Type.String(),
  name: Type.String(),
  kind: FieldAssetKindSchema,
  separationMetres: Type.Integer(),
  separationSeconds: Type.Integer(),
  createdAt: IsoDateTime,
});
export type FieldDeviceLink = Type.Static<typeof FieldDeviceLink>;

export const FieldDevice = Type.Object(
  {
    id: Uuid,
    uniqueId: Type.String(),
    name: Type.String(),
    kind: FieldAssetKindSchema,
    covert: Type.Boolean({ description: 'covert camera: visible only with field-assets.covert' }),
    unit: Nullable(Type.String()),
    status: DeviceServiceStatusSchema,
    notes: Nullable(Type.String()),
    /** Overspeed limit for this device (km/h); null = the default for its kind. */
    speedLimitKph: Nullable(Type.Number()),
    /** Whether a device token is set (the token itself is shown once, when issued). */
    hasToken: Type.Boolean(),
    assignment: Nullable(FieldDeviceAssignment),
    links: Type.Array(FieldDeviceLink),
    state: FieldDeviceState,
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  },
  { $id: 'FieldDevice' },
);
export type FieldDevice = Type.Static<typeof FieldDevice>;

export const FieldDeviceList = Type.Object({ items: Type.Array(FieldDevice), total: Type.Integer() });
export type FieldDeviceList = Type.Static<typeof FieldDeviceList>;

export const FieldDeviceIdParams = Type.Object({ id: Uuid });
export type FieldDeviceIdParams = Type.Static<typeof FieldDeviceIdParams>;

export const FieldCreateDeviceRequest = Type.Object(
  {
    uniqueId: FieldUniqueId,
    name: Str(120),
    kind: FieldAssetKindSchema,
    unit: Type.Optional(Nullable(Str(120))),
    status: Type.Optional(DeviceServiceStatusSchema),
    notes: Type.Optional(Nullable(Str(1000, { minLength: 0 }))),
    speedLimitKph: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 400 }))),
  },
  { additionalProperties: false },
);
export type FieldCreateDeviceRequest = Type.Static<typeof FieldCreateDeviceRequest>;

export const FieldUpdateDeviceRequest = Type.Object(
  {
    name: Type.Optional(Str(120)),
    unit: Type.Optional(Nullable(Str(120))),
    status: Type.Optional(DeviceServiceStatusSchema),
    notes: Type.Optional(Nullable(Str(1000, { minLength: 0 }))),
    speedLimitKph: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 400 }))),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type FieldUpdateDeviceRequest = Type.Static<typeof FieldUpdateDeviceRequest>;

export const FieldDeviceListQuery = Type.Object(
  {
    q: Type.Optional(Str(120, { description: 'search name, unique id, unit, or assigned officer (id or name)' })),
    kind: Type.Optional(FieldAssetKindSchema),
    unit: Type.Optional(Str(120)),
    status: Type.Optional(DeviceServiceStatusSchema),
    connection: Type.Optional(DeviceConnectionSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  },
  { additionalProperties: false },
);
export type FieldDeviceListQuery = Type.Static<typeof FieldDeviceListQuery>;

/** Issued by POST /devices/{id}/token: the device's secret, shown once (MQTT password; OsmAnd `token` parameter). */
export const FieldDeviceTokenResponse = Type.Object({ deviceId: Uuid, uniqueId: Type.String(), token: Type.String() });
export type FieldDeviceTokenResponse = Type.Static<typeof FieldDeviceTokenResponse>;

export const FieldAssignDeviceRequest = Type.Object(
  {
    officerId: Type.Optional(Nullable(Str(64))),
    officerName: Type.Optional(Nullable(Str(120))),
    userId: Type.Optional(Nullable(Str(64))),
    vehicleDeviceId: Type.Optional(Nullable(Uuid)),
    note: Type.Optional(Nullable(Str(500))),
  },
  { additionalProperties: false, description: 'at least one of officerId, officerName, userId, vehicleDeviceId; ends the current assignment' },
);
export type FieldAssignDeviceRequest = Type.Static<typeof FieldAssignDeviceRequest>;

export const FieldAssignmentList = Type.Object({ items: Type.Array(FieldDeviceAssignment) });
export type FieldAssignmentList = Type.Static<typeof FieldAssignmentList>;

export const FieldLinkDeviceRequest = Type.Object(
  {
    deviceId: Uuid,
    separationMetres: Type.Optional(Type.Integer({ minimum: 5, maximum: 100_000, default: 100 })),
    separationSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400, default: 60 })),
  },
  { additionalProperties: false },
);
export type FieldLinkDeviceRequest = Type.Static<typeof FieldLinkDeviceRequest>;

export const FieldDeviceLinkParams = Type.Object({ id: Uuid, otherId: Uuid });
export type FieldDeviceLinkParams = Type.Static<typeof FieldDeviceLinkParams>;

// ---- positions ---------------------------------------------------------------

export const FieldPosition = Type.Object(
  {
    deviceId: Uuid,
    /** When the device took the fix. */
    fixTime: IsoDateTime,
    /** When the server accepted it. */
    receivedAt: IsoDateTime,
    lat: FieldLatitude,
    lon: FieldLongitude,
    speedKph: Nullable(Type.Number()),
    course: Nullable(Type.Number()),
    altitude: Nullable(Type.Number()),
    /** Horizontal accuracy in metres (or HDOP when the device sent hdop). */
    accuracy: Nullable(Type.Number()),
    batteryLevel: Nullable(Type.Number()),
    charging: Nullable(Type.Boolean()),
    alarm: Nullable(Type.String()),
    motion: Nullable(Type.Boolean()),
    protocol: Type.String(),
    /** Other keys the device sent (e.g. recording, docked, activity, event). */
    attributes: Type.Record(Type.String(), Type.Unknown()),
  },
  { $id: 'FieldPosition' },
);
export type FieldPosition = Type.Static<typeof FieldPosition>;

export const FieldLatestPositions = Type.Object({ at: IsoDateTime, items: Type.Array(FieldPosition) });
export type FieldLatestPositions = Type.Static<typeof FieldLatestPositions>;

/** Longest range of one history, trips or stops query. */
export const MAX_HISTORY_RANGE_HOURS = 7 * 24;

export const FieldPositionRangeQuery = Type.Object(
  {
    from: IsoDateTime,
    to: IsoDateTime,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50_000, default: 10_000 })),
  },
  { additionalProperties: false, description: `ISO 8601 from < to, at most ${MAX_HISTORY_RANGE_HOURS} hours apart` },
);
export type FieldPositionRangeQuery = Type.Static<typeof FieldPositionRangeQuery>;

/** One device's track, oldest first: the console replays it at any speed. */
export const FieldPositionHistory = Type.Object({
  deviceId: Uuid,
  from: IsoDateTime,
  to: IsoDateTime,
  items: Type.Array(FieldPosition),
  /** True when limit cut the range short (ask again from the last fixTime). */
  truncated: Type.Boolean(),
});
export type FieldPositionHistory = Type.Static<typeof FieldPositionHistory>;

export const FieldFleetAtQuery = Type.Object(
  {
    time: IsoDateTime,
    /** Only fixes at most this old at `time` (seconds). */
    maxAgeSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 86_400, default: 3600 })),
  },
  { additionalProperties: false },
);
export type FieldFleetAtQuery = Type.Static<typeof FieldFleetAtQuery>;

/** Replay: where every device (the caller may see) was at an instant: its last fix at or before `time`. */
export const FieldFleetAt = Type.Object({ time: IsoDateTime, items: Type.Array(FieldPosition) });
export type FieldFleetAt = Type.Static<typeof FieldFleetAt>;

export const FieldTrip = Type.Object({
  startTime: IsoDateTime,
  endTime: IsoDateTime,
  start: FieldLatLon,
  end: FieldLatLon,
  distanceMetres: Type.Number(),
  durationSeconds: Type.Number(),
  maxSpeedKph: Type.Number(),
  averageSpeedKph: Type.Number(),
  positions: Type.Integer(),
});
export type FieldTrip = Type.Static<typeof FieldTrip>;

export const FieldStop = Type.Object({
  startTime: IsoDateTime,
  endTime: IsoDateTime,
  lat: FieldLatitude,
  lon: FieldLongitude,
  durationSeconds: Type.Number(),
});
export type FieldStop = Type.Static<typeof FieldStop>;

export const FieldTripsAndStops = Type.Object({
  deviceId: Uuid,
  from: IsoDateTime,
  to: IsoDateTime,
  trips: Type.Array(FieldTrip),
  stops: Type.Array(FieldStop),
});
export type FieldTripsAndStops = Type.Static<typeof FieldTripsAndStops>;

// ---- geofences ----------------------------------------------------------------

export const FieldCircleGeometry = Type.Object(
  { type: Type.Literal('circle'), center: FieldLatLon, radiusMetres: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }) },
  { additionalProperties: false },
);
export const FieldPolygonGeometry = Type.Object(
  {
    type: Type.Literal('polygon'),
    points: Type.Array(FieldLatLon, { minItems: 3, maxItems: 2000, description: 'ring, not closed (first point is not repeated)' }),
  },
  { additionalProperties: false },
);
export const FieldCorridorGeometry = Type.Object(
  {
    type: Type.Literal('corridor'),
    points: Type.Array(FieldLatLon, { minItems: 2, maxItems: 2000, description: 'polyline' }),
    widthMetres: Type.Number({ exclusiveMinimum: 0, maximum: 10_000, description: 'full width; a point is inside within widthMetres/2 of the line' }),
  },
  { additionalProperties: false },
);
export const FieldGeofenceGeometry = Type.Union([FieldCircleGeometry, FieldPolygonGeometry, FieldCorridorGeometry]);
export type FieldGeofenceGeometry = Type.Static<typeof FieldGeofenceGeometry>;

export const FieldGeofence = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    description: Nullable(Type.String()),
    geometry: FieldGeofenceGeometry,
    active: Type.Boolean(),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  },
  { $id: 'FieldGeofence' },
);
export type FieldGeofence = Type.Static<typeof FieldGeofence>;

export const FieldGeofenceList = Type.Object({ items: Type.Array(FieldGeofence) });
export type FieldGeofenceList = Type.Static<typeof FieldGeofenceList>;

export const FieldGeofenceIdParams = Type.Object({ id: Uuid });
export type FieldGeofenceIdParams = Type.Static<typeof FieldGeofenceIdParams>;

export const FieldCreateGeofenceRequest = Type.Object(
  { name: Str(120), description: Type.Optional(Nullable(Str(1000, { minLength: 0 }))), geometry: FieldGeofenceGeometry, active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type FieldCreateGeofenceRequest = Type.Static<typeof FieldCreateGeofenceRequest>;

export const FieldUpdateGeofenceRequest = Type.Object(
  {
    name: Type.Optional(Str(120)),
    description: Type.Optional(Nullable(Str(1000, { minLength: 0 }))),
    geometry: Type.Optional(FieldGeofenceGeometry),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type FieldUpdateGeofenceRequest = Type.Static<typeof FieldUpdateGeofenceRequest>;

// ---- events (alerts) ------------------------------------------------------------

export const FieldEvent = Type.Object(
  {
    id: Uuid,
    deviceId: Uuid,
    kind: FieldEventKindSchema,
    severity: FieldEventSeveritySchema,
    /** When it happened (the fix time for position-driven events). */
    at: IsoDateTime,
    lat: Nullable(Type.Number()),
    lon: Nullable(Type.Number()),
    geofenceId: Nullable(Uuid),
    /** The other device of a separation. */
    relatedDeviceId: Nullable(Uuid),
    /** Human-readable one-liner. */
    message: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
    acknowledgedAt: Nullable(IsoDateTime),
    acknowledgedBy: Nullable(Type.String()),
    createdAt: IsoDateTime,
  },
  { $id: 'FieldEvent' },
);
export type FieldEvent = Type.Static<typeof FieldEvent>;

export const FieldEventListQuery = Type.Object(
  {
    deviceId: Type.Optional(Uuid),
    kind: Type.Optional(FieldEventKindSchema),
    acknowledged: Type.Optional(Type.Boolean()),
    from: Type.Optional(IsoDateTime),
    to: Type.Optional(IsoDateTime),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
export type FieldEventListQuery = Type.Static<typeof FieldEventListQuery>;

export const FieldEventList = Type.Object({ items: Type.Array(FieldEvent) });
export type FieldEventList = Type.Static<typeof FieldEventList>;

export const FieldEventIdParams = Type.Object({ id: Uuid });
export const FieldAcknowledgeEventRequest = Type.Object({ note: Type.Optional(Str(500)) }, { additionalProperties: false });
export type FieldAcknowledgeEventRequest = Type.Static<typeof FieldAcknowledgeEventRequest>;

// ---- live WebSocket: GET /api/v1/field-assets/live ------------------------------
// Server -> client JSON text frames. First a snapshot, then deltas. Covert
// devices appear only for holders of field-assets.covert. A client that falls
// behind gets the latest position per device (older ones coalesced away) and,
// if it still cannot keep up, is closed with 1013.

export const LIVE_PATH = '/api/v1/field-assets/live';

export const FieldLiveSnapshot = Type.Object({
  type: Type.Literal('snapshot'),
  at: IsoDateTime,
  devices: Type.Array(FieldDevice),
  positions: Type.Array(FieldPosition),
  /** Unacknowledged alerts, newest first (at most 200). */
  alerts: Type.Array(FieldEvent),
});
export const FieldLivePositions = Type.Object({ type: Type.Literal('positions'), items: Type.Array(FieldPosition) });
export const FieldLiveStatus = Type.Object({ type: Type.Literal('status'), deviceId: Uuid, state: FieldDeviceState });
export const FieldLiveEvent = Type.Object({ type: Type.Literal('event'), event: FieldEvent });
/** A device was registered or changed (name, assignment, links...). */
export const FieldLiveDevice = Type.Object({ type: Type.Literal('device'), device: FieldDevice });
export const FieldLiveMessage = Type.Union([FieldLiveSnapshot, FieldLivePositions, FieldLiveStatus, FieldLiveEvent, FieldLiveDevice]);
export type FieldLiveMessage = Type.Static<typeof FieldLiveMessage>;

// ---- ingest: OsmAnd HTTP and MQTT -------------------------------------------------

/** Default port of the OsmAnd listener (OSMAND_PORT), as Traccar. */
export const OSMAND_DEFAULT_PORT = 5055;

/**
 * MQTT topic layout. A device publishes JSON (MqttPositionPayload) at QoS 0
 * or 1 to `<prefix>/<uniqueId>/position`; prefix defaults to
 * `kotwal/field-assets` (MQTT_TOPIC_PREFIX). On the embedded broker the
 * device connects with username = uniqueId and password = its device token,
 * and may publish only under its own uniqueId; it may not subscribe.
 */
export const MQTT_DEFAULT_TOPIC_PREFIX = 'kotwal/field-assets';
export const MQTT_POSITION_SUFFIX = 'position';
export const MQTT_MAX_PAYLOAD_BYTES = 8192;
export const mqttPositionTopic = (uniqueId: string, prefix: string = MQTT_DEFAULT_TOPIC_PREFIX): string => `${prefix}/${uniqueId}/${MQTT_POSITION_SUFFIX}`;
/** The wildcard the server subscribes to. */
export const mqttPositionWildcard = (prefix: string = MQTT_DEFAULT_TOPIC_PREFIX): string => `${prefix}/+/${MQTT_POSITION_SUFFIX}`;

export const MqttPositionPayload = Type.Object(
  {
    /** ISO 8601, or epoch seconds / milliseconds. */
    timestamp: Type.Union([Type.String(), Type.Number()]),
    lat: FieldLatitude,
    lon: FieldLongitude,
    speedKph: Type.Optional(Type.Number({ minimum: 0, maximum: 2000 })),
    course: Type.Optional(Type.Number({ minimum: 0, maximum: 360 })),
    altitude: Type.Optional(Type.Number()),
    accuracy: Type.Optional(Type.Number({ minimum: 0 })),
    battery: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    charging: Type.Optional(Type.Boolean()),
    /** e.g. "sos". */
    alarm: Type.Optional(Type.String({ maxLength: 64 })),
    motion: Type.Optional(Type.Boolean()),
    /** Cameras: recording, docked; anything else is kept. */
    attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false, description: `JSON published to ${MQTT_DEFAULT_TOPIC_PREFIX}/<uniqueId>/position (at most ${MQTT_MAX_PAYLOAD_BYTES} bytes)` },
);
export type MqttPositionPayload = Type.Static<typeof MqttPositionPayload>;
