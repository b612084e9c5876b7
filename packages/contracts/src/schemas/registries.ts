/**
 * Registries (DES): the canonical record of each registry, and the shapes of
 * search, look-up, profile, access log, imports and alerts. The canonical
 * schemas validate every imported row (server: modules/registries/canonical.ts
 * adds the checks a pattern cannot express: CNIC gender digit, real calendar
 * dates, land shares) and document the records in the OpenAPI document.
 */
import Type from 'typebox';
import { IsoDateTime, Str } from './common.ts';

// ---- identifiers ---------------------------------------------------------

/** CNIC in canonical form NNNNN-NNNNNNN-N (13 digits; last digit odd = male, even = female). */
export const CNIC_PATTERN = '^[0-9]{5}-[0-9]{7}-[0-9]$';
/** MSISDN in canonical E.164 form for Pakistani mobiles: +923XXXXXXXXX. */
export const MSISDN_PATTERN = '^\\+923[0-9]{9}$';
/** Passport number: two letters and seven digits (e.g. AB1234567). */
export const PASSPORT_PATTERN = '^[A-Z]{2}[0-9]{7}$';
/** NTN: seven digits, a dash and a check digit (e.g. 1234567-8). */
export const NTN_PATTERN = '^[0-9]{7}-[0-9]$';
/** Vehicle registration, canonical: letters, dash, optional 2-digit year, dash, digits (e.g. LEA-19-1234, LHR-4321). */
export const VEHICLE_REG_PATTERN = '^[A-Z]{2,4}(-[0-9]{2})?-[0-9]{1,4}$';
/** FIR number: police-station code / serial / year (e.g. LHR-MODELTOWN/123/2024). */
export const FIR_PATTERN = '^[A-Z0-9]+(-[A-Z0-9]+)*/[0-9]{1,6}/[0-9]{4}$';
/** Calendar date (checked for existence by the server: 31-02-1990 is refused). */
export const DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';

export const Cnic = Type.String({ pattern: CNIC_PATTERN, description: 'CNIC NNNNN-NNNNNNN-N' });
const Msisdn = Type.String({ pattern: MSISDN_PATTERN, description: 'MSISDN +923XXXXXXXXX' });
const IsoDate = Type.String({ pattern: DATE_PATTERN, description: 'date YYYY-MM-DD' });
const Name = Str(120);
const UrduName = Type.Optional(Type.Union([Str(120), Type.Null()], { description: 'the name in Urdu (Nastaliq) script' }));
const Text = (n: number) => Type.Optional(Type.Union([Str(n), Type.Null()]));

// ---- canonical records, one per registry --------------------------------

export const IdentityRecord = Type.Object(
  {
    cnic: Cnic,
    name: Name,
    nameUrdu: UrduName,
    fatherName: Name,
    fatherNameUrdu: UrduName,
    gender: Type.Union([Type.Literal('M'), Type.Literal('F')], { description: 'must agree with the last CNIC digit (odd M, even F)' }),
    dateOfBirth: IsoDate,
    placeOfBirth: Text(80),
    district: Str(40, { description: 'district of registration (e.g. Lahore)' }),
    permanentAddress: Text(300),
    presentAddress: Text(300),
    issuedOn: Type.Optional(Type.Union([IsoDate, Type.Null()])),
    expiresOn: Type.Optional(Type.Union([IsoDate, Type.Null()])),
  },
  { additionalProperties: false, $id: 'IdentityRecord', description: 'National identity card (NADRA CNIC)' },
);

export const VehicleTransfer = Type.Object({ fromCnic: Type.Union([Cnic, Type.Null()]), toCnic: Cnic, date: IsoDate }, { additionalProperties: false });
export const VehicleRecord = Type.Object(
  {
    registrationNo: Type.String({ pattern: VEHICLE_REG_PATTERN }),
    chassisNo: Str(30, { pattern: '^[A-Z0-9-]+$' }),
    engineNo: Str(30, { pattern: '^[A-Z0-9-]+$' }),
    ownerCnic: Cnic,
    make: Str(40),
    model: Str(40),
    year: Type.Integer({ minimum: 1950, maximum: 2100 }),
    colour: Str(30),
    registeredOn: IsoDate,
    district: Str(40),
    transfers: Type.Array(VehicleTransfer, { maxItems: 50 }),
  },
  { additionalProperties: false, $id: 'VehicleRecord', description: 'Excise & Taxation motor vehicle registration' },
);

