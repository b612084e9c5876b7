/**
 * The console's in-browser ledger verification (src/core/ledger/verify.ts),
 * run in Node against trees and signatures built here: honest data verifies,
 * and each kind of tampering is named.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  checkpointBody,
  entryBytes,
  leafHash,
  nodeHash,
  rootFromLeaves,
  toBase64,
  toHex,
  largestPowerOfTwoBelow,
  type Checkpoint,
  type InclusionProof,
  type LedgerEntry,
} from '@kotwal/contracts';
import { keyIdOf, publishedKeyFrom, recomputeLeafHash, verifyCheckpoint, verifyEntryInclusion } from '../src/core/ledger/verify.ts';

const secretKey = ed25519.utils.randomSecretKey();
const publicKey = toBase64(ed25519.getPublicKey(secretKey));

function entry(seq: number): LedgerEntry {
  const base = {
    seq,
    at: new Date(Date.UTC(2026, 10, 23, 9, 0, seq)).toISOString(),
    actorType: 'user' as const,
    actorId: `user-${seq % 3}`,
    action: seq % 2 ? 'auth.login.succeeded' : 'ledger.entries.read',
    resource: `user:${seq}`,
    purpose: null,
    caseRef: seq === 4 ? 'CASE-2026-04' : null,
    outcome: 'allowed' as const,
    requestId: `req-${seq}`,
    detailsHash: null,
  };
  return { ...base, leafHash: toHex(leafHash(entryBytes(base))) };
}

/** RFC 9162 PATH(m, D[n]): the audit path of leaf m. */
function auditPath(m: number, leaves: Uint8Array[]): Uint8Array[] {
  const n = leaves.length;
  if (n <= 1) return [];
  const k = largestPowerOfTwoBelow(n);
  if (m < k) return [...auditPath(m, leaves.slice(0, k)), rootFromLeaves(leaves.slice(k))];
  return [...auditPath(m - k, leaves.slice(k)), rootFromLeaves(leaves.slice(0, k))];
}

function tree(n: number) {
  const entries = Array.from({ length: n }, (_, i) => entry(i));
  const leaves = entries.map((e) => leafHash(entryBytes(e)));
  const root = rootFromLeaves(leaves);
  const body = checkpointBody({ origin: 'node.test', treeSize: n, rootHash: toHex(root), timestamp: '2026-11-23T09:10:00.000Z' });
  const cp: Checkpoint = {
    origin: 'node.test',
    treeSize: n,
    rootHash: toHex(root),
    timestamp: '2026-11-23T09:10:00.000Z',
    body,
    signature: toBase64(ed25519.sign(new TextEncoder().encode(body), secretKey)),
    publicKey,
    keyId: keyIdOf(publicKey),
  };
  const proof = (seq: number): InclusionProof => ({
    seq,
    treeSize: n,
    leafHash: toHex(leaves[seq]),
    rootHash: toHex(root),
    proof: auditPath(seq, leaves).map(toHex),
  });
  return { entries, cp, proof };
}

