/**
 * Rows -> API shapes, with masking: a viewer without registries.unmasked
 * sees persons other than the query's subject with a partial CNIC and no
 * address. Every person carries a link reference that expands them (one
 * request per hop, itself ledgered) without revealing the CNIC.
 */
import type { PersonSummary, RecordLink, RegistryRecordView } from '@kotwal/contracts';
import { maskCnic } from './canonical.ts';
import type { AccessRow, AlertRow, BlockRow, CanaryRow, LinkRow, PersonRow, RecordRow } from './repository.ts';

export interface Viewer {
  /** Holds registries.unmasked. */
  unmasked: boolean;
  /** The CNIC the query is about (shown in full), if any. */
  subject: string | null;
  /** Issues a link reference for a CNIC. */
  ref(cnic: string): string;
}

const masks = (viewer: Viewer, cnic: string): boolean => !viewer.unmasked && cnic !== viewer.subject;

const CNIC_FIELDS = new Set(['cnic', 'ownerCnic', 'importerCnic', 'sponsorCnic', 'fromCnic', 'toCnic']);

/** Masks every CNIC inside a record that is not the subject's, and addresses of persons other than the subject. */
function maskData(value: unknown, viewer: Viewer, key?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => maskData(v, viewer));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = maskData(v, viewer, k);
    return out;
  }
  if (typeof value === 'string' && key && CNIC_FIELDS.has(key) && masks(viewer, value)) return maskCnic(value);
  return value;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function presentPerson(p: PersonRow, identity: Record<string, unknown> | null, viewer: Viewer, opts: { addresses: boolean }): PersonSummary {
  const masked = masks(viewer, p.cnic);
  const showAddress = opts.addresses && !masked;
  return {
    cnic: masked ? maskCnic(p.cnic) : p.cnic,
    masked,
    ref: viewer.ref(p.cnic),
    name: p.name,
    nameUrdu: p.name_urdu,
    fatherName: p.father_name,
    fatherNameUrdu: p.father_name_urdu,
    gender: p.gender,
    dateOfBirth: str(identity?.['dateOfBirth']),
    district: str(identity?.['district']) ?? p.district,
    placeOfBirth: str(identity?.['placeOfBirth']),
    permanentAddress: showAddress ? str(identity?.['permanentAddress']) : null,
    presentAddress: showAddress ? str(identity?.['presentAddress']) : null,
  };
}

export function presentRecord(r: RecordRow, links: readonly LinkRow[], people: ReadonlyMap<string, PersonRow>, viewer: Viewer): RegistryRecordView {
  const data = maskData(r.data, viewer) as Record<string, unknown>;
  if (r.registry === 'foreigners' && viewer.subject !== null && !viewer.unmasked) delete data['address'];
  const view: RecordLink[] = links.map((l) => {
    const masked = masks(viewer, l.cnic);
    return { rel: l.rel, cnic: masked ? maskCnic(l.cnic) : l.cnic, masked, ref: viewer.ref(l.cnic), name: people.get(l.cnic)?.name ?? null };
  });
  return { registry: r.registry, key: r.key, data, links: view, updatedAt: new Date(r.updated_at).toISOString() };
}

export function presentAccessEntry(r: AccessRow) {
  return {
    seq: Number(r.seq),
    at: new Date(r.at).toISOString(),
    actorType: r.actor_type,
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action,
    outcome: r.outcome,
    purpose: r.purpose,
    caseRef: r.case_ref,
    covert: r.covert,
    disclosableAfter: r.disclosable_after ? new Date(r.disclosable_after).toISOString() : null,
  };
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

export function presentAlert(r: AlertRow) {
  return {
    id: r.id,
    kind: r.kind,
    severity: r.severity,
    userId: r.user_id,
    username: r.username,
    subject: r.subject,
    detail: r.detail,
    raisedAt: new Date(r.raised_at).toISOString(),
    acknowledgedAt: iso(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
  };
}

export function presentBlock(r: BlockRow) {
  return {
    id: r.id,
    userId: r.user_id,
    username: r.username,
    reason: r.reason,
    blockedAt: new Date(r.blocked_at).toISOString(),
    releasedAt: iso(r.released_at),
    releasedBy: r.released_by,
  };
}

export function presentCanary(r: CanaryRow) {
  return { cnic: r.cnic, note: r.note, createdAt: new Date(r.created_at).toISOString(), createdBy: r.created_by };
}
