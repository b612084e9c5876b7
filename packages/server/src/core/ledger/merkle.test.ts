import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { largestPowerOfTwoBelow, nodeHash, rootFromLeaves, verifyConsistency, verifyInclusion } from '@kotwal/contracts';
import { CompactRange, consistencyRanges, EMPTY_ROOT, foldRange, inclusionRanges, nodeKey, rangeNodes, type TreeNode } from './merkle.ts';

const leafOf = (i: number): Buffer => createHash('sha256').update(`leaf ${i}`).digest();
const LEAVES = Array.from({ length: 70 }, (_, i) => leafOf(i));

/** Reference RFC 9162 PATH over plain leaf arrays (independent of merkle.ts). */
function refPath(m: number, d: Uint8Array[]): Uint8Array[] {
  const n = d.length;
  if (n <= 1) return [];
  const k = largestPowerOfTwoBelow(n);
  return m < k ? [...refPath(m, d.slice(0, k)), rootFromLeaves(d.slice(k))] : [...refPath(m - k, d.slice(k)), rootFromLeaves(d.slice(0, k))];
}

/** Reference RFC 9162 SUBPROOF. */
function refSubproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [rootFromLeaves(d)];
  const k = largestPowerOfTwoBelow(n);
  return m <= k ? [...refSubproof(m, d.slice(0, k), b), rootFromLeaves(d.slice(k))] : [...refSubproof(m - k, d.slice(k), false), rootFromLeaves(d.slice(0, k))];
}

/** Every completed subtree of the 70 leaves, built by the compact range as the server does. */
function buildTree(): Map<string, Buffer> {
  const nodes = new Map<string, Buffer>();
  const range = new CompactRange();
  LEAVES.forEach((l, i) => {
    nodes.set(nodeKey(0, i), l);
    range.push(l, (n: TreeNode) => nodes.set(nodeKey(n.level, n.index), n.hash));
  });
  return nodes;
}
const TREE = buildTree();
const mth = (start: number, end: number): Buffer => foldRange(rangeNodes(start, end).map((r) => TREE.get(nodeKey(r.level, r.index))!));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('merkle arithmetic', () => {
  it('the compact range gives the reference root for every size 0..70', () => {
    assert.equal(hex(new CompactRange().root()), hex(EMPTY_ROOT));
    assert.equal(hex(EMPTY_ROOT), hex(rootFromLeaves([])));
    const range = new CompactRange();
    for (let n = 1; n <= 70; n++) {
      range.push(LEAVES[n - 1]);
      assert.equal(hex(range.root()), hex(rootFromLeaves(LEAVES.slice(0, n))), `size ${n}`);
      assert.equal(hex(mth(0, n)), hex(rootFromLeaves(LEAVES.slice(0, n))), `stored subtrees, size ${n}`);
    }
  });

  it('stores exactly the perfect aligned subtrees', () => {
    for (const [key, hash] of TREE) {
      const [level, index] = key.split(':').map(Number) as [number, number];
      const width = 2 ** level;
      assert.equal(hex(hash), hex(rootFromLeaves(LEAVES.slice(index * width, (index + 1) * width))), key);
    }
    // 70 leaves: 35 + 17 + 8 + 4 + 2 + 1 inner nodes
    assert.equal(TREE.size, 70 + 35 + 17 + 8 + 4 + 2 + 1);
  });

  it('rebuilds a compact range from its stored nodes', () => {
    for (let n = 0; n <= 70; n++) {
      const shape = CompactRange.shape(n);
      const r = new CompactRange(
        n,
        shape.map((s) => ({ ...s, hash: TREE.get(nodeKey(s.level, s.index))! })),
      );
      assert.equal(hex(r.root()), hex(rootFromLeaves(LEAVES.slice(0, n))));
    }
    assert.throws(() => new CompactRange(3, []), /compact range for size 3/);
  });

  it('inclusion proofs match the reference PATH and verify, for every leaf of every size 1..70', () => {
    for (let n = 1; n <= 70; n++) {
      const root = rootFromLeaves(LEAVES.slice(0, n));
      for (let m = 0; m < n; m++) {
        const proof = inclusionRanges(m, n).map((r) => mth(r.start, r.end));
        assert.deepEqual(proof.map(hex), refPath(m, LEAVES.slice(0, n)).map(hex), `PATH(${m}, ${n})`);
        assert.ok(verifyInclusion(m, n, LEAVES[m], proof, root), `verifies (${m}, ${n})`);
        if (n > 1) assert.ok(!verifyInclusion((m + 1) % n, n, LEAVES[m], proof, root), `wrong index fails (${m}, ${n})`);
        assert.ok(!verifyInclusion(m, n, leafOf(1000), proof, root), `wrong leaf fails (${m}, ${n})`);
      }
    }
  });

  it('consistency proofs match the reference SUBPROOF and verify, for every pair of sizes 1..70', () => {
    for (let n = 1; n <= 70; n++) {
      const second = rootFromLeaves(LEAVES.slice(0, n));
      for (let m = 0; m <= n; m++) {
        const first = rootFromLeaves(LEAVES.slice(0, m));
        const proof = consistencyRanges(m, n).map((r) => mth(r.start, r.end));
        const ref = m === 0 || m === n ? [] : refSubproof(m, LEAVES.slice(0, n), true);
        assert.deepEqual(proof.map(hex), ref.map(hex), `PROOF(${m}, ${n})`);
        assert.ok(verifyConsistency(m, n, first, second, proof), `verifies (${m}, ${n})`);
        if (m > 0 && m < n) {
          const forged = rootFromLeaves([...LEAVES.slice(0, m - 1), leafOf(999)]);
          assert.ok(!verifyConsistency(m, n, forged, second, proof), `a different history fails (${m}, ${n})`);
        }
      }
    }
  });

  it('random large pairs: proofs from perfect subtrees verify against a reference root', () => {
    // A bigger tree, with pairs drawn deterministically.
    const size = 1000;
    const leaves = Array.from({ length: size }, (_, i) => leafOf(i));
    const nodes = new Map<string, Buffer>();
    const range = new CompactRange();
    leaves.forEach((l, i) => {
      nodes.set(nodeKey(0, i), l);
      range.push(l, (n) => nodes.set(nodeKey(n.level, n.index), n.hash));
    });
    const get = (s: number, e: number): Buffer => foldRange(rangeNodes(s, e).map((r) => nodes.get(nodeKey(r.level, r.index))!));
    let seed = 42;
    const rand = (max: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % max;
    };
    for (let i = 0; i < 200; i++) {
      const n = 1 + rand(size);
      const m = rand(n + 1);
      const root = rootFromLeaves(leaves.slice(0, n));
      assert.equal(hex(get(0, n)), hex(root));
      const cons = consistencyRanges(m, n).map((r) => get(r.start, r.end));
      assert.ok(verifyConsistency(m, n, rootFromLeaves(leaves.slice(0, m)), root, cons), `consistency ${m} -> ${n}`);
      if (m < n) {
        const incl = inclusionRanges(m, n).map((r) => get(r.start, r.end));
        assert.ok(verifyInclusion(m, n, leaves[m], incl, root), `inclusion ${m} in ${n}`);
      }
    }
    assert.equal(hex(range.root()), hex(rootFromLeaves(leaves)));
  });

  it('node hashes agree with the contracts reference', () => {
    assert.equal(hex(foldRange([LEAVES[0], LEAVES[1]])), hex(nodeHash(LEAVES[0], LEAVES[1])));
    assert.throws(() => inclusionRanges(5, 5), RangeError);
    assert.throws(() => consistencyRanges(6, 5), RangeError);
  });
});