describe('in-browser ledger verification', () => {
  it('recomputes leaf hashes exactly as the contracts define them', () => {
    const e = entry(3);
    assert.equal(recomputeLeafHash(e), e.leafHash);
    assert.notEqual(recomputeLeafHash({ ...e, outcome: 'denied' }), e.leafHash);
  });

  it('verifies every entry of trees of many sizes against the signed checkpoint', () => {
    for (const n of [1, 2, 3, 5, 8, 13, 31]) {
      const { entries, cp, proof } = tree(n);
      const cpv = verifyCheckpoint(cp, { publishedKey: publicKey, expectedOrigin: 'node.test' });
      assert.equal(cpv.ok, true, JSON.stringify(cpv.checks));
      for (const e of entries) {
        const r = verifyEntryInclusion(e, cpv, proof(e.seq));
        assert.equal(r.status, 'verified', `n=${n} seq=${e.seq}: ${JSON.stringify(r.checks)}`);
      }
    }
    // Sanity of the reference path builder against the contracts' node hash.
    const two = tree(2);
    assert.equal(two.cp.rootHash, toHex(nodeHash(leafHash(entryBytes(two.entries[0])), leafHash(entryBytes(two.entries[1])))));
  });

  it('names a forged signature, an altered body, a foreign key and a wrong origin', () => {
    const { cp } = tree(5);
    const sig = Uint8Array.from(atob(cp.signature), (c) => c.charCodeAt(0));
    sig[10] = sig[10] ^ 1;
    const forged = verifyCheckpoint({ ...cp, signature: toBase64(sig) });
    assert.equal(forged.ok, false);
    assert.deepEqual(
      forged.checks.filter((c) => !c.ok).map((c) => c.id),
      ['signature'],
    );

    const shown = verifyCheckpoint({ ...cp, treeSize: 6 });
    assert.deepEqual(
      shown.checks.filter((c) => !c.ok).map((c) => c.id),
      ['body'],
      'fields shown beside the signed body must equal it',
    );

    const other = toBase64(ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    const pinned = verifyCheckpoint(cp, { pinnedKey: other, publishedKey: other, expectedOrigin: 'elsewhere' });
    assert.deepEqual(
      pinned.checks
        .filter((c) => !c.ok)
        .map((c) => c.id)
        .sort(),
      ['origin', 'pinned-key', 'published-key'],
    );

    const badKeyId = verifyCheckpoint({ ...cp, keyId: '0000000000000000' });
    assert.deepEqual(
      badKeyId.checks.filter((c) => !c.ok).map((c) => c.id),
      ['key-id'],
    );
  });

  it('fails an altered entry, a wrong proof, and a proof for another tree size', () => {
    const { entries, cp, proof } = tree(13);
    const cpv = verifyCheckpoint(cp);
    const e = entries[6];

    const altered = verifyEntryInclusion({ ...e, resource: 'user:someone-else' }, cpv, proof(6));
    assert.equal(altered.status, 'failed');
    assert.equal(altered.checks.find((c) => c.id === 'leaf')?.ok, false);
    assert.equal(altered.checks.find((c) => c.id === 'inclusion')?.ok, false);

    const p = proof(6);
    const wrongPath = verifyEntryInclusion(e, cpv, { ...p, proof: [...p.proof.slice(1), p.proof[0]] });
    assert.equal(wrongPath.status, 'failed');
    assert.equal(wrongPath.checks.find((c) => c.id === 'inclusion')?.ok, false);

    const otherSize = verifyEntryInclusion(e, cpv, { ...p, treeSize: 12 });
    assert.equal(otherSize.status, 'failed');
    assert.equal(otherSize.checks.find((c) => c.id === 'proof-meta')?.ok, false);

    const malformed = verifyEntryInclusion(e, cpv, { ...p, proof: ['zz'] });
    assert.equal(malformed.status, 'failed');
    assert.match(malformed.checks.find((c) => c.id === 'inclusion')?.detail ?? '', /malformed/);
  });

  it('calls an entry newer than the checkpoint pending, and a forged checkpoint failed', () => {
    const { cp } = tree(4);
    const cpv = verifyCheckpoint(cp);
    const newer = verifyEntryInclusion(entry(4), cpv, null);
    assert.equal(newer.status, 'pending');

    const forged = verifyCheckpoint({ ...cp, signature: toBase64(new Uint8Array(64)) });
    assert.equal(verifyEntryInclusion(entry(1), forged, tree(4).proof(1)).status, 'failed');
  });

  it('reads the published key as base64, an object, or SPKI PEM', () => {
    assert.equal(publishedKeyFrom(publicKey), publicKey);
    assert.equal(publishedKeyFrom({ algorithm: 'Ed25519', publicKey }), publicKey);
    const spki = new Uint8Array([
      0x30,
      0x2a,
      0x30,
      0x05,
      0x06,
      0x03,
      0x2b,
      0x65,
      0x70,
      0x03,
      0x21,
      0x00,
      ...Uint8Array.from(atob(publicKey), (c) => c.charCodeAt(0)),
    ]);
    const pem = `-----BEGIN PUBLIC KEY-----\n${toBase64(spki)}\n-----END PUBLIC KEY-----\n`;
    assert.equal(publishedKeyFrom({ pem }), publicKey);
    assert.equal(publishedKeyFrom(null), null);
    assert.equal(publishedKeyFrom({}), null);
  });
});
