import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { PROBLEM_TYPES, type ImportSummary, type Problem } from '@kotwal/contracts';
import { buildTestApp, type TestApp } from '#test/app.ts';
import { registriesModule } from '../index.ts';
import { adminSession, authHeaders, issueToken, userSession, type Session } from '#test/auth-helpers.ts';

const BASE = '/api/v1/registries/imports';
const HEADER = 'msisdn,operator,owner_cnic,activated_on,status\n';
const row = (n: number, cnic = '35202-1234567-1') => `0300${String(n).padStart(7, '0')},Jazz,${cnic},01-02-2020,active\n`;

describe('registry import routes', () => {
  let t: TestApp;
  let admin: Session;
  let steward: Session;
  let operator: Session;

  before(async () => {
    // Only this module: the import depends on no other (and is not held up by their lifecycles).
    t = await buildTestApp({ modules: [registriesModule] });
    admin = await adminSession(t);
    steward = await userSession(t, admin, 'stella', ['registry-steward']);
    operator = await userSession(t, admin, 'omar', ['operator']);
  });
  after(async () => t.close());

  const upload = (query: string, payload: string | Buffer | Readable, who: Session | null = steward, contentType = 'text/csv') =>
    t.app.inject({
      method: 'POST',
      url: `${BASE}?${query}`,
      headers: { ...(who ? authHeaders(who) : {}), 'content-type': contentType },
      payload,
    });

  it('imports a streamed upload, answers 201 with the summary, and lists and shows it', async () => {
    // A stream of many small chunks: the route reads the body as it arrives.
    const chunks = [HEADER, ...Array.from({ length: 200 }, (_, i) => row(i + 1))];
    const res = await upload('registry=sims&source=PTA&fileName=pta.csv', Readable.from(chunks.map((c) => Buffer.from(c))));
    assert.equal(res.statusCode, 201, res.body);
    const s = res.json<ImportSummary>();
    assert.equal(res.headers['location'], `${BASE}/${s.id}`);
    assert.deepEqual([s.status, s.rowsRead, s.inserted, s.rejected, s.source, s.fileName, s.startedBy], ['completed', 200, 200, 0, 'PTA', 'pta.csv', 'stella']);
    assert.equal(s.bytes, Buffer.byteLength(chunks.join('')));

    const one = await t.app.inject({ method: 'GET', url: `${BASE}/${s.id}`, headers: authHeaders(steward) });
    assert.equal(one.statusCode, 200);
    assert.deepEqual(one.json(), s);
    const again = await upload('registry=sims&source=PTA&fileName=pta-again.csv', chunks.join(''));
    assert.equal(again.json<ImportSummary>().unchanged, 200);
    const list = await t.app.inject({ method: 'GET', url: BASE, headers: authHeaders(steward) });
    assert.equal(list.statusCode, 200);
    const ids = list.json<{ items: ImportSummary[] }>().items.map((x) => x.id);
    assert.deepEqual(ids.slice(0, 2), [again.json<ImportSummary>().id, s.id], 'latest first');

    await t.ledger.flush();
    const entries = (await t.ledger.listEntries({ action: 'registries.import.completed', limit: 100 })).items;
    const e = entries.find((x) => x.resource === `registries:import:${s.id}`);
    assert.equal(e?.actorType, 'user');
    assert.equal(e?.requestId, res.headers['x-request-id']);
  });

  it('takes JSON Lines and an API token', async () => {
    // A token holds only what its issuer holds.
    const issuer = await userSession(t, admin, 'ivan', ['admin', 'registry-steward']);
    const secret = await issueToken(t, issuer, ['registries.import'], 'nadra-feed');
    const body = `${JSON.stringify({ msisdn: '03451234567', operator: 'Telenor', ownerCnic: '61101-1111111-1', activatedOn: '2020-01-01', status: 'active' })}\n`;
    const res = await t.app.inject({
      method: 'POST',
      url: `${BASE}?registry=sims&source=PTA`,
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/x-ndjson' },
      payload: body,
    });
    assert.equal(res.statusCode, 201, res.body);
    const s = res.json<ImportSummary>();
    assert.deepEqual([s.format, s.inserted, s.startedBy, s.fileName], ['jsonl', 1, 'token:nadra-feed', 'upload.jsonl']);
    const octet = await upload('registry=sims&source=PTA&fileName=x.ndjson', body, steward, 'application/octet-stream');
    assert.equal(octet.json<ImportSummary>().format, 'jsonl', 'format from the file name');
  });

  it('refuses without registries.import (403), and unauthenticated (401)', async () => {
    const denied = await upload('registry=sims', HEADER + row(9001), operator);
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(denied.json<Problem>().type, PROBLEM_TYPES.forbidden);
    assert.equal((await t.app.inject({ method: 'GET', url: BASE, headers: authHeaders(operator) })).statusCode, 403);
    assert.equal((await upload('registry=sims', HEADER, null)).statusCode, 401);
    const n = await t.ctx.db.query("SELECT 1 FROM reg_records WHERE key = '+923000009001'");
    assert.equal(n.rows.length, 0);
  });

  it('answers problem+json naming the parameter for bad query parameters, mappings and media types', async () => {
    const check = async (query: string, field: string, status = 400, contentType = 'text/csv') => {
      const res = await upload(query, HEADER + row(1), steward, contentType);
      assert.equal(res.statusCode, status, `${query}: ${res.body}`);
      assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
      const p = res.json<Problem>();
      if (field)
        assert.ok(
          p.errors?.some((e) => e.field === field),
          `${query}: ${JSON.stringify(p.errors)}`,
        );
      return p;
    };
    await check('source=PTA', '/registry');
    await check('registry=cars', '/registry');
    await check('registry=sims&format=xlsx', '/format');
    await check('registry=sims&dateOrder=DDMMYY', '/dateOrder');
    await check('registry=sims&surprise=1', '/surprise');
    const m = await check(`registry=sims&mapping=${encodeURIComponent(JSON.stringify({ columns: { PHONE: 'phone' } }))}`, 'mapping/columns/PHONE');
    assert.match(m.detail ?? '', /"phone" is not a field of the sims registry/);
    await check(`registry=sims&mapping=${encodeURIComponent('{"columns":')}`, 'mapping');
    const media = await check('registry=sims', '', 415, 'application/json');
    assert.equal(media.type, PROBLEM_TYPES.unsupportedMediaType);
    assert.match(media.detail ?? '', /text\/csv/);
    const empty = await t.app.inject({ method: 'POST', url: `${BASE}?registry=sims`, headers: authHeaders(steward) });
    assert.equal(empty.statusCode, 400);
    assert.equal((await t.app.inject({ method: 'GET', url: `${BASE}/not-a-uuid`, headers: authHeaders(steward) })).statusCode, 400);
    const missing = await t.app.inject({ method: 'GET', url: `${BASE}/00000000-0000-4000-8000-000000000000`, headers: authHeaders(steward) });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json<Problem>().errors?.[0]?.field, 'id');
  });

  it('fails a truncated upload with 422 and a Location, refuses a header with 422, and serves the rejects as JSON pages and CSV', async () => {
    const cut = await upload('registry=sims&source=PTA', `${HEADER}${row(7001)}${row(7002, 'bad-cnic')}0300700300,"Jazz`);
    assert.equal(cut.statusCode, 422, cut.body);
    const p = cut.json<Problem>();
    assert.match(p.detail ?? '', /^file ends mid-row at line 4: the extract is truncated/);
    assert.deepEqual(p.errors, [{ field: 'file', message: 'file ends mid-row at line 4: the extract is truncated' }]);
    const loc = String(cut.headers['location']);
    assert.match(loc, new RegExp(`^${BASE}/[0-9a-f-]{36}$`));
    const failed = (await t.app.inject({ method: 'GET', url: loc, headers: authHeaders(steward) })).json<ImportSummary>();
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'file ends mid-row at line 4: the extract is truncated');
    assert.equal((await t.ctx.db.query("SELECT 1 FROM reg_records WHERE key = '+923000007001'")).rows.length, 0, 'nothing imported');

    const refused = await upload('registry=sims', 'msisdn,operator\n03001234567,Jazz\n');
    assert.equal(refused.statusCode, 422);
    assert.match(refused.json<Problem>().detail ?? '', /the header has no column for the required fields ownerCnic, activatedOn, status/);

    // A completed import with rejects on lines 3, 5 and 6.
    const ok = await upload('registry=sims&source=PTA', `${HEADER}${row(8001)}${row(8002, '123')}${row(8003)}${row(8004, '456')}${row(8005, 'x,y')}`);
    assert.equal(ok.statusCode, 201);
    const id = ok.json<ImportSummary>().id;
    const page = await t.app.inject({ method: 'GET', url: `${loc.replace(/[^/]+$/, id)}/rejects?offset=1&limit=1`, headers: authHeaders(steward) });
    assert.equal(page.statusCode, 200);
    assert.deepEqual(page.json(), { items: [{ line: 5, field: 'ownerCnic', reason: '"456" is not a CNIC (13 digits, NNNNN-NNNNNNN-N)' }], total: 3 });
    const csv = await t.app.inject({ method: 'GET', url: `${BASE}/${id}/rejects?format=csv`, headers: authHeaders(steward) });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.equal(
      csv.body,
      'line,field,reason\n3,ownerCnic,"""123"" is not a CNIC (13 digits, NNNNN-NNNNNNN-N)"\n5,ownerCnic,"""456"" is not a CNIC (13 digits, NNNNN-NNNNNNN-N)"\n6,,"the row has 6 cells, the header has 5"\n',
    );
    const badPage = await t.app.inject({ method: 'GET', url: `${BASE}/${id}/rejects?limit=0`, headers: authHeaders(steward) });
    assert.equal(badPage.statusCode, 400);
    await t.ledger.flush();
    const reads = (await t.ledger.listEntries({ action: 'registries.import.rejects.read', limit: 100 })).items;
    assert.equal(reads.filter((x) => x.resource === `registries:import:${id}`).length, 2, 'reading rejects is ledgered');
  });
});
