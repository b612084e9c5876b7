import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { REGISTRIES, type RegistryName } from '@kotwal/contracts';
import { fromFlat, validateRecord } from '../canonical.ts';
import { generate, type GenerateResult, type Query } from './index.ts';
import { UNITS } from './name-data.ts';
import { DISTRICTS } from './places.ts';
import { Permutation, hashSeed } from './prng.ts';

interface Truth {
  cnic: string;
  name: string;
  fatherName: string;
  nameUrdu: string;
  district: string;
  birthYear: number;
  gender: 'M' | 'F';
  nameKey: string;
  fatherNameKey: string;
  records: Partial<Record<RegistryName, string[]>>;
}

const N = 1500;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kotwal-generator-'));
const dirA = path.join(tmp, 'a');
const dirB = path.join(tmp, 'b');
const dirOther = path.join(tmp, 'other');
const dirJsonl = path.join(tmp, 'jsonl');

const readLines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);

/** Every record of a CSV extract, through the canonical reader (fromFlat + validateRecord). */
function readCsv(dir: string, registry: RegistryName): { flat: Record<string, string>[]; validated: ReturnType<typeof validateRecord>[] } {
  const flat = parse<Record<string, string>>(readFileSync(path.join(dir, `${registry}.csv`), 'utf8'), { columns: true, skip_empty_lines: true });
  const validated = flat.map((row) => {
    const { value, errors } = fromFlat(registry, row);
    assert.deepEqual(errors, [], `${registry}: ${JSON.stringify(row)}`);
    return validateRecord(registry, value);
  });
  return { flat, validated };
}

