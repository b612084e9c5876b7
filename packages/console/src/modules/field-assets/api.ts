/**
 * Typed calls to the field-assets API. Shapes are the contracts' TypeBox
 * schemas (Static), never a second definition.
 */
import type {
  DeviceConnection,
  DeviceServiceStatus,
  FieldAssetKind,
  FieldAssignDeviceRequest,
  FieldAssignmentList,
  FieldCreateDeviceRequest,
  FieldCreateGeofenceRequest,
  FieldDevice,
  FieldDeviceList,
  FieldDeviceListQuery,
  FieldDeviceTokenResponse,
  FieldEvent,
  FieldEventKind,
  FieldEventList,
  FieldEventListQuery,
  FieldEventSeverity,
  FieldFleetAt,
  FieldGeofence,
  FieldGeofenceList,
  FieldLatestPositions,
  FieldLinkDeviceRequest,
  FieldPositionHistory,
  FieldTripsAndStops,
  FieldUpdateDeviceRequest,
  FieldUpdateGeofenceRequest,
} from '@kotwal/contracts';
import { apiClient } from '../../api/client.ts';
import { formatRelative } from '../../ui/format.ts';

export type {
  FieldDevice,
  FieldEvent,
  FieldGeofence,
  FieldPosition,
  FieldGeofenceGeometry,
  FieldLiveMessage,
  FieldAssetKind,
  FieldEventKind,
  FieldDeviceAssignment,
  FieldDeviceLink,
  FieldTrip,
  FieldStop,
} from '@kotwal/contracts';

const BASE = '/api/v1/field-assets';

/** "12 s ago" for a device time; a fix stamped slightly ahead of this browser's clock reads "just now", not "in 3 s". */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return formatRelative(iso, now);
  const t = Date.parse(iso);
  return formatRelative(iso, Number.isNaN(t) ? now : Math.max(now, t));
}
const seg = (s: string): string => encodeURIComponent(s);

export const kindOf = (d: FieldDevice): FieldAssetKind => d.kind;
export const serviceStatusOf = (d: FieldDevice): DeviceServiceStatus => d.status;
export const connectionOf = (d: FieldDevice): DeviceConnection => d.state.connection;
export const eventKindOf = (e: FieldEvent): FieldEventKind => e.kind;
export const severityOf = (e: FieldEvent): FieldEventSeverity => e.severity;

const opt = (signal?: AbortSignal) => (signal ? { signal } : {});

export const fieldApi = {
  devices: (q: FieldDeviceListQuery = {}, signal?: AbortSignal) => apiClient.get<FieldDeviceList>(`${BASE}/devices`, { query: { ...q }, ...opt(signal) }),
  device: (id: string, signal?: AbortSignal) => apiClient.get<FieldDevice>(`${BASE}/devices/${seg(id)}`, opt(signal)),
  createDevice: (body: FieldCreateDeviceRequest) => apiClient.post<FieldDevice>(`${BASE}/devices`, body),
  updateDevice: (id: string, body: FieldUpdateDeviceRequest) => apiClient.patch<FieldDevice>(`${BASE}/devices/${seg(id)}`, body),
  assign: (id: string, body: FieldAssignDeviceRequest) => apiClient.post<FieldDevice>(`${BASE}/devices/${seg(id)}/assignment`, body),
  unassign: (id: string) => apiClient.delete<FieldDevice>(`${BASE}/devices/${seg(id)}/assignment`),
  assignments: (id: string, signal?: AbortSignal) => apiClient.get<FieldAssignmentList>(`${BASE}/devices/${seg(id)}/assignments`, opt(signal)),
  link: (id: string, body: FieldLinkDeviceRequest) => apiClient.post<FieldDevice>(`${BASE}/devices/${seg(id)}/links`, body),
  unlink: (id: string, otherId: string) => apiClient.delete<FieldDevice>(`${BASE}/devices/${seg(id)}/links/${seg(otherId)}`),
  issueToken: (id: string) => apiClient.post<FieldDeviceTokenResponse>(`${BASE}/devices/${seg(id)}/token`),
  revokeToken: (id: string) => apiClient.delete<FieldDevice>(`${BASE}/devices/${seg(id)}/token`),
  latest: (signal?: AbortSignal) => apiClient.get<FieldLatestPositions>(`${BASE}/positions/latest`, opt(signal)),
  history: (id: string, from: string, to: string, signal?: AbortSignal) =>
    apiClient.get<FieldPositionHistory>(`${BASE}/devices/${seg(id)}/positions`, { query: { from, to }, ...opt(signal) }),
  trips: (id: string, from: string, to: string, signal?: AbortSignal) =>
    apiClient.get<FieldTripsAndStops>(`${BASE}/devices/${seg(id)}/trips`, { query: { from, to }, ...opt(signal) }),
  fleetAt: (time: string, maxAgeSeconds?: number, signal?: AbortSignal) =>
    apiClient.get<FieldFleetAt>(`${BASE}/positions/at`, { query: { time, maxAgeSeconds }, ...opt(signal) }),
  geofences: (signal?: AbortSignal) => apiClient.get<FieldGeofenceList>(`${BASE}/geofences`, opt(signal)),
  createGeofence: (body: FieldCreateGeofenceRequest) => apiClient.post<FieldGeofence>(`${BASE}/geofences`, body),
  updateGeofence: (id: string, body: FieldUpdateGeofenceRequest) => apiClient.patch<FieldGeofence>(`${BASE}/geofences/${seg(id)}`, body),
  deleteGeofence: (id: string) => apiClient.delete<unknown>(`${BASE}/geofences/${seg(id)}`),
  events: (q: FieldEventListQuery = {}, signal?: AbortSignal) => apiClient.get<FieldEventList>(`${BASE}/events`, { query: { ...q }, ...opt(signal) }),
  acknowledge: (id: string) => apiClient.post<FieldEvent>(`${BASE}/events/${seg(id)}/acknowledge`, {}),
};

export const KIND_LABELS: Readonly<Record<FieldAssetKind, string>> = {
  'command-vehicle': 'Command vehicle',
  'patrol-vehicle': 'Patrol vehicle',
  motorcycle: 'Motorcycle',
  handheld: 'Handheld',
  laptop: 'Field laptop',
  'body-camera': 'Body camera',
  'covert-camera': 'Covert camera',
};

/** One or two letters drawn in the marker. */
export const KIND_GLYPH: Readonly<Record<FieldAssetKind, string>> = {
  'command-vehicle': 'C',
  'patrol-vehicle': 'P',
  motorcycle: 'M',
  handheld: 'H',
  laptop: 'L',
  'body-camera': 'B',
  'covert-camera': 'X',
};

export const EVENT_LABELS: Readonly<Record<FieldEventKind, string>> = {
  'geofence-enter': 'Entered geofence',
  'geofence-exit': 'Left geofence',
  overspeed: 'Overspeed',
  sos: 'SOS',
  'low-battery': 'Low battery',
  offline: 'Offline',
  online: 'Back online',
  separation: 'Separation',
  gap: 'Reporting gap',
  alarm: 'Alarm',
};
