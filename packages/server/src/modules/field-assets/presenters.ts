/**
 * Rows and in-memory records -> API shapes (contracts/schemas/field-assets.ts).
 */
import type {
  FieldAssetKind,
  FieldDevice,
  FieldDeviceAssignment,
  FieldDeviceLink,
  FieldDeviceState,
  FieldEvent,
  FieldEventKind,
  FieldEventSeverity,
  FieldGeofence,
  FieldGeofenceGeometry,
  FieldPosition,
  DeviceServiceStatus,
} from '@kotwal/contracts';
import { COVERT_KINDS } from '@kotwal/contracts';
import type { AssignmentRow, DeviceRow, EventRow, GeofenceRow, NewPosition, PositionRow } from './repository.ts';

const iso = (d: Date | number): string => (typeof d === 'number' ? new Date(d).toISOString() : d.toISOString());

export function presentAssignment(a: AssignmentRow): FieldDeviceAssignment {
  return {
    id: a.id,
    deviceId: a.device_id,
    officerId: a.officer_id,
    officerName: a.officer_name,
    userId: a.user_id,
    vehicleDeviceId: a.vehicle_device_id,
    note: a.note,
    startedAt: iso(a.started_at),
    endedAt: a.ended_at ? iso(a.ended_at) : null,
    assignedBy: a.assigned_by,
  };
}

export function presentDevice(d: DeviceRow, assignment: AssignmentRow | null, links: FieldDeviceLink[], state: FieldDeviceState): FieldDevice {
  const kind = d.kind as FieldAssetKind;
  return {
    id: d.id,
    uniqueId: d.unique_id,
    name: d.name,
    kind,
    covert: COVERT_KINDS.includes(kind),
    unit: d.unit,
    status: d.status as DeviceServiceStatus,
    notes: d.notes,
    speedLimitKph: d.speed_limit_kph,
    hasToken: d.token_hash !== null,
    assignment: assignment ? presentAssignment(assignment) : null,
    links,
    state,
    createdAt: iso(d.created_at),
    updatedAt: iso(d.updated_at),
  };
}

/** A position from the database or from memory. */
export function presentPosition(p: PositionRow | NewPosition): FieldPosition {
  if ('deviceId' in p) {
    return {
      deviceId: p.deviceId,
      fixTime: iso(p.fixTime),
      receivedAt: iso(p.receivedAt),
      lat: p.lat,
      lon: p.lon,
      speedKph: p.speedKph,
      course: p.course,
      altitude: p.altitude,
      accuracy: p.accuracy,
      batteryLevel: p.battery,
      charging: p.charging,
      alarm: p.alarm,
      motion: p.motion,
      protocol: p.protocol,
      attributes: p.attributes,
    };
  }
  return {
    deviceId: p.device_id,
    fixTime: iso(p.fix_time),
    receivedAt: iso(p.received_at),
    lat: p.lat,
    lon: p.lon,
    speedKph: p.speed_kph,
    course: p.course,
    altitude: p.altitude,
    accuracy: p.accuracy,
    batteryLevel: p.battery,
    charging: p.charging,
    alarm: p.alarm,
    motion: p.motion,
    protocol: p.protocol,
    attributes: p.attributes ?? {},
  };
}

export function presentGeofence(g: GeofenceRow): FieldGeofence {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    geometry: g.geometry as FieldGeofenceGeometry,
    active: g.active,
    createdAt: iso(g.created_at),
    updatedAt: iso(g.updated_at),
  };
}

export function presentEvent(e: EventRow): FieldEvent {
  return {
    id: e.id,
    deviceId: e.device_id,
    kind: e.kind as FieldEventKind,
    severity: e.severity as FieldEventSeverity,
    at: iso(e.at),
    lat: e.lat,
    lon: e.lon,
    geofenceId: e.geofence_id,
    relatedDeviceId: e.related_device_id,
    message: e.message,
    details: e.details,
    acknowledgedAt: e.acknowledged_at ? iso(e.acknowledged_at) : null,
    acknowledgedBy: e.acknowledged_by,
    createdAt: iso(e.created_at),
  };
}
