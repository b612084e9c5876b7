/**
 * Mapping files: how a department's extract names its columns, in terms of
 * a registry's canonical fields. Checked in full before a byte of the
 * extract is read, so a typo is a clear error, not a million rejects.
 *
 * ```json
 * {
 *   "columns": { "CNIC_NO": "cnic", "NAME_ENG": "name", "NAME_URDU": "nameUrdu", "REMARKS": null },
 *   "constants": { "district": "Lahore" },
 *   "dateOrder": "DMY",
 *   "delimiter": ",",
 *   "ignoreUnmapped": false
 * }
 * ```
 *
 * - `columns`: source column (CSV header cell, or top-level JSON Lines key,
 *   matched exactly after trimming) -> canonical field (camelCase), or null
 *   to leave that column out on purpose.
 * - Columns the mapping does not name are still accepted when they are a
 *   canonical field name (camelCase, snake_case or any case/spacing of it:
 *   `father_name`, `Father Name`); any other column refuses the file unless
 *   `ignoreUnmapped` is true.
 * - `constants`: a value for a field every row shares (e.g. the district of a
 *   district-level extract). A field is either a column or a constant.
 * - `dateOrder`: how to read dates written NN-NN-YYYY: DMY (default, as
 *   Pakistani departments write them), MDY, or YMD (only YYYY-MM-DD).
 * - `delimiter`: CSV cell separator: "," (default), ";", "|" or "\t".
 */
import { REGISTRY_SCHEMAS, type RegistryName } from '@kotwal/contracts';
import { registryFields, type DateOrder } from '../canonical.ts';

export interface Mapping {
  columns: Record<string, string | null>;
  constants: Record<string, string>;
  dateOrder: DateOrder | null;
  delimiter: string;
  ignoreUnmapped: boolean;
}

export const EMPTY_MAPPING: Mapping = { columns: {}, constants: {}, dateOrder: null, delimiter: ',', ignoreUnmapped: false };

