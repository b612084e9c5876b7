/**
 * The synthetic population, generated in blocks of BLOCK people so that any
 * block can be regenerated on its own from (seed, block): the main pass
 * streams block after block, the query sampler regenerates only the blocks
 * of the people it samples. A block is split into households (a father, his
 * wife, their children; or one person alone): children carry their father's
 * name as NADRA spelled it, share his address and clan, and never share a
 * sibling's name, so name + father's name tells people apart.
 *
 * A name is a list of unit ids (name-data.ts) plus, per unit, the spelling
 * NADRA printed for this person (mostly the common one, sometimes another).
 */
import { CLAN_UNITS, FEMALE_SECOND_UNITS, FEMALE_UNITS, MALE_COMPOSITE_UNITS, MALE_GIVEN, MUHAMMAD, UNITS, type NameUnit } from './name-data.ts';
import { DISTRICTS, type District } from './places.ts';
import { Permutation, Rng, Weighted } from './prng.ts';

/** People per block (households never cross a block; cross-references stay inside one). */
export const BLOCK = 256;
/** The extraction date every extract is "as of" (never the clock: output is deterministic). */
export const REF_YEAR = 2025;
export const REF_MONTH = 6;
export const REF_DAY = 30;
export const REF_DATE = '2025-06-30';
/** CNIC serials are a permutation of the person index over 7 digits. */
export const MAX_PEOPLE = 10_000_000;

export const STREAM = { core: 1, records: 2, queries: 3, cnic: 4, querySample: 5 } as const;

export interface PersonName {
  ids: number[];
  /** Index into UNITS[id].forms of the spelling NADRA printed. */
  forms: number[];
}

export interface Person {
  index: number;
  local: number;
  cnic: string;
  gender: 'M' | 'F';
  district: District;
  code: string;
  name: PersonName;
  father: PersonName;
  birthYear: number;
  dob: string;
  /** Local index of the household head (the person himself when alone). */
  household: number;
  role: 'head' | 'wife' | 'child' | 'single';
  clan: NameUnit | null;
  hasUrdu: boolean;
  permanentAddress: string;
  presentAddress: string;
  locality: [string, string];
  placeOfBirth: string;
  issuedOn: string | null;
  expiresOn: string | null;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export function daysIn(y: number, m: number): number {
  return m === 2 && ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0) ? 29 : DAYS[m - 1];
}

// Every date from 1900 to 2045 as a YYYY-MM-DD string, made once: records share these strings
// (no allocation per date), and date arithmetic is index arithmetic.
const FIRST_YEAR = 1900;
const LAST_YEAR = 2045;
const DATE_STR: string[] = [];
const DAY_OF = new Map<string, number>();
const MONTH_START: number[] = [];
for (let y = FIRST_YEAR; y <= LAST_YEAR; y++)
  for (let m = 1; m <= 12; m++) {
    MONTH_START.push(DATE_STR.length);
    for (let d = 1; d <= daysIn(y, m); d++) {
      const str = `${y}-${pad(m, 2)}-${pad(d, 2)}`;
      DAY_OF.set(str, DATE_STR.length);
      DATE_STR.push(str);
    }
  }
const monthStart = (y: number, m: number): number => MONTH_START[(y - FIRST_YEAR) * 12 + m - 1];
const REF_DAY_INDEX = monthStart(2025, 6) + 29;

export function ymd(y: number, m: number, d: number): string {
  return DATE_STR[monthStart(y, m) + d - 1];
}
/** A random real date in the year (up to the reference date in the reference year). */
export function dateIn(rng: Rng, y: number): string {
  const yy = Math.min(y, REF_YEAR);
  const first = monthStart(yy, 1);
  const last = yy === REF_YEAR ? REF_DAY_INDEX : monthStart(yy + 1, 1) - 1;
  return DATE_STR[first + rng.int(last - first + 1)];
}
/** Adds whole years to a YYYY-MM-DD date (29 February becomes 28 February). */
export function addYears(date: string, years: number): string {
  const y = Number(date.slice(0, 4)) + years;
  const m = Number(date.slice(5, 7));
  const d = Math.min(Number(date.slice(8, 10)), daysIn(y, m));
  return ymd(y, m, d);
}
/** Adds days. */
export function addDays(date: string, days: number): string {
  const i = DAY_OF.get(date);
  if (i === undefined || i + days < 0 || i + days >= DATE_STR.length) throw new Error(`date ${date} + ${days} days is outside the generator's calendar`);
  return DATE_STR[i + days];
}

const weighted = <T extends { weight: number }>(items: T[]): Weighted<T> =>
  new Weighted(
    items,
    items.map((i) => i.weight),
  );

