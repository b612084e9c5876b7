/**
 * Test fixtures for the registries: a small, hand-written population whose
 * links are known, loaded as canonical records through validateRecord.
 */
import type { Queryable } from '#core/db/index.ts';
import type { IdentityRecord, RegistryName } from '@kotwal/contracts';
import { validateRecord } from './canonical.ts';
import { personIndexRow } from './search-index.ts';

export const PEOPLE = {
  ali: '35202-1234567-1',
  sister: '35202-1234568-2',
  cousin: '35202-7654321-3',
  canary: '35202-9999999-9',
  urduOnly: '34101-1111111-2',
  mahmood: '35202-5555555-5',
} as const;

export const FIXTURE: { registry: RegistryName; record: Record<string, unknown> }[] = [
  {
    registry: 'identity',
    record: {
      cnic: PEOPLE.ali,
      name: 'Muhammad Ali',
      nameUrdu: 'محمد علی',
      fatherName: 'Ghulam Hussain',
      fatherNameUrdu: 'غلام حسین',
      gender: 'M',
      dateOfBirth: '14-08-1985',
      placeOfBirth: 'Lahore',
      district: 'Lahore',
      permanentAddress: 'House 12, Street 4, Model Town, Lahore',
      presentAddress: 'House 12, Street 4, Model Town, Lahore',
    },
  },
  {
    registry: 'identity',
    record: {
      cnic: PEOPLE.sister,
      name: 'Fatima Bibi',
      nameUrdu: 'فاطمہ بی بی',
      fatherName: 'Ghulam Hussain',
      fatherNameUrdu: 'غلام حسین',
      gender: 'F',
      dateOfBirth: '1988-03-02',
      district: 'Lahore',
      permanentAddress: 'House 12, Street 4, Model Town, Lahore',
    },
  },
  {
    registry: 'identity',
    record: {
      cnic: PEOPLE.cousin,
      name: 'Ahmed Raza',
      nameUrdu: 'احمد رضا',
      fatherName: 'Muhammad Aslam',
      gender: 'M',
      dateOfBirth: '1979-11-30',
      district: 'Lahore',
      permanentAddress: 'Flat 3, Gulberg III, Lahore',
    },
  },
  {
    registry: 'identity',
    record: { cnic: PEOPLE.canary, name: 'Imran Qureshi', fatherName: 'Abdul Rehman', gender: 'M', dateOfBirth: '1970-01-01', district: 'Lahore' },
  },
  {
    registry: 'identity',
    record: {
      cnic: PEOPLE.urduOnly,
      name: 'Zainab Khan',
      nameUrdu: 'زینب خان',
      fatherName: 'Tariq Khan',
      gender: 'F',
      dateOfBirth: '1990-05-05',
      district: 'Gujranwala',
    },
  },
  {
    registry: 'identity',
    record: {
      cnic: PEOPLE.mahmood,
      name: 'Mahmood Ali',
      nameUrdu: 'محمود علی',
      fatherName: 'Ghulam Hussain',
      gender: 'M',
      dateOfBirth: '1983-01-01',
      district: 'Lahore',
    },
  },
  { registry: 'sims', record: { msisdn: '0300-1234567', operator: 'Jazz', ownerCnic: PEOPLE.ali, activatedOn: '2019-01-10', status: 'active' } },
  { registry: 'sims', record: { msisdn: '+92 321 7654321', operator: 'Zong', ownerCnic: PEOPLE.ali, activatedOn: '2021-06-01', status: 'active' } },
  {
    registry: 'vehicles',
    record: {
      registrationNo: 'LEA 19 1234',
      chassisNo: 'NZE141-9034567',
      engineNo: '1NZ-4567890',
      ownerCnic: PEOPLE.ali,
      make: 'Toyota',
      model: 'Corolla',
      year: 2019,
      colour: 'White',
      registeredOn: '2019-03-01',
      district: 'Lahore',
      transfers: [{ fromCnic: PEOPLE.cousin, toCnic: PEOPLE.ali, date: '2021-02-01' }],
    },
  },
  {
    registry: 'land',
    record: {
      parcelId: 'LHR-MT-0042',
      district: 'Lahore',
      tehsil: 'Model Town',
      mauza: 'Kot Lakhpat',
      areaKanal: 4,
      owners: [
        { cnic: PEOPLE.ali, share: 0.5 },
        { cnic: PEOPLE.sister, share: 0.5 },
      ],
    },
  },
  { registry: 'tax', record: { ntn: '1234567-8', cnic: PEOPLE.ali, name: 'Mohammad Ali', status: 'active', registeredOn: '2015-07-01' } },
  {
    registry: 'travel',
    record: {
      passportNo: 'AB1234567',
      cnic: PEOPLE.ali,
      name: 'Muhammed Ali',
      issuedOn: '2018-01-01',
      expiresOn: '2028-01-01',
      movements: [
        { direction: 'exit', date: '2023-05-01', port: 'Allama Iqbal International Airport, Lahore' },
        { direction: 'entry', date: '2023-05-20', port: 'Allama Iqbal International Airport, Lahore' },
      ],
    },
  },
  {
    registry: 'criminal',
    record: {
      firNo: 'LHR-MODELTOWN/123/2024',
      policeStation: 'Model Town',
      district: 'Lahore',
      registeredOn: '2024-02-10',
      sections: ['379 PPC'],
      status: 'under-investigation',
      persons: [
        { cnic: PEOPLE.cousin, name: 'Ahmed Raza', role: 'accused' },
        { cnic: PEOPLE.ali, name: 'Muhammad Ali', role: 'complainant' },
      ],
    },
  },
];

/** Loads canonical records straight into the tables (the import pipeline is tested on its own). */
export async function seedRegistries(db: Queryable, rows = FIXTURE): Promise<void> {
  for (const { registry, record } of rows) {
    const v = validateRecord(registry, record);
    if (!v.ok) throw new Error(`fixture ${registry}: ${JSON.stringify(v.errors)}`);
    await db.query(`INSERT INTO reg_records (registry, key, data, record_hash, source) VALUES ($1, $2, $3, $4, 'fixture')`, [
      registry,
      v.key,
      JSON.stringify(v.record),
      v.hash,
    ]);
    for (const l of v.links)
      await db.query(`INSERT INTO reg_links (cnic, registry, key, rel) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [l.cnic, registry, v.key, l.rel]);
    if (registry === 'identity') {
      const p = personIndexRow(v.record as IdentityRecord);
      await db.query(
        `INSERT INTO reg_persons (cnic, name, name_urdu, father_name, father_name_urdu, gender, birth_year, district, name_keys) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [p.cnic, p.name, p.name_urdu, p.father_name, p.father_name_urdu, p.gender, p.birth_year, p.district, p.name_keys],
      );
    }
  }
}
