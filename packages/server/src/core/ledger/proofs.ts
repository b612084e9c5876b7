/**
 * Roots and RFC 9162 proofs computed from the stored perfect subtrees
 * (ledger_tree, and leaf hashes in ledger_entries): O(log n) lookups in at
 * most two queries. The caller checks that the sizes asked for exist.
 */
import type { ConsistencyProof, InclusionProof } from '@kotwal/contracts';
import type { Queryable } from '#core/db/index.ts';
import { consistencyRanges, foldRange, inclusionRanges, nodeKey, rangeNodes, type LeafRange, type NodeRef } from './merkle.ts';
import { fetchNodes } from './store.ts';

async function hashesFor(q: Queryable, refs: NodeRef[]): Promise<(r: NodeRef) => Buffer> {
  const hashes = await fetchNodes(q, refs);
  return (r) => hashes.get(nodeKey(r.level, r.index))!;
}

const nodesOf = (ranges: readonly LeafRange[]): NodeRef[] => ranges.flatMap((r) => rangeNodes(r.start, r.end));

/** Root of the first `size` entries (hex). */
export async function rootAtSize(q: Queryable, size: number): Promise<Buffer> {
  const refs = rangeNodes(0, size);
  const get = await hashesFor(q, refs);
  return foldRange(refs.map(get));
}

/** Inclusion proof of leaf `seq` in the tree of `size` entries (seq < size <= tree size). */
export async function inclusionProofAt(q: Queryable, seq: number, size: number): Promise<InclusionProof> {
  const ranges = inclusionRanges(seq, size);
  const get = await hashesFor(q, [{ level: 0, index: seq }, ...nodesOf(ranges), ...rangeNodes(0, size)]);
  return {
    seq,
    treeSize: size,
    leafHash: get({ level: 0, index: seq }).toString('hex'),
    rootHash: foldRange(rangeNodes(0, size).map(get)).toString('hex'),
    proof: ranges.map((r) => foldRange(rangeNodes(r.start, r.end).map(get)).toString('hex')),
  };
}

/** Consistency proof between sizes `from` <= `to` (<= tree size). */
export async function consistencyProofBetween(q: Queryable, from: number, to: number): Promise<ConsistencyProof> {
  const ranges = consistencyRanges(from, to);
  const get = await hashesFor(q, [...nodesOf(ranges), ...rangeNodes(0, from), ...rangeNodes(0, to)]);
  return {
    from,
    to,
    fromRoot: foldRange(rangeNodes(0, from).map(get)).toString('hex'),
    toRoot: foldRange(rangeNodes(0, to).map(get)).toString('hex'),
    proof: ranges.map((r) => foldRange(rangeNodes(r.start, r.end).map(get)).toString('hex')),
  };
}
