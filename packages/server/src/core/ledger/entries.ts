/**
 * Ledger entries between the caller and the database: validating and
 * normalising an append, and mapping rows to the API shape.
 */
import type { LedgerActorType, LedgerEntry, LedgerEntryFields, LedgerOutcome } from '@kotwal/contracts';
import type { LedgerAppend } from '#core/context.ts';
import { sha256HexOf } from './merkle.ts';

/** An entry ready to be sequenced: every sealed field but seq, plus its details text. */
export type PreparedEntry = Omit<LedgerEntryFields, 'seq'> & {
  /** The exact JSON text whose SHA-256 is detailsHash. */
  details: string | null;
};

const ACTOR_TYPES: ReadonlySet<string> = new Set<LedgerActorType>(['user', 'token', 'device', 'system', 'anonymous']);
const OUTCOMES: ReadonlySet<string> = new Set<LedgerOutcome>(['allowed', 'denied']);

/** Longest accepted value of a sealed text field (characters). */
export const MAX_FIELD_LENGTH = 1024;
/** Largest accepted details record (characters of JSON text). */
export const MAX_DETAILS_LENGTH = 1024 * 1024;

export class LedgerAppendError extends Error {
  override name = 'LedgerAppendError';
}

// NUL cannot be stored in PostgreSQL text, and a lone surrogate would be
// stored as U+FFFD while the sealed bytes hold it escaped: either would make
// an honest entry look tampered with. Both become U+FFFD before sealing.
const LONE_SURROGATE = /[\ud800-\udfff]/u;
const LONE_SURROGATES = /[\ud800-\udfff]/gu;

function clean(value: string): string {
  let v = value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value;
  if (LONE_SURROGATE.test(v)) v = v.replace(LONE_SURROGATES, '\ufffd');
  return v;
}

function text(name: string, value: unknown, required: true): string;
function text(name: string, value: unknown, required: false): string | null;
function text(name: string, value: unknown, required: boolean): string | null {
  if (value === undefined || value === null) {
    if (required) throw new LedgerAppendError(`ledger entry: ${name} is required`);
    return null;
  }
  if (typeof value !== 'string') throw new LedgerAppendError(`ledger entry: ${name} must be a string`);
  if (required && value.length === 0) throw new LedgerAppendError(`ledger entry: ${name} must not be empty`);
  if (value.length > MAX_FIELD_LENGTH) throw new LedgerAppendError(`ledger entry: ${name} is longer than ${MAX_FIELD_LENGTH} characters`);
  return clean(value);
}

/** Validates an append and fixes its time and details text; throws LedgerAppendError. */
export function prepareEntry(e: LedgerAppend, now: Date): PreparedEntry {
  if (typeof e !== 'object' || e === null) throw new LedgerAppendError('ledger entry must be an object');
  if (!ACTOR_TYPES.has(e.actorType))
    throw new LedgerAppendError(`ledger entry: actorType "${String(e.actorType)}" is not one of ${[...ACTOR_TYPES].join(', ')}`);
  if (!OUTCOMES.has(e.outcome)) throw new LedgerAppendError(`ledger entry: outcome "${String(e.outcome)}" is not allowed or denied`);
  let details: string | null = null;
  if (e.details !== undefined && e.details !== null) {
    let json: string | undefined;
    try {
      json = JSON.stringify(e.details);
    } catch (err) {
      throw new LedgerAppendError(`ledger entry: details cannot be serialised as JSON: ${(err as Error).message}`);
    }
    if (typeof json !== 'string') throw new LedgerAppendError('ledger entry: details must be a JSON object');
    if (json.length > MAX_DETAILS_LENGTH) throw new LedgerAppendError(`ledger entry: details are larger than ${MAX_DETAILS_LENGTH} characters`);
    // JSON.stringify escapes control characters and lone surrogates, so the text is storable as is.
    details = json;
  }
  return {
    at: now.toISOString(),
    actorType: e.actorType,
    actorId: text('actorId', e.actorId, true),
    action: text('action', e.action, true),
    resource: text('resource', e.resource, true),
    purpose: text('purpose', e.purpose, false),
    caseRef: text('caseRef', e.caseRef, false),
    outcome: e.outcome,
    requestId: text('requestId', e.requestId, false),
    details,
    detailsHash: details === null ? null : sha256HexOf(details),
  };
}

export function sealedFields(seq: number, p: PreparedEntry): LedgerEntryFields {
  return {
    seq,
    at: p.at,
    actorType: p.actorType,
    actorId: p.actorId,
    action: p.action,
    resource: p.resource,
    purpose: p.purpose,
    caseRef: p.caseRef,
    outcome: p.outcome,
    requestId: p.requestId,
    detailsHash: p.detailsHash,
  };
}

