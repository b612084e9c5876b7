/**
 * Docs that cannot drift, and the module rules: every path in
 * docs/architecture.md's tree exists, every module has the module shape and
 * is listed there, and no module imports another.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../../..');
const doc = readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');
const modulesDir = path.join(root, 'packages/server/src/modules');

function treePaths(): string[] {
  const block = /## Tree\n```\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  const out: string[] = [];
  // Folders open a level: a line indented deeper than a folder lies inside it.
  const stack: { indent: number; path: string }[] = [];
  for (const line of block.split('\n')) {
    const m = /^(\s*)(\S+)/.exec(line);
    if (!m) continue;
    const [, indent, p] = m as unknown as [string, string, string];
    while (stack.length && stack[stack.length - 1].indent >= indent.length) stack.pop();
    const full = stack.length ? path.join(stack[stack.length - 1].path, p) : p;
    out.push(full);
    if (p.endsWith('/')) stack.push({ indent: indent.length, path: full });
  }
  return out;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('architecture', () => {
  it('every path in docs/architecture.md exists', () => {
    const paths = treePaths();
    assert.ok(paths.length > 20, 'the tree block was not found');
    const missing = paths.filter((p) => !existsSync(path.join(root, p)));
    assert.deepEqual(missing, [], `docs/architecture.md names paths that do not exist: ${missing.join(', ')}`);
  });

  it('every module has the module shape and is listed in docs/architecture.md', () => {
    const mods = readdirSync(modulesDir).filter((n) => statSync(path.join(modulesDir, n)).isDirectory());
    for (const m of mods) {
      for (const f of ['index.ts', 'routes.ts', 'service.ts', 'repository.ts', 'presenters.ts']) {
        assert.ok(existsSync(path.join(modulesDir, m, f)), `modules/${m} lacks ${f}`);
      }
      assert.match(doc, new RegExp(`\\|\\s*\`?${m}\`?\\s*\\|`), `modules/${m} is not listed in docs/architecture.md`);
    }
  });

  it('no module imports another module, and core imports no module', () => {
    const mods = readdirSync(modulesDir).filter((n) => statSync(path.join(modulesDir, n)).isDirectory());
    const offences: string[] = [];
    for (const file of walk(path.join(root, 'packages/server/src'))) {
      const rel = path.relative(path.join(root, 'packages/server/src'), file);
      const own = rel.startsWith('modules/') ? rel.split('/')[1] : null;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1];
        const target = /(?:#modules\/|\/modules\/)([a-z-]+)/.exec(spec)?.[1];
        if (!target || !mods.includes(target)) continue;
        if (rel.startsWith('core/')) offences.push(`${rel} imports module ${target}`);
        if (own && target !== own) offences.push(`${rel} imports module ${target}`);
      }
    }
    assert.deepEqual(offences, []);
  });
});