export const CustomsRecord = Type.Object(
  {
    declarationNo: Str(30, { pattern: '^[A-Z0-9-]+$', description: 'goods declaration number' }),
    date: IsoDate,
    importerCnic: Cnic,
    importerNtn: Type.Optional(Type.Union([Type.String({ pattern: NTN_PATTERN }), Type.Null()])),
    description: Str(300),
    hsCode: Str(12, { pattern: '^[0-9.]+$' }),
    valuePkr: Type.Integer({ minimum: 0 }),
    port: Str(60),
    chassisNo: Type.Optional(Type.Union([Str(30, { pattern: '^[A-Z0-9-]+$' }), Type.Null()])),
  },
  { additionalProperties: false, $id: 'CustomsRecord', description: 'Customs goods declaration' },
);

export const SimRecord = Type.Object(
  {
    msisdn: Msisdn,
    operator: Type.Union([
      Type.Literal('Jazz'),
      Type.Literal('Zong'),
      Type.Literal('Telenor'),
      Type.Literal('Ufone'),
      Type.Literal('SCO'),
      Type.Literal('Onic'),
    ]),
    ownerCnic: Cnic,
    activatedOn: IsoDate,
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('blocked'), Type.Literal('terminated')]),
  },
  { additionalProperties: false, $id: 'SimRecord', description: 'Cellular SIM ownership (PTA biometric verification)' },
);

export const LandOwner = Type.Object(
  { cnic: Cnic, share: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'fraction of the parcel' }) },
  { additionalProperties: false },
);
export const LandRecord = Type.Object(
  {
    parcelId: Str(40, { pattern: '^[A-Z0-9/-]+$' }),
    district: Str(40),
    tehsil: Str(40),
    mauza: Str(60),
    areaKanal: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 }),
    owners: Type.Array(LandOwner, { minItems: 1, maxItems: 100, description: 'shares add up to at most 1' }),
  },
  { additionalProperties: false, $id: 'LandRecord', description: 'Land record (Punjab Land Records Authority fard)' },
);

export const TaxRecord = Type.Object(
  {
    ntn: Type.String({ pattern: NTN_PATTERN }),
    cnic: Cnic,
    name: Name,
    status: Type.Union([Type.Literal('active'), Type.Literal('inactive')]),
    registeredOn: IsoDate,
    taxOffice: Text(60),
  },
  { additionalProperties: false, $id: 'TaxRecord', description: 'FBR tax registration' },
);

export const TravelMovement = Type.Object(
  { direction: Type.Union([Type.Literal('entry'), Type.Literal('exit')]), date: IsoDate, port: Str(60) },
  { additionalProperties: false },
);
export const TravelRecord = Type.Object(
  {
    passportNo: Type.String({ pattern: PASSPORT_PATTERN }),
    cnic: Cnic,
    name: Name,
    issuedOn: IsoDate,
    expiresOn: IsoDate,
    movements: Type.Array(TravelMovement, { maxItems: 1000 }),
  },
  { additionalProperties: false, $id: 'TravelRecord', description: 'Passport and immigration movements (DGIP / FIA)' },
);

export const ForeignerRecord = Type.Object(
  {
    registrationNo: Str(30, { pattern: '^[A-Z0-9-]+$' }),
    passportNo: Str(20, { pattern: '^[A-Z0-9]+$' }),
    nationality: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 3166-1 alpha-3' }),
    name: Name,
    dateOfBirth: IsoDate,
    visaType: Str(30),
    arrivedOn: IsoDate,
    visaExpiresOn: IsoDate,
    address: Text(300),
    district: Str(40),
    sponsorCnic: Type.Optional(Type.Union([Cnic, Type.Null()])),
  },
  { additionalProperties: false, $id: 'ForeignerRecord', description: 'Foreigner registration (Foreigners Registration Office)' },
);

export const CriminalPerson = Type.Object(
  {
    cnic: Type.Optional(Type.Union([Cnic, Type.Null()])),
    name: Name,
    role: Type.Union([Type.Literal('accused'), Type.Literal('complainant'), Type.Literal('witness'), Type.Literal('victim'), Type.Literal('convict')]),
  },
  { additionalProperties: false },
);
export const CriminalRecord = Type.Object(
  {
    firNo: Type.String({ pattern: FIR_PATTERN }),
    policeStation: Str(80),
    district: Str(40),
    registeredOn: IsoDate,
    sections: Type.Array(Str(40), { minItems: 1, maxItems: 50, description: 'sections of law, e.g. "302 PPC"' }),
    status: Type.Union([
      Type.Literal('registered'),
      Type.Literal('under-investigation'),
      Type.Literal('challaned'),
      Type.Literal('convicted'),
      Type.Literal('acquitted'),
      Type.Literal('cancelled'),
      Type.Literal('untraced'),
    ]),
    persons: Type.Array(CriminalPerson, { minItems: 1, maxItems: 200 }),
  },
  { additionalProperties: false, $id: 'CriminalRecord', description: 'First Information Report and its persons (police records)' },
);