/** A refusal of the input before the extract is read: names the field (mapping/columns/X, registry, file...). */
export class ImportInputError extends Error {
  override name = 'ImportInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const MAPPING_KEYS = new Set(['columns', 'constants', 'dateOrder', 'delimiter', 'ignoreUnmapped', 'description']);
const DATE_ORDERS: readonly DateOrder[] = ['DMY', 'MDY', 'YMD'];
const DELIMITERS = new Set([',', ';', '|', '\t']);

export function isDateOrder(v: string): v is DateOrder {
  return (DATE_ORDERS as readonly string[]).includes(v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Squashes case, `_`, `-` and spaces: `father_name`, `Father Name`, `FATHERNAME` all meet `fatherName`. */
export function looseName(s: string): string {
  return s.toLowerCase().replace(/[\s_-]+/g, '');
}

/** The canonical field a column names by itself (camelCase, snake_case, any case), or null. */
export function canonicalFieldNamed(registry: RegistryName, column: string): string | null {
  const wanted = looseName(column.trim());
  return registryFields(registry).find((f) => looseName(f) === wanted) ?? null;
}

/** Top-level fields a record of the registry must have. */
export function requiredFields(registry: RegistryName): string[] {
  return [...((REGISTRY_SCHEMAS[registry] as unknown as { required?: string[] }).required ?? [])];
}

/**
 * Parses and checks a mapping (JSON text or an already parsed value) against
 * the registry: unknown keys, unknown canonical fields, two columns mapped to
 * one field, a field both mapped and constant. Throws ImportInputError naming
 * the offending part (`mapping/columns/NAME_ENG`).
 */
export function parseMapping(registry: RegistryName, input: string | unknown): Mapping {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input) as unknown;
    } catch (err) {
      throw new ImportInputError('mapping', `the mapping is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (!isPlainObject(raw)) throw new ImportInputError('mapping', 'the mapping must be a JSON object with "columns"');
  for (const k of Object.keys(raw))
    if (!MAPPING_KEYS.has(k))
      throw new ImportInputError(`mapping/${k}`, `unknown mapping key "${k}" (expected: columns, constants, dateOrder, delimiter, ignoreUnmapped)`);
  const fields = new Set(registryFields(registry));
  const fieldList = [...fields].join(', ');

  const columns: Record<string, string | null> = {};
  const columnsRaw = raw['columns'] ?? {};
  if (!isPlainObject(columnsRaw)) throw new ImportInputError('mapping/columns', '"columns" must be an object of source column -> canonical field');
  const targetOf = new Map<string, string>();
  for (const [source, target] of Object.entries(columnsRaw)) {
    const col = source.trim();
    if (!col) throw new ImportInputError('mapping/columns', 'a source column name is empty');
    if (target === null) {
      columns[col] = null;
      continue;
    }
    if (typeof target !== 'string')
      throw new ImportInputError(`mapping/columns/${col}`, `must be a canonical field name (a string) or null to leave the column out`);
    if (!fields.has(target))
      throw new ImportInputError(`mapping/columns/${col}`, `"${target}" is not a field of the ${registry} registry (fields: ${fieldList})`);
    const other = targetOf.get(target);
    if (other !== undefined) throw new ImportInputError(`mapping/columns/${col}`, `columns "${other}" and "${col}" are both mapped to ${target}`);
    targetOf.set(target, col);
    columns[col] = target;
  }

  const constants: Record<string, string> = {};
  const constantsRaw = raw['constants'] ?? {};
  if (!isPlainObject(constantsRaw)) throw new ImportInputError('mapping/constants', '"constants" must be an object of canonical field -> value');
  for (const [field, value] of Object.entries(constantsRaw)) {
    if (!fields.has(field))
      throw new ImportInputError(`mapping/constants/${field}`, `"${field}" is not a field of the ${registry} registry (fields: ${fieldList})`);
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new ImportInputError(`mapping/constants/${field}`, 'a constant must be a string or a number');
    const col = targetOf.get(field);
    if (col !== undefined) throw new ImportInputError(`mapping/constants/${field}`, `${field} is both mapped from column "${col}" and given as a constant`);
    constants[field] = String(value);
  }

  let dateOrder: DateOrder | null = null;
  if (raw['dateOrder'] !== undefined) {
    const d = raw['dateOrder'];
    if (typeof d !== 'string' || !isDateOrder(d)) throw new ImportInputError('mapping/dateOrder', 'must be DMY, MDY or YMD');
    dateOrder = d;
  }
  let delimiter = ',';
  if (raw['delimiter'] !== undefined) {
    const d = raw['delimiter'];
    if (typeof d !== 'string' || !DELIMITERS.has(d)) throw new ImportInputError('mapping/delimiter', 'must be one of "," ";" "|" "\\t"');
    delimiter = d;
  }
  const ig = raw['ignoreUnmapped'] ?? false;
  if (typeof ig !== 'boolean') throw new ImportInputError('mapping/ignoreUnmapped', 'must be true or false');
  return { columns, constants, dateOrder, delimiter, ignoreUnmapped: ig };
}

/** What to do with each source column: the canonical field it fills, or null (left out). */
export interface ColumnPlan {
  /** By position in the header. */
  targets: (string | null)[];
  header: string[];
}

/**
 * Resolves a CSV header against the registry and mapping. Refuses (throws
 * ImportInputError with field `file`) a header with a column it cannot
 * place, a column twice, two columns for one field, or no column (nor
 * constant) for a required field.
 */
export function planColumns(registry: RegistryName, mapping: Mapping, header: readonly string[]): ColumnPlan {
  const cells = header.map((h) => h.trim());
  const targets: (string | null)[] = [];
  const seenCol = new Set<string>();
  const sourceOf = new Map<string, string>();
  const unknown: string[] = [];
  for (const col of cells) {
    if (seenCol.has(col)) throw new ImportInputError('file', `the header names column "${col}" twice`);
    seenCol.add(col);
    let target: string | null;
    if (Object.hasOwn(mapping.columns, col)) target = mapping.columns[col] ?? null;
    else {
      target = canonicalFieldNamed(registry, col);
      if (target === null && !mapping.ignoreUnmapped) unknown.push(col || '(empty)');
    }
    if (target !== null) {
      const prev = sourceOf.get(target);
      if (prev !== undefined) throw new ImportInputError('file', `columns "${prev}" and "${col}" both fill ${target}`);
      if (Object.hasOwn(mapping.constants, target))
        throw new ImportInputError('file', `column "${col}" fills ${target}, which the mapping gives as a constant`);
      sourceOf.set(target, col);
    }
    targets.push(target);
  }
  if (unknown.length)
    throw new ImportInputError(
      'file',
      `column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a field of the ${registry} registry: map ${unknown.length > 1 ? 'them' : 'it'} in a mapping file (or to null to leave ${unknown.length > 1 ? 'them' : 'it'} out); fields: ${registryFields(registry).join(', ')}`,
    );
  const missing = requiredFields(registry).filter((f) => !sourceOf.has(f) && !Object.hasOwn(mapping.constants, f));
  if (missing.length)
    throw new ImportInputError(
      'file',
      `the header has no column for the required field${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (columns: ${cells.join(', ')})`,
    );
  return { targets, header: cells };
}

/** JSON Lines: the canonical field a top-level key fills (mapping first, then the key's own name), undefined to keep it as is, null to leave it out. */
export function jsonKeyTarget(registry: RegistryName, mapping: Mapping, key: string): string | null | undefined {
  if (Object.hasOwn(mapping.columns, key)) return mapping.columns[key] ?? null;
  const named = canonicalFieldNamed(registry, key);
  if (named) return named;
  return mapping.ignoreUnmapped ? null : undefined;
}
