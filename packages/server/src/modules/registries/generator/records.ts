/**
 * The registry records of one block of people, as each department would
 * hold them: SIMs, vehicles (with transfers), land parcels (co-owned, shares
 * at most 1), tax registrations, passports with movements, customs
 * declarations, foreigner registrations (some sponsored by a CNIC) and FIRs.
 * Names in the tax, travel and police records are written the way those
 * departments write them (another common spelling, Mohd, Ch., capitals on
 * passports), not NADRA's spelling.
 *
 * Identifiers come from running counters through keyed permutations, so
 * they are unique without being remembered; the counters are the only state
 * carried from one block to the next.
 */
import type { RegistryName } from '@kotwal/contracts';
import { FOREIGN, MUHAMMAD, UNITS } from './name-data.ts';
import { CUSTOMS_PORTS, DISTRICTS, IMMIGRATION_PORTS, type District } from './places.ts';
import { addDays, addYears, dateIn, PICK, REF_YEAR, renderName, renderUrdu, type Person, type PersonName } from './population.ts';
import { Permutation, Rng, Weighted } from './prng.ts';

export type Rec = Record<string, unknown>;
export type BlockRecords = { [R in RegistryName]: Rec[] };
/** Per person of the block (by local index): the keys of the records that name them, by registry. */
export type BlockLinks = Partial<Record<RegistryName, string[]>>[];

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

// ---- reference tables ------------------------------------------------------------

const OPERATORS: { name: 'Jazz' | 'Zong' | 'Telenor' | 'Ufone'; prefixes: string[]; weight: number; counter?: string }[] = [
  { name: 'Jazz', prefixes: ['300', '301', '302', '303', '304', '305', '306', '307', '308', '309'], weight: 38 },
  { name: 'Zong', prefixes: ['310', '311', '312', '313', '314', '315', '316', '317', '318', '319'], weight: 27 },
  { name: 'Telenor', prefixes: ['340', '341', '342', '343', '344', '345', '346', '347', '348', '349'], weight: 22 },
  { name: 'Ufone', prefixes: ['330', '331', '332', '333', '334', '335', '336', '337'], weight: 13 },
];
for (const o of OPERATORS) o.counter = `sim:${o.name}`;
const PICK_OPERATOR = new Weighted(
  OPERATORS.map((_, i) => i),
  OPERATORS.map((o) => o.weight),
);
const SIM_STATUS = new Weighted(['active', 'suspended', 'blocked', 'terminated'], [82, 5, 5, 8]);

