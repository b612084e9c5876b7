/**
 * Canonical records: normalise identifiers and dates as source departments
 * write them, validate against the registry's schema (contracts), then check
 * what a pattern cannot (CNIC gender digit, real calendar dates, land
 * shares). Every failure names its field. Import, generator and search all
 * go through here, so a record means the same thing everywhere.
 */
import { createHash } from 'node:crypto';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { REGISTRIES, REGISTRY_SCHEMAS, type RegistryName, type RegistryRecordMap } from '@kotwal/contracts';

export interface FieldError {
  field: string;
  message: string;
}

export interface RecordLinkRow {
  cnic: string;
  rel: string;
}

export type Validated<R extends RegistryName = RegistryName> =
  { ok: true; record: RegistryRecordMap[R]; key: string; links: RecordLinkRow[]; hash: string } | { ok: false; errors: FieldError[] };

export function isRegistry(value: string): value is RegistryName {
  return (REGISTRIES as readonly string[]).includes(value);
}

// ---- identifiers -------------------------------------------------------------

/** 13 digits with or without dashes/spaces -> NNNNN-NNNNNNN-N, or null. */
export function normalizeCnic(value: string): string | null {
  const digits = value.trim().replace(/[\s-]/g, '');
  if (!/^[0-9]{13}$/.test(digits)) return null;
  return `${digits.slice(0, 5)}-${digits.slice(5, 12)}-${digits.slice(12)}`;
}

/** Pakistani mobile numbers in the forms people write them -> +923XXXXXXXXX, or null. */
export function normalizeMsisdn(value: string): string | null {
  const compact = value.trim().replace(/[\s\-()]/g, '');
  const m = /^(?:\+92|0092|92|0)(3[0-9]{9})$/.exec(compact);
  return m ? `+92${m[1]}` : null;
}

/** LEA 19 1234, lea-19-1234, LEA191234 -> LEA-19-1234; LHR 4321 -> LHR-4321. */
export function normalizeVehicleReg(value: string): string | null {
  const compact = value
    .trim()
    .toUpperCase()
    .replace(/[\s_-]+/g, '');
  const m = /^([A-Z]{2,4})([0-9]{1,6})$/.exec(compact);
  if (!m) return null;
  const [, letters, digits] = m as unknown as [string, string, string];
  if (digits.length <= 4) return `${letters}-${digits}`;
  if (digits.length === 5 || digits.length === 6) return `${letters}-${digits.slice(0, 2)}-${digits.slice(2)}`;
  return null;
}

export function normalizePassport(value: string): string | null {
  const v = value.trim().toUpperCase().replace(/\s/g, '');
  return /^[A-Z]{2}[0-9]{7}$/.test(v) ? v : null;
}

export function normalizeNtn(value: string): string | null {
  const digits = value.trim().replace(/[\s-]/g, '');
  return /^[0-9]{8}$/.test(digits) ? `${digits.slice(0, 7)}-${digits.slice(7)}` : null;
}

export function normalizeFir(value: string): string | null {
  const v = value
    .trim()
    .toUpperCase()
    .replace(/\s*\/\s*/g, '/')
    .replace(/\s+/g, '-');
  return /^[A-Z0-9]+(-[A-Z0-9]+)*\/[0-9]{1,6}\/[0-9]{4}$/.test(v) ? v : null;
}

/** The CNIC with its middle digits hidden: 35202-*****67-1. */
export function maskCnic(cnic: string): string {
  return cnic.length === 15 ? `${cnic.slice(0, 6)}*****${cnic.slice(11)}` : '*************';
}

// ---- dates ---------------------------------------------------------------------

function validYmd(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || y < 1800 || y > 2200) return false;
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

export type DateOrder = 'YMD' | 'DMY' | 'MDY';

/**
 * YYYY-MM-DD, or DD-MM-YYYY / DD/MM/YYYY / DD.MM.YYYY (day first, as
 * Pakistani departments write dates; `order` MDY for the rare American
 * extract). Returns YYYY-MM-DD, or an error naming why (31-02-1990 does not
 * exist).
 */
