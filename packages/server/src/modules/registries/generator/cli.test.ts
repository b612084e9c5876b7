import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runKotwal, spawnKotwal, type CliRun } from '#test/cli.ts';

/** In-process (the real program, output captured); `spawned` runs the real binary. */
const kotwal = (args: string[], spawned = false): Promise<CliRun> =>
  spawned ? spawnKotwal(['registries', 'generate', ...args]) : runKotwal(['registries', 'generate', ...args]);

describe('kotwal registries generate (CLI)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kotwal-generate-cli-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('--help describes the options and the files', async () => {
    const r = await kotwal(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const s of ['--people', '--seed', '--out', '--format', 'truth.jsonl', 'queries.jsonl', 'manifest.json']) assert.ok(r.stdout.includes(s), s);
  });

  it('writes the extracts, reports counts on stdout and progress on stderr', async () => {
    const out = path.join(tmp, 'run');
    const r = await kotwal(['--people', '1,000', '--seed', 'cli', '--out', out, '--format', 'jsonl'], true);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote [0-9,]+ records of 1,000 people/);
    assert.match(r.stderr, /generated 1,000 \/ 1,000 people/);
    const files = readdirSync(out).sort();
    assert.ok(files.includes('identity.jsonl') && files.includes('criminal.jsonl') && files.includes('truth.jsonl'), files.join(' '));
    assert.ok(!files.some((f) => f.endsWith('.partial')));
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { people: number; seed: string; format: string };
    assert.deepEqual([manifest.people, manifest.seed, manifest.format], [1000, 'cli', 'jsonl']);
  });

  const bad: [string, string[], RegExp][] = [
    ['--people abc', ['--people', 'abc', '--out', 'x'], /people/],
    ['--people 0', ['--people', '0', '--out', 'x'], /people/],
    ['--people 2.5', ['--people', '2.5', '--out', 'x'], /people/],
    ['--people over the maximum', ['--people', '10000001', '--out', 'x'], /people/],
    ['missing --out', ['--people', '10'], /--out/],
    ['missing --people', ['--out', 'x'], /--people/],
    ['--format xml', ['--people', '10', '--out', 'x', '--format', 'xml'], /format/],
  ];
  for (const [what, args, message] of bad)
    it(`refuses ${what} with a message on stderr and a non-zero exit`, async () => {
      const r = await kotwal(args.map((a) => (a === 'x' ? path.join(tmp, 'never') : a)));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
      assert.equal(existsSync(path.join(tmp, 'never')), false, 'nothing written');
    });

  it('refuses an output directory that cannot be written', async () => {
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, 'not a directory');
    const r = await kotwal(['--people', '10', '--out', path.join(file, 'sub')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--out .*not a directory/);
  });
});