/** Columns every entry read selects; `at` as whole microseconds since the epoch (no Date parsing, sub-millisecond edits visible). */
export const ENTRY_COLUMNS =
  'seq, (extract(epoch FROM at) * 1000000)::int8 AS at_us, actor_type, actor_id, action, resource, purpose, case_ref, outcome, request_id, details_hash, leaf_hash';

export interface EntryRow {
  seq: number;
  at_us: number;
  actor_type: string;
  actor_id: string;
  action: string;
  resource: string;
  purpose: string | null;
  case_ref: string | null;
  outcome: string;
  request_id: string | null;
  details_hash: string | null;
  leaf_hash: Uint8Array;
}

/**
 * The same columns as one JSON array per row (leaf hash in hex). PGlite
 * hands rows to JavaScript field by field at a few microseconds each, so
 * bulk reads on PGlite fetch one text per row and JSON.parse it (string
 * values come back exactly). On PostgreSQL the plain columns are faster.
 */
export const ENTRY_JSON_FIELDS =
  "e.seq, (extract(epoch FROM e.at) * 1000000)::int8, e.actor_type, e.actor_id, e.action, e.resource, e.purpose, e.case_ref, e.outcome, e.request_id, e.details_hash, encode(e.leaf_hash, 'hex')";

/** An EntryRow from the parsed JSON array of ENTRY_JSON_FIELDS. */
export function entryRowOfArray(a: readonly unknown[]): EntryRow {
  return {
    seq: a[0] as number,
    at_us: a[1] as number,
    actor_type: a[2] as string,
    actor_id: a[3] as string,
    action: a[4] as string,
    resource: a[5] as string,
    purpose: a[6] as string | null,
    case_ref: a[7] as string | null,
    outcome: a[8] as string,
    request_id: a[9] as string | null,
    details_hash: a[10] as string | null,
    leaf_hash: Buffer.from(a[11] as string, 'hex'),
  };
}

// Entries sequenced together often share their millisecond: remember the last conversion.
let lastMicros = NaN;
let lastIso: string | null = null;

/** ISO 8601 of a microsecond timestamp; null when it is not a whole millisecond (not what was sealed). */
export function isoOfMicros(us: number): string | null {
  if (us === lastMicros) return lastIso;
  let iso: string | null = null;
  if (Number.isFinite(us) && us % 1000 === 0) {
    const d = new Date(us / 1000);
    iso = Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  lastMicros = us;
  lastIso = iso;
  return iso;
}

/**
 * ISO 8601 of a microsecond timestamp exactly as stored: milliseconds when
 * it is a whole millisecond (as every sealed time is), six fractional digits
 * otherwise, so a sub-millisecond edit still changes the entry bytes.
 */
export function exactIsoOfMicros(us: number): string {
  const iso = isoOfMicros(us);
  if (iso !== null) return iso;
  const ms = Math.floor(us / 1000);
  const base = new Date(ms).toISOString();
  const micro = String(us - ms * 1000).padStart(3, '0');
  return `${base.slice(0, -1)}${micro}Z`;
}

/** Sealed fields of a row, exactly as stored (what verification hashes). */
export function fieldsOfRow(r: EntryRow): LedgerEntryFields {
  return {
    seq: r.seq,
    at: exactIsoOfMicros(r.at_us),
    actorType: r.actor_type as LedgerActorType,
    actorId: r.actor_id,
    action: r.action,
    resource: r.resource,
    purpose: r.purpose,
    caseRef: r.case_ref,
    outcome: r.outcome as LedgerOutcome,
    requestId: r.request_id,
    detailsHash: r.details_hash,
  };
}

export function entryOfRow(r: EntryRow): LedgerEntry {
  return { ...fieldsOfRow(r), leafHash: Buffer.from(r.leaf_hash).toString('hex') };
}

const ENTRY_KEYS = [
  'seq',
  'at',
  'actorType',
  'actorId',
  'action',
  'resource',
  'purpose',
  'caseRef',
  'outcome',
  'requestId',
  'detailsHash',
  'leafHash',
] as const;

/** Checks the shape of an entry read from a bundle (types only: the hashes judge the values). */
export function isEntryShape(v: unknown): v is LedgerEntry {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  for (const k of ENTRY_KEYS) {
    const x = o[k];
    if (k === 'seq') {
      if (typeof x !== 'number' || !Number.isSafeInteger(x)) return false;
    } else if (k === 'purpose' || k === 'caseRef' || k === 'requestId' || k === 'detailsHash') {
      if (x !== null && typeof x !== 'string') return false;
    } else if (typeof x !== 'string') return false;
  }
  return true;
}