describe('registries generator', () => {
  let result: GenerateResult;
  const progress: number[] = [];
  let truth: Truth[];
  let queries: Query[];
  const validated = {} as Record<RegistryName, ReturnType<typeof validateRecord>[]>;

  before(async () => {
    result = await generate({ people: N, seed: 'test-seed', outDir: dirA, onProgress: (p) => progress.push(p.people) });
    await generate({ people: N, seed: 'test-seed', outDir: dirB });
    truth = readLines(path.join(dirA, 'truth.jsonl')).map((l) => JSON.parse(l) as Truth);
    queries = readLines(path.join(dirA, 'queries.jsonl')).map((l) => JSON.parse(l) as Query);
    for (const r of REGISTRIES) validated[r] = readCsv(dirA, r).validated;
  });

  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('writes every registry, truth, queries and a manifest with the counts', () => {
    const files = readdirSync(dirA).sort();
    assert.deepEqual(files, [...REGISTRIES.map((r) => `${r}.csv`), 'manifest.json', 'queries.jsonl', 'truth.jsonl'].sort());
    const manifest = JSON.parse(readFileSync(path.join(dirA, 'manifest.json'), 'utf8')) as {
      seed: string;
      people: number;
      version: string;
      counts: Record<string, number>;
      files: Record<string, number>;
    };
    assert.equal(manifest.seed, 'test-seed');
    assert.equal(manifest.people, N);
    assert.match(manifest.version, /^[0-9]+\.[0-9]+\.[0-9]+$/);
    for (const r of REGISTRIES) {
      assert.ok(validated[r].length > 0, `${r} has records`);
      assert.equal(manifest.counts[r], validated[r].length, `${r} count`);
      assert.equal(manifest.files[`${r}.csv`], validated[r].length);
    }
    assert.equal(manifest.counts['identity'], N);
    assert.equal(truth.length, N);
    assert.equal(queries.length, N / 10);
    assert.equal(manifest.files['queries.jsonl'], N / 10);
    assert.deepEqual(result.counts, manifest.counts);
    assert.equal(progress.at(-1), N, 'the last progress report is the whole population');
  });

  it('is deterministic: same seed and people give byte-identical files; another seed does not', async () => {
    for (const f of readdirSync(dirA)) assert.ok(readFileSync(path.join(dirA, f)).equals(readFileSync(path.join(dirB, f))), `${f} differs between runs`);
    await generate({ people: N, seed: 'another-seed', outDir: dirOther });
    assert.notEqual(readFileSync(path.join(dirOther, 'identity.csv'), 'utf8'), readFileSync(path.join(dirA, 'identity.csv'), 'utf8'));
  });

  it('every record of every registry passes the canonical validation, and keys are unique', () => {
    for (const r of REGISTRIES) {
      const keys = new Set<string>();
      for (const v of validated[r]) {
        assert.ok(v.ok, `${r}: ${JSON.stringify(v.ok ? null : v.errors)}`);
        assert.ok(!keys.has(v.key), `${r}: duplicate key ${v.key}`);
        keys.add(v.key);
      }
    }
  });

  it('jsonl extracts hold the same kind of canonical records and validate', async () => {
    await generate({ people: 600, seed: 'jsonl', outDir: dirJsonl, format: 'jsonl' });
    for (const r of REGISTRIES) {
      const lines = readLines(path.join(dirJsonl, `${r}.jsonl`));
      if (r !== 'foreigners' && r !== 'customs') assert.ok(lines.length > 0, `${r} has records`);
      for (const line of lines) {
        const obj = JSON.parse(line) as Record<string, unknown>;
        const v = validateRecord(r, obj);
        assert.ok(v.ok, `${r}: ${line} ${JSON.stringify(v.ok ? null : v.errors)}`);
        // Canonical already: validation changes nothing.
        assert.deepEqual(v.record, obj);
      }
    }
  });

  it('ground truth: each person lists exactly the records that name them, and every linked CNIC is a person', () => {
    const people = new Map(truth.map((t) => [t.cnic, t]));
    const fromFiles = new Map<string, Map<RegistryName, Set<string>>>();
    for (const r of REGISTRIES)
      for (const v of validated[r]) {
        assert.ok(v.ok);
        for (const l of v.links) {
          assert.ok(people.has(l.cnic), `${r} ${v.key} links ${l.cnic}, who is not in identity`);
          let byReg = fromFiles.get(l.cnic);
          if (!byReg) fromFiles.set(l.cnic, (byReg = new Map()));
          let keys = byReg.get(r);
          if (!keys) byReg.set(r, (keys = new Set()));
          keys.add(v.key);
        }
      }
    for (const t of truth) {
      const files = fromFiles.get(t.cnic);
      for (const r of REGISTRIES) {
        const expected = [...(files?.get(r) ?? [])].sort();
        assert.deepEqual([...(t.records[r] ?? [])].sort(), expected, `${t.cnic} ${r}`);
      }
    }
    const identity = new Map(validated.identity.map((v) => (v.ok ? [v.key, v.record as Record<string, unknown>] : ['', {}])));
    for (const t of truth) {
      const rec = identity.get(t.cnic)!;
      assert.equal(rec['name'], t.name);
      assert.equal(rec['fatherName'], t.fatherName);
      assert.equal(rec['district'], t.district);
      assert.equal(Number(String(rec['dateOfBirth']).slice(0, 4)), t.birthYear);
    }
    // A realistic spread: some people hold several registries' records, some only a card.
    const withSims = truth.filter((t) => t.records.sims?.length).length;
    assert.ok(withSims > N * 0.5 && withSims < N, `people with SIMs: ${withSims}`);
    const accusedShare = validated.criminal.length / N;
    assert.ok(accusedShare > 0.002 && accusedShare < 0.03, `FIRs per person ${accusedShare}`);
  });

  it('CNICs: district code of registration, gender digit, plausible dates of birth', () => {
    const codes = new Map(DISTRICTS.map((d) => [d.name, new Set(d.codes)]));
    for (const v of validated.identity) {
      assert.ok(v.ok);
      const r = v.record as { cnic: string; gender: string; district: string; dateOfBirth: string };
      assert.ok(codes.get(r.district)?.has(r.cnic.slice(0, 5)), `${r.cnic} for ${r.district}`);
      assert.equal(r.cnic[0], '3', 'Punjab');
      assert.equal(Number(r.cnic.slice(-1)) % 2 === 1 ? 'M' : 'F', r.gender);
      const y = Number(r.dateOfBirth.slice(0, 4));
      assert.ok(y >= 1940 && y <= 2008, r.dateOfBirth);
    }
    assert.ok(codes.get('Lahore')!.has('35202') && codes.get('Gujranwala')!.has('34101') && codes.get('Faisalabad')!.has('33100'));
    const men = validated.identity.filter((v) => v.ok && (v.record as { gender: string }).gender === 'M').length;
    assert.ok(men > N * 0.4 && men < N * 0.65, `men: ${men}`);
  });

  it('families: siblings share the father\u2019s name and address and never a name', () => {
    const families = new Map<string, string[]>();
    for (const v of validated.identity) {
      if (!v.ok) continue;
      const r = v.record as { name: string; fatherName: string; permanentAddress?: string };
      const k = `${r.fatherName}|${r.permanentAddress ?? ''}`;
      families.set(k, [...(families.get(k) ?? []), r.name]);
    }
    const withSiblings = [...families.values()].filter((names) => names.length >= 2);
    assert.ok(withSiblings.length > N * 0.1, `families with siblings: ${withSiblings.length}`);
    // Same names among siblings are rare (re-drawn up to 8 times).
    const clashes = withSiblings.filter((names) => new Set(names).size < names.length).length;
    assert.ok(clashes <= withSiblings.length * 0.02, `sibling name clashes: ${clashes}`);
    const noUrdu = validated.identity.filter((v) => v.ok && !(v.record as { nameUrdu?: string }).nameUrdu).length;
    assert.ok(noUrdu > 0 && noUrdu < N * 0.25, `people without an Urdu name: ${noUrdu}`);
  });

  it('other departments spell names differently from NADRA', () => {
    const byCnic = new Map(truth.map((t) => [t.cnic, t]));
    const differ = (reg: 'tax' | 'travel', field: 'cnic') => {
      let n = 0;
      let changed = 0;
      for (const v of validated[reg]) {
        if (!v.ok) continue;
        const r = v.record as Record<string, string>;
        const t = byCnic.get(r[field])!;
        n++;
        if (r['name'].toLowerCase() !== t.name.toLowerCase()) changed++;
        // Same number of words (the same name units, or an abbreviation of one).
        assert.equal(r['name'].split(' ').length >= t.name.split(' ').length - 1, true, `${r['name']} vs ${t.name}`);
      }
      return changed / n;
    };
    assert.ok(differ('tax', 'cnic') > 0.15, 'tax spellings vary');
    assert.ok(differ('travel', 'cnic') > 0.15, 'travel spellings vary');
    for (const v of validated.travel) assert.ok(v.ok && (v.record as { name: string }).name === (v.record as { name: string }).name.toUpperCase());
    const police = validated.criminal.flatMap((v) => (v.ok ? (v.record as { persons: { cnic?: string; name: string }[] }).persons : []));
    const policeChanged = police.filter((p) => p.cnic && byCnic.get(p.cnic)!.name !== p.name).length;
    assert.ok(policeChanged > 0, 'police spellings vary');
    const allText = readFileSync(path.join(dirA, 'tax.csv'), 'utf8') + readFileSync(path.join(dirA, 'criminal.csv'), 'utf8');
    assert.match(allText, /\b(Mohd|Muhd|M\.|Ch\.|Sh\.)/, 'abbreviations appear');
  });

  it('queries: variants, Urdu and abbreviations; expect is every person with the same name ids (and father, district when given)', () => {
    const kinds = new Set(queries.map((q) => q.kind));
    assert.deepEqual([...kinds].sort(), ['abbreviated', 'roman', 'urdu']);
    assert.ok(queries.some((q) => q.fatherName && q.district));
    assert.ok(
      queries.some((q) => !q.fatherName && !q.district),
      'name only',
    );
    assert.ok(queries.some((q) => q.fatherName && !q.district));
    assert.ok(queries.some((q) => !q.fatherName && q.district));
    const byCnic = new Map(truth.map((t) => [t.cnic, t]));
    for (const q of queries) {
      const subject = byCnic.get(q.subject)!;
      assert.ok(subject, q.subject);
      if (q.kind === 'urdu') {
        assert.match(q.name, /[\u0600-\u06ff]/);
        assert.equal(q.name, subject.nameUrdu);
      } else {
        assert.doesNotMatch(q.name, /[\u0600-\u06ff]/);
        // Every typed unit is one of that unit's spellings (or abbreviations).
        const words = subject.nameKey.split('.').map((id) => UNITS[Number(id)]);
        const spellings = words.map((u) => [...u.forms, ...u.abbr].map((f) => f.toLowerCase()));
        const typed = q.name.toLowerCase();
        let rest = typed;
        for (const options of spellings) {
          const hit = options.filter((o) => rest.startsWith(o)).sort((a, b) => b.length - a.length)[0];
          assert.ok(hit !== undefined, `"${q.name}" does not spell ${subject.name}`);
          rest = rest.slice(hit.length).trimStart();
        }
        assert.equal(rest, '');
      }
      if (q.kind === 'abbreviated') assert.match(`${q.name} ${q.fatherName ?? ''}`, /\b(Mohd|Muhd|M\.|Ch\.|Sh\.|Gh\.|Noor Mohd)/i);
      const expected = truth
        .filter(
          (t) =>
            t.nameKey === subject.nameKey &&
            (q.fatherName === undefined || t.fatherNameKey === subject.fatherNameKey) &&
            (q.district === undefined || t.district === subject.district),
        )
        .map((t) => t.cnic);
      assert.deepEqual(q.expect, expected, JSON.stringify(q));
      assert.ok(q.expect.includes(q.subject));
    }
    // Roman queries are rarely NADRA's exact spelling.
    const roman = queries.filter((q) => q.kind === 'roman');
    const exact = roman.filter((q) => q.name === byCnic.get(q.subject)!.name).length;
    assert.ok(exact < roman.length * 0.3, `exact roman queries ${exact}/${roman.length}`);
    assert.ok(
      queries.some((q) => q.expect.length > 1),
      'some queries find more than one person (common names)',
    );
  });
});