interface Model {
  make: string;
  model: string;
  chassis: string;
  engine: string;
  bike: boolean;
  since: number;
}
const M = (make: string, model: string, chassis: string, engine: string, bike: boolean, since: number): Model => ({
  make,
  model,
  chassis,
  engine,
  bike,
  since,
});
const BIKES = [
  M('Honda', 'CD 70', 'HCD70', 'JA07E', true, 1985),
  M('Honda', 'CD 70', 'HCD70', 'JA07E', true, 1985),
  M('Honda', 'CD 70', 'HCD70', 'JA07E', true, 1985),
  M('Honda', 'CG 125', 'HCG125', 'JC58E', true, 1992),
  M('Honda', 'CG 125', 'HCG125', 'JC58E', true, 1992),
  M('Honda', 'Pridor', 'HPRD100', 'JA09E', true, 2012),
  M('Yamaha', 'YBR 125', 'YBR125', 'E3K7', true, 2015),
  M('Suzuki', 'GS 150', 'SGS150', 'F405', true, 2008),
  M('Suzuki', 'GD 110S', 'SGD110', 'F302', true, 2014),
  M('United', 'US 70', 'US70', 'UE70', true, 2005),
  M('United', 'US 70', 'US70', 'UE70', true, 2005),
  M('Road Prince', 'RP 70', 'RP70', 'RPE70', true, 2006),
  M('Unique', 'UD 70', 'UD70', 'UE70D', true, 2005),
  M('Super Power', 'SP 70', 'SPW70', 'SPE70', true, 2007),
];
const CARS = [
  M('Suzuki', 'Mehran', 'SS80-', 'F8B', false, 1989),
  M('Suzuki', 'Mehran', 'SS80-', 'F8B', false, 1989),
  M('Suzuki', 'Alto', 'HA36-', 'R06A', false, 2000),
  M('Suzuki', 'Cultus', 'SF310-', 'K10B', false, 1992),
  M('Suzuki', 'Wagon R', 'MH34-', 'K10B', false, 2014),
  M('Suzuki', 'Bolan', 'ST41-', 'F10A', false, 1985),
  M('Suzuki', 'Swift', 'ZC72-', 'K12B', false, 2010),
  M('Toyota', 'Corolla', 'NZE170-', '2NZ', false, 1985),
  M('Toyota', 'Corolla', 'ZRE172-', '1ZR', false, 2014),
  M('Toyota', 'Yaris', 'NSP150-', '2NR', false, 2020),
  M('Toyota', 'Hilux', 'KUN126-', '1KD', false, 2005),
  M('Honda', 'City', 'GM2-', 'L15A', false, 1997),
  M('Honda', 'Civic', 'FD1-', 'R18A', false, 1995),
  M('Daihatsu', 'Cuore', 'L701-', 'ED20', false, 2000),
  M('KIA', 'Sportage', 'QLE-', 'G4NA', false, 2019),
  M('Hyundai', 'Tucson', 'TLE-', 'G4NA', false, 2020),
  M('Changan', 'Alsvin', 'CA7150-', 'JL473Q', false, 2021),
  M('MG', 'HS', 'AS23-', '15E4E', false, 2021),
];
const COLOURS = new Weighted(['White', 'Black', 'Silver', 'Grey', 'Red', 'Blue', 'Maroon', 'Green', 'Beige'], [30, 18, 16, 10, 12, 5, 4, 2, 3]);

/** Imported goods: HS code, description, value range (PKR), and for used cars the make/model/chassis prefix. */
const GOODS: { hs: string; what: string; min: number; max: number; car?: { make: string; model: string; chassis: string } }[] = [
  {
    hs: '8703.2323',
    what: 'Used motor car Toyota Corolla Axio 1500cc',
    min: 2_500_000,
    max: 5_500_000,
    car: { make: 'Toyota', model: 'Corolla Axio', chassis: 'NZE161-' },
  },
  { hs: '8703.2191', what: 'Used motor car Toyota Vitz 1000cc', min: 1_800_000, max: 3_500_000, car: { make: 'Toyota', model: 'Vitz', chassis: 'KSP130-' } },
  { hs: '8703.2191', what: 'Used motor car Suzuki Alto 660cc', min: 1_200_000, max: 2_600_000, car: { make: 'Suzuki', model: 'Alto', chassis: 'HA36S-' } },
  { hs: '8703.2191', what: 'Used motor car Daihatsu Mira 660cc', min: 1_100_000, max: 2_400_000, car: { make: 'Daihatsu', model: 'Mira', chassis: 'LA300S-' } },
  { hs: '8703.4090', what: 'Used hybrid car Toyota Prius 1800cc', min: 3_500_000, max: 7_000_000, car: { make: 'Toyota', model: 'Prius', chassis: 'ZVW30-' } },
  { hs: '8703.4090', what: 'Used hybrid car Honda Vezel 1500cc', min: 4_500_000, max: 8_500_000, car: { make: 'Honda', model: 'Vezel', chassis: 'RU3-' } },
  { hs: '8517.1300', what: 'Mobile phones (smartphones)', min: 300_000, max: 25_000_000 },
  { hs: '8471.3010', what: 'Laptop computers', min: 500_000, max: 15_000_000 },
  { hs: '5407.5200', what: 'Woven fabrics of polyester, dyed', min: 800_000, max: 30_000_000 },
  { hs: '3004.9099', what: 'Medicaments in measured doses', min: 400_000, max: 20_000_000 },
  { hs: '0902.3000', what: 'Black tea in packings', min: 1_000_000, max: 40_000_000 },
  { hs: '8528.7212', what: 'LED television sets', min: 600_000, max: 12_000_000 },
  { hs: '9503.0090', what: 'Toys, assorted', min: 200_000, max: 5_000_000 },
  { hs: '6403.9900', what: 'Footwear with leather uppers', min: 300_000, max: 8_000_000 },
  { hs: '8415.1010', what: 'Split air conditioners', min: 900_000, max: 18_000_000 },
  { hs: '8708.9900', what: 'Parts and accessories of motor vehicles', min: 250_000, max: 9_000_000 },
  { hs: '2710.1990', what: 'Lubricating oil', min: 700_000, max: 25_000_000 },
  { hs: '8413.7090', what: 'Centrifugal pumps', min: 300_000, max: 6_000_000 },
];