export const PICK = {
  district: weighted(DISTRICTS),
  male: weighted(MALE_GIVEN),
  composite: weighted(MALE_COMPOSITE_UNITS),
  female: weighted(FEMALE_UNITS),
  femaleSecond: weighted(FEMALE_SECOND_UNITS),
  clan: weighted(CLAN_UNITS),
  householdSize: new Weighted([1, 2, 3, 4, 5, 6, 7], [14, 12, 14, 18, 18, 14, 10]),
};

/** The name as written: each unit in the given spelling. */
export function renderName(n: PersonName): string {
  const parts = new Array<string>(n.ids.length);
  for (let i = 0; i < n.ids.length; i++) parts[i] = UNITS[n.ids[i]].forms[n.forms[i]];
  return parts.join(' ');
}
export function renderUrdu(ids: readonly number[]): string {
  const parts = new Array<string>(ids.length);
  for (let i = 0; i < ids.length; i++) parts[i] = UNITS[ids[i]].urdu;
  return parts.join(' ');
}
export const nameKey = (ids: readonly number[]): string => ids.join('.');

export class Population {
  readonly cnicSerial: Permutation;

  constructor(
    readonly seed: readonly number[],
    readonly people: number,
  ) {
    if (!Number.isInteger(people) || people < 1 || people > MAX_PEOPLE) throw new Error(`people must be a whole number from 1 to ${MAX_PEOPLE}`);
    this.cnicSerial = new Permutation(10_000_000, seed, STREAM.cnic);
  }

  get blocks(): number {
    return Math.ceil(this.people / BLOCK);
  }

  /** Every person of a block, from (seed, block) alone. */
  block(b: number): Person[] {
    const rng = Rng.derive(this.seed, STREAM.core, b);
    const start = b * BLOCK;
    const end = Math.min(this.people, start + BLOCK);
    const out: Person[] = [];
    while (start + out.length < end) {
      const size = Math.min(PICK.householdSize.pick(rng), end - start - out.length);
      this.household(rng, size, start, out);
    }
    return out;
  }

  private spelling(rng: Rng, ids: number[]): PersonName {
    const forms = ids.map((id) => {
      const n = UNITS[id].forms.length;
      return n > 1 && rng.chance(0.15) ? 1 + rng.int(n - 1) : 0;
    });
    return { ids, forms };
  }

  /** A man's name: [clan before] [Muhammad] given [given] [clan after]. */
  maleName(rng: Rng, clan: NameUnit | null): number[] {
    const ids: number[] = [];
    const place = clan ? (clan.prefix && rng.chance(0.45) ? 'before' : rng.chance(0.8) ? 'after' : 'none') : 'none';
    if (place === 'before') ids.push(clan!.id);
    const r = rng.float();
    if (r < 0.12) ids.push(PICK.composite.pick(rng).id);
    else if (r < 0.52) ids.push(MUHAMMAD.id, PICK.male.pick(rng).id);
    else if (r < 0.66) {
      const a = PICK.male.pick(rng).id;
      let b = PICK.male.pick(rng).id;
      while (b === a) b = PICK.male.pick(rng).id;
      ids.push(a, b);
    } else ids.push(PICK.male.pick(rng).id);
    if (place === 'after') ids.push(clan!.id);
    return ids;
  }

  /** A woman's name: given, then Bibi/Begum/..., her father's or husband's name, the clan, or nothing. */
  femaleName(rng: Rng, clan: NameUnit | null, relative: number[] | null): number[] {
    const first = PICK.female.pick(rng).id;
    const r = rng.float();
    if (r < 0.38) return [first, PICK.femaleSecond.pick(rng).id];
    if (r < 0.62 && relative) {
      // The last given name of the father or husband (Sana Aslam, Ayesha Imran), never a clan or Muhammad.
      const given = relative.filter((id) => UNITS[id].kind === 'male' || UNITS[id].kind === 'maleComposite').filter((id) => id !== MUHAMMAD.id);
      if (given.length) return [first, given[given.length - 1]];
    }
    if (r < 0.8 && clan) return [first, clan.id];
    return [first];
  }

  private cnic(index: number, code: string, gender: 'M' | 'F', rng: Rng): string {
    const last = gender === 'M' ? 1 + 2 * rng.int(5) : 2 + 2 * rng.int(4);
    return `${code}-${pad(this.cnicSerial.at(index), 7)}-${last}`;
  }

