import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  entryBytes,
  fromHex,
  leafHash,
  parseCheckpointBody,
  rootFromLeaves,
  toHex,
  verifyCheckpointSignature,
  verifyConsistency,
  verifyInclusion,
  type LedgerEntry,
} from '@kotwal/contracts';
import type { Database, Queryable } from '#core/db/index.ts';
import { readCheckpointFile } from './checkpoint-file.ts';
import { LedgerAppendError } from './entries.ts';
import { LedgerClosedError, LedgerQueryError } from './ledger.ts';
import { appendMany, ledgerFixture, sampleEntry } from './test-support.ts';
import { verifyDatabase } from './verify.ts';

async function allEntries(db: Queryable): Promise<LedgerEntry[]> {
  const { fieldsOfRow, ENTRY_COLUMNS } = await import('./entries.ts');
  const r = await db.query<import('./entries.ts').EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries ORDER BY seq`);
  return r.rows.map((row) => ({ ...fieldsOfRow(row), leafHash: Buffer.from(row.leaf_hash).toString('hex') }));
}

/** Leaf hashes recomputed with the contracts reference code. */
async function referenceLeaves(db: Queryable): Promise<Uint8Array[]> {
  return (await allEntries(db)).map((e) => leafHash(entryBytes(e)));
}

/** Counts transactions opened on a database. */
function countTransactions(db: Database): { count: () => number } {
  let n = 0;
  const original = db.transaction.bind(db);
  (db as { transaction: Database['transaction'] }).transaction = async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
    n++;
    return original(fn);
  };
  return { count: () => n };
}

describe('ledger: signing key', () => {
  it('is created on first start as PKCS#8 PEM with mode 0600 in a 0700 directory, never in the database, and reused on reopen', async () => {
    const f = await ledgerFixture();
    try {
      const file = f.config.signingKeyPath;
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
      const pem = readFileSync(file, 'utf8');
      assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
      const keyId = f.ledger.publicKey().keyId;
      assert.match(keyId, /^[0-9a-f]{16}$/);
      const again = await f.open();
      assert.equal(again.publicKey().keyId, keyId);
      assert.equal(readFileSync(file, 'utf8'), pem, 'the key file is not rewritten');
      const cp = await f.db.query<{ body: string; public_key: string }>('SELECT body, public_key FROM ledger_checkpoints');
      for (const row of cp.rows) {
        assert.ok(!row.body.includes('PRIVATE'));
        assert.equal(row.public_key, f.ledger.publicKey().publicKey);
      }
    } finally {
      await f.close();
    }
  });
});

describe('ledger: writing', () => {
  it('signs a checkpoint at size 0 on first start and writes it to the data dir', async () => {
    const f = await ledgerFixture();
    try {
      const cp = await f.ledger.latestCheckpoint();
      assert.equal(cp.treeSize, 0);
      assert.equal(cp.rootHash, toHex(rootFromLeaves([])));
      assert.ok(verifyCheckpointSignature(cp.body, cp.signature, cp.publicKey));
      assert.deepEqual(readCheckpointFile(path.join(f.dataDir, 'ledger', 'latest-checkpoint')), cp);
    } finally {
      await f.close();
    }
  });

  it('group-commits 1,000 concurrent appends: gapless seqs, few transactions, one checkpoint verifies', async () => {
    const f = await ledgerFixture();
    try {
      const tx = countTransactions(f.db);
      const seqs = await appendMany(f.ledger, 1000);
      assert.deepEqual(
        [...seqs].sort((a, b) => a - b),
        Array.from({ length: 1000 }, (_, i) => i),
      );
      assert.ok(tx.count() <= 10, `1,000 appends took ${tx.count()} transactions`);
      const cp = await f.ledger.checkpointNow();
      assert.equal(cp.treeSize, 1000);
      assert.ok(verifyCheckpointSignature(cp.body, cp.signature, f.ledger.publicKey().publicKey));
      assert.equal(cp.rootHash, toHex(rootFromLeaves(await referenceLeaves(f.db))));
      const body = parseCheckpointBody(cp.body);
      assert.equal(body.origin, f.config.nodeName);
      assert.equal(body.treeSize, 1000);
      // every entry's details are stored as the exact JSON text whose hash is sealed
      const entries = await allEntries(f.db);
      const d = await f.db.query<{ seq: number; details: string }>('SELECT seq, details FROM ledger_details ORDER BY seq');
      assert.equal(d.rows.length, 500);
      for (const row of d.rows) {
        const { createHash } = await import('node:crypto');
        assert.equal(createHash('sha256').update(row.details).digest('hex'), entries[row.seq].detailsHash);
      }
      assert.match(entries[0].at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const report = await verifyDatabase(f.db, { publicKey: f.ledger.publicKey().pem, checkpointFile: f.ledger.checkpointFile });
      assert.equal(report.ok, true, JSON.stringify(report.problems));
      assert.equal(report.entries, 1000);
    } finally {
      await f.close();
    }
  });

  it('appendInTx: a committed entry is sequenced, a rolled-back one never appears', async () => {
    const f = await ledgerFixture();
    try {
      await f.db.transaction(async (tx) => {
        await f.ledger.appendInTx(tx, sampleEntry(1, { action: 'test.committed' }));
      });
      await assert.rejects(
        f.db.transaction(async (tx) => {
          await f.ledger.appendInTx(tx, sampleEntry(2, { action: 'test.rolled-back' }));
          throw new Error('abort');
        }),
        /abort/,
      );
      f.ledger.kick();
      await f.ledger.flush();
      const { seq } = await f.ledger.append(sampleEntry(3, { action: 'test.after' }));
      await f.ledger.flush();
      const entries = await allEntries(f.db);
      assert.deepEqual(
        entries.map((e) => e.action),
        ['test.committed', 'test.after'],
      );
      assert.equal(seq, 1);
      const q = await f.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM ledger_queue');
      assert.equal(q.rows[0].n, 0);
      const cp = await f.ledger.checkpointNow();
      assert.equal(cp.rootHash, toHex(rootFromLeaves(await referenceLeaves(f.db))));
    } finally {
      await f.close();
    }
  });

  it('the background timer drains queue rows nobody kicked for, and signs checkpoints after T seconds', async () => {
    const f = await ledgerFixture({ env: { KOTWAL_CHECKPOINT_SECONDS: '1', KOTWAL_CHECKPOINT_EVERY: '100000' }, ledger: { pollIntervalMs: 50 } });
    try {
      await f.db.transaction((tx) => f.ledger.appendInTx(tx, sampleEntry(1)));
      const deadline = Date.now() + 5000;
      for (;;) {
        const cp = await f.ledger.latestCheckpoint();
        if (cp.treeSize === 1) break;
        assert.ok(Date.now() < deadline, 'no checkpoint at size 1 within 5 s');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(await f.ledger.treeSize(), 1);
    } finally {
      await f.close();
    }
  });

  it('signs a checkpoint every N entries, emitting core.ledger.checkpoint-signed in the same transaction', async () => {
    const emitted: { name: string; payload: unknown; inTx: boolean }[] = [];
    let kicks = 0;
    const events = {
      emit: async (tx: Queryable, name: string, payload: unknown) => {
        const r = await tx.query<{ n: number }>('SELECT count(*)::int8 AS n FROM ledger_checkpoints');
        emitted.push({ name, payload, inTx: r.rows[0].n > 0 });
      },
      kick: () => {
        kicks++;
      },
    };
    const f = await ledgerFixture({ env: { KOTWAL_CHECKPOINT_EVERY: '10', KOTWAL_CHECKPOINT_SECONDS: '3600' }, ledger: { background: false, events } });
    try {
      for (let i = 0; i < 25; i++) await f.ledger.append(sampleEntry(i));
      const cps = await f.ledger.listCheckpoints();
      assert.deepEqual(
        cps.map((c) => c.treeSize),
        [20, 10, 0],
      );
      assert.deepEqual(
        emitted.map((e) => e.payload),
        [...cps].reverse().map((c) => ({ treeSize: c.treeSize, rootHash: c.rootHash })),
      );
      assert.ok(emitted.every((e) => e.name === 'core.ledger.checkpoint-signed' && e.inTx));
      assert.equal(kicks, 3);
      await f.ledger.close();
      assert.equal((await f.ledger.latestCheckpoint()).treeSize, 25, 'close signs a final checkpoint');
      await assert.rejects(f.ledger.append(sampleEntry(99)), LedgerClosedError);
    } finally {
      await f.close();
    }
  });

  it('two ledgers on one database (two processes) stay gapless', async () => {
    const f = await ledgerFixture({ env: { KOTWAL_CHECKPOINT_EVERY: '50' } });
    try {
      const other = await f.open();
      const rounds = await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => appendMany(f.ledger, 40, i * 100)),
        ...Array.from({ length: 10 }, (_, i) => appendMany(other, 40, 5000 + i * 100)),
      ]);
      const seqs = rounds.flat().sort((a, b) => a - b);
      assert.deepEqual(
        seqs,
        Array.from({ length: 800 }, (_, i) => i),
      );
      await other.checkpointNow();
      await f.ledger.flush();
      const report = await verifyDatabase(f.db, { publicKey: f.ledger.publicKey().pem });
      assert.equal(report.ok, true, JSON.stringify(report.problems));
      assert.equal(report.entries, 800);
      const cp = await f.ledger.latestCheckpoint();
      assert.equal(cp.rootHash, toHex(rootFromLeaves(await referenceLeaves(f.db))));
    } finally {
      await f.close();
    }
  });

  it('continues the tree after a restart (compact range reloaded from ledger_tree)', async () => {
    const f = await ledgerFixture();
    try {
      await appendMany(f.ledger, 37);
      await f.ledger.close();
      const again = await f.open();
      await appendMany(again, 30, 37);
      const cp = await again.checkpointNow();
      assert.equal(cp.treeSize, 67);
      assert.equal(cp.rootHash, toHex(rootFromLeaves(await referenceLeaves(f.db))));
    } finally {
      await f.close();
    }
  });

  it('validates entries and makes unstorable characters storable', async () => {
    const f = await ledgerFixture();
    try {
      await assert.rejects(f.ledger.append({ ...sampleEntry(1), actorType: 'robot' as never }), LedgerAppendError);
      await assert.rejects(f.ledger.append({ ...sampleEntry(1), outcome: 'maybe' as never }), LedgerAppendError);
      await assert.rejects(f.ledger.append({ ...sampleEntry(1), action: '' }), LedgerAppendError);
      const cyclic: Record<string, unknown> = {};
      cyclic['self'] = cyclic;
      await assert.rejects(f.ledger.append({ ...sampleEntry(1), details: cyclic }), LedgerAppendError);
      const { seq } = await f.ledger.append({ ...sampleEntry(1), actorId: 'nul\u0000 and lone \ud800 surrogate', details: { x: 'nul\u0000\ud800' } });
      const e = await f.ledger.getEntry(seq);
      assert.equal(e!.actorId, 'nul\ufffd and lone \ufffd surrogate');
      const d = await f.ledger.getDetails(seq);
      assert.deepEqual(d.details, { x: 'nul\u0000\ud800' });
      assert.equal(d.hashMatches, true);
      await f.ledger.checkpointNow();
      const report = await verifyDatabase(f.db, { publicKey: f.ledger.publicKey().pem });
      assert.equal(report.ok, true, JSON.stringify(report.problems));
    } finally {
      await f.close();
    }
  });
});

describe('ledger: reading', () => {
  it('lists entries with filters, prefixes, time bounds and stable paging', async () => {
    const f = await ledgerFixture();
    try {
      await appendMany(f.ledger, 60);
      await f.ledger.append(sampleEntry(60, { action: 'odd_%action', resource: 'x%y_z/1' }));
      await f.ledger.append(sampleEntry(61, { action: 'oddXXaction', resource: 'xAyBz/1' }));
      const all = await f.ledger.listEntries({ limit: 1000 });
      assert.equal(all.treeSize, 62);
      assert.equal(all.items.length, 62);
      assert.equal(all.next, null);

      const byActor = await f.ledger.listEntries({ actor: 'actor-3', limit: 1000 });
      assert.ok(byActor.items.length > 0 && byActor.items.every((e) => e.actorId === 'actor-3'));
      const exact = await f.ledger.listEntries({ action: 'registries.person.read', limit: 1000 });
      assert.equal(exact.items.length, 30);
      const prefix = await f.ledger.listEntries({ action: 'registries.*', limit: 1000 });
      assert.equal(prefix.items.length, 30);
      const wild = await f.ledger.listEntries({ action: 'odd_%*', limit: 1000 });
      assert.deepEqual(
        wild.items.map((e) => e.seq),
        [60],
        'LIKE wildcards in a prefix are literal',
      );
      const res = await f.ledger.listEntries({ resource: 'x%y_*' });
      assert.deepEqual(
        res.items.map((e) => e.seq),
        [60],
      );
      const denied = await f.ledger.listEntries({ outcome: 'denied', limit: 1000 });
      assert.ok(denied.items.every((e) => e.outcome === 'denied'));
      assert.equal(denied.items.length, 13);

      // paging forwards and backwards
      const seen: number[] = [];
      let from: number | undefined = 0;
      while (from !== undefined) {
        const page = await f.ledger.listEntries({ from, limit: 25 });
        seen.push(...page.items.map((e) => e.seq));
        from = page.next ?? undefined;
      }
      assert.deepEqual(
        seen,
        Array.from({ length: 62 }, (_, i) => i),
      );
      const back = await f.ledger.listEntries({ order: 'desc', limit: 5 });
      assert.deepEqual(
        back.items.map((e) => e.seq),
        [61, 60, 59, 58, 57],
      );
      assert.equal(back.next, 56);
      const back2 = await f.ledger.listEntries({ order: 'desc', limit: 5, from: back.next });
      assert.deepEqual(
        back2.items.map((e) => e.seq),
        [56, 55, 54, 53, 52],
      );

      // time bounds
      const first = all.items[0];
      const future = new Date(Date.now() + 3_600_000).toISOString();
      assert.equal((await f.ledger.listEntries({ since: future })).items.length, 0);
      assert.equal((await f.ledger.listEntries({ since: first.at, limit: 1000 })).items.length, 62);
      assert.equal((await f.ledger.listEntries({ until: first.at })).items.length, 0);
      await assert.rejects(
        f.ledger.listEntries({ since: 'yesterday' }),
        (e: unknown) => e instanceof LedgerQueryError && e.field === 'since' && e.status === 400,
      );

      // a page is bounded by the tree size it reports, while the ledger grows
      const page = await f.ledger.listEntries({ limit: 1000 });
      await appendMany(f.ledger, 5, 100);
      assert.equal(page.items.length, page.treeSize);
    } finally {
      await f.close();
    }
  });

  it('reads an entry, its details, and erases details lawfully (the erasure is ledgered)', async () => {
    const f = await ledgerFixture();
    try {
      const { seq } = await f.ledger.append(sampleEntry(0));
      const { seq: plain } = await f.ledger.append(sampleEntry(1));
      const e = await f.ledger.getEntry(seq);
      assert.equal(e!.seq, seq);
      assert.equal(await f.ledger.getEntry(999), null);
      const d = await f.ledger.getDetails(seq);
      assert.equal(d.state, 'present');
      assert.equal(d.hashMatches, true);
      assert.deepEqual(d.details, { i: 0, name: 'Person 0', note: 'ünïcode ✓' });
      await assert.rejects(f.ledger.getDetails(plain), (err: unknown) => err instanceof LedgerQueryError && err.status === 404);
      await assert.rejects(f.ledger.getDetails(999), (err: unknown) => err instanceof LedgerQueryError && err.status === 404);

      assert.equal(await f.ledger.eraseDetails(seq, { actorType: 'user', actorId: 'dpo', reason: 'erasure request 42' }), true);
      assert.equal(await f.ledger.eraseDetails(seq, { actorType: 'user', actorId: 'dpo', reason: 'again' }), false);
      await f.ledger.flush();
      const erased = await f.ledger.getDetails(seq);
      assert.equal(erased.state, 'erased');
      assert.equal(erased.details, null);
      assert.equal(erased.detailsHash, e!.detailsHash);
      const log = await f.ledger.listEntries({ action: 'ledger.details.erased' });
      assert.equal(log.items.length, 1);
      assert.equal(log.items[0].resource, `ledger:entry/${seq}`);
      // the database refuses anything but erasure
      await assert.rejects(f.db.query(`UPDATE ledger_details SET details = '{}' WHERE seq = $1`, [seq]));
      await assert.rejects(f.db.query('DELETE FROM ledger_entries WHERE seq = $1', [seq]), /append-only/);
      await f.ledger.checkpointNow();
      const report = await verifyDatabase(f.db, { publicKey: f.ledger.publicKey().pem });
      assert.equal(report.ok, true, JSON.stringify(report.problems));
      assert.equal(report.details.erased, 1);
    } finally {
      await f.close();
    }
  });

  it('serves inclusion and consistency proofs from ledger_tree for every size 1..70, matching the reference', async () => {
    const f = await ledgerFixture({ env: { KOTWAL_CHECKPOINT_EVERY: '1' }, ledger: { background: false } });
    try {
      for (let i = 0; i < 70; i++) await f.ledger.append(sampleEntry(i));
      const leaves = await referenceLeaves(f.db);
      const checkpoints = new Map((await f.ledger.listCheckpoints({ limit: 1000 })).map((c) => [c.treeSize, c]));
      for (let n = 1; n <= 70; n++) {
        const root = rootFromLeaves(leaves.slice(0, n));
        const cp = checkpoints.get(n)!;
        assert.equal(cp.rootHash, toHex(root), `checkpoint ${n}`);
        assert.equal(await f.ledger.rootAt(n), toHex(root));
        for (let m = 0; m < n; m++) {
          const p = await f.ledger.inclusionProof(m, n);
          assert.ok(verifyInclusion(m, n, leaves[m], p.proof.map(fromHex), fromHex(cp.rootHash)), `inclusion ${m} in ${n}`);
        }
        // every earlier size for a few n, a spread of them for the rest (merkle.test.ts covers every pair)
        const froms = n % 10 === 0 || n < 8 ? Array.from({ length: n + 1 }, (_, m) => m) : [...new Set([0, 1, n >> 1, (n * 3) >> 2, n - 1, n])];
        for (const m of froms) {
          const p = await f.ledger.consistencyProof(m, n);
          assert.equal(p.fromRoot, toHex(rootFromLeaves(leaves.slice(0, m))));
          assert.ok(verifyConsistency(m, n, fromHex(p.fromRoot), fromHex(cp.rootHash), p.proof.map(fromHex)), `consistency ${m} -> ${n}`);
        }
      }
    } finally {
      await f.close();
    }
  });

  it('proof parameters out of range name the field', async () => {
    const f = await ledgerFixture({ env: { KOTWAL_CHECKPOINT_EVERY: '100000', KOTWAL_CHECKPOINT_SECONDS: '3600' }, ledger: { background: false } });
    try {
      await appendMany(f.ledger, 10);
      await f.ledger.checkpointNow();
      await appendMany(f.ledger, 5, 10);
      const is = (status: number, field: string) => (e: unknown) => e instanceof LedgerQueryError && e.status === status && e.field === field;
      await assert.rejects(f.ledger.inclusionProof(20), is(404, 'seq'));
      await assert.rejects(f.ledger.inclusionProof(3, 12), is(400, 'treeSize'));
      await assert.rejects(f.ledger.inclusionProof(5, 5), is(400, 'seq'));
      await assert.rejects(f.ledger.consistencyProof(6, 5), is(400, 'from'));
      await assert.rejects(f.ledger.consistencyProof(5, 12), is(400, 'to'));
      await assert.rejects(f.ledger.rootAt(16), is(400, 'treeSize'));
      // seq past the latest checkpoint without treeSize: a checkpoint is signed on demand
      const p = await f.ledger.inclusionProof(12);
      assert.equal(p.treeSize, 15);
      assert.equal((await f.ledger.latestCheckpoint()).treeSize, 15);
    } finally {
      await f.close();
    }
  });
});