type Crime = { sections: string[]; weight: number; victim: boolean; state: boolean; property: boolean };
const CRIMES: Crime[] = [
  { sections: ['379 PPC'], weight: 20, victim: false, state: false, property: true },
  { sections: ['380 PPC', '457 PPC'], weight: 8, victim: false, state: false, property: true },
  { sections: ['392 PPC'], weight: 10, victim: false, state: false, property: true },
  { sections: ['395 PPC', '412 PPC'], weight: 2, victim: false, state: false, property: true },
  { sections: ['406 PPC'], weight: 6, victim: false, state: false, property: false },
  { sections: ['420 PPC', '468 PPC', '471 PPC'], weight: 8, victim: false, state: false, property: false },
  { sections: ['489-F PPC'], weight: 10, victim: false, state: false, property: false },
  { sections: ['302 PPC', '34 PPC'], weight: 3, victim: true, state: false, property: false },
  { sections: ['302 PPC', '148 PPC', '149 PPC'], weight: 1, victim: true, state: false, property: false },
  { sections: ['324 PPC', '34 PPC'], weight: 4, victim: true, state: false, property: false },
  { sections: ['337-A(i) PPC', '506 PPC'], weight: 7, victim: true, state: false, property: false },
  { sections: ['506 PPC'], weight: 4, victim: false, state: false, property: false },
  { sections: ['365 PPC'], weight: 2, victim: true, state: false, property: false },
  { sections: ['9(c) CNSA'], weight: 8, victim: false, state: true, property: false },
  { sections: ['13/20/65 AO'], weight: 5, victim: false, state: true, property: false },
  { sections: ['411 PPC'], weight: 2, victim: false, state: true, property: true },
];
const PICK_CRIME = new Weighted(
  CRIMES,
  CRIMES.map((c) => c.weight),
);
const RANKS = ['SI', 'ASI', 'Inspector', 'HC'];
const PICK_FOREIGN = new Weighted(
  FOREIGN,
  FOREIGN.map((f) => f.weight),
);
const PASSPORT_SERIES = ['AB', 'AC', 'AD', 'AE', 'AF', 'AG', 'AH', 'AJ', 'AK', 'AL', 'BA', 'BB', 'BC', 'BD', 'BE', 'BF', 'BN', 'CX', 'DJ', 'DK'];

// ---- department spellings ---------------------------------------------------------

/**
 * The person's name as another department writes it: each unit kept as
 * NADRA spelled it or written another common way; abbreviations where the
 * department abbreviates; capitals on passports.
 */
export function departmentName(rng: Rng, n: PersonName, opts: { abbreviate: number; vary: number; upper?: boolean }): string {
  let s = '';
  for (let i = 0; i < n.ids.length; i++) {
    const unit = UNITS[n.ids[i]];
    let form = unit.forms[n.forms[i]];
    if (unit.abbr.length && rng.chance(opts.abbreviate)) form = rng.pick(unit.abbr);
    else if (unit.forms.length > 1 && rng.chance(opts.vary)) form = unit.forms[rng.int(unit.forms.length)]!;
    s += (i ? ' ' : '') + form;
  }
  return opts.upper ? s.toUpperCase() : s;
}

// ---- state carried across blocks: counters behind unique identifiers ----------------

export class Counters {
  readonly counts: Record<string, number> = {};
  private readonly perms = new Map<string, Permutation>();