  private household(rng: Rng, size: number, start: number, out: Person[]): void {
    const district = PICK.district.pick(rng);
    const code = rng.pick(district.codes);
    const clan = rng.chance(0.9) ? PICK.clan.pick(rng) : null;
    const locality = rng.pick(district.localities);
    let roman: string;
    let urdu: string | null;
    if (rng.chance(0.22)) {
      roman = `Mauza ${rng.pick(district.mauzas)}, Tehsil ${rng.pick(district.tehsils)}, District ${district.name}`;
      urdu = null;
    } else {
      const house = rng.range(1, 999);
      const street = rng.range(1, 40);
      roman = `House No. ${house}, Street No. ${street}, ${locality[0]}, ${district.name}`;
      urdu = `مکان نمبر ${house}، گلی نمبر ${street}، ${locality[1]}، ${district.urdu}`;
    }
    const permanent = urdu && rng.chance(0.55) ? urdu : roman;
    const hasUrdu = rng.chance(0.92);
    const headLocal = out.length;

    const make = (role: Person['role'], gender: 'M' | 'F', name: PersonName, father: PersonName, birthYear: number): Person => {
      const local = out.length;
      const index = start + local;
      let dob: string;
      if (birthYear < 1965 && rng.chance(0.15)) dob = ymd(birthYear, 1, 1);
      else {
        const m = rng.range(1, 12);
        dob = ymd(birthYear, m, rng.range(1, daysIn(birthYear, m)));
      }
      const adultAt = birthYear + 18;
      const issuedYear = rng.range(Math.max(adultAt, 2012), REF_YEAR);
      const issuedOn = issuedYear > REF_YEAR ? null : dateIn(rng, issuedYear);
      const expiresOn = issuedOn && rng.chance(0.95) ? addYears(issuedOn, 10) : null;
      // Grown children sometimes live elsewhere (a job in Lahore, Rawalpindi ...).
      let present = roman;
      if (role === 'child' && birthYear < 2000 && rng.chance(0.2)) {
        const d2 = PICK.district.pick(rng);
        present = `House No. ${rng.range(1, 999)}, Street No. ${rng.range(1, 40)}, ${rng.pick(d2.localities)[0]}, ${d2.name}`;
      }
      const p: Person = {
        index,
        local,
        cnic: this.cnic(index, code, gender, rng),
        gender,
        district,
        code,
        name,
        father,
        birthYear,
        dob,
        household: headLocal,
        role,
        clan,
        hasUrdu: hasUrdu && rng.chance(0.97),
        permanentAddress: permanent,
        presentAddress: present,
        locality,
        placeOfBirth: rng.chance(0.85) ? district.name : PICK.district.pick(rng).name,
        issuedOn,
        expiresOn,
      };
      out.push(p);
      return p;
    };

    if (size === 1) {
      const gender = rng.chance(0.58) ? 'M' : 'F';
      const father = this.spelling(rng, this.maleName(rng, clan));
      const name = gender === 'M' ? this.maleName(rng, clan) : this.femaleName(rng, clan, father.ids);
      make('single', gender, this.spelling(rng, name), father, rng.range(1940, 2007));
      return;
    }
    const children = size - 1 - (rng.chance(0.88) ? 1 : 0);
    const headYear = children > 0 ? rng.range(1940, 1975) : rng.range(1945, 1990);
    const grandfather = this.spelling(rng, this.maleName(rng, clan));
    const head = make('head', 'M', this.spelling(rng, this.maleName(rng, clan)), grandfather, headYear);
    if (size - 1 > children) {
      const herClan = rng.chance(0.5) ? clan : PICK.clan.pick(rng);
      const herFather = this.spelling(rng, this.maleName(rng, herClan));
      // NADRA prints "husband's name" for many married women.
      const byHusband = rng.chance(0.4);
      const name = this.femaleName(rng, rng.chance(0.5) ? clan : herClan, byHusband ? head.name.ids : herFather.ids);
      make('wife', 'F', this.spelling(rng, name), byHusband ? head.name : herFather, Math.min(2007, headYear + rng.range(0, 9)));
    }
    const taken = new Set<string>();
    for (let c = 0; c < children; c++) {
      const gender = rng.chance(0.52) ? 'M' : 'F';
      let ids: number[] = [];
      for (let attempt = 0; attempt < 8; attempt++) {
        ids = gender === 'M' ? this.maleName(rng, clan) : this.femaleName(rng, clan, head.name.ids);
        if (!taken.has(nameKey(ids))) break;
      }
      taken.add(nameKey(ids));
      const year = Math.min(2007, headYear + rng.range(22, 45));
      make('child', gender, this.spelling(rng, ids), head.name, year);
    }
  }
}
