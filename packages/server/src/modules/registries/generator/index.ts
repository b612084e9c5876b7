/**
 * Deterministic synthetic registry extracts: `generate({ people, seed, outDir })`
 * writes DIR/<registry>.csv (or .jsonl) for every registry, DIR/truth.jsonl
 * (who owns which record), DIR/queries.jsonl (fuzzy name searches with the
 * persons they should find) and DIR/manifest.json.
 *
 * Same seed and people -> byte-identical files. Memory stays constant: the
 * population is produced block by block (population.ts) and each file is
 * written through a buffered, awaited file handle; the only state carried
 * across blocks is the identifier counters and the query sample (at most
 * 1,000 queries and the CNICs they expect).
 */
import { mkdirSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { REGISTRIES, type RegistryName } from '@kotwal/contracts';
import { registryFields } from '../canonical.ts';
import { UNITS } from './name-data.ts';
import { BLOCK, nameKey, Population, REF_DATE, renderUrdu, STREAM, type Person, type PersonName } from './population.ts';
import { hashSeed, Permutation, Rng } from './prng.ts';
import { blockRecords, Counters, type Rec } from './records.ts';

export { MAX_PEOPLE } from './population.ts';
export { DISTRICTS } from './places.ts';
export { UNITS } from './name-data.ts';

/** Bumped whenever the output for a given seed changes. */
export const GENERATOR_VERSION = '1.0.0';

export type GenerateFormat = 'csv' | 'jsonl';

export interface GenerateOptions {
  people: number;
  seed: string | number;
  outDir: string;
  format?: GenerateFormat;
  /** Called every few thousand people and once at the end. */
  onProgress?: (p: { people: number; total: number; elapsedMs: number }) => void;
  /** Overrides the number of queries (default min(1000, max(1, people/10))). */
  queries?: number;
}

export interface GenerateResult {
  people: number;
  seed: string;
  format: GenerateFormat;
  counts: Record<RegistryName, number>;
  truth: number;
  queries: number;
  files: Record<string, number>;
  elapsedMs: number;
}

export interface Query {
  name: string;
  fatherName?: string;
  district?: string;
  kind: 'roman' | 'urdu' | 'abbreviated';
  subject: string;
  expect: string[];
}

// ---- output ---------------------------------------------------------------------------

const CHUNK = 1 << 20;

/**
 * One output file. Lines are encoded (UTF-8) straight into 1 MiB buffers as
 * they are produced; full buffers are written at the end of the block, each
 * write awaited (backpressure), and the buffers reused. Written to
 * NAME.partial and renamed when complete.
 */
class Sink {
  private buf: Buffer = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private full: Buffer[] = [];
  private spare: Buffer[] = [];
  count = 0;

  private constructor(
    private readonly fh: FileHandle,
    readonly tmp: string,
    readonly final: string,
  ) {}

  static async open(dir: string, name: string): Promise<Sink> {
    const final = path.join(dir, name);
    const tmp = `${final}.partial`;
    return new Sink(await open(tmp, 'w'), tmp, final);
  }

  push(line: string): void {
    this.count++;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.pos + line.length * 3 > CHUNK) {
      if (this.pos) this.full.push(this.buf.subarray(0, this.pos));
      this.buf = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK);
      this.pos = 0;
      if (line.length * 3 > CHUNK) {
        this.full.push(Buffer.from(line));
        return;
      }
    }
    this.pos += this.buf.write(line, this.pos);
  }

  async endBlock(force = false): Promise<void> {
    for (const b of this.full) {
      await this.fh.write(b);
      if (b.buffer.byteLength === CHUNK && b.byteOffset === 0) this.spare.push(Buffer.from(b.buffer, 0, CHUNK));
    }
    this.full = [];
    if (force && this.pos) {
      await this.fh.write(this.buf.subarray(0, this.pos));
      this.pos = 0;
    }
  }

  async close(): Promise<void> {
    await this.endBlock(true);
    await this.fh.close();
    await rename(this.tmp, this.final);
  }

  /** Closes and removes the unfinished file. */
  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await unlink(this.tmp).catch(() => undefined);
  }
}

const NEEDS_QUOTES = /[",\r\n]/;
/** A string as JSON: quoted as is when nothing needs escaping (names, places), else JSON.stringify. */
function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92) return JSON.stringify(s);
  }
  return `"${s}"`;
}
function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  else if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string')) s = v.join(';');
  else s = JSON.stringify(v);
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// ---- queries ----------------------------------------------------------------------------

interface PendingQuery extends Query {
  keys: { name: string; father: string | null; district: number | null };
}

