import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { ImportSummary } from '@kotwal/contracts';
import { buildTestApp, type TestApp } from '#test/app.ts';
import { registriesModule } from '../index.ts';
import { nameKeys } from '../names/index.ts';
import { ImportInputError } from './mapping.ts';
import { ImportFailedError, runImport, type ImportFormat } from './service.ts';
import * as repo from './repository.ts';

/** Whether name matching has landed (identity imports build the person index with it). */
const namesBuilt = (() => {
  try {
    nameKeys('Ali');
    return true;
  } catch {
    return false;
  }
})();

/** Sends the file in small chunks so that every boundary case (BOM, multi-byte characters, CRLF) is crossed. */
function chunked(data: Buffer, size = 7): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return Readable.from(parts);
}

const SIMS_HEADER = 'msisdn,operator,owner_cnic,activated_on,status\n';

describe('registry import (service)', () => {
  let t: TestApp;

  before(async () => {
    // Only this module: the import depends on no other (and is not held up by their lifecycles).
    t = await buildTestApp({ modules: [registriesModule] });
  });
  after(async () => t.close());

  interface ImportOpts {
    registry?: string;
    format?: ImportFormat;
    mapping?: unknown;
    source?: string;
    fileName?: string;
    dateOrder?: string;
  }
  const importFile = (data: string | Buffer, o: ImportOpts = {}): Promise<ImportSummary> =>
    runImport(t.ctx, {
      registry: o.registry ?? 'sims',
      source: o.source ?? 'PTA',
      fileName: o.fileName ?? 'extract.csv',
      format: o.format ?? 'csv',
      ...(o.mapping !== undefined ? { mapping: o.mapping } : {}),
      ...(o.dateOrder !== undefined ? { dateOrder: o.dateOrder } : {}),
      body: chunked(Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8')),
      actor: { type: 'system', id: 'test', name: 'test' },
    });
  const failedImport = async (data: string | Buffer, o: ImportOpts = {}): Promise<ImportFailedError> => {
    try {
      await importFile(data, o);
    } catch (err) {
      if (err instanceof ImportFailedError) return err;
      throw err;
    }
    assert.fail('the import should have failed');
  };
  const rejects = async (id: string) => (await repo.listRejects(t.ctx.db, id, 0, 1000)).items;
  const count = async (sql: string, params: unknown[] = []) => Number((await t.ctx.db.query<{ n: number }>(sql, params)).rows[0]?.n);
  const records = (registry: string) => count('SELECT count(*)::int AS n FROM reg_records WHERE registry = $1', [registry]);
  const sumUp = (s: ImportSummary) => s.inserted + s.updated + s.unchanged + s.rejected;

  it('imports a CSV extract, normalising identifiers and dates, with links and provenance', async () => {
    const csv = SIMS_HEADER + '0300 1234567,Jazz,3520212345671,01-02-2020,active\r\n' + '+92 321 7654321,Zong,35202-7654321-2,2021-12-31,suspended\r\n';
    const s = await importFile(csv, { fileName: 'pta-2026-05.csv' });
    assert.equal(s.status, 'completed');
    assert.deepEqual([s.rowsRead, s.inserted, s.updated, s.unchanged, s.rejected], [2, 2, 0, 0, 0]);
    assert.equal(s.bytes, Buffer.byteLength(csv));
    assert.match(s.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.equal(s.fileName, 'pta-2026-05.csv');
    const rec = await t.ctx.db.query<{ data: Record<string, unknown>; source: string; import_id: string }>(
      "SELECT data, source, import_id FROM reg_records WHERE registry = 'sims' AND key = '+923001234567'",
    );
    assert.deepEqual(rec.rows[0]?.data, {
      msisdn: '+923001234567',
      operator: 'Jazz',
      ownerCnic: '35202-1234567-1',
      activatedOn: '2020-02-01',
      status: 'active',
    });
    assert.equal(rec.rows[0]?.import_id, s.id);
    const links = await t.ctx.db.query("SELECT cnic, rel FROM reg_links WHERE registry = 'sims' AND key = '+923217654321'");
    assert.deepEqual(links.rows, [{ cnic: '35202-7654321-2', rel: 'holder' }]);
    await t.ledger.flush();
    const entries = (await t.ledger.listEntries({ action: 'registries.import.completed', limit: 100 })).items;
    const e = entries.find((x) => x.resource === `registries:import:${s.id}`);
    assert.ok(e, 'the import is in the ledger');
    assert.equal(e.actorType, 'system');
    const outbox = await count("SELECT count(*)::int AS n FROM event_outbox WHERE name = 'registries.import.completed' AND payload->>'importId' = $1", [s.id]);
    assert.equal(outbox, 1, 'the event committed with the import');
  });

  it('rejects each bad row with its line, field and reason, and imports the rest', async () => {
    const lines = [
      SIMS_HEADER.trimEnd(), // 1
      '03001110001,Jazz,35202-1234567-1,01-02-2020,active', // 2 ok
      '03001110002,Zong,3520212345,01-02-2020,active', // 3 bad CNIC
      '12345,Jazz,35202-1234567-1,01-02-2020,active', // 4 bad MSISDN
      '03001110004,Jazz,35202-1234567-1,31-02-1990,active', // 5 no such date
      '03001110005,Jazz,35202-1234567-1', // 6 too few cells
      '03001110006,Jazz,35202-1234567-1,01-02-2020,active,extra', // 7 too many
      '"03001110007","Ufone","35202-1234567-1","01-02-2020","act', // 8 quoted newline ...
      'ive"', // 9 ... ends here
      '', // 10 blank: not a row
      '03001110001,Telenor,35202-1234567-1,01-02-2020,active', // 11 duplicate of line 2
      '"03001110008","Telenor","35202-1234567-1","01-02-2020","active"', // 12 ok
    ];
    const bad = Buffer.concat([
      Buffer.from(`${lines.join('\n')}\n`),
      Buffer.from('03001110009,Ja'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('z,35202-1234567-1,01-02-2020,active\n'),
    ]); // 13 invalid UTF-8
    const s = await importFile(bad);
    assert.equal(s.status, 'completed');
    assert.deepEqual([s.rowsRead, s.inserted, s.rejected], [10, 2, 8]);
    assert.equal(sumUp(s), s.rowsRead, 'nothing is dropped silently');
    const r = await rejects(s.id);
    const at = (line: number) => r.find((x) => x.line === line);
    assert.deepEqual(at(3), { line: 3, field: 'ownerCnic', reason: '"3520212345" is not a CNIC (13 digits, NNNNN-NNNNNNN-N)' });
    assert.deepEqual(at(4), { line: 4, field: 'msisdn', reason: '"12345" is not a Pakistani mobile number (+92 3XX XXXXXXX)' });
    assert.deepEqual(at(5), { line: 5, field: 'activatedOn', reason: '31-02-1990 is not a real calendar date' });
    assert.deepEqual(at(6), { line: 6, field: null, reason: 'the row has 3 cells, the header has 5' });
    assert.deepEqual(at(7), { line: 7, field: null, reason: 'the row has 6 cells, the header has 5' });
    assert.equal(at(8)?.field, 'status', 'the quoted cell spanning lines 8-9 is reported at line 8');
    assert.deepEqual(at(11), { line: 11, field: 'msisdn', reason: 'duplicate key +923001110001: line 2 has the same key (the first is kept)' });
    assert.deepEqual(at(13), {
      line: 13,
      field: 'operator',
      reason: 'column "operator" is not valid UTF-8 (the file must be UTF-8, or UTF-16 with a byte-order mark)',
    });
    assert.equal(r.length, 8);
    assert.equal(at(12), undefined);
    // The first of the duplicates was kept.
    const kept = await t.ctx.db.query<{ op: string }>("SELECT data->>'operator' AS op FROM reg_records WHERE registry = 'sims' AND key = '+923001110001'");
    assert.equal(kept.rows[0]?.op, 'Jazz');
  });

  it('reads UTF-8 with a BOM and UTF-16 LE/BE with a BOM; Urdu text passes through in every column', async () => {
    const header = 'ntn,cnic,name,status,registered_on,tax_office\n';
    const row = (n: number, name: string, office: string) => `123456${n}-${n},35202-123456${n}-1,${name},active,2019-03-0${n},${office}\n`;
    const urduName = 'محمد علی';
    const utf8 = header + row(1, urduName, 'لاہور');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(header + row(2, 'علی رضا', 'RTO Lahore'), 'utf16le')]);
    const beText = Buffer.from(header + row(3, 'فاطمہ بی بی', 'کراچی'), 'utf16le');
    beText.swap16();
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), beText]);
    for (const [label, data] of [
      ['utf-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(utf8)])],
      ['utf-16le BOM', le],
      ['utf-16be BOM', be],
    ] as const) {
      const s = await importFile(data, { registry: 'tax' });
      assert.deepEqual([s.rowsRead, s.inserted, s.rejected], [1, 1, 0], label);
    }
    const names = await t.ctx.db.query<{ key: string; name: string; office: string }>(
      "SELECT key, data->>'name' AS name, data->>'taxOffice' AS office FROM reg_records WHERE registry = 'tax' ORDER BY key",
    );
    assert.deepEqual(names.rows, [
      { key: '1234561-1', name: urduName, office: 'لاہور' },
      { key: '1234562-2', name: 'علی رضا', office: 'RTO Lahore' },
      { key: '1234563-3', name: 'فاطمہ بی بی', office: 'کراچی' },
    ]);
    // Urdu in every column: read without harm; the identifiers are refused by name.
    const s = await importFile(`${header}${['این ٹی این', 'شناختی کارڈ', 'نام', 'فعال', 'تاریخ', 'دفتر'].join(',')}\n`, { registry: 'tax' });
    const r = await rejects(s.id);
    assert.equal(r.length, 1);
    assert.equal(r[0]?.line, 2);
    assert.equal(r[0]?.field, 'ntn');
    assert.match(r[0]?.reason ?? '', /^"این ٹی این" is not an NTN/);
    assert.match(r[0]?.reason ?? '', /cnic "شناختی کارڈ" is not a CNIC/);
  });

  it('refuses UTF-16 without a byte-order mark, naming the fix', async () => {
    const f = await failedImport(Buffer.from(SIMS_HEADER, 'utf16le'));
    assert.match(f.message, /looks like UTF-16 without a byte-order mark/);
    assert.equal(f.summary.status, 'failed');
  });

  it('refuses a header missing a required field, or with a column it cannot place, before importing anything', async () => {
    const before = await records('sims');
    const missing = await failedImport('msisdn,operator,activated_on,status\n03001230000,Jazz,01-02-2020,active\n');
    assert.match(missing.message, /^the header has no column for the required field ownerCnic/);
    assert.equal(missing.summary.status, 'failed');
    assert.equal(missing.summary.error, missing.message);
    const unknown = await failedImport(`msisdn,operator,owner_cnic,activated_on,status,REMARKS\n`);
    assert.match(unknown.message, /^column "REMARKS" is not a field of the sims registry: map it in a mapping file/);
    assert.equal(await records('sims'), before);
    const row = await repo.getImport(t.ctx.db, missing.summary.id);
    assert.equal(row?.status, 'failed');
  });

  it('maps source columns with a mapping file (constants, ignored columns, date order) and checks the mapping before reading', async () => {
    const mapping = {
      columns: { MOBILE_NO: 'msisdn', TELCO: 'operator', CNIC_NO: 'ownerCnic', ACT_DATE: 'activatedOn', REMARKS: null },
      constants: { status: 'active' },
      dateOrder: 'MDY',
      delimiter: ';',
    };
    const s = await importFile('MOBILE_NO;TELCO;CNIC_NO;ACT_DATE;REMARKS\n03451112222;Telenor;61101-1111111-1;12/31/2020;whatever\n', { mapping });
    assert.deepEqual([s.inserted, s.rejected], [1, 0]);
    const rec = await t.ctx.db.query<{ data: Record<string, unknown> }>("SELECT data FROM reg_records WHERE registry = 'sims' AND key = '+923451112222'");
    assert.equal(rec.rows[0]?.data['activatedOn'], '2020-12-31');
    assert.equal(rec.rows[0]?.data['status'], 'active');

    const refused = async (m: unknown, registry = 'sims'): Promise<ImportInputError> => {
      const before = await count('SELECT count(*)::int AS n FROM reg_imports');
      try {
        await importFile(SIMS_HEADER, { mapping: m, registry });
      } catch (err) {
        if (!(err instanceof ImportInputError)) throw err;
        assert.equal(await count('SELECT count(*)::int AS n FROM reg_imports'), before, 'nothing is recorded for a refused mapping');
        return err;
      }
      assert.fail('the mapping should be refused');
    };
    let e = await refused({ columns: { PHONE: 'phoneNumber' } });
    assert.equal(e.field, 'mapping/columns/PHONE');
    assert.match(e.message, /"phoneNumber" is not a field of the sims registry/);
    e = await refused({ columns: { A: 'msisdn', B: 'msisdn' } });
    assert.equal(e.field, 'mapping/columns/B');
    assert.equal(e.message, 'columns "A" and "B" are both mapped to msisdn');
    e = await refused('{"columns": ');
    assert.equal(e.field, 'mapping');
    e = await refused({ columns: {}, colums: {} });
    assert.equal(e.field, 'mapping/colums');
    e = await refused({ columns: { X: 'status' }, constants: { status: 'active' } });
    assert.equal(e.field, 'mapping/constants/status');
    e = await refused({ dateOrder: 'DDMMYY' });
    assert.equal(e.field, 'mapping/dateOrder');
    e = await refused(undefined, 'cars');
    assert.equal(e.field, 'registry');
    assert.equal(e.message, 'unknown registry "cars"');
  });

  it('fails a CSV cut off inside a quoted cell as a whole: no record, no link; the import is failed with its rejects', async () => {
    const before = await records('sims');
    const linksBefore = await count("SELECT count(*)::int AS n FROM reg_links WHERE registry = 'sims'");
    const csv = `${SIMS_HEADER}03009990001,Jazz,35202-1234567-1,01-02-2020,active\n03009990002,Jazz,bad,01-02-2020,active\n03009990003,Jazz,35202-1234567-1,"01-02-2020,active\n`;
    const f = await failedImport(csv);
    assert.equal(f.message, 'file ends mid-row at line 4: the extract is truncated');
    assert.equal(f.summary.status, 'failed');
    assert.deepEqual([f.summary.inserted, f.summary.updated, f.summary.unchanged], [0, 0, 0]);
    assert.equal(await records('sims'), before, 'reg_records untouched');
    assert.equal(await count("SELECT count(*)::int AS n FROM reg_links WHERE registry = 'sims'"), linksBefore, 'reg_links untouched');
    assert.equal(await count("SELECT count(*)::int AS n FROM reg_records WHERE key LIKE '+92300999%'"), 0);
    const r = await rejects(f.summary.id);
    assert.deepEqual(
      r.map((x) => [x.line, x.field]),
      [
        [3, 'ownerCnic'],
        [4, null],
      ],
      'the rejects survive the rollback',
    );
    assert.equal(r[1]?.reason, 'file ends mid-row at line 4: the extract is truncated');
    await t.ledger.flush();
    const failed = (await t.ledger.listEntries({ action: 'registries.import.failed', limit: 100 })).items;
    assert.ok(failed.some((x) => x.resource === `registries:import:${f.summary.id}`));
    assert.equal(
      await count("SELECT count(*)::int AS n FROM event_outbox WHERE name = 'registries.import.failed' AND payload->>'importId' = $1", [f.summary.id]),
      1,
    );
    assert.equal(
      await count("SELECT count(*)::int AS n FROM event_outbox WHERE name = 'registries.import.completed' AND payload->>'importId' = $1", [f.summary.id]),
      0,
    );
  });

  it('fails a CSV whose last line, without a newline, is short of cells', async () => {
    const f = await failedImport(`${SIMS_HEADER}03009990011,Jazz,35202-1234567-1,01-02-2020,active\n03009990012,Jazz,35202-12`);
    assert.equal(f.message, 'file ends mid-row at line 3: the extract is truncated');
    assert.equal(await count("SELECT count(*)::int AS n FROM reg_records WHERE key = '+923009990011'"), 0);
    // The same short row followed by a newline is one rejected row, not a truncation.
    const s = await importFile(`${SIMS_HEADER}03009990011,Jazz,35202-1234567-1,01-02-2020,active\n03009990012,Jazz,35202-12\n`);
    assert.deepEqual([s.inserted, s.rejected], [1, 1]);
  });

  it('imports JSON Lines, rejecting a bad line and failing a truncated last line', async () => {
    const good = (n: number) =>
      JSON.stringify({ msisdn: `0333000000${n}`, operator: 'Ufone', owner_cnic: '42101-1234567-3', activatedOn: '2022-01-0' + n, status: 'active' });
    const s = await importFile(`${good(1)}\n{"msisdn": "03330000002",\n\n[1,2]\n${good(3)}\r\n${good(4)}`, { format: 'jsonl' });
    assert.deepEqual([s.rowsRead, s.inserted, s.rejected], [5, 3, 2]);
    const r = await rejects(s.id);
    assert.equal(r[0]?.line, 2);
    assert.match(r[0]?.reason ?? '', /^the line is not valid JSON/);
    assert.deepEqual(r[1], { line: 4, field: null, reason: 'a line must hold one JSON object' });

    const before = await records('sims');
    const f = await failedImport(`${good(5)}\n${good(6)}\n{"msisdn": "0333000000`, { format: 'jsonl' });
    assert.equal(f.message, 'file ends mid-row at line 3: the extract is truncated');
    assert.equal(await records('sims'), before);
    const bad = await importFile(Buffer.concat([Buffer.from('{"msisdn": "03330000009", "operator": "Uf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]), {
      format: 'jsonl',
    });
    assert.deepEqual(await rejects(bad.id), [
      { line: 1, field: null, reason: 'the line is not valid UTF-8 (the file must be UTF-8, or UTF-16 with a byte-order mark)' },
    ]);
  });

  it('is idempotent: the same extract again changes nothing; a newer one updates by key and replaces links', async () => {
    const v1 = `${SIMS_HEADER}03121000001,Jazz,35202-1000000-1,2020-01-01,active\n03121000002,Zong,35202-1000000-3,2020-01-01,active\n03121000003,Jazz,35202-1000000-5,2020-01-01,active\n`;
    const first = await importFile(v1);
    assert.deepEqual([first.inserted, first.updated, first.unchanged], [3, 0, 0]);
    const stamp = async () =>
      (
        await t.ctx.db.query<{ key: string; u: string; imp: string }>(
          "SELECT key, updated_at::text AS u, import_id::text AS imp FROM reg_records WHERE key LIKE '+92312100000%' ORDER BY key",
        )
      ).rows;
    const before = await stamp();
    const again = await importFile(v1);
    assert.deepEqual([again.rowsRead, again.inserted, again.updated, again.unchanged, again.rejected], [3, 0, 0, 3, 0]);
    assert.deepEqual(await stamp(), before, 'updated_at and import_id untouched');

    // Newer extract: one holder changed, one status changed, one record absent (kept), one new.
    const v2 = `${SIMS_HEADER}03121000001,Jazz,35202-2000000-7,2020-01-01,active\n03121000002,Zong,35202-1000000-3,2020-01-01,blocked\n03121000004,Onic,35202-1000000-9,2024-01-01,active\n`;
    const newer = await importFile(v2);
    assert.deepEqual([newer.inserted, newer.updated, newer.unchanged], [1, 2, 0]);
    const after = await stamp();
    assert.equal(after.length, 4, 'the record absent from the newer extract is kept');
    assert.equal(after.find((x) => x.key === '+923121000003')?.u, before.find((x) => x.key === '+923121000003')?.u);
    assert.equal(after.find((x) => x.key === '+923121000001')?.imp, newer.id);
    const links = await t.ctx.db.query<{ cnic: string }>("SELECT cnic FROM reg_links WHERE registry = 'sims' AND key = '+923121000001'");
    assert.deepEqual(
      links.rows.map((x) => x.cnic),
      ['35202-2000000-7'],
      'the old holder link is replaced',
    );
  });

  it('imports nested records (vehicles with transfers as a JSON cell)', async () => {
    const csv =
      'registration_no,chassis_no,engine_no,owner_cnic,make,model,year,colour,registered_on,district,transfers\n' +
      'LEA 19 1234,NZE141-123,1NZ-998,35202-1234567-1,Toyota,Corolla,2019,White,15-06-2019,Lahore,"[{""fromCnic"":""35202-7654321-3"",""toCnic"":""35202-1234567-1"",""date"":""2021-03-01""}]"\n';
    const s = await importFile(csv, { registry: 'vehicles' });
    assert.deepEqual([s.inserted, s.rejected], [1, 0]);
    const links = await t.ctx.db.query<{ cnic: string; rel: string }>(
      "SELECT cnic, rel FROM reg_links WHERE registry = 'vehicles' AND key = 'LEA-19-1234' ORDER BY rel",
    );
    assert.deepEqual(links.rows, [
      { cnic: '35202-1234567-1', rel: 'owner' },
      { cnic: '35202-7654321-3', rel: 'previous-owner' },
    ]);
  });

  it('maintains the person index with identity records', { skip: namesBuilt ? false : 'names/index.ts not built yet' }, async () => {
    const header =
      'cnic,name,name_urdu,father_name,father_name_urdu,gender,date_of_birth,place_of_birth,district,permanent_address,present_address,issued_on,expires_on\n';
    const v1 = `${header}35202-1111111-1,Muhammad Ali,محمد علی,Ahmed Khan,احمد خان,M,14-08-1985,Lahore,Lahore,"House 1, Street 2",,2015-01-01,2025-01-01\n`;
    const s = await importFile(v1, { registry: 'identity' });
    assert.deepEqual([s.inserted, s.rejected], [1, 0]);
    const p = await t.ctx.db.query<{ name: string; birth_year: number; district: string; name_keys: string[] }>(
      "SELECT name, birth_year, district, name_keys FROM reg_persons WHERE cnic = '35202-1111111-1'",
    );
    assert.equal(p.rows[0]?.name, 'Muhammad Ali');
    assert.equal(p.rows[0]?.birth_year, 1985);
    assert.equal(p.rows[0]?.district, 'lahore');
    assert.ok(p.rows[0]?.name_keys.some((k) => k.startsWith('n:')) && p.rows[0]?.name_keys.some((k) => k.startsWith('f:')));
    const v2 = v1.replace('Muhammad Ali', 'Muhammad Ali Raza');
    const u = await importFile(v2, { registry: 'identity' });
    assert.deepEqual([u.updated, u.unchanged], [1, 0]);
    const p2 = await t.ctx.db.query<{ name: string }>("SELECT name FROM reg_persons WHERE cnic = '35202-1111111-1'");
    assert.equal(p2.rows[0]?.name, 'Muhammad Ali Raza');
  });
});