export function parseDate(value: string, order: DateOrder = 'DMY'): { ok: true; value: string } | { ok: false; message: string } {
  const v = value.trim();
  let y: number, m: number, d: number;
  let mm = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:T00:00:00(?:\.0+)?Z?)?$/.exec(v);
  if (mm) {
    y = Number(mm[1]);
    m = Number(mm[2]);
    d = Number(mm[3]);
  } else if ((mm = /^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})$/.exec(v))) {
    const a = Number(mm[1]);
    const b = Number(mm[2]);
    y = Number(mm[3]);
    [d, m] = order === 'MDY' ? [b, a] : [a, b];
  } else {
    return { ok: false, message: `"${v.slice(0, 40)}" is not a date (expected YYYY-MM-DD or DD-MM-YYYY)` };
  }
  if (!validYmd(y, m, d)) return { ok: false, message: `${v.slice(0, 40)} is not a real calendar date` };
  return { ok: true, value: `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}` };
}

// ---- per-registry rules ------------------------------------------------------------

interface RegistryDef<R extends RegistryName> {
  /** The canonical field that is the registry's natural key. */
  keyField: string;
  key(r: RegistryRecordMap[R]): string;
  links(r: RegistryRecordMap[R]): RecordLinkRow[];
  /** Checks beyond the schema. */
  check?(r: RegistryRecordMap[R]): FieldError[];
}

type Defs = { [R in RegistryName]: RegistryDef<R> };

export const REGISTRY_DEFS: Defs = {
  identity: {
    keyField: 'cnic',
    key: (r) => r.cnic,
    links: (r) => [{ cnic: r.cnic, rel: 'subject' }],
    check: (r) => {
      const last = Number(r.cnic.slice(-1));
      const expected = last % 2 === 1 ? 'M' : 'F';
      const errs: FieldError[] = [];
      if (r.gender !== expected)
        errs.push({
          field: 'gender',
          message: `gender ${r.gender} disagrees with the CNIC's last digit ${last} (${expected === 'M' ? 'odd = male' : 'even = female'})`,
        });
      if (r.issuedOn && r.expiresOn && r.expiresOn < r.issuedOn) errs.push({ field: 'expiresOn', message: 'expires before it was issued' });
      return errs;
    },
  },
  vehicles: {
    keyField: 'registrationNo',
    key: (r) => r.registrationNo,
    links: (r) => {
      const out: RecordLinkRow[] = [{ cnic: r.ownerCnic, rel: 'owner' }];
      for (const t of r.transfers) if (t.fromCnic && t.fromCnic !== r.ownerCnic) out.push({ cnic: t.fromCnic, rel: 'previous-owner' });
      return out;
    },
  },
  customs: {
    keyField: 'declarationNo',
    key: (r) => r.declarationNo,
    links: (r) => [{ cnic: r.importerCnic, rel: 'importer' }],
  },
  sims: {
    keyField: 'msisdn',
    key: (r) => r.msisdn,
    links: (r) => [{ cnic: r.ownerCnic, rel: 'holder' }],
  },
  land: {
    keyField: 'parcelId',
    key: (r) => r.parcelId,
    links: (r) => r.owners.map((o) => ({ cnic: o.cnic, rel: 'owner' })),
    check: (r) => {
      const total = r.owners.reduce((s, o) => s + o.share, 0);
      const errs: FieldError[] = [];
      if (total > 1 + 1e-9) errs.push({ field: 'owners', message: `owners' shares add up to ${total.toFixed(4)}, more than the whole parcel` });
      const seen = new Set<string>();
      r.owners.forEach((o, i) => {
        if (seen.has(o.cnic)) errs.push({ field: `owners/${i}/cnic`, message: 'owner listed twice' });
        seen.add(o.cnic);
      });
      return errs;
    },
  },
  tax: {
    keyField: 'ntn',
    key: (r) => r.ntn,
    links: (r) => [{ cnic: r.cnic, rel: 'taxpayer' }],
  },
  travel: {
    keyField: 'passportNo',
    key: (r) => r.passportNo,
    links: (r) => [{ cnic: r.cnic, rel: 'holder' }],
    check: (r) => (r.expiresOn < r.issuedOn ? [{ field: 'expiresOn', message: 'expires before it was issued' }] : []),
  },
  foreigners: {
    keyField: 'registrationNo',
    key: (r) => r.registrationNo,
    links: (r) => (r.sponsorCnic ? [{ cnic: r.sponsorCnic, rel: 'sponsor' }] : []),
  },
  criminal: {
    keyField: 'firNo',
    key: (r) => r.firNo,
    links: (r) => {
      const seen = new Set<string>();
      const out: RecordLinkRow[] = [];
      for (const p of r.persons) {
        if (!p.cnic) continue;
        const k = `${p.cnic}|${p.role}`;
        if (!seen.has(k)) out.push({ cnic: p.cnic, rel: p.role });
        seen.add(k);
      }
      return out;
    },
  },
};