/** The registries, by the name used in URLs, CLI flags and dataset names (`registries/<name>`). */
export const REGISTRIES = ['identity', 'vehicles', 'customs', 'sims', 'land', 'tax', 'travel', 'foreigners', 'criminal'] as const;
export type RegistryName = (typeof REGISTRIES)[number];
export const RegistryNameSchema = Type.Union(
  [
    Type.Literal('identity'),
    Type.Literal('vehicles'),
    Type.Literal('customs'),
    Type.Literal('sims'),
    Type.Literal('land'),
    Type.Literal('tax'),
    Type.Literal('travel'),
    Type.Literal('foreigners'),
    Type.Literal('criminal'),
  ],
  { description: 'registry' },
);

export const REGISTRY_SCHEMAS = {
  identity: IdentityRecord,
  vehicles: VehicleRecord,
  customs: CustomsRecord,
  sims: SimRecord,
  land: LandRecord,
  tax: TaxRecord,
  travel: TravelRecord,
  foreigners: ForeignerRecord,
  criminal: CriminalRecord,
} as const;

export type IdentityRecord = Type.Static<typeof IdentityRecord>;
export type VehicleRecord = Type.Static<typeof VehicleRecord>;
export type CustomsRecord = Type.Static<typeof CustomsRecord>;
export type SimRecord = Type.Static<typeof SimRecord>;
export type LandRecord = Type.Static<typeof LandRecord>;
export type TaxRecord = Type.Static<typeof TaxRecord>;
export type TravelRecord = Type.Static<typeof TravelRecord>;
export type ForeignerRecord = Type.Static<typeof ForeignerRecord>;
export type CriminalRecord = Type.Static<typeof CriminalRecord>;
export interface RegistryRecordMap {
  identity: IdentityRecord;
  vehicles: VehicleRecord;
  customs: CustomsRecord;
  sims: SimRecord;
  land: LandRecord;
  tax: TaxRecord;
  travel: TravelRecord;
  foreigners: ForeignerRecord;
  criminal: CriminalRecord;
}

// ---- accountability -------------------------------------------------------

/** Legal bases a registry query may cite (Code of Criminal Procedure, Police Order 2002, court orders). */
export const REGISTRY_PURPOSES = [
  'criminal-investigation',
  'fir-registration',
  'counter-terrorism',
  'missing-person',
  'court-order',
  'crime-prevention',
  'traffic-enforcement',
  'verification',
  'oversight-audit',
] as const;
export type RegistryPurpose = (typeof REGISTRY_PURPOSES)[number];
export const RegistryPurposeSchema = Type.Union(
  REGISTRY_PURPOSES.map((p) => Type.Literal(p)),
  { description: 'legal basis of the query' },
);

/** Case reference: an FIR number or an inquiry number (letters, digits, / - . and spaces). */
export const CASE_REF_PATTERN = '^[A-Za-z0-9][A-Za-z0-9/ .-]{2,63}$';

/**
 * Every registry query names its purpose and case. They are Optional in the
 * schema so that the service, not the validator, refuses a query without
 * them, and ledgers the refusal.
 */
const Accountability = {
  purpose: Type.Optional(Type.String({ maxLength: 40, description: `legal basis: ${REGISTRY_PURPOSES.join(', ')}` })),
  case: Type.Optional(Type.String({ maxLength: 64, description: 'FIR or inquiry number the query serves' })),
  covert: Type.Optional(
    Type.Boolean({ description: 'part of a covert investigation: withheld from the access log until disclosure (needs registries.covert)' }),
  ),
};

export const PersonParams = Type.Object({
  cnic: Type.String({ maxLength: 200, description: 'CNIC (with or without dashes) or a link reference (lnk_...) from an earlier answer' }),
});
export const PersonQuery = Type.Object(Accountability, { additionalProperties: false });

