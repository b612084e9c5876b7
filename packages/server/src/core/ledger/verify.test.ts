import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkpointBody, toHex, type LedgerEntry } from '@kotwal/contracts';
import { ENTRY_COLUMNS, fieldsOfRow, type EntryRow } from './entries.ts';
import { entryLeafHash } from './merkle.ts';
import { describePublicKey } from './signing-key.ts';
import { appendMany, disableGuards, ledgerFixture, type LedgerFixture } from './test-support.ts';
import { exportBundle, verifyBundle, verifyDatabase, type VerifyProgress, type VerifyReport } from './verify.ts';

/** 300 entries, a checkpoint every 50 (sizes 0, 50, ..., 300), guards off so the test can tamper. */
async function sealed(): Promise<LedgerFixture> {
  const f = await ledgerFixture({ env: { KOTWAL_CHECKPOINT_EVERY: '50', KOTWAL_CHECKPOINT_SECONDS: '3600' }, ledger: { background: false } });
  for (let b = 0; b < 6; b++) await appendMany(f.ledger, 50, b * 50);
  await f.ledger.flush(); // and the checkpoint file written
  const sizes = (await f.ledger.listCheckpoints({ limit: 100 })).map((c) => c.treeSize);
  assert.deepEqual(sizes, [300, 250, 200, 150, 100, 50, 0]);
  await disableGuards(f.db);
  return f;
}

const verify = (
  f: LedgerFixture,
  extra: { checkpointFile?: string | null; pageSize?: number; onProgress?: (p: VerifyProgress) => void } = {},
): Promise<VerifyReport> => verifyDatabase(f.db, { publicKey: f.ledger.publicKey().pem, checkpointFile: f.ledger.checkpointFile, ...extra });

const kinds = (r: VerifyReport): string[] => r.problems.map((p) => p.kind);