// ---- normalisation of source values ----------------------------------------------------

type Normalizer = (v: string) => string | null;
const IDENTIFIER_FIELDS: Record<string, { normalize: Normalizer; what: string }> = {
  cnic: { normalize: normalizeCnic, what: 'a CNIC (13 digits, NNNNN-NNNNNNN-N)' },
  ownerCnic: { normalize: normalizeCnic, what: 'a CNIC (13 digits, NNNNN-NNNNNNN-N)' },
  importerCnic: { normalize: normalizeCnic, what: 'a CNIC (13 digits, NNNNN-NNNNNNN-N)' },
  sponsorCnic: { normalize: normalizeCnic, what: 'a CNIC (13 digits, NNNNN-NNNNNNN-N)' },
  fromCnic: { normalize: normalizeCnic, what: 'a CNIC (13 digits, NNNNN-NNNNNNN-N)' },
  toCnic: { normalize: normalizeCnic, what: 'a CNIC (13 digits, NNNNN-NNNNNNN-N)' },
  msisdn: { normalize: normalizeMsisdn, what: 'a Pakistani mobile number (+92 3XX XXXXXXX)' },
  registrationNo: { normalize: (v) => normalizeVehicleReg(v) ?? v.trim().toUpperCase(), what: 'a registration number' },
  passportNo: { normalize: (v) => v.trim().toUpperCase().replace(/\s/g, ''), what: 'a passport number' },
  ntn: { normalize: normalizeNtn, what: 'an NTN (7 digits and a check digit)' },
  importerNtn: { normalize: normalizeNtn, what: 'an NTN (7 digits and a check digit)' },
  firNo: { normalize: normalizeFir, what: 'an FIR number (STATION/serial/year)' },
  chassisNo: { normalize: (v) => v.trim().toUpperCase(), what: 'a chassis number' },
  engineNo: { normalize: (v) => v.trim().toUpperCase(), what: 'an engine number' },
  parcelId: { normalize: (v) => v.trim().toUpperCase(), what: 'a parcel id' },
  declarationNo: { normalize: (v) => v.trim().toUpperCase(), what: 'a declaration number' },
  nationality: { normalize: (v) => v.trim().toUpperCase(), what: 'an ISO 3166 alpha-3 code' },
};
const DATE_FIELDS = new Set(['dateOfBirth', 'issuedOn', 'expiresOn', 'registeredOn', 'date', 'activatedOn', 'arrivedOn', 'visaExpiresOn']);
// The registry vehicles keeps the special normaliser for its key; foreigners' registrationNo is free-form.
const FREE_FORM_IN: Partial<Record<RegistryName, Set<string>>> = { foreigners: new Set(['registrationNo', 'passportNo']) };

interface NormalizeOpts {
  dateOrder: DateOrder;
  registry: RegistryName;
}

/** Normalises identifiers and dates in place (recursively), collecting errors. */
function normalizeValue(value: unknown, field: string, path: string, opts: NormalizeOpts, errors: FieldError[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => normalizeValue(v, field, `${path}/${i}`, opts, errors));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = normalizeValue(v, k, `${path}/${k}`, opts, errors);
    return out;
  }
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if (DATE_FIELDS.has(field)) {
    const d = parseDate(trimmed, opts.dateOrder);
    if (!d.ok) errors.push({ field: path.slice(1), message: d.message });
    return d.ok ? d.value : trimmed;
  }
  const id = IDENTIFIER_FIELDS[field];
  if (id && !(path.split('/').length === 2 && FREE_FORM_IN[opts.registry]?.has(field))) {
    const n = id.normalize(trimmed);
    if (n === null) errors.push({ field: path.slice(1), message: `"${trimmed.slice(0, 40)}" is not ${id.what}` });
    return n ?? trimmed;
  }
  return trimmed.normalize('NFC');
}

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false });
const validators = new Map<RegistryName, ValidateFunction>();
function validatorFor(registry: RegistryName): ValidateFunction {
  let v = validators.get(registry);
  if (!v) {
    v = ajv.compile(REGISTRY_SCHEMAS[registry]);
    validators.set(registry, v);
  }
  return v;
}

function ajvErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map((e) => {
    const base = e.instancePath.replace(/^\//, '');
    if (e.keyword === 'required')
      return { field: base ? `${base}/${String(e.params['missingProperty'])}` : String(e.params['missingProperty']), message: 'is required' };
    if (e.keyword === 'additionalProperties') {
      const extra = String(e.params['additionalProperty']);
      return { field: base ? `${base}/${extra}` : extra, message: 'is not a field of this registry' };
    }
    return { field: base || '(record)', message: e.message ?? 'is invalid' };
  });
}

/** Canonical JSON: keys sorted, so the same record always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function dropNulls(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/**
 * Validates one record (already mapped to canonical field names; values may
 * be strings as read from a CSV, see fromFlat). Returns the canonical record,
 * its key, the persons it links and its hash, or every error with its field.
 */
export function validateRecord<R extends RegistryName>(registry: R, input: Record<string, unknown>, opts: { dateOrder?: DateOrder } = {}): Validated<R> {
  const errors: FieldError[] = [];
  const normalized = normalizeValue(input, '', '', { dateOrder: opts.dateOrder ?? 'DMY', registry }, errors) as Record<string, unknown>;
  // Optional fields given as empty cells are absent, not null-valued strings.
  const record = dropNulls(normalized);
  const validate = validatorFor(registry);
  if (!validate(record)) errors.push(...ajvErrors(validate.errors));
  // Report a field once: the normaliser's message is the precise one.
  const seen = new Set<string>();
  const unique = errors.filter((e) => (seen.has(e.field) ? false : (seen.add(e.field), true)));
  if (unique.length) return { ok: false, errors: unique };
  const def = REGISTRY_DEFS[registry] as unknown as RegistryDef<R>;
  const typed = record as unknown as RegistryRecordMap[R];
  const extra = def.check?.(typed) ?? [];
  if (extra.length) return { ok: false, errors: extra };
  const json = canonicalJson(typed);
  return { ok: true, record: typed, key: def.key(typed), links: def.links(typed), hash: createHash('sha256').update(json).digest('hex') };
}

// ---- flat rows (CSV) -> canonical objects -------------------------------------------------

type SchemaNode = { type?: string; properties?: Record<string, SchemaNode>; items?: SchemaNode; anyOf?: SchemaNode[] };

function fieldType(node: SchemaNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type) return node.type;
  return node.anyOf?.map((n) => n.type).find((t) => t && t !== 'null');
}

/** The canonical fields of a registry (top level), for mappings, docs and the generator. */
export function registryFields(registry: RegistryName): string[] {
  return Object.keys((REGISTRY_SCHEMAS[registry] as unknown as SchemaNode).properties ?? {});
}

/**
 * Turns a flat row of strings (CSV cells already mapped to canonical field
 * names) into a canonical-shaped object: numbers parsed, arrays read from a
 * JSON cell (or, for arrays of strings, a `;`-separated list). Cells that
 * cannot be read are reported, never guessed.
 */
export function fromFlat(registry: RegistryName, flat: Record<string, string>): { value: Record<string, unknown>; errors: FieldError[] } {
  const props = (REGISTRY_SCHEMAS[registry] as unknown as SchemaNode).properties ?? {};
  const value: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const [field, raw] of Object.entries(flat)) {
    const t = fieldType(props[field]);
    const cell = raw.trim();
    if (cell === '') {
      value[field] = t === 'array' ? [] : null;
      continue;
    }
    if (t === 'integer' || t === 'number') {
      const n = Number(cell.replace(/,/g, ''));
      if (!Number.isFinite(n) || (t === 'integer' && !Number.isInteger(n)))
        errors.push({ field, message: `"${cell.slice(0, 40)}" is not ${t === 'integer' ? 'a whole number' : 'a number'}` });
      value[field] = Number.isFinite(n) ? n : cell;
    } else if (t === 'array' || t === 'object') {
      if (cell.startsWith('[') || cell.startsWith('{')) {
        try {
          value[field] = JSON.parse(cell) as unknown;
        } catch {
          errors.push({ field, message: 'is not valid JSON' });
        }
      } else if (t === 'array' && fieldType(props[field]?.items) === 'string') {
        value[field] = cell
          .split(';')
          .map((s) => s.trim())
          .filter(Boolean);
      } else {
        errors.push({ field, message: `expects a JSON ${t}` });
      }
    } else if (t === 'boolean') {
      value[field] = /^(true|yes|1)$/i.test(cell) ? true : /^(false|no|0)$/i.test(cell) ? false : cell;
    } else {
      value[field] = cell;
    }
  }
  return { value, errors };
}
