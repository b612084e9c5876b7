import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PROBLEM_TYPES, type AccessLog, type LookupResult, type PersonProfile, type Problem, type SearchResult } from '@kotwal/contracts';
import { buildTestApp, type TestApp } from '#test/app.ts';
import { adminSession, authHeaders, userSession, type Session } from '#test/auth-helpers.ts';
import { PEOPLE, seedRegistries } from './test-support.ts';

const ACC = 'purpose=criminal-investigation&case=FIR-123/2024';

describe('registries: accountable search', () => {
  let t: TestApp;
  let admin: Session;
  let investigator: Session;
  let operator: Session;
  let oversight: Session;
  let supervisor: Session;

  before(async () => {
    t = await buildTestApp({ env: { KOTWAL_REGISTRY_RATE_PER_MINUTE: '40', KOTWAL_REGISTRY_BREADTH_PER_HOUR: '1000' } });
    await seedRegistries(t.ctx.db);
    admin = await adminSession(t);
    investigator = await userSession(t, admin, 'inv.khan', ['investigator']);
    operator = await userSession(t, admin, 'op.rao', ['operator']);
    oversight = await userSession(t, admin, 'dpo.malik', ['oversight']);
    supervisor = await userSession(t, admin, 'sup.butt', ['supervisor']);
  });
  after(async () => t.close());

  const get = async <T>(url: string, who: Session) => {
    const res = await t.app.inject({ method: 'GET', url, headers: authHeaders(who) });
    return { status: res.statusCode, body: res.json<T>(), type: String(res.headers['content-type']) };
  };
  const post = async <T>(url: string, who: Session, payload: unknown = {}) => {
    const res = await t.app.inject({ method: 'POST', url, headers: authHeaders(who), payload: payload as Record<string, unknown> });
    return { status: res.statusCode, body: res.json<T>() };
  };
  const entries = async (action: string) => {
    await t.ledger.flush();
    return (await t.ledger.listEntries({ action, limit: 1000 })).items;
  };

  it('refuses a query without purpose or case with 400, and ledgers the refusal', async () => {
    const before = (await entries('registries.search')).length;
    const r = await get<Problem>('/api/v1/registries/search?name=Ali', investigator);
    assert.equal(r.status, 400);
    assert.match(r.type, /application\/problem\+json/);
    assert.equal(r.body.type, PROBLEM_TYPES.accountabilityRequired);
    assert.deepEqual(r.body.errors?.map((e) => e.field).sort(), ['case', 'purpose']);
    const bad = await get<Problem>('/api/v1/registries/persons/35202-1234567-1?purpose=curiosity&case=x', investigator);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors?.map((e) => e.field).sort(), ['case', 'purpose']);
    const after = await entries('registries.search');
    assert.equal(after.length, before + 1);
    assert.equal(after.at(-1)!.outcome, 'denied');
    const refusedProfile = (await entries('registries.person.read')).at(-1)!;
    assert.equal(refusedProfile.outcome, 'denied');
  });

  it('profile joins every registry for one CNIC and ledgers the identifiers it returned', async () => {
    const r = await get<PersonProfile>(`/api/v1/registries/persons/3520212345671?${ACC}`, investigator);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const p = r.body;
    assert.equal(p.subject.cnic, PEOPLE.ali);
    assert.equal(p.subject.masked, false);
    assert.equal(p.subject.presentAddress, 'House 12, Street 4, Model Town, Lahore');
    assert.deepEqual(p.records.sims.map((s) => s.key).sort(), ['+923001234567', '+923217654321']);
    assert.deepEqual(
      p.records.vehicles.map((v) => v.key),
      ['LEA-19-1234'],
    );
    assert.equal(p.records.land[0].links.length, 2);
    assert.equal(p.records.tax[0].key, '1234567-8');
    assert.equal(p.records.travel[0].key, 'AB1234567');
    assert.equal(p.records.criminal[0].key, 'LHR-MODELTOWN/123/2024');
    assert.ok(
      p.relatives.some((x) => x.cnic === PEOPLE.sister),
      'the sister shares the father and district',
    );
    assert.equal(p.access.caseRef, 'FIR-123/2024');
    const entry = (await entries('registries.person.read')).at(-1)!;
    assert.equal(entry.outcome, 'allowed');
    assert.equal(entry.purpose, 'criminal-investigation');
    assert.equal(entry.caseRef, 'FIR-123/2024');
    const details = await t.app.inject({ method: 'GET', url: `/api/v1/ledger/entries/${entry.seq}/details`, headers: authHeaders(admin) });
    const returned = (details.json<{ details: { returned: { registry: string; key: string }[] } }>().details.returned ?? []).map(
      (x) => `${x.registry}:${x.key}`,
    );
    assert.ok(returned.includes(`identity:${PEOPLE.ali}`) && returned.includes('sims:+923001234567') && returned.includes('criminal:LHR-MODELTOWN/123/2024'));
    assert.ok(!JSON.stringify(details.json()).includes('Model Town, Lahore'), 'values are not ledgered, identifiers are');
  });

  it('masks linked persons for an operator, and a link reference expands them in one request', async () => {
    const r = await get<PersonProfile>(`/api/v1/registries/persons/${PEOPLE.ali}?${ACC}`, operator);
    assert.equal(r.status, 200);
    assert.equal(r.body.subject.cnic, PEOPLE.ali, 'the subject is shown in full');
    const accused = r.body.records.criminal[0].links.find((l) => l.rel === 'accused')!;
    assert.equal(accused.masked, true);
    assert.equal(accused.cnic, '35202-*****21-3');
    assert.ok(!JSON.stringify(r.body.records).includes(PEOPLE.cousin), 'no full CNIC of a linked person anywhere');
    const sister = r.body.relatives.find((x) => x.name === 'Fatima Bibi')!;
    assert.equal(sister.permanentAddress, null);
    // One hop: the accused, by reference.
    const hop = await get<PersonProfile>(`/api/v1/registries/persons/${accused.ref}?${ACC}`, operator);
    assert.equal(hop.status, 200);
    assert.equal(hop.body.subject.name, 'Ahmed Raza');
    assert.equal(hop.body.subject.cnic, PEOPLE.cousin);
    // A reference is bound to the officer it was issued to.
    const stolen = await get<Problem>(`/api/v1/registries/persons/${accused.ref}?${ACC}`, investigator);
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body.errors?.[0]?.field, 'cnic');
    // The investigator (registries.unmasked) sees everyone in full.
    const inv = await get<PersonProfile>(`/api/v1/registries/persons/${PEOPLE.ali}?${ACC}`, investigator);
    assert.equal(inv.body.records.criminal[0].links.find((l) => l.rel === 'accused')!.cnic, PEOPLE.cousin);
  });

  it('looks up by MSISDN, vehicle, passport, NTN and FIR in the forms people write them', async () => {
    const cases: [string, string, string][] = [
      ['msisdn', '0300 1234567', '+923001234567'],
      ['msisdn', '+92-300-1234567', '+923001234567'],
      ['vehicle', 'lea 19 1234', 'LEA-19-1234'],
      ['passport', 'ab1234567', 'AB1234567'],
      ['ntn', '12345678', '1234567-8'],
      ['fir', 'LHR-MODELTOWN / 123 / 2024', 'LHR-MODELTOWN/123/2024'],
      ['cnic', '3520212345671', PEOPLE.ali],
    ];
    for (const [type, value, key] of cases) {
      const r = await get<LookupResult>(`/api/v1/registries/lookup?type=${type}&value=${encodeURIComponent(value)}&${ACC}`, investigator);
      assert.equal(r.status, 200, `${type} ${value}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.value, key);
      assert.equal(r.body.records[0]?.key, key);
    }
    const sim = await get<LookupResult>(`/api/v1/registries/lookup?type=msisdn&value=03001234567&${ACC}`, operator);
    const holder = sim.body.records[0].links.find((l) => l.rel === 'holder')!;
    assert.equal(holder.masked, true, 'the phone is the subject; its owner is linked');
    const owner = await get<PersonProfile>(`/api/v1/registries/persons/${holder.ref}?${ACC}`, operator);
    assert.equal(owner.body.subject.cnic, PEOPLE.ali);
    const missing = await get<LookupResult>(`/api/v1/registries/lookup?type=msisdn&value=03009999999&${ACC}`, investigator);
    assert.equal(missing.status, 200);
    assert.deepEqual(missing.body.records, []);
  });

  it('rejects bad look-ups and hostile searches with a 4xx naming the field, all ledgered', async () => {
    const before = (await entries('registries.*')).filter((e) => e.outcome === 'denied').length;
    const bad: [string, string][] = [
      [`/api/v1/registries/lookup?type=msisdn&value=12345&${ACC}`, 'value'],
      [`/api/v1/registries/lookup?type=iban&value=12345&${ACC}`, 'type'],
      [`/api/v1/registries/lookup?type=vehicle&value=${encodeURIComponent("'; DROP TABLE reg_records; --")}&${ACC}`, 'value'],
      [`/api/v1/registries/persons/123?${ACC}`, 'cnic'],
      [`/api/v1/registries/search?name=&${ACC}`, 'name'],
      [`/api/v1/registries/search?name=${encodeURIComponent('!!! ---')}&${ACC}`, 'name'],
      [`/api/v1/registries/search?name=${'a'.repeat(5000)}&${ACC}`, 'name'],
    ];
    for (const [url, field] of bad) {
      const r = await get<Problem>(url, investigator);
      assert.ok(r.status >= 400 && r.status < 500, `${url} -> ${r.status}`);
      assert.ok(
        r.body.errors?.some((e) => e.field.includes(field)),
        `${url}: ${JSON.stringify(r.body)}`,
      );
    }
    const injection = await get<SearchResult>(`/api/v1/registries/search?name=${encodeURIComponent("Ali' OR '1'='1")}&${ACC}`, investigator);
    assert.equal(injection.status, 200);
    assert.ok(injection.body.items.every((i) => /ali/i.test(i.person.name)));
    const count = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM reg_records`);
    assert.ok(count.rows[0].n > 10, 'tables intact');
    await t.ledger.flush();
    const denied = (await t.ledger.listEntries({ limit: 1000, outcome: 'denied' })).items.filter(
      (e) => e.action.startsWith('registries.') || e.action === 'http.request.rejected',
    );
    assert.ok(denied.length >= before + bad.length, `every refusal ledgered (${denied.length})`);
  });

  it('finds people by name across spellings and scripts, ranked, with reasons', async () => {
    const q = async (params: string) => (await get<SearchResult>(`/api/v1/registries/search?${params}&${ACC}`, investigator)).body;
    for (const name of ['Muhammad Ali', 'Mohd Ali', 'Mohammad Ali', 'Muhammed Aly', 'محمد علی']) {
      const r = await q(`name=${encodeURIComponent(name)}`);
      assert.equal(r.items[0]?.person.cnic, PEOPLE.ali, `${name}: ${JSON.stringify(r.items.map((i) => i.person.name))}`);
      assert.ok(r.items[0].why.length > 0 && r.items[0].score > 0.5);
    }
    const mahmood = await q(`name=${encodeURIComponent('محمود علی')}`);
    assert.ok(mahmood.items.some((i) => i.person.cnic === PEOPLE.mahmood));
    assert.ok(!mahmood.items.some((i) => i.person.cnic === PEOPLE.ali), 'محمود is not محمد');
    const withFather = await q(`name=Fatima&fatherName=${encodeURIComponent('Gulam Husain')}&district=lahore`);
    assert.deepEqual(
      withFather.items.map((i) => i.person.cnic),
      [PEOPLE.sister],
    );
    assert.ok(withFather.items[0].why.some((w) => w.startsWith("father's name")));
    const urdu = await q(`name=${encodeURIComponent('زینب')}`);
    assert.equal(urdu.items[0]?.person.cnic, PEOPLE.urduOnly);
    const nobody = await q('name=Zzyzx');
    assert.deepEqual(nobody.items, []);
    const operatorView = (await get<SearchResult>(`/api/v1/registries/search?name=Ahmed&${ACC}`, operator)).body;
    assert.equal(operatorView.items[0]?.person.masked, true);
    assert.equal(operatorView.items[0]?.person.presentAddress, null);
  });

  it('who looked at me: lists accesses; covert ones are withheld from all but oversight', async () => {
    const covertDenied = await get<Problem>(`/api/v1/registries/persons/${PEOPLE.cousin}?${ACC}&covert=true`, operator);
    assert.equal(covertDenied.status, 403);
    const covert = await get<PersonProfile>(`/api/v1/registries/persons/${PEOPLE.cousin}?${ACC}&covert=true`, investigator);
    assert.equal(covert.status, 200);
    const log = await get<AccessLog>(`/api/v1/registries/persons/${PEOPLE.cousin}/access-log?purpose=oversight-audit&case=INQ-7/2026`, oversight);
    assert.equal(log.status, 200, JSON.stringify(log.body));
    assert.ok(
      log.body.items.some((i) => i.covert && i.actorName === 'inv.khan'),
      'oversight sees covert accesses',
    );
    assert.ok(log.body.items.some((i) => !i.covert && i.actorName === 'op.rao'));
    assert.equal(log.body.withheld, 0);
    // A viewer with the access log but not oversight: covert withheld.
    const role = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/roles/access-log-clerk',
      headers: authHeaders(admin),
      payload: { description: 'Answers data-subject requests', permissions: ['auth.self', 'registries.access-log.read'] },
    });
    assert.equal(role.statusCode, 201, role.body);
    const clerk = await userSession(t, admin, 'clerk.aziz', ['access-log-clerk']);
    const clerkLog = await get<AccessLog>(`/api/v1/registries/persons/${PEOPLE.cousin}/access-log?purpose=oversight-audit&case=INQ-8/2026`, clerk);
    assert.equal(clerkLog.status, 200, JSON.stringify(clerkLog.body));
    assert.ok(clerkLog.body.withheld >= 1);
    assert.ok(!clerkLog.body.items.some((i) => i.covert));
    const noLog = await get<Problem>(`/api/v1/registries/persons/${PEOPLE.cousin}/access-log?${ACC}`, investigator);
    assert.equal(noLog.status, 403);
  });

  it('a canary identity raises a high-priority alert on every access', async () => {
    const add = await post<Problem>('/api/v1/registries/canaries', oversight, { cnic: '3520299999999', note: 'honeytoken for the DES audit' });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    const again = await post<Problem>('/api/v1/registries/canaries', oversight, { cnic: PEOPLE.canary, note: 'twice' });
    assert.equal(again.status, 409);
    const r = await get<SearchResult>(`/api/v1/registries/search?name=Imran%20Qureshi&${ACC}`, investigator);
    assert.equal(r.status, 200);
    const alerts = await get<{ items: { kind: string; severity: string; subject: string | null; username: string | null; id: string }[] }>(
      '/api/v1/registries/alerts',
      oversight,
    );
    const canary = alerts.body.items.find((a) => a.kind === 'canary');
    assert.ok(canary, JSON.stringify(alerts.body));
    assert.equal(canary.severity, 'high');
    assert.equal(canary.subject, PEOPLE.canary);
    assert.equal(canary.username, 'inv.khan');
    const ack = await post<{ acknowledgedBy: string }>(`/api/v1/registries/alerts/${canary.id}/acknowledge`, oversight);
    assert.equal(ack.status, 200);
    assert.equal(ack.body.acknowledgedBy, 'dpo.malik');
    const events = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_outbox WHERE name = 'registries.alert.raised'`);
    assert.ok(events.rows[0].n >= 1);
  });

  it('blocks an officer who crosses the rate threshold until a supervisor releases them', async () => {
    const officer = await userSession(t, admin, 'inv.rapid', ['investigator']);
    let status = 200;
    let n = 0;
    while (status === 200 && n < 100) {
      status = (await get(`/api/v1/registries/lookup?type=cnic&value=${PEOPLE.ali}&${ACC}`, officer)).status;
      n++;
    }
    assert.equal(status, 423);
    assert.equal(n, 41, 'the 41st query in a minute crosses the threshold of 40');
    const still = await get<Problem>(`/api/v1/registries/persons/${PEOPLE.ali}?${ACC}`, officer);
    assert.equal(still.status, 423);
    assert.equal(still.body.type, PROBLEM_TYPES.registriesBlocked);
    const blocks = await get<{ items: { id: string; username: string; releasedAt: string | null }[] }>('/api/v1/registries/blocks', supervisor);
    const block = blocks.body.items.find((b) => b.username === 'inv.rapid' && !b.releasedAt)!;
    assert.ok(block);
    const alerts = await get<{ items: { kind: string; username: string }[] }>('/api/v1/registries/alerts', oversight);
    assert.ok(alerts.body.items.some((a) => a.kind === 'anomaly' && a.username === 'inv.rapid'));
    const noNote = await post<Problem>(`/api/v1/registries/blocks/${block.id}/release`, supervisor, {});
    assert.equal(noNote.status, 400);
    const released = await post<{ releasedBy: string }>(`/api/v1/registries/blocks/${block.id}/release`, supervisor, {
      note: 'bulk verification for FIR-123/2024 confirmed',
    });
    assert.equal(released.status, 200);
    assert.equal(released.body.releasedBy, 'sup.butt');
    const twice = await post<Problem>(`/api/v1/registries/blocks/${block.id}/release`, supervisor, { note: 'again' });
    assert.equal(twice.status, 409);
    const after = await get(`/api/v1/registries/persons/${PEOPLE.ali}?${ACC}`, officer);
    assert.equal(after.status, 200);
    assert.ok((await entries('registries.user.blocked')).length >= 1);
    assert.ok((await entries('registries.user.released')).length >= 1);
  });
});
