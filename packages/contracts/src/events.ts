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