/** How an officer types a name: another common spelling, lower case at times, or the abbreviation. */
function typedName(rng: Rng, n: PersonName, kind: Query['kind']): string {
  let s = '';
  let changed = false;
  for (let i = 0; i < n.ids.length; i++) {
    const unit = UNITS[n.ids[i]];
    let form: string;
    if (kind === 'abbreviated' && unit.abbr.length) {
      form = rng.pick(unit.abbr);
      changed = true;
    } else if (unit.forms.length > 1 && rng.chance(0.6)) {
      form = unit.forms[rng.int(unit.forms.length)]!;
      changed ||= form !== unit.forms[n.forms[i]];
    } else form = unit.forms[n.forms[i]]!;
    s += (i ? ' ' : '') + form;
  }
  // A query worth asking differs from NADRA's spelling where the name has another spelling at all.
  if (!changed) {
    const i = n.ids.findIndex((id) => UNITS[id].forms.length > 1);
    if (i >= 0) {
      const unit = UNITS[n.ids[i]];
      const alt = unit.forms.filter((_, k) => k !== n.forms[i]);
      const parts = n.ids.map((id, k) => (k === i ? rng.pick(alt) : UNITS[id].forms[n.forms[k]]));
      s = parts.join(' ');
    }
  }
  return rng.chance(0.2) ? s.toLowerCase() : s;
}

/**
 * The query subjects: up to 16 people from each of a few blocks chosen at
 * random (so the sampler regenerates about count/16 blocks, not count), the
 * blocks and the people in them by keyed permutations.
 */
export function querySubjects(pop: Population, seed: readonly number[], count: number): number[] {
  const blocks = new Permutation(pop.blocks, seed, STREAM.querySample);
  const used = Math.min(pop.blocks, Math.ceil(count / 16));
  const out: number[] = [];
  for (let j = 0; j < used && out.length < count; j++) {
    const b = blocks.at(j);
    const size = Math.min(BLOCK, pop.people - b * BLOCK);
    const take = Math.min(size, Math.ceil((count - out.length) / (used - j)));
    const within = new Permutation(size, seed, STREAM.querySample + 1 + b);
    for (let i = 0; i < take; i++) out.push(b * BLOCK + within.at(i));
  }
  return out;
}

function buildQueries(pop: Population, seed: readonly number[], count: number): PendingQuery[] {
  const subjects = querySubjects(pop, seed, count);
  let cachedBlock = -1;
  let persons: Person[] = [];
  const out: PendingQuery[] = [];
  for (let k = 0; k < subjects.length; k++) {
    const index = subjects[k];
    const b = Math.floor(index / BLOCK);
    if (b !== cachedBlock) {
      persons = pop.block(b);
      cachedBlock = b;
    }
    const p = persons[index - b * BLOCK];
    const rng = Rng.derive(seed, STREAM.queries, k);
    const withFather = rng.chance(0.55);
    const withDistrict = rng.chance(0.4);
    const r = rng.float();
    const hasAbbr = [...p.name.ids, ...(withFather ? p.father.ids : [])].some((id) => UNITS[id].abbr.length > 0);
    const kind: Query['kind'] = r < 0.3 ? 'urdu' : r < 0.5 && hasAbbr ? 'abbreviated' : 'roman';
    const q: PendingQuery = {
      name: kind === 'urdu' ? renderUrdu(p.name.ids) : typedName(rng, p.name, kind),
      kind,
      subject: p.cnic,
      expect: [],
      keys: { name: nameKey(p.name.ids), father: withFather ? nameKey(p.father.ids) : null, district: withDistrict ? p.district.index : null },
    };
    if (withFather) q.fatherName = kind === 'urdu' ? renderUrdu(p.father.ids) : typedName(rng, p.father, kind === 'abbreviated' ? 'abbreviated' : 'roman');
    if (withDistrict) q.district = p.district.name;
    out.push(q);
  }
  return out;
}

const queryKey = (name: string, father: string | null, district: number | null): string => `${name}|${father ?? ''}|${district ?? ''}`;

// ---- generate ------------------------------------------------------------------------------

export function parseSeed(seed: string | number): string {
  return String(seed);
}