  constructor(private readonly seed: readonly number[]) {}

  /** The next value of the named counter, run through a permutation of [0, domain) keyed by the seed and the name. */
  next(name: string, domain: number): number {
    const c = this.counts[name] ?? 0;
    if (c >= domain) throw new Error(`identifier space "${name}" exhausted (${domain}): too many records for this generator`);
    this.counts[name] = c + 1;
    let p = this.perms.get(name);
    if (!p) {
      p = new Permutation(domain, this.seed, hashStr(name));
      this.perms.set(name, p);
    }
    return p.at(c);
  }

  /** The next value of a plain running counter (1, 2, 3 ...). */
  seq(name: string, start = 1): number {
    const c = this.counts[name] ?? 0;
    this.counts[name] = c + 1;
    return start + c;
  }
}

const hashStr = (s: string): number => {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
};

// ---- the block --------------------------------------------------------------------

export function blockRecords(seed: readonly number[], block: number, persons: Person[], counters: Counters): { records: BlockRecords; links: BlockLinks } {
  const rng = Rng.derive(seed, 2, block);
  const records: BlockRecords = { identity: [], vehicles: [], customs: [], sims: [], land: [], tax: [], travel: [], foreigners: [], criminal: [] };
  const links: BlockLinks = persons.map(() => ({}));
  const link = (p: Person, registry: RegistryName, key: string): void => {
    const l = links[p.local];
    const keys = (l[registry] ??= []);
    if (!keys.includes(key)) keys.push(key);
  };
  const adults = persons.filter((p) => p.birthYear <= REF_YEAR - 18);
  const byDistrict = new Map<number, Person[]>();
  for (const p of adults) {
    let list = byDistrict.get(p.district.index);
    if (!list) byDistrict.set(p.district.index, (list = []));
    list.push(p);
  }
  /** Another adult of the block, from the same district when there is one; never one of `not`. */
  const other = (near: District, not: Person[]): Person | null => {
    const local = byDistrict.get(near.index) ?? [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const pool = attempt < 3 && local.length ? local : adults;
      if (!pool.length) return null;
      const c = rng.pick(pool);
      if (!not.includes(c)) return c;
    }
    return null;
  };
  const ntnOf = new Map<number, string>();

  for (const p of persons) {
    // identity: NADRA's record.
    records.identity.push({
      cnic: p.cnic,
      name: renderName(p.name),
      nameUrdu: p.hasUrdu ? renderUrdu(p.name.ids) : undefined,
      fatherName: renderName(p.father),
      fatherNameUrdu: p.hasUrdu ? renderUrdu(p.father.ids) : undefined,
      gender: p.gender,
      dateOfBirth: p.dob,
      placeOfBirth: p.placeOfBirth,
      district: p.district.name,
      permanentAddress: p.permanentAddress,
      presentAddress: p.presentAddress,
      issuedOn: p.issuedOn ?? undefined,
      expiresOn: p.expiresOn ?? undefined,
    });
    link(p, 'identity', p.cnic);
    const adult = p.birthYear <= REF_YEAR - 18;
    if (!adult) continue;
    const male = p.gender === 'M';
    const from = p.birthYear + 18;

    // sims
    const sims = male ? pickCount(rng, [8, 37, 32, 15, 5, 3]) : pickCount(rng, [25, 50, 18, 5, 2]);
    for (let s = 0; s < sims; s++) {
      const op = OPERATORS[PICK_OPERATOR.pick(rng)];
      const x = counters.next(op.counter!, op.prefixes.length * 10_000_000);
      const msisdn = `+92${op.prefixes[Math.floor(x / 10_000_000)]}${pad(x % 10_000_000, 7)}`;
      records.sims.push({
        msisdn,
        operator: op.name,
        ownerCnic: p.cnic,
        activatedOn: dateIn(rng, recentYear(rng, Math.max(from, 2005))),
        status: SIM_STATUS.pick(rng),
      });
      link(p, 'sims', msisdn);
    }

    // customs first (importers usually hold an NTN)
    const importer = rng.chance(male ? 0.012 : 0.002);
    // tax
    if (rng.chance(importer ? 0.8 : male ? 0.14 : 0.03)) {
      const x = counters.next('ntn', 9_000_000);
      const base = pad(1_000_000 + x, 7);
      const ntn = `${base}-${ntnCheck(base)}`;
      ntnOf.set(p.local, ntn);
      records.tax.push({
        ntn,
        cnic: p.cnic,
        name: departmentName(rng, p.name, { abbreviate: 0.1, vary: 0.45 }),
        status: rng.chance(0.8) ? 'active' : 'inactive',
        registeredOn: dateIn(rng, recentYear(rng, Math.max(from, 1995))),
        taxOffice: p.district.taxOffice,
      });
      link(p, 'tax', ntn);
    }
    if (importer) {
      const n = rng.range(1, 3);
      for (let i = 0; i < n; i++) {
        const goods = rng.pick(GOODS);
        const port = rng.pick(CUSTOMS_PORTS);
        const date = dateIn(rng, rng.range(Math.max(from, 2015), REF_YEAR));
        const declarationNo = `${port.code}-HC-${pad(counters.seq('customs', 1000), 6)}-${date.slice(8, 10)}${date.slice(5, 7)}${date.slice(0, 4)}`;
        let chassisNo: string | undefined;
        if (goods.car) {
          chassisNo = `${goods.car.chassis}${pad(counters.seq(`chassis:${goods.car.chassis}`, 1_000_001 + (hashStr(goods.car.chassis) % 4_000_000)), 7)}`;
        }
        records.customs.push({
          declarationNo,
          date,
          importerCnic: p.cnic,
          importerNtn: ntnOf.get(p.local),
          description: goods.what,
          hsCode: goods.hs,
          valuePkr: Math.round((goods.min + rng.float() * (goods.max - goods.min)) / 100) * 100,
          port: port.port,
          chassisNo,
        });
        link(p, 'customs', declarationNo);
        // Most imported cars are then registered by the importer with Excise.
        if (goods.car && chassisNo && rng.chance(0.6)) {
          const year = Number(date.slice(0, 4));
          const reg = addDays(date, rng.range(10, 90));
          const regYear = Math.min(REF_YEAR, Number(reg.slice(0, 4)));
          const registrationNo = plate(counters, p.district, regYear);
          records.vehicles.push({
            registrationNo,
            chassisNo,
            engineNo: `${goods.car.chassis.replace(/[^A-Z0-9]/g, '').slice(0, 4)}E${pad(counters.seq('engine:import', 100_000), 7)}`,
            ownerCnic: p.cnic,
            make: goods.car.make,
            model: goods.car.model,
            year: year - rng.range(3, 5),
            colour: COLOURS.pick(rng),
            registeredOn: reg > '2025-06-30' ? '2025-06-30' : reg,
            district: p.district.name,
            transfers: [],
          });
          link(p, 'vehicles', registrationNo);
        }
      }
    }

    // vehicles
    const owned: Model[] = [];
    if (rng.chance(male ? 0.3 : 0.03)) owned.push(rng.pick(BIKES));
    if (male && rng.chance(0.05)) owned.push(rng.pick(BIKES));
    if (rng.chance(male ? 0.1 : 0.04)) owned.push(rng.pick(CARS));
    for (const model of owned) {
      const year = recentYear(rng, Math.max(model.since, from - 10, 1985));
      const registeredOn = dateIn(rng, year);
      const registrationNo = plate(counters, p.district, year);
      const transfers: { fromCnic: string | null; toCnic: string; date: string }[] = [];
      const hops = rng.chance(0.28) ? rng.range(1, 3) : 0;
      if (hops) {
        const chain: Person[] = [];
        for (let h = 0; h < hops; h++) {
          const prev = other(p.district, [p, ...chain]);
          if (prev) chain.push(prev);
        }
        if (chain.length) {
          let date = registeredOn;
          transfers.push({ fromCnic: null, toCnic: chain[0].cnic, date });
          const owners = [...chain, p];
          for (let h = 1; h < owners.length; h++) {
            date = laterDate(rng, date);
            transfers.push({ fromCnic: owners[h - 1].cnic, toCnic: owners[h].cnic, date });
          }
          for (const c of chain) link(c, 'vehicles', registrationNo);
        }
      }
      const serial = counters.seq('vehicle-serial', 100_001);
      records.vehicles.push({
        registrationNo,
        chassisNo: `${model.chassis}${String(year).slice(2)}${pad(serial, 7)}`,
        engineNo: `${model.engine}-${pad(serial, 7)}`,
        ownerCnic: p.cnic,
        make: model.make,
        model: model.model,
        year: Math.max(model.since, year - (rng.chance(0.3) ? 1 : 0)),
        colour: COLOURS.pick(rng),
        registeredOn,
        district: p.district.name,
        transfers,
      });
      link(p, 'vehicles', registrationNo);
    }

    // travel
    if (rng.chance(male ? 0.11 : 0.07)) {
      const x = counters.next('passport', PASSPORT_SERIES.length * 10_000_000);
      const passportNo = `${PASSPORT_SERIES[Math.floor(x / 10_000_000)]}${pad(x % 10_000_000, 7)}`;
      const issuedOn = dateIn(rng, rng.range(Math.max(from, 2014), REF_YEAR));
      const expiresOn = addYears(issuedOn, rng.chance(0.6) ? 5 : 10);
      const movements: { direction: 'entry' | 'exit'; date: string; port: string }[] = [];
      const trips = pickCount(rng, [25, 30, 20, 12, 7, 4, 2]);
      let date = issuedOn;
      const home = p.district.name === 'Lahore' || rng.chance(0.5) ? IMMIGRATION_PORTS[0] : rng.pick(IMMIGRATION_PORTS);
      for (let t = 0; t < trips; t++) {
        const out = addDays(date, rng.range(20, 400));
        if (out > '2025-06-30') break;
        movements.push({ direction: 'exit', date: out, port: rng.chance(0.7) ? home : rng.pick(IMMIGRATION_PORTS) });
        const back = addDays(out, rng.chance(0.2) ? rng.range(90, 700) : rng.range(5, 60));
        if (back > '2025-06-30') break;
        movements.push({ direction: 'entry', date: back, port: rng.chance(0.7) ? home : rng.pick(IMMIGRATION_PORTS) });
        date = back;
      }
      records.travel.push({
        passportNo,
        cnic: p.cnic,
        name: departmentName(rng, p.name, { abbreviate: 0, vary: 0.45, upper: true }),
        issuedOn,
        expiresOn,
        movements,
      });
      link(p, 'travel', passportNo);
    }
  }

  // land: held by households (the head, or his heirs), some with a partner from another family
  for (const head of persons) {
    if (head.household !== head.local || head.birthYear > REF_YEAR - 18 || !rng.chance(0.22)) continue;
    const family = persons.filter((q) => q.household === head.local && q.birthYear <= REF_YEAR - 18);
    const parcels = pickCount(rng, [0, 60, 28, 12]);
    for (let k = 0; k < parcels; k++) {
      const owners = landOwners(rng, head, family, () => other(head.district, family));
      const d = head.district;
      const mauzaIndex = rng.int(d.mauzas.length);
      const khewat = counters.seq(`khewat:${d.short}`, 1 + (hashStr(d.short) % 500));
      const parcelId = `${d.short}-${pad(mauzaIndex + 1, 3)}-${khewat}/${rng.range(1, 60)}`;
      const rural = head.permanentAddress.startsWith('Mauza') || rng.chance(0.4);
      records.land.push({
        parcelId,
        district: d.name,
        tehsil: rng.pick(d.tehsils),
        mauza: d.mauzas[mauzaIndex],
        areaKanal: rural ? Math.round((2 + rng.float() * rng.float() * 200) * 100) / 100 : rng.pick([0.25, 0.5, 0.5, 1, 1, 1, 2, 4]),
        owners: owners.map(([o, share]) => ({ cnic: o.cnic, share })),
      });
      for (const [o] of owners) link(o, 'land', parcelId);
    }
  }

  // foreigners: about 4 in 1,000 people, most sponsored by a citizen of the block
  const foreigners = Math.floor(persons.length * 0.004 + rng.float());
  for (let f = 0; f < foreigners; f++) {
    const nat = PICK_FOREIGN.pick(rng);
    const sponsor = nat.code !== 'CHN' && adults.length && rng.chance(0.65) ? rng.pick(adults) : null;
    const d = sponsor ? sponsor.district : PICK.district.pick(rng);
    const visa = rng.pick(nat.visas);
    const arrivedOn = dateIn(rng, visa === 'PoR' ? rng.range(2007, 2020) : rng.range(2016, REF_YEAR));
    const visaExpiresOn = visa === 'PoR' ? '2025-06-30' : addDays(arrivedOn, rng.pick([30, 90, 180, 365, 730]));
    const year = arrivedOn.slice(0, 4);
    const registrationNo = `FRO-${d.short}-${year}-${pad(counters.seq('foreigner'), 6)}`;
    const loc = rng.pick(d.localities);
    records.foreigners.push({
      registrationNo,
      passportNo: `${nat.passportPrefix}${pad(counters.next(`fpassport:${nat.code}`, 100_000_000), 8)}`,
      nationality: nat.code,
      name: `${rng.pick(nat.given)} ${rng.pick(nat.surnames)}`,
      dateOfBirth: dateIn(rng, rng.range(1960, 2005)),
      visaType: visa,
      arrivedOn,
      visaExpiresOn,
      address: `House No. ${rng.range(1, 999)}, ${loc[0]}, ${d.name}`,
      district: d.name,
      sponsorCnic: sponsor?.cnic,
    });
    if (sponsor) link(sponsor, 'foreigners', registrationNo);
  }

  // criminal records: about 1.2 FIRs per 100 adults; persons named as police write them
  const firs = Math.floor(adults.length * 0.012 + rng.float());
  for (let f = 0; f < firs; f++) {
    const suspects = adults.filter((a) => a.birthYear >= REF_YEAR - 65 && (a.gender === 'M' || rng.chance(0.12)));
    if (!suspects.length) break;
    const accused = rng.pick(suspects);
    const crime = PICK_CRIME.pick(rng);
    const d = accused.district;
    const station = rng.pick(d.stations);
    const stationCode = `${d.short}-${station.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
    const year = rng.range(Math.max(accused.birthYear + 18, 2012), REF_YEAR);
    const serial = counters.seq(`fir:${stationCode}:${year}`, 1 + (hashStr(`${stationCode}${year}`) % 300));
    const firNo = `${stationCode}/${serial}/${year}`;
    const status = firStatus(rng, year, crime);
    const involved: Person[] = [accused];
    const named: { cnic?: string; name: string; role: string }[] = [];
    const police = { abbreviate: 0.25, vary: 0.5 };
    const add = (p: Person, role: string): void => {
      named.push({ cnic: p.cnic, name: departmentName(rng, p.name, police), role });
      link(p, 'criminal', firNo);
    };
    if (crime.state) {
      // State cases (narcotics, arms): the complainant is the police officer, recorded by rank and name.
      named.push({ name: `${rng.pick(RANKS)} ${MUHAMMAD.forms[0]} ${PICK.male.pick(rng).forms[0]}`, role: 'complainant' });
    } else {
      const complainant = other(d, involved);
      if (complainant) {
        involved.push(complainant);
        add(complainant, 'complainant');
      }
    }
    const accusedRole = status === 'convicted' ? 'convict' : 'accused';
    add(accused, accusedRole);
    const more = crime.property || crime.victim ? pickCount(rng, [60, 30, 10]) : 0;
    for (let k = 0; k < more; k++) {
      const co = other(d, involved);
      if (!co) break;
      involved.push(co);
      add(co, accusedRole);
    }
    if (crime.property && rng.chance(0.3)) named.push({ name: rng.pick(['Na-maloom', 'Unknown', 'نامعلوم']), role: 'accused' });
    if (crime.victim) {
      const victim = other(d, involved);
      if (victim) {
        involved.push(victim);
        add(victim, 'victim');
      }
    }
    const witnesses = pickCount(rng, [40, 40, 20]);
    for (let k = 0; k < witnesses; k++) {
      const w = other(d, involved);
      if (!w) break;
      involved.push(w);
      // Witnesses are sometimes recorded by name only.
      if (rng.chance(0.15)) named.push({ name: departmentName(rng, w.name, police), role: 'witness' });
      else add(w, 'witness');
    }
    records.criminal.push({
      firNo,
      policeStation: station,
      district: d.name,
      registeredOn: dateIn(rng, year),
      sections: crime.sections,
      status,
      persons: named,
    });
  }
  return { records, links };
}

/** Index drawn with the given relative weights. */
function pickCount(rng: Rng, weights: number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let r = rng.float() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/** A year from `from` to the reference year, recent years likelier. */
function recentYear(rng: Rng, from: number): number {
  const lo = Math.min(from, REF_YEAR);
  return REF_YEAR - Math.floor(rng.float() * rng.float() * (REF_YEAR - lo + 1));
}

function laterDate(rng: Rng, after: string): string {
  const d = addDays(after, rng.range(30, 1500));
  return d > '2025-06-30' ? (after < '2025-06-30' ? '2025-06-30' : after) : d;
}

function ntnCheck(base: string): number {
  let s = 0;
  for (let i = 0; i < base.length; i++) s += Number(base[i]) * (8 - i);
  return (11 - (s % 11)) % 10;
}

/** A registration plate for the district and year: LEA-19-1234, or old style LHR-1234 before 2000. */
function plate(counters: Counters, d: District, year: number): string {
  if (year < 2000) {
    const x = counters.next(`plate-old:${d.short}`, d.oldPlates.length * 9999);
    return `${d.oldPlates[Math.floor(x / 9999)]}-${(x % 9999) + 1}`;
  }
  const x = counters.next(`plate:${d.short}:${year}`, 26 * 9900);
  const letter = String.fromCharCode(65 + Math.floor(x / 9900));
  return `${d.series}${letter}-${String(year).slice(2)}-${(x % 9900) + 100}`;
}

/** Owners of a parcel and their shares (at most 1 in all): the head alone, with a partner, or his heirs. */
function landOwners(rng: Rng, head: Person, family: Person[], partner: () => Person | null): [Person, number][] {
  const r = rng.float();
  if (r < 0.5) return [[head, rng.chance(0.85) ? 1 : rng.pick([0.5, 0.25, 0.75])]];
  if (r < 0.65) {
    const p = partner();
    return p
      ? [
          [head, 0.5],
          [p, 0.5],
        ]
      : [[head, 1]];
  }
  // Inheritance: the widow an eighth, the rest to the children, a son twice a daughter's share.
  const wife = family.find((q) => q.role === 'wife');
  const children = family.filter((q) => q.role === 'child');
  if (!children.length) return [[head, 1]];
  const out: [Person, number][] = [];
  const rest = wife ? 0.875 : 1;
  if (wife) out.push([wife, 0.125]);
  const parts = children.reduce((s, c) => s + (c.gender === 'M' ? 2 : 1), 0);
  for (const c of children) out.push([c, Math.floor(((rest * (c.gender === 'M' ? 2 : 1)) / parts) * 10000) / 10000]);
  return out;
}

function firStatus(rng: Rng, year: number, crime: Crime): string {
  const age = REF_YEAR - year;
  if (age <= 0) return rng.pick(['registered', 'under-investigation', 'under-investigation']);
  if (age <= 1) return rng.pick(['under-investigation', 'challaned', 'challaned', crime.property ? 'untraced' : 'cancelled']);
  return rng.pick(['challaned', 'convicted', 'acquitted', 'acquitted', crime.property ? 'untraced' : 'cancelled', 'convicted']);
}

/** For tests and docs: the districts and their codes. */
export const DISTRICT_CODES: Record<string, string[]> = Object.fromEntries(DISTRICTS.map((d) => [d.name, [...new Set(d.codes)]]));