describe('name units', () => {
  const norm = (s: string): string => s.toLowerCase().replace(/[.\s-]/g, '');

  it('spellings of different names never coincide (so "same name" is unambiguous)', () => {
    const owner = new Map<string, number>();
    for (const u of UNITS)
      for (const f of [...u.forms, ...u.abbr]) {
        const k = norm(f);
        const prev = owner.get(k);
        assert.ok(prev === undefined || prev === u.id, `"${f}" spells both ${UNITS[prev ?? 0].forms[0]} and ${u.forms[0]}`);
        owner.set(k, u.id);
      }
    const urdu = new Map<string, string>();
    for (const u of UNITS) {
      assert.ok(!urdu.has(u.urdu), `${u.urdu} is both ${urdu.get(u.urdu)} and ${u.forms[0]}`);
      urdu.set(u.urdu, u.forms[0]);
      assert.match(u.urdu, /^[\u0600-\u06ff\s]+$/);
    }
  });

  it('a written name splits into units one way only: the first word of a composite is never a name', () => {
    const single = new Set(UNITS.flatMap((u) => u.forms.filter((f) => !f.includes(' ')).map((f) => f.toLowerCase())));
    for (const u of UNITS)
      for (const f of u.forms)
        if (f.includes(' ') && u.kind !== 'femaleSecond') {
          const [first] = f.split(' ');
          assert.ok(!single.has(first.toLowerCase()), `${f}: "${first}" is also a name`);
        }
  });

  it('has the real-world variants the matcher must handle', () => {
    const forms = (en: string) => UNITS.find((u) => u.forms[0] === en)!;
    assert.ok(forms('Muhammad').forms.includes('Mohammad') && forms('Muhammad').abbr.includes('Mohd'));
    assert.ok(forms('Ahmed').forms.includes('Ahmad'));
    assert.ok(forms('Hussain').forms.includes('Husain'));
    assert.ok(forms('Chaudhry').abbr.includes('Ch.') && forms('Chaudhry').forms.includes('Chaudhary'));
    assert.ok(forms('Yousaf').forms.includes('Yusuf'));
    assert.ok(forms('Fatima').forms.includes('Fatimah'));
  });
});

describe('prng', () => {
  it('a permutation is a bijection of its domain', () => {
    for (const domain of [1, 7, 1000, 4097]) {
      const p = new Permutation(domain, hashSeed('x'), 3);
      const seen = new Set<number>();
      for (let i = 0; i < domain; i++) {
        const v = p.at(i);
        assert.ok(v >= 0 && v < domain);
        seen.add(v);
      }
      assert.equal(seen.size, domain);
    }
  });
});