export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const format: GenerateFormat = opts.format ?? 'csv';
  if (format !== 'csv' && format !== 'jsonl') throw new Error(`format must be csv or jsonl, not ${String(format)}`);
  const seedText = parseSeed(opts.seed);
  const seed = hashSeed(seedText);
  const pop = new Population(seed, opts.people);
  mkdirSync(opts.outDir, { recursive: true });

  const sinks = new Map<string, Sink>();
  const openSink = async (name: string): Promise<Sink> => {
    const s = await Sink.open(opts.outDir, name);
    sinks.set(name, s);
    return s;
  };
  try {
    const regSinks = {} as Record<RegistryName, Sink>;
    const fields = {} as Record<RegistryName, string[]>;
    for (const r of REGISTRIES) {
      regSinks[r] = await openSink(`${r}.${format}`);
      fields[r] = registryFields(r);
      if (format === 'csv') {
        regSinks[r].push(`${fields[r].join(',')}\n`);
        regSinks[r].count--; // the header is not a record
      }
    }
    const truth = await openSink('truth.jsonl');
    const queriesSink = await openSink('queries.jsonl');

    const queryCount = Math.max(0, Math.min(opts.queries ?? Math.min(1000, Math.max(1, Math.floor(opts.people / 10))), opts.people));
    const queries = buildQueries(pop, seed, queryCount);
    const byKey = new Map<string, PendingQuery[]>();
    const names = new Set<string>();
    for (const q of queries) {
      const k = queryKey(q.keys.name, q.keys.father, q.keys.district);
      const list = byKey.get(k);
      if (list) list.push(q);
      else byKey.set(k, [q]);
      names.add(q.keys.name);
    }

    const counters = new Counters(seed);
    const serialize =
      format === 'csv'
        ? (r: RegistryName, rec: Rec): string => {
            const f = fields[r];
            // One join: a flat string (a chain of += leaves a rope to flatten later).
            const cells = new Array<string>(f.length);
            for (let i = 0; i < f.length; i++) cells[i] = csvCell(rec[f[i]]);
            return `${cells.join(',')}\n`;
          }
        : (r: RegistryName, rec: Rec): string => {
            // Schema order, absent optionals left out.
            const o: Rec = {};
            for (const k of fields[r]) if (rec[k] !== undefined && rec[k] !== null) o[k] = rec[k];
            return `${JSON.stringify(o)}\n`;
          };

    let lastProgress = started;
    for (let b = 0; b < pop.blocks; b++) {
      const persons = pop.block(b);
      const { records, links } = blockRecords(seed, b, persons, counters);
      for (const r of REGISTRIES) for (const rec of records[r]) regSinks[r].push(serialize(r, rec));
      for (const p of persons) {
        const nk = nameKey(p.name.ids);
        const fk = nameKey(p.father.ids);
        // The identity record just made holds NADRA's spellings; reuse them rather than render again.
        const id = records.identity[p.local];
        const name = id['name'] as string;
        const urdu = (id['nameUrdu'] as string | undefined) ?? renderUrdu(p.name.ids);
        truth.push(
          `{"cnic":"${p.cnic}","name":${jsonString(name)},"fatherName":${jsonString(id['fatherName'] as string)},"nameUrdu":${jsonString(urdu)},` +
            `"district":${jsonString(p.district.name)},"birthYear":${p.birthYear},"gender":"${p.gender}","nameKey":"${nk}","fatherNameKey":"${fk}",` +
            `"records":${JSON.stringify(links[p.local])}}\n`,
        );
        if (names.has(nk)) {
          for (const k of [queryKey(nk, null, null), queryKey(nk, fk, null), queryKey(nk, null, p.district.index), queryKey(nk, fk, p.district.index)]) {
            const hit = byKey.get(k);
            if (hit) for (const q of hit) q.expect.push(p.cnic);
          }
        }
      }
      for (const s of sinks.values()) await s.endBlock();
      const now = performance.now();
      if (opts.onProgress && now - lastProgress > 1000) {
        lastProgress = now;
        opts.onProgress({ people: Math.min(opts.people, (b + 1) * BLOCK), total: opts.people, elapsedMs: now - started });
      }
    }
    for (const q of queries) {
      const { keys: _keys, ...out } = q;
      const line: Query = {
        name: out.name,
        ...(out.fatherName ? { fatherName: out.fatherName } : {}),
        ...(out.district ? { district: out.district } : {}),
        kind: out.kind,
        subject: out.subject,
        expect: out.expect,
      };
      queriesSink.push(`${JSON.stringify(line)}\n`);
    }

    const counts = Object.fromEntries(REGISTRIES.map((r) => [r, regSinks[r].count])) as Record<RegistryName, number>;
    const files: Record<string, number> = {};
    for (const [name, s] of sinks) files[name] = s.count;
    for (const s of sinks.values()) await s.close();
    sinks.clear();
    const manifest = {
      generator: 'kotwal registries generate',
      version: GENERATOR_VERSION,
      seed: seedText,
      people: opts.people,
      format,
      referenceDate: REF_DATE,
      counts,
      files,
      truth: files['truth.jsonl'],
      queries: files['queries.jsonl'],
    };
    const mf = await open(path.join(opts.outDir, 'manifest.json'), 'w');
    try {
      await mf.write(`${JSON.stringify(manifest, null, 2)}\n`);
    } finally {
      await mf.close();
    }
    const elapsedMs = performance.now() - started;
    opts.onProgress?.({ people: opts.people, total: opts.people, elapsedMs });
    return { people: opts.people, seed: seedText, format, counts, truth: files['truth.jsonl'], queries: files['queries.jsonl'], files, elapsedMs };
  } finally {
    for (const s of sinks.values()) await s.abort();
  }
}