async function rowOf(f: LedgerFixture, seq: number): Promise<EntryRow> {
  const r = await f.db.query<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE seq = $1`, [seq]);
  return r.rows[0];
}

async function withSealed(fn: (f: LedgerFixture) => Promise<void>): Promise<void> {
  const f = await sealed();
  try {
    await fn(f);
  } finally {
    await f.close();
  }
}

describe('verify: database', () => {
  it('an intact ledger verifies, whatever the page size, with progress', () =>
    withSealed(async (f) => {
      const seen: VerifyProgress[] = [];
      const r = await verify(f, { pageSize: 7, onProgress: (p) => seen.push(p) });
      assert.equal(r.ok, true, JSON.stringify(r.problems));
      assert.equal(r.entries, 300);
      assert.equal(r.checkpoints, 8, '7 in the database and the latest-checkpoint file');
      assert.equal(r.firstFailingSeq, null);
      assert.equal(r.latestCheckpoint?.treeSize, 300);
      assert.equal(r.details.present, 150);
      assert.ok(seen.length >= 40);
      assert.equal(seen[seen.length - 1].done, 300);
      assert.equal(seen[seen.length - 1].total, 300);
    }));

  it('a changed column names its seq', () =>
    withSealed(async (f) => {
      await f.db.query("UPDATE ledger_entries SET actor_id = 'someone-else' WHERE seq = 123");
      const r = await verify(f);
      assert.equal(r.ok, false);
      assert.equal(r.firstFailingSeq, 123);
      assert.equal(r.problems[0].kind, 'leaf-mismatch');
      assert.equal(r.problems[0].seq, 123);
      assert.equal(r.problems.filter((p) => p.kind === 'leaf-mismatch').length, 1);
    }));

  it('many findings: the first hundred are listed, the rest counted', () =>
    withSealed(async (f) => {
      await f.db.query("UPDATE ledger_entries SET actor_id = actor_id || '!' WHERE seq >= 5");
      const r = await verify(f);
      assert.equal(r.ok, false);
      assert.equal(r.firstFailingSeq, 5);
      assert.equal(r.problems.length, 100);
      assert.equal(r.problemsOmitted, 196, '295 changed entries and the root mismatch they explain');
    }));

  it('a sub-millisecond change of the time is a changed column too', () =>
    withSealed(async (f) => {
      await f.db.query("UPDATE ledger_entries SET at = at + interval '1 microsecond' WHERE seq = 9");
      const r = await verify(f);
      assert.equal(r.firstFailingSeq, 9);
      assert.equal(r.problems[0].kind, 'leaf-mismatch');
    }));

  it('a deleted row names the missing seq', () =>
    withSealed(async (f) => {
      await f.db.query('DELETE FROM ledger_entries WHERE seq = 77');
      const r = await verify(f);
      assert.equal(r.ok, false);
      assert.equal(r.firstFailingSeq, 77);
      assert.equal(r.problems[0].kind, 'missing-entry');
      assert.equal(r.problems[0].seq, 77);
      assert.equal(r.problems[0].endSeq, 77);
    }));

  it('two rows with swapped seqs are named', () =>
    withSealed(async (f) => {
      await f.db.query('UPDATE ledger_entries SET seq = 1000000 WHERE seq = 40');
      await f.db.query('UPDATE ledger_entries SET seq = 40 WHERE seq = 41');
      await f.db.query('UPDATE ledger_entries SET seq = 41 WHERE seq = 1000000');
      const r = await verify(f);
      assert.equal(r.ok, false);
      assert.equal(r.firstFailingSeq, 40);
      assert.deepEqual(
        r.problems.filter((p) => p.kind === 'leaf-mismatch').map((p) => p.seq),
        [40, 41],
      );
    }));

  it('leaf hashes rewritten consistently: the first checkpoint whose root differs, and the range', () =>
    withSealed(async (f) => {
      const row = await rowOf(f, 130);
      const fields = { ...fieldsOfRow(row), actorId: 'forged-actor' };
      await f.db.query('UPDATE ledger_entries SET actor_id = $1, leaf_hash = $2 WHERE seq = 130', [fields.actorId, entryLeafHash(fields)]);
      const r = await verify(f);
      assert.equal(r.ok, false);
      assert.deepEqual(kinds(r), ['root-mismatch']);
      const p = r.problems[0];
      assert.equal(p.treeSize, 150);
      assert.equal(p.seq, 100);
      assert.equal(p.endSeq, 149);
      assert.equal(r.firstFailingSeq, 100);
      assert.match(p.message, /tree size 150/);
      assert.match(p.message, /between seq 100 and 149/);
    }));

  it('deleting the newest rows is truncation, caught by the database checkpoints', () =>
    withSealed(async (f) => {
      await f.db.query('DELETE FROM ledger_entries WHERE seq >= 250');
      const r = await verify(f);
      assert.equal(r.ok, false);
      assert.equal(r.firstFailingSeq, 250);
      const t = r.problems.find((p) => p.kind === 'truncated')!;
      assert.equal(t.seq, 250);
      assert.equal(t.endSeq, 299);
    }));

  it('truncating entries, checkpoints and state together is caught by the latest-checkpoint file', () =>
    withSealed(async (f) => {
      await f.db.query('DELETE FROM ledger_entries WHERE seq >= 250');
      await f.db.query('DELETE FROM ledger_tree WHERE (idx + 1) * (2 ^ level)::int8 > 250');
      await f.db.query('DELETE FROM ledger_checkpoints WHERE tree_size > 250');
      await f.db.query('DELETE FROM ledger_details WHERE seq >= 250');
      await f.db.query('UPDATE ledger_state SET tree_size = 250, checkpoint_size = 250');
      const r = await verify(f);
      assert.equal(r.ok, false);
      assert.equal(r.firstFailingSeq, 250);
      const t = r.problems.find((p) => p.kind === 'truncated')!;
      assert.match(t.message, /file/);
      // without the file, the database alone cannot tell
      const blind = await verify(f, { checkpointFile: null });
      assert.equal(blind.ok, true, JSON.stringify(blind.problems));
    }));

  it('forged and foreign checkpoints are reported and not trusted', () =>
    withSealed(async (f) => {
      // an altered signature
      await f.db.query("UPDATE ledger_checkpoints SET signature = decode(repeat('00', 64), 'hex') WHERE tree_size = 100");
      // a checkpoint signed by a key nobody trusts, claiming another history
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const other = describePublicKey(publicKey);
      const body = checkpointBody({ origin: 'evil', treeSize: 299, rootHash: 'ab'.repeat(32), timestamp: new Date().toISOString() });
      await f.db.query(
        'INSERT INTO ledger_checkpoints (tree_size, root_hash, timestamp, body, signature, key_id, public_key) VALUES (299, $1, now(), $2, $3, $4, $5)',
        [Buffer.from('ab'.repeat(32), 'hex'), body, sign(null, Buffer.from(body), privateKey), other.keyId, other.base64],
      );
      const r = await verify(f);
      assert.equal(r.ok, false);
      assert.deepEqual(kinds(r).sort(), ['checkpoint-signature', 'checkpoint-unknown-key']);
      assert.equal(r.problems.find((p) => p.kind === 'checkpoint-signature')!.treeSize, 100);
      assert.equal(r.firstFailingSeq, null, 'no entry fails');
      // trusting the other key too: its checkpoint is then checked, and its root is wrong
      const both = await verifyDatabase(f.db, { publicKey: [f.ledger.publicKey().pem, other.pem] });
      assert.ok(kinds(both).includes('root-mismatch'));
    }));

  it('a details record that no longer matches is reported, distinct from an erasure', () =>
    withSealed(async (f) => {
      await f.db.query(`UPDATE ledger_details SET details = '{"i":10,"name":"Someone else"}' WHERE seq = 10`);
      await f.db.query('UPDATE ledger_details SET details = NULL, erased_at = now() WHERE seq = 12');
      await f.db.query('DELETE FROM ledger_details WHERE seq = 14');
      const r = await verify(f);
      assert.equal(r.ok, false);
      assert.deepEqual(kinds(r), ['details-mismatch']);
      assert.equal(r.firstFailingSeq, 10);
      assert.equal(r.details.erased, 1);
      assert.equal(r.details.missing, 1);
      await f.db.query(`UPDATE ledger_details SET details = NULL, erased_at = now() WHERE seq = 10`);
      const after = await verify(f);
      assert.equal(after.ok, true, JSON.stringify(after.problems));
      assert.equal(after.details.erased, 2);
    }));
});

describe('verify: bundles', () => {
  const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'kotwal-bundle-'));

  const rewriteLines = (file: string, fn: (lines: string[]) => string[]): void => {
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    writeFileSync(file, `${fn(lines).join('\n')}\n`);
  };

  it('exports a bundle that verifies with no database; tampering with it fails', () =>
    withSealed(async (f) => {
      const dir = path.join(tmp(), 'bundle');
      try {
        const progress: VerifyProgress[] = [];
        const res = await exportBundle(f.db, dir, {
          publicKey: f.ledger.publicKey().pem,
          checkpointFile: f.ledger.checkpointFile,
          onProgress: (p) => progress.push(p),
          pageSize: 100,
        });
        assert.equal(res.entries, 300);
        assert.equal(res.checkpoints, 7);
        assert.equal(progress.at(-1)!.done, 300);
        for (const name of ['entries.jsonl', 'checkpoints.jsonl', 'public-key.pem', 'latest-checkpoint.json', 'manifest.json', 'README.txt']) {
          assert.ok(existsSync(path.join(dir, name)), name);
        }
        assert.match(readFileSync(path.join(dir, 'README.txt'), 'utf8'), /kotwal ledger verify --bundle/);
        const first = JSON.parse(readFileSync(path.join(dir, 'entries.jsonl'), 'utf8').split('\n')[0]) as LedgerEntry;
        assert.equal(first.seq, 0);
        assert.ok(!JSON.stringify(first).includes('Person 0'), 'no personal data in the bundle');
        await assert.rejects(exportBundle(f.db, dir, { publicKey: f.ledger.publicKey().pem }), /not empty/);

        const seen: VerifyProgress[] = [];
        const ok = await verifyBundle(dir, { onProgress: (p) => seen.push(p) });
        assert.equal(ok.ok, true, JSON.stringify(ok.problems));
        assert.equal(ok.entries, 300);
        assert.equal(ok.checkpoints, 8);
        assert.equal(seen.at(-1)!.done, 300);
        // with the key given explicitly
        assert.equal((await verifyBundle(dir, { publicKey: f.ledger.publicKey().publicKey })).ok, true);
        // with a key the bundle was not signed with
        const stranger = describePublicKey(generateKeyPairSync('ed25519').publicKey);
        const foreign = await verifyBundle(dir, { publicKey: stranger.pem });
        assert.equal(foreign.ok, false);
        assert.ok(kinds(foreign).every((k) => k === 'checkpoint-unknown-key'));

        // a changed field in one line
        const entries = path.join(dir, 'entries.jsonl');
        const original = readFileSync(entries, 'utf8');
        rewriteLines(entries, (lines) => lines.map((l, i) => (i === 10 ? l.replace('"actor-3"', '"actor-9"') : l)));
        const changed = await verifyBundle(dir);
        assert.equal(changed.ok, false);
        assert.equal(changed.firstFailingSeq, 10);
        assert.equal(changed.problems[0].kind, 'leaf-mismatch');

        // a line removed
        writeFileSync(entries, original);
        rewriteLines(entries, (lines) => lines.filter((_, i) => i !== 200));
        const gap = await verifyBundle(dir);
        assert.equal(gap.firstFailingSeq, 200);
        assert.equal(gap.problems[0].kind, 'missing-entry');

        // the newest lines removed
        writeFileSync(entries, original);
        rewriteLines(entries, (lines) => lines.slice(0, 240));
        const cut = await verifyBundle(dir);
        assert.equal(cut.firstFailingSeq, 240);
        assert.ok(kinds(cut).includes('truncated'));

        // one entry and its leaf hash rewritten consistently
        writeFileSync(entries, original);
        rewriteLines(entries, (lines) =>
          lines.map((l, i) => {
            if (i !== 60) return l;
            const e = JSON.parse(l) as LedgerEntry;
            const forged = { ...e, resource: 'registries:person/forged' };
            return JSON.stringify({ ...forged, leafHash: toHex(entryLeafHash(forged)) });
          }),
        );
        const rewritten = await verifyBundle(dir);
        assert.equal(rewritten.ok, false);
        assert.equal(rewritten.firstFailingSeq, 50);
        assert.equal(rewritten.problems.find((p) => p.kind === 'root-mismatch')!.treeSize, 100);
      } finally {
        rmSync(path.dirname(dir), { recursive: true, force: true });
      }
    }));
});
