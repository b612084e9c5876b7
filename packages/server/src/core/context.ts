/**
 * What the composition root hands every core part and module. Modules see
 * these interfaces only, never each other.
 */
import type { Logger } from 'pino';
import type { EventEnvelope, EventMap, EventName, LedgerActorType, LedgerOutcome, Permission, SessionState } from '@kotwal/contracts';
import type { KotwalConfig } from './config/index.ts';
import type { Database, Queryable } from './db/index.ts';

/** One thing to record in the ledger. Details hold personal data; only their hash is sealed. */
export interface LedgerAppend {
  actorType: LedgerActorType;
  actorId: string;
  action: string;
  resource: string;
  outcome: LedgerOutcome;
  purpose?: string | null;
  caseRef?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown> | null;
}

export interface LedgerWriter {
  /** Group-committed append; resolves with the entry's sequence number once durable. */
  append(entry: LedgerAppend): Promise<{ seq: number }>;
  /**
   * Append as part of the caller's transaction: the entry commits (or rolls
   * back) with the change it records, and is sequenced right after commit.
   */
  appendInTx(tx: Queryable, entry: LedgerAppend): Promise<void>;
  /** appendInTx for several entries at once (one statement per few hundred), in order. */
  appendManyInTx(tx: Queryable, entries: readonly LedgerAppend[]): Promise<void>;
  /** Ask the sequencer to run now (called after a transaction commits). */
  kick(): void;
}

/** One event for EventBus.emitMany. */
export type EventToEmit = { [K in EventName]: { name: K; payload: EventMap[K]; requestId?: string | null } }[EventName];

export type EventHandler<K extends EventName> = (event: EventEnvelope<K>) => Promise<void>;

export interface EventBus {
  /** Writes the event to the outbox inside tx; it is dispatched only after tx commits. */
  emit<K extends EventName>(tx: Queryable, name: K, payload: EventMap[K], opts?: { requestId?: string | null }): Promise<void>;
  /** emit for several events at once (one statement per few hundred), in order. */
  emitMany(tx: Queryable, events: readonly EventToEmit[]): Promise<void>;
  /** Registers an idempotent subscriber; `subscriber` names it for delivery tracking. */
  on<K extends EventName>(name: K, subscriber: string, handler: EventHandler<K>): void;
  /** Ask the dispatcher to run now (called after a transaction commits). */
  kick(): void;
}

/** Who is making a request. */
export interface Principal {
  kind: 'user' | 'token';
  id: string;
  /** Username, or the token's name. */
  name: string;
  permissions: ReadonlySet<Permission>;
  /** Where a user still owes a password change or MFA enrolment. */
  state: SessionState;
  sessionId: string | null;
  csrfToken: string | null;
}

/** This node: its name and jurisdiction, and its Ed25519 key (the ledger's). */
export interface NodeIdentityKey {
  name: string;
  jurisdiction: string;
  /** base64 raw 32-byte Ed25519 public key. */
  publicKey: string;
  keyId: string;
  /** Signs with the node's private key; base64 signature. */
  sign(data: Uint8Array): string;
}

/** Why an outbound HTTP(S) request is made; the egress gateway allows a destination only for a purpose that names it. */
export type EgressPurpose =
  | { kind: 'transfer'; transferId: string } // allowed only while sov_transfers row is approved/executing, unexpired, and the URL's origin is the manifest destination address
  | { kind: 'peer-verify'; peerId: string } // GET of a registered active peer's /api/v1/node only
  | { kind: 'replica-source' } // the configured replicaOf origin
  | { kind: 'integration'; name: string }; // configured integrations (DATABASE_URL, NATS_URL, MQTT_URL, KOTWAL_EGRESS_ALLOW)

export interface EgressRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  timeoutMs?: number;
  maxResponseBytes?: number;
}

export interface EgressResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text(): string;
  json<T>(): T;
}

export interface EgressGateway {
  /** HTTP(S) through the gateway: refused (EgressRefusedError, ledgered as `egress.refused`, outcome denied) before any socket opens unless the purpose allows this destination. */
  request(url: string, req: EgressRequest, purpose: EgressPurpose, actor?: { type: LedgerActorType; id: string }): Promise<EgressResponse>;
}

export interface CoreContext {
  config: KotwalConfig;
  node: NodeIdentityKey;
  /** The only way out of the process: every outbound HTTP(S) request goes through it (core/egress). */
  egress: EgressGateway;
  db: Database;
  ledger: LedgerWriter;
  events: EventBus;
  logger: Logger;
  /** Runs fn in a transaction, then wakes the ledger sequencer and the event dispatcher. */
  unitOfWork<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}
