/**
 * Typed event catalogue (Immich's EventMap). Names are
 * `<module>.<entity>.<pastVerb>`; payloads hold identifiers, never registry
 * values. `emit` and `on` are type-checked against this map.
 */
export interface EventMap {
  'core.user.created': { userId: string; username: string; roles: string[] };
  'core.user.disabled': { userId: string; username: string };
  'core.user.enabled': { userId: string; username: string };
  'core.user.roles-changed': { userId: string; roles: string[] };
  'core.user.locked': { userId: string; username: string; until: string };
  'core.role.changed': { role: string; permissions: string[] };
  'core.token.issued': { tokenId: string; name: string };
  'core.token.revoked': { tokenId: string };
  'core.ledger.checkpoint-signed': { treeSize: number; rootHash: string };
  'core.ledger.cosigned': { treeSize: number; witness: string };
  'core.transfer.requested': { transferId: string; dataset: string; destinationNode: string; destinationJurisdiction: string };
  'core.transfer.approved': { transferId: string; approvals: number };
  'core.transfer.refused': { transferId: string; reason: string };
  'core.transfer.executed': { transferId: string };
  'core.transfer.completed': { transferId: string; records: number };
  'core.transfer.revoked': { transferId: string; by: string };
  'core.transfer.expired': { transferId: string };
  'core.grant.requested': { grantId: string; grantee: string; role: string };
  'core.grant.activated': { grantId: string; grantee: string; role: string; expiresAt: string };
  'core.grant.ended': { grantId: string; grantee: string; reason: 'expired' | 'revoked' };
  'registries.import.completed': { importId: string; registry: string; inserted: number; updated: number; unchanged: number; rejected: number };
  'registries.import.failed': { importId: string; registry: string; reason: string };
  'registries.alert.raised': { alertId: string; kind: 'canary' | 'anomaly'; severity: 'high' | 'medium'; userId: string; subject: string | null };
  'registries.user.blocked': { blockId: string; userId: string; reason: string };
  'registries.user.released': { blockId: string; userId: string; releasedBy: string };
  'field-assets.device.status-changed': { deviceId: string; status: 'online' | 'offline' | 'unknown'; at: string };
  'field-assets.geofence.entered': { deviceId: string; geofenceId: string; at: string };
  'field-assets.geofence.exited': { deviceId: string; geofenceId: string; at: string };
  'field-assets.alarm.raised': {
    alarmId: string;
    deviceId: string;
    kind: 'overspeed' | 'sos' | 'low-battery' | 'offline' | 'separation' | 'gap' | 'geofence';
    at: string;
  };
}

export type EventName = keyof EventMap;

export interface EventEnvelope<K extends EventName = EventName> {
  /** Unique id (UUID); subscribers use it to stay idempotent. */
  id: string;
  name: K;
  payload: EventMap[K];
  /** ISO 8601 time the change committed. */
  occurredAt: string;
  requestId?: string | undefined;
}
