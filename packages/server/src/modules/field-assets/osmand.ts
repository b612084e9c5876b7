/**
 * The OsmAnd protocol as Traccar decodes it (OsmAndProtocolDecoder), so that
 * Traccar Client, the OsmAnd app and the many trackers that speak it work
 * unchanged:
 *
 * - form/query variant, any HTTP method: `id` or `deviceid`; `timestamp` as
 *   epoch seconds, epoch milliseconds, ISO 8601 or `yyyy-MM-dd HH:mm:ss`
 *   (UTC); `lat` + `lon` or `location=lat,lon`; `speed` in knots;
 *   `bearing`/`heading`; `altitude`; `accuracy`; `hdop`; `batt` (percent);
 *   `charge`; `alarm`; `motion`; any other key kept as an attribute (number,
 *   boolean or string). Missing timestamp = the time it arrives (as Traccar).
 *   Unknown device: 400.
 * - JSON variant (Traccar Client 9+): `{ device_id, location: { timestamp,
 *   coords: { latitude, longitude, speed (m/s), heading, altitude, accuracy },
 *   battery: { level (0-1), is_charging }, activity: { type }, event,
 *   is_moving } }`. Unknown device: 404.
 *
 * Kotwal adds an optional `token` key (query, form or JSON): required when
 * the device has a token set.
 */
import type { PositionProtocol } from '@kotwal/contracts';

/** A position as decoded from any protocol, before validation against the registry and the clock. */
export interface Fix {
  uniqueId: string;
  fixTime: number; // epoch ms
  lat: number;
  lon: number;
  speedKph: number | null;
  course: number | null;
  altitude: number | null;
  accuracy: number | null;
  battery: number | null;
  charging: boolean | null;
  alarm: string | null;
  motion: boolean | null;
  attributes: Record<string, unknown>;
  protocol: PositionProtocol;
  token: string | null;
}

/** A refusal at ingest, with the HTTP status OsmAnd answers and the field at fault. */
export class IngestError extends Error {
  constructor(
    readonly status: number,
    readonly field: string,
    message: string,
    readonly reason: 'malformed' | 'unknown-device' | 'unauthorized' | 'forbidden' | 'stale' | 'future' | 'flood' | 'unavailable' = 'malformed',
  ) {
    super(message);
    this.name = 'IngestError';
  }
}

export const KNOTS_TO_KPH = 1.852;
const MAX_ATTRIBUTES = 50;
const MAX_KEY = 64;
const MAX_VALUE = 256;
const UNIQUE_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

const bad = (field: string, message: string): IngestError => new IngestError(400, field, `${field}: ${message}`);

function num(field: string, v: string): number {
  const t = v.trim();
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw bad(field, `must be a number, got "${v.slice(0, 40)}"`);
  const n = Number(t);
  if (!Number.isFinite(n)) throw bad(field, 'must be a finite number');
  return n;
}

function checkLatLon(lat: number, lon: number): void {
  if (lat < -90 || lat > 90) throw bad('lat', `must be between -90 and 90, got ${lat}`);
  if (lon < -180 || lon > 180) throw bad('lon', `must be between -180 and 180, got ${lon}`);
}