export const SearchQuery = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200, description: 'name in Roman or Urdu script' })),
    fatherName: Type.Optional(Type.String({ maxLength: 200 })),
    district: Type.Optional(Type.String({ maxLength: 40 })),
    birthYearFrom: Type.Optional(Type.Integer({ minimum: 1900, maximum: 2100 })),
    birthYearTo: Type.Optional(Type.Integer({ minimum: 1900, maximum: 2100 })),
    gender: Type.Optional(Type.Union([Type.Literal('M'), Type.Literal('F')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    ...Accountability,
  },
  { additionalProperties: false },
);

export const LOOKUP_TYPES = ['cnic', 'msisdn', 'vehicle', 'passport', 'ntn', 'fir'] as const;
export type LookupType = (typeof LOOKUP_TYPES)[number];
export const LookupQuery = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 20, description: LOOKUP_TYPES.join(' | ') })),
    value: Type.Optional(Type.String({ maxLength: 200 })),
    ...Accountability,
  },
  { additionalProperties: false },
);

// ---- answers ----------------------------------------------------------------

/** A person as shown in answers. `masked` when the viewer may not see a linked person in full. */
export const PersonSummary = Type.Object({
  cnic: Type.String({ description: 'full CNIC, or partially masked (35202-*****67-1)' }),
  masked: Type.Boolean(),
  ref: Type.String({ description: 'link reference: GET /api/v1/registries/persons/{ref} expands it (one request per hop)' }),
  name: Type.String(),
  nameUrdu: Type.Union([Type.String(), Type.Null()]),
  fatherName: Type.String(),
  fatherNameUrdu: Type.Union([Type.String(), Type.Null()]),
  gender: Type.String(),
  dateOfBirth: Type.Union([Type.String(), Type.Null()]),
  district: Type.String(),
  placeOfBirth: Type.Union([Type.String(), Type.Null()]),
  permanentAddress: Type.Union([Type.String(), Type.Null()], { description: 'null when masked' }),
  presentAddress: Type.Union([Type.String(), Type.Null()], { description: 'null when masked' }),
});
export type PersonSummary = Type.Static<typeof PersonSummary>;

export const RecordLink = Type.Object({
  rel: Type.String({ description: 'owner, co-owner, holder, importer, sponsor, accused, complainant, ...' }),
  cnic: Type.String({ description: 'full or masked' }),
  masked: Type.Boolean(),
  ref: Type.String({ description: 'link reference to expand with GET /api/v1/registries/persons/{ref}' }),
  name: Type.Union([Type.String(), Type.Null()]),
});
export type RecordLink = Type.Static<typeof RecordLink>;

export const RegistryRecordView = Type.Object({
  registry: RegistryNameSchema,
  key: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown(), {
    description: 'the canonical record; identifiers of linked persons masked where the viewer may not see them',
  }),
  links: Type.Array(RecordLink),
  updatedAt: IsoDateTime,
});
export type RegistryRecordView = Type.Static<typeof RegistryRecordView>;

export const AccessReceipt = Type.Object({
  requestId: Type.String({ description: 'names the ledger entry of this read' }),
  purpose: Type.String(),
  caseRef: Type.String(),
});

export const PersonProfile = Type.Object({
  subject: PersonSummary,
  identity: Type.Union([RegistryRecordView, Type.Null()], { description: 'null when only other registries know the CNIC' }),
  records: Type.Object({
    vehicles: Type.Array(RegistryRecordView),
    customs: Type.Array(RegistryRecordView),
    sims: Type.Array(RegistryRecordView),
    land: Type.Array(RegistryRecordView),
    tax: Type.Array(RegistryRecordView),
    travel: Type.Array(RegistryRecordView),
    foreigners: Type.Array(RegistryRecordView),
    criminal: Type.Array(RegistryRecordView),
  }),
  relatives: Type.Array(PersonSummary, { description: 'persons sharing the father\u2019s name and family address (masked where applicable)' }),
  access: AccessReceipt,
});
export type PersonProfile = Type.Static<typeof PersonProfile>;

export const SearchHit = Type.Object({
  person: PersonSummary,
  score: Type.Number({ minimum: 0, maximum: 1 }),
  why: Type.Array(Type.String(), { description: 'why it matched, e.g. "name: Mohd \u2248 Muhammad (variant)"' }),
});
export const SearchResult = Type.Object({
  items: Type.Array(SearchHit),
  candidates: Type.Integer({ description: 'records that passed the index before ranking' }),
  truncated: Type.Boolean({ description: 'more candidates than were ranked: narrow the query' }),
  access: AccessReceipt,
});
export type SearchResult = Type.Static<typeof SearchResult>;

export const LookupResult = Type.Object({
  type: Type.String(),
  value: Type.String({ description: 'the value in canonical form' }),
  records: Type.Array(RegistryRecordView),
  access: AccessReceipt,
});
export type LookupResult = Type.Static<typeof LookupResult>;

