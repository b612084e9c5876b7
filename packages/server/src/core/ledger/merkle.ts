/**
 * RFC 9162 Merkle tree arithmetic for the server: fast hashing with
 * node:crypto, the compact range (the stack of perfect subtrees that make up
 * a tree of size n) used to append and to verify, and the proof shapes
 * (which subtree ranges a PATH or a SUBPROOF consists of).
 *
 * Every hash the server needs is a "perfect aligned subtree": node
 * (level, index) covers leaves [index * 2^level, (index + 1) * 2^level).
 * Level 0 is a leaf hash. Proof verification itself lives in
 * @kotwal/contracts (verifyInclusion, verifyConsistency).
 */
import * as nodeCrypto from 'node:crypto';
import { entryBytes, type LedgerEntryFields } from '@kotwal/contracts';

// One-shot SHA-256 (crypto.hash, Node >= 20.12) allocates no Hash object and
// is markedly faster on inputs this small; createHash where it is missing.
const oneShot: ((data: Uint8Array) => Buffer) | null = typeof nodeCrypto.hash === 'function' ? (data) => nodeCrypto.hash('sha256', data, 'buffer') : null;
const sha256 = (data: Uint8Array): Buffer => (oneShot ? oneShot(data) : nodeCrypto.createHash('sha256').update(data).digest());

// Scratch buffers for the 0x00 / 0x01 prefixes (hashing is synchronous, so one of each is enough).
let leafScratch = Buffer.alloc(1024);
const nodeScratch = Buffer.alloc(65);

/** SHA-256(0x00 || entry bytes). */
export function leafHashOf(bytes: Uint8Array): Buffer {
  if (bytes.length + 1 > leafScratch.length) leafScratch = Buffer.alloc(Math.max(bytes.length + 1, leafScratch.length * 2));
  leafScratch[0] = 0;
  leafScratch.set(bytes, 1);
  return sha256(leafScratch.subarray(0, bytes.length + 1));
}

/** The RFC 9162 leaf hash of an entry's sealed fields (contracts entryBytes). */
export function entryLeafHash(e: LedgerEntryFields): Buffer {
  return leafHashOf(entryBytes(e));
}

/** SHA-256(0x01 || left || right). */
export function nodeHashOf(left: Uint8Array, right: Uint8Array): Buffer {
  nodeScratch[0] = 1;
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 33);
  return sha256(nodeScratch);
}

/** SHA-256 of the empty string: the root of the empty tree. */
export const EMPTY_ROOT: Buffer = nodeCrypto.createHash('sha256').digest();

/** Lower-case hex SHA-256 of a text's UTF-8. */
export function sha256HexOf(text: string): string {
  return typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash('sha256', text, 'hex') : nodeCrypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface NodeRef {
  level: number;
  index: number;
}

export interface TreeNode extends NodeRef {
  hash: Buffer;
}

export const nodeKey = (level: number, index: number): string => `${level}:${index}`;

/** 2^level as a float (exact up to 2^53). */
const pow2 = (level: number): number => 2 ** level;

/** Largest power of two strictly less than n (n > 1). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Decomposes [start, end) into perfect aligned subtrees, left to right, each
 * as large as its position allows. For the ranges RFC 9162 recursion
 * produces (start aligned to a power of two at least end - start), the
 * pieces shrink left to right and the range's MTH is their right fold.
 */
export function rangeNodes(start: number, end: number): NodeRef[] {
  const out: NodeRef[] = [];
  let p = start;
  while (p < end) {
    let level = 0;
    while (p % pow2(level + 1) === 0 && p + pow2(level + 1) <= end) level++;
    out.push({ level, index: p / pow2(level) });
    p += pow2(level);
  }
  return out;
}

/** MTH of a range from the hashes of its rangeNodes(), right fold. */
export function foldRange(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  let r: Buffer = Buffer.from(hashes[hashes.length - 1]);
  for (let i = hashes.length - 2; i >= 0; i--) r = nodeHashOf(hashes[i], r);
  return r;
}

export interface LeafRange {
  start: number;
  end: number;
}

/**
 * RFC 9162 section 2.1.3.1 PATH(m, D[n]) as the leaf ranges whose MTH make
 * up the audit path, in proof order (nearest the leaf first).
 */
export function inclusionRanges(m: number, n: number): LeafRange[] {
  if (m < 0 || m >= n) throw new RangeError(`leaf ${m} is outside a tree of size ${n}`);
  const out: LeafRange[] = [];
  const walk = (m: number, start: number, end: number): void => {
    const size = end - start;
    if (size <= 1) return;
    const k = splitPoint(size);
    if (m < k) {
      walk(m, start, start + k);
      out.push({ start: start + k, end });
    } else {
      walk(m - k, start + k, end);
      out.push({ start, end: start + k });
    }
  };
  walk(m, 0, n);
  return out;
}

/**
 * RFC 9162 section 2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as leaf
 * ranges, in proof order.
 */
export function consistencyRanges(m: number, n: number): LeafRange[] {
  if (m < 0 || m > n) throw new RangeError(`size ${m} is outside 0..${n}`);
  if (m === 0 || m === n) return [];
  const out: LeafRange[] = [];
  const sub = (m: number, start: number, end: number, b: boolean): void => {
    const size = end - start;
    if (m === size) {
      if (!b) out.push({ start, end });
      return;
    }
    const k = splitPoint(size);
    if (m <= k) {
      sub(m, start, start + k, b);
      out.push({ start: start + k, end });
    } else {
      sub(m - k, start + k, end, false);
      out.push({ start, end: start + k });
    }
  };
  sub(m, 0, n, true);
  return out;
}

/**
 * The compact range of a tree: its perfect subtrees, biggest first (one per
 * set bit of the size). Appending a leaf merges equal-sized neighbours;
 * each merge completes a perfect subtree, reported to onNode.
 */
export class CompactRange {
  private nodes: TreeNode[];
  private count: number;

  constructor(size = 0, nodes: TreeNode[] = []) {
    const expected = CompactRange.shape(size);
    if (expected.length !== nodes.length || expected.some((r, i) => r.level !== nodes[i].level || r.index !== nodes[i].index)) {
      throw new Error(`compact range for size ${size} needs nodes ${expected.map((r) => nodeKey(r.level, r.index)).join(', ')}`);
    }
    this.count = size;
    this.nodes = nodes.map((n) => ({ ...n }));
  }

  /** The node coordinates that make up a tree of this size, biggest first. */
  static shape(size: number): NodeRef[] {
    return rangeNodes(0, size);
  }

  get size(): number {
    return this.count;
  }

  /** Appends a leaf hash; calls onNode for every completed subtree above level 0. */
  push(leaf: Buffer, onNode?: (node: TreeNode) => void): void {
    this.nodes.push({ level: 0, index: this.count, hash: leaf });
    this.count++;
    for (;;) {
      const n = this.nodes.length;
      if (n < 2) break;
      const right = this.nodes[n - 1];
      const left = this.nodes[n - 2];
      if (left.level !== right.level) break;
      const merged: TreeNode = { level: left.level + 1, index: left.index / 2, hash: nodeHashOf(left.hash, right.hash) };
      this.nodes.length = n - 2;
      this.nodes.push(merged);
      onNode?.(merged);
    }
  }

  root(): Buffer {
    return foldRange(this.nodes.map((n) => n.hash));
  }

  clone(): CompactRange {
    return new CompactRange(this.count, this.nodes);
  }
}
