/**
 * The person search index (reg_persons): one row per identity record, with
 * the phonetic keys of the name (n:KEY) and father's name (f:KEY) in both
 * scripts, so a Roman or Urdu query finds the person through one GIN index.
 */
import type { IdentityRecord } from '@kotwal/contracts';
import { nameKeys } from './names/index.ts';

export interface PersonIndexRow {
  cnic: string;
  name: string;
  name_urdu: string | null;
  father_name: string;
  father_name_urdu: string | null;
  gender: string;
  birth_year: number | null;
  district: string;
  name_keys: string[];
}

/** Keys of a name written in one or both scripts, with a prefix naming the field. */
export function prefixedKeys(prefix: 'n' | 'f', ...names: (string | null | undefined)[]): string[] {
  const out = new Set<string>();
  for (const n of names) if (n) for (const k of nameKeys(n)) out.add(`${prefix}:${k}`);
  return [...out];
}

export function normalizeDistrict(district: string): string {
  return district.trim().toLowerCase().replace(/\s+/g, ' ');
}

export function personIndexRow(r: IdentityRecord): PersonIndexRow {
  const year = Number(r.dateOfBirth.slice(0, 4));
  return {
    cnic: r.cnic,
    name: r.name,
    name_urdu: r.nameUrdu ?? null,
    father_name: r.fatherName,
    father_name_urdu: r.fatherNameUrdu ?? null,
    gender: r.gender,
    birth_year: Number.isInteger(year) ? year : null,
    district: normalizeDistrict(r.district),
    name_keys: [...prefixedKeys('n', r.name, r.nameUrdu), ...prefixedKeys('f', r.fatherName, r.fatherNameUrdu)],
  };
}