export const AccessLogEntry = Type.Object({
  seq: Type.Integer({ description: 'ledger sequence number of the access' }),
  at: IsoDateTime,
  actorType: Type.String(),
  actorId: Type.String(),
  actorName: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  outcome: Type.String(),
  purpose: Type.Union([Type.String(), Type.Null()]),
  caseRef: Type.Union([Type.String(), Type.Null()]),
  covert: Type.Boolean(),
  disclosableAfter: Type.Union([IsoDateTime, Type.Null()]),
});
export const AccessLog = Type.Object({
  cnic: Type.String(),
  items: Type.Array(AccessLogEntry),
  withheld: Type.Integer({ description: 'covert accesses not yet disclosable to this viewer' }),
  access: AccessReceipt,
});
export type AccessLog = Type.Static<typeof AccessLog>;
export const AccessLogQuery = Type.Object(
  {
    ...Accountability,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
  },
  { additionalProperties: false },
);

// ---- imports ------------------------------------------------------------------

export const ImportStatus = Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]);
export const ImportSummary = Type.Object({
  id: Type.String(),
  registry: RegistryNameSchema,
  source: Type.String({ description: 'the department or system the extract came from' }),
  fileName: Type.String(),
  format: Type.Union([Type.Literal('csv'), Type.Literal('jsonl')]),
  sha256: Type.Union([Type.String(), Type.Null()]),
  bytes: Type.Integer(),
  status: ImportStatus,
  rowsRead: Type.Integer(),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  rejected: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  startedAt: IsoDateTime,
  finishedAt: Type.Union([IsoDateTime, Type.Null()]),
  startedBy: Type.String(),
});
export type ImportSummary = Type.Static<typeof ImportSummary>;
export const ImportList = Type.Object({ items: Type.Array(ImportSummary) });
export const ImportReject = Type.Object({
  line: Type.Integer({ description: 'line number in the file where the row starts (1-based)' }),
  field: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
});
export const ImportRejectList = Type.Object({ items: Type.Array(ImportReject), total: Type.Integer() });
export const ImportParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const ImportListQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'how many imports, latest first' })) },
  { additionalProperties: false },
);
export const ImportRejectsQuery = Type.Object(
  {
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv: every reject as a CSV download (offset and limit ignored)' }),
    ),
  },
  { additionalProperties: false },
);
export const ImportQuery = Type.Object(
  {
    registry: RegistryNameSchema,
    source: Type.Optional(Str(80)),
    fileName: Type.Optional(Str(200)),
    format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('jsonl')])),
    mapping: Type.Optional(Type.String({ maxLength: 20000, description: 'mapping file (JSON) from source columns to canonical fields' })),
    dateOrder: Type.Optional(
      Type.Union([Type.Literal('DMY'), Type.Literal('MDY'), Type.Literal('YMD')], { description: "how NN-NN-YYYY dates read (default DMY, or the mapping's)" }),
    ),
  },
  { additionalProperties: false },
);

// ---- alerts, blocks, canaries ----------------------------------------------

export const RegistryAlert = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('canary'), Type.Literal('anomaly')]),
  severity: Type.Union([Type.Literal('high'), Type.Literal('medium')]),
  userId: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  subject: Type.Union([Type.String(), Type.Null()], { description: 'the canary CNIC touched, if any' }),
  detail: Type.String(),
  raisedAt: IsoDateTime,
  acknowledgedAt: Type.Union([IsoDateTime, Type.Null()]),
  acknowledgedBy: Type.Union([Type.String(), Type.Null()]),
});
export const RegistryAlertList = Type.Object({ items: Type.Array(RegistryAlert) });
export const RegistryBlock = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
  blockedAt: IsoDateTime,
  releasedAt: Type.Union([IsoDateTime, Type.Null()]),
  releasedBy: Type.Union([Type.String(), Type.Null()]),
});
export const RegistryBlockList = Type.Object({ items: Type.Array(RegistryBlock) });
export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const ReleaseBody = Type.Object({ note: Str(500) }, { additionalProperties: false });
export const CanaryBody = Type.Object({ cnic: Str(20, { description: 'CNIC, with or without dashes' }), note: Str(500) }, { additionalProperties: false });
export const Canary = Type.Object({ cnic: Type.String(), note: Type.String(), createdAt: IsoDateTime, createdBy: Type.String() });
export const CanaryList = Type.Object({ items: Type.Array(Canary) });
export const RegistryStats = Type.Object({
  registries: Type.Array(Type.Object({ registry: RegistryNameSchema, records: Type.Integer(), lastImportAt: Type.Union([IsoDateTime, Type.Null()]) })),
  purposes: Type.Array(Type.String()),
  lookupTypes: Type.Array(Type.String()),
});