/** Traccar's rule: an integer below 2^31 is epoch seconds, above is milliseconds; else ISO 8601 or "yyyy-MM-dd HH:mm:ss" (UTC). */
export function parseTimestamp(value: string | number, field = 'timestamp'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw bad(field, 'must be a non-negative epoch time');
    return value < 2_147_483_647 ? Math.round(value * 1000) : Math.round(value);
  }
  const v = value.trim();
  if (/^\d{1,16}(\.\d+)?$/.test(v)) return parseTimestamp(Number(v), field);
  let ms = NaN;
  if (/^\d{4}-\d{2}-\d{2}T/.test(v)) ms = Date.parse(v);
  else if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(v)) ms = Date.parse(`${v.replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) throw bad(field, `must be epoch seconds, epoch milliseconds or ISO 8601, got "${v.slice(0, 40)}"`);
  return ms;
}

const truthy = (v: string): boolean => /^(true|1)$/i.test(v.trim());

/** Decodes the form/query variant. `params` holds query string and form body together. */
export function decodeOsmandParams(params: URLSearchParams, now: number): Fix {
  const id = params.get('id') ?? params.get('deviceid');
  if (id === null || id.trim() === '') throw bad('id', 'the device identifier (id or deviceid) is required');
  if (!UNIQUE_ID_RE.test(id)) throw bad('id', 'must be 1-64 letters, digits, dot, underscore, colon or hyphen');
  let lat: number | null = null;
  let lon: number | null = null;
  const fix: Fix = {
    uniqueId: id,
    fixTime: now,
    lat: 0,
    lon: 0,
    speedKph: null,
    course: null,
    altitude: null,
    accuracy: null,
    battery: null,
    charging: null,
    alarm: null,
    motion: null,
    attributes: {},
    protocol: 'osmand',
    token: null,
  };
  let attrs = 0;
  for (const [key, value] of params) {
    switch (key) {
      case 'id':
      case 'deviceid':
        break;
      case 'timestamp':
        fix.fixTime = parseTimestamp(value);
        break;
      case 'lat':
        lat = num('lat', value);
        break;
      case 'lon':
        lon = num('lon', value);
        break;
      case 'location': {
        const parts = value.split(',');
        if (parts.length !== 2) throw bad('location', 'must be "lat,lon"');
        lat = num('location', parts[0]);
        lon = num('location', parts[1]);
        break;
      }
      case 'speed': {
        const s = num('speed', value);
        fix.speedKph = s < 0 ? null : s * KNOTS_TO_KPH;
        break;
      }
      case 'bearing':
      case 'heading': {
        const c = num(key, value);
        fix.course = c < 0 ? null : c % 360;
        break;
      }
      case 'altitude':
        fix.altitude = num('altitude', value);
        break;
      case 'accuracy':
        fix.accuracy = Math.max(0, num('accuracy', value));
        break;
      case 'hdop': {
        const h = num('hdop', value);
        fix.attributes['hdop'] = h;
        if (fix.accuracy === null) fix.accuracy = Math.max(0, h);
        break;
      }
      case 'batt': {
        const b = num('batt', value);
        if (b < 0 || b > 100) throw bad('batt', `must be a percentage 0-100, got ${b}`);
        fix.battery = b;
        break;
      }
      case 'charge':
        fix.charging = truthy(value);
        break;
      case 'alarm':
        fix.alarm = value.trim().slice(0, 64) || null;
        break;
      case 'motion':
        fix.motion = truthy(value);
        break;
      case 'token':
        fix.token = value;
        break;
      default: {
        if (key.length === 0 || key.length > MAX_KEY) throw bad(key.slice(0, 20) || '(empty)', `parameter names are 1-${MAX_KEY} characters`);
        if (key === '__proto__' || key === 'constructor' || key === 'prototype') break;
        if (++attrs > MAX_ATTRIBUTES) throw bad(key, `at most ${MAX_ATTRIBUTES} extra parameters`);
        fix.attributes[key] = attributeValue(value);
      }
    }
  }
  if (lat === null || lon === null) throw bad(lat === null ? 'lat' : 'lon', 'lat and lon (or location=lat,lon) are required');
  checkLatLon(lat, lon);
  fix.lat = lat;
  fix.lon = lon;
  return fix;
}

function attributeValue(v: string): unknown {
  const t = v.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
    const n = Number(t);
    if (Number.isFinite(n)) return n;
  }
  if (t === 'true') return true;
  if (t === 'false') return false;
  return v.slice(0, MAX_VALUE);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optNum(obj: Record<string, unknown>, key: string, field: string): number | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(field, 'must be a number');
  return v;
}

/** The device id of a JSON body, when it has one (for the 404 of an unknown device). */
export function decodeOsmandJson(body: unknown, now: number): Fix {
  if (!isObj(body)) throw bad('(body)', 'the JSON body must be an object');
  const id = body['device_id'];
  if (typeof id !== 'string' || id.trim() === '') throw bad('device_id', 'is required');
  if (!UNIQUE_ID_RE.test(id)) throw bad('device_id', 'must be 1-64 letters, digits, dot, underscore, colon or hyphen');
  const loc = body['location'];
  if (!isObj(loc)) throw bad('location', 'is required (an object with timestamp and coords)');
  const coords = loc['coords'];
  if (!isObj(coords)) throw bad('location.coords', 'is required');
  const lat = optNum(coords, 'latitude', 'location.coords.latitude');
  const lon = optNum(coords, 'longitude', 'location.coords.longitude');
  if (lat === null) throw bad('location.coords.latitude', 'is required');
  if (lon === null) throw bad('location.coords.longitude', 'is required');
  checkLatLon(lat, lon);
  const ts = loc['timestamp'];
  let fixTime = now;
  if (ts !== undefined && ts !== null) {
    if (typeof ts !== 'string' && typeof ts !== 'number') throw bad('location.timestamp', 'must be ISO 8601 or epoch time');
    fixTime = parseTimestamp(ts, 'location.timestamp');
  }
  const speed = optNum(coords, 'speed', 'location.coords.speed');
  const heading = optNum(coords, 'heading', 'location.coords.heading');
  const accuracy = optNum(coords, 'accuracy', 'location.coords.accuracy');
  const fix: Fix = {
    uniqueId: id,
    fixTime,
    lat,
    lon,
    speedKph: speed === null || speed < 0 ? null : speed * 3.6,
    course: heading === null || heading < 0 ? null : heading % 360,
    altitude: optNum(coords, 'altitude', 'location.coords.altitude'),
    accuracy: accuracy === null ? null : Math.max(0, accuracy),
    battery: null,
    charging: null,
    alarm: null,
    motion: null,
    attributes: {},
    protocol: 'osmand-json',
    token: typeof body['token'] === 'string' ? body['token'] : null,
  };
  const battery = loc['battery'];
  if (isObj(battery)) {
    const level = optNum(battery, 'level', 'location.battery.level');
    // Traccar Client reports 0..1 (-1 when unknown).
    if (level !== null && level >= 0) fix.battery = Math.min(100, level <= 1 ? Math.round(level * 1000) / 10 : level);
    if (typeof battery['is_charging'] === 'boolean') fix.charging = battery['is_charging'];
  }
  const activity = loc['activity'];
  if (isObj(activity) && typeof activity['type'] === 'string') fix.attributes['activity'] = activity['type'].slice(0, MAX_VALUE);
  if (typeof loc['event'] === 'string') fix.attributes['event'] = loc['event'].slice(0, MAX_VALUE);
  if (typeof loc['is_moving'] === 'boolean') fix.motion = loc['is_moving'];
  const extras = loc['extras'];
  if (isObj(extras)) {
    let n = 0;
    for (const [k, v] of Object.entries(extras)) {
      if (++n > MAX_ATTRIBUTES) break;
      if (k.length > MAX_KEY) continue;
      if (typeof v === 'number' || typeof v === 'boolean') fix.attributes[k] = v;
      else if (typeof v === 'string') fix.attributes[k] = v.slice(0, MAX_VALUE);
    }
    if (typeof extras['alarm'] === 'string') fix.alarm = extras['alarm'].slice(0, 64);
  }
  return fix;
}

const MQTT_FIELDS = new Set(['timestamp', 'lat', 'lon', 'speedKph', 'course', 'altitude', 'accuracy', 'battery', 'charging', 'alarm', 'motion', 'attributes']);

/** The MQTT JSON payload (see MqttPositionPayload in contracts). */
export function decodeMqttPayload(uniqueId: string, body: unknown, _now: number): Fix {
  if (!isObj(body)) throw bad('(payload)', 'must be a JSON object');
  for (const k in body) if (!MQTT_FIELDS.has(k)) throw bad(k, 'unknown field');
  const lat = optNum(body, 'lat', 'lat');
  const lon = optNum(body, 'lon', 'lon');
  if (lat === null) throw bad('lat', 'is required');
  if (lon === null) throw bad('lon', 'is required');
  checkLatLon(lat, lon);
  const ts = body['timestamp'];
  if (typeof ts !== 'string' && typeof ts !== 'number') throw bad('timestamp', 'is required (ISO 8601 or epoch time)');
  const speed = optNum(body, 'speedKph', 'speedKph');
  if (speed !== null && (speed < 0 || speed > 2000)) throw bad('speedKph', 'must be between 0 and 2000');
  const course = optNum(body, 'course', 'course');
  const battery = optNum(body, 'battery', 'battery');
  if (battery !== null && (battery < 0 || battery > 100)) throw bad('battery', 'must be a percentage 0-100');
  const bool = (k: string): boolean | null => {
    const v = body[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'boolean') throw bad(k, 'must be true or false');
    return v;
  };
  const alarm = body['alarm'];
  if (alarm !== undefined && alarm !== null && typeof alarm !== 'string') throw bad('alarm', 'must be a string');
  const attributes: Record<string, unknown> = {};
  const a = body['attributes'];
  if (a !== undefined && a !== null) {
    if (!isObj(a)) throw bad('attributes', 'must be an object');
    const entries = Object.entries(a);
    if (entries.length > MAX_ATTRIBUTES) throw bad('attributes', `at most ${MAX_ATTRIBUTES} keys`);
    for (const [k, v] of entries) {
      if (k.length > MAX_KEY) throw bad('attributes', `keys are at most ${MAX_KEY} characters`);
      if (typeof v === 'number' || typeof v === 'boolean' || v === null) attributes[k] = v;
      else if (typeof v === 'string') attributes[k] = v.slice(0, MAX_VALUE);
      else throw bad(`attributes.${k.slice(0, 20)}`, 'values are numbers, booleans or strings');
    }
  }
  return {
    uniqueId,
    fixTime: parseTimestamp(ts),
    lat,
    lon,
    speedKph: speed,
    course: course === null || course < 0 ? null : course % 360,
    altitude: optNum(body, 'altitude', 'altitude'),
    accuracy: optNum(body, 'accuracy', 'accuracy'),
    battery,
    charging: bool('charging'),
    alarm: typeof alarm === 'string' ? alarm.slice(0, 64) || null : null,
    motion: bool('motion'),
    attributes,
    protocol: 'mqtt',
    token: null,
  };
}
