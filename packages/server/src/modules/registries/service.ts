/**
 * Accountable registry search. Every query (search, look-up, profile, access
 * log) goes through `audited`, which:
 *  1. refuses a query without a lawful purpose and a case reference (400),
 *  2. refuses an officer blocked by the anomaly control (423),
 *  3. counts the query against the officer's rate and breadth thresholds and
 *     blocks them (raising an alert) when one is crossed,
 *  4. runs the query, then raises a high alert for every canary touched, and
 *  5. writes the ledger entry naming the records returned (identifiers, not
 *     values) before the answer leaves, with one access-index row per person
 *     so "who looked at me" is one indexed query.
 * Every refusal is ledgered too, with the purpose and case it gave.
 */
import { randomUUID } from 'node:crypto';
import {
  CASE_REF_PATTERN,
  LOOKUP_TYPES,
  PROBLEM_TYPES,
  REGISTRIES,
  REGISTRY_PURPOSES,
  type AccessLog,
  type LookupResult,
  type LookupType,
  type PersonProfile,
  type RegistryName,
  type RegistryPurpose,
  type SearchResult,
} from '@kotwal/contracts';
import type { CoreContext, LedgerAppend, Principal } from '#core/context.ts';
import { HttpProblem, type FieldError } from '#core/http/problem.ts';
import { createSecretBox, loadOrCreateSecretsKey, type SecretBox } from '#core/auth/secrets.ts';
import { normalizeCnic, normalizeFir, normalizeMsisdn, normalizeNtn, normalizePassport, normalizeVehicleReg } from './canonical.ts';
import { compareNames } from './names/index.ts';
import { normalizeDistrict, prefixedKeys } from './search-index.ts';
import * as repo from './repository.ts';
import { presentAccessEntry, presentAlert, presentBlock, presentCanary, presentPerson, presentRecord, type Viewer } from './presenters.ts';

export interface AccessCtx {
  principal: Principal;
  requestId: string;
}

export interface Accountability {
  purpose: RegistryPurpose;
  caseRef: string;
  covert: boolean;
}

interface QueryInput {
  purpose?: string | undefined;
  case?: string | undefined;
  covert?: boolean | undefined;
}

/** What a query returned, for the ledger and the access index. */
interface Disclosure<T> {
  result: T;
  /** Records returned, by identifier. */
  returned: { registry: string; key: string }[];
  /** Persons (CNIC) whose data the answer shows. */
  persons: string[];
  /** Extra details for the ledger (query terms, counts); personal data stays in the details record. */
  details?: Record<string, unknown>;
}

const CASE_RE = new RegExp(CASE_REF_PATTERN);
const LINK_TTL_MS = 12 * 60 * 60 * 1000;
const RELATIVES_LIMIT = 20;
/** Below this, names share a phonetic key but are different names (see names/index.ts). */
const MIN_NAME_SCORE = 0.7;

/** In-memory sliding windows per officer (one process; blocks themselves are persisted and shared). */
class ActivityWindows {
  private readonly queries = new Map<string, number[]>();
  private readonly subjects = new Map<string, Map<string, number>>();

  /** Records a query; returns how many the officer made in the last minute, this one included. */
  hit(userId: string, now: number): number {
    const list = (this.queries.get(userId) ?? []).filter((t) => t > now - 60_000);
    list.push(now);
    this.queries.set(userId, list);
    return list.length;
  }

  /** Adds persons seen; returns the distinct persons in the last hour. */
  see(userId: string, cnics: readonly string[], now: number): number {
    let m = this.subjects.get(userId);
    if (!m) this.subjects.set(userId, (m = new Map()));
    for (const [k, t] of m) if (t <= now - 3_600_000) m.delete(k);
    for (const c of cnics) m.set(c, now);
    return m.size;
  }

  reset(userId: string): void {
    this.queries.delete(userId);
    this.subjects.delete(userId);
  }
}

export interface RegistriesService {
  search(a: AccessCtx, q: SearchInput): Promise<SearchResult>;
  lookup(a: AccessCtx, q: QueryInput & { type?: string | undefined; value?: string | undefined }): Promise<LookupResult>;
  profile(a: AccessCtx, cnicOrRef: string, q: QueryInput): Promise<PersonProfile>;
  accessLog(a: AccessCtx, cnic: string, q: QueryInput & { limit?: number | undefined }): Promise<AccessLog>;
  stats(): Promise<{ registries: { registry: RegistryName; records: number; lastImportAt: string | null }[]; purposes: string[]; lookupTypes: string[] }>;
  listAlerts(a: AccessCtx): Promise<ReturnType<typeof presentAlert>[]>;
  acknowledgeAlert(a: AccessCtx, id: string): Promise<ReturnType<typeof presentAlert>>;
  listBlocks(a: AccessCtx): Promise<ReturnType<typeof presentBlock>[]>;
  releaseBlock(a: AccessCtx, id: string, note: string): Promise<ReturnType<typeof presentBlock>>;
  listCanaries(a: AccessCtx): Promise<ReturnType<typeof presentCanary>[]>;
  addCanary(a: AccessCtx, cnic: string, note: string): Promise<ReturnType<typeof presentCanary>>;
  close(): void;
}

export interface SearchInput extends QueryInput {
  name?: string | undefined;
  fatherName?: string | undefined;
  district?: string | undefined;
  birthYearFrom?: number | undefined;
  birthYearTo?: number | undefined;
  gender?: 'M' | 'F' | undefined;
  limit?: number | undefined;
}

function invalid(detail: string, errors: FieldError[]): HttpProblem {
  return new HttpProblem(400, PROBLEM_TYPES.validation, 'Invalid request', detail, errors);
}

export function createRegistriesService(ctx: CoreContext, opts: { now?: () => Date } = {}): RegistriesService {
  const now = opts.now ?? (() => new Date());
  const cfg = ctx.config;
  const windows = new ActivityWindows();
  let box: SecretBox | null = null;
  const secretBox = (): SecretBox => (box ??= createSecretBox(loadOrCreateSecretsKey(cfg.secretsKeyPath)));

  // Blocks and canaries are few: cached, refreshed every few seconds so that
  // several server processes converge, and at once on a local change.
  let blocked = new Map<string, string>();
  let canaries = new Set<string>();
  let loadedAt = 0;
  const refresh = async (force = false): Promise<void> => {
    if (!force && Date.now() - loadedAt < 5_000) return;
    const [b, c] = await Promise.all([repo.openBlocks(ctx.db), repo.listCanaries(ctx.db)]);
    blocked = new Map(b.map((x) => [x.user_id, x.id]));
    canaries = new Set(c.map((x) => x.cnic));
    loadedAt = Date.now();
  };

  const viewerOf = (a: AccessCtx, subject: string | null): Viewer => ({
    unmasked: a.principal.permissions.has('registries.unmasked'),
    subject,
    ref: (cnic: string) => linkRef(a, cnic),
  });

  function linkRef(a: AccessCtx, cnic: string): string {
    const ct = secretBox().encrypt(`${cnic}|${Date.now() + LINK_TTL_MS}`, `registries-link:${a.principal.id}`);
    return `lnk_${ct.slice(ct.indexOf('.') + 1)}`;
  }

  /** A CNIC, or a link reference this officer was given, to a CNIC; null when neither. */
  function resolvePerson(a: AccessCtx, value: string): { cnic: string } | { error: string } {
    if (value.startsWith('lnk_')) {
      try {
        const plain = secretBox().decrypt(`v1.${value.slice(4)}`, `registries-link:${a.principal.id}`);
        const [cnic, exp] = plain.split('|');
        if (!cnic || Number(exp) < Date.now()) return { error: 'this link reference has expired: search again' };
        return { cnic };
      } catch {
        return { error: 'not a link reference issued to you' };
      }
    }
    const cnic = normalizeCnic(value);
    return cnic ? { cnic } : { error: 'must be a CNIC (13 digits, NNNNN-NNNNNNN-N) or a link reference (lnk_...)' };
  }

  const baseEntry = (
    a: AccessCtx,
    action: string,
    resource: string,
    outcome: 'allowed' | 'denied',
    acc: Partial<Accountability>,
    details: Record<string, unknown>,
  ) =>
    ({
      actorType: a.principal.kind,
      actorId: a.principal.id,
      action,
      resource,
      outcome,
      purpose: acc.purpose ?? null,
      caseRef: acc.caseRef ?? null,
      requestId: a.requestId,
      details: { actor: a.principal.name, ...details },
    }) satisfies LedgerAppend;

  /** Ledgers a refusal (with whatever purpose/case it gave) and returns the problem to throw. */
  async function refuse(
    a: AccessCtx,
    action: string,
    resource: string,
    acc: Partial<Accountability>,
    p: HttpProblem,
    details: Record<string, unknown> = {},
  ): Promise<HttpProblem> {
    await ctx.ledger.append(baseEntry(a, action, resource, 'denied', acc, { status: p.status, reason: p.detail ?? p.title, ...details }));
    return p;
  }

  function checkAccountability(
    a: AccessCtx,
    q: QueryInput,
  ): { ok: Accountability } | { errors: FieldError[]; forbidden?: boolean; partial: Partial<Accountability> } {
    const errors: FieldError[] = [];
    const partial: Partial<Accountability> = {};
    const purpose = q.purpose?.trim();
    if (!purpose) errors.push({ field: 'purpose', message: `is required: the legal basis of the query (${REGISTRY_PURPOSES.join(', ')})` });
    else if (!(REGISTRY_PURPOSES as readonly string[]).includes(purpose))
      errors.push({ field: 'purpose', message: `must be one of ${REGISTRY_PURPOSES.join(', ')}` });
    else partial.purpose = purpose as RegistryPurpose;
    const caseRef = q.case?.trim();
    if (!caseRef) errors.push({ field: 'case', message: 'is required: the FIR or inquiry number this query serves' });
    else if (!CASE_RE.test(caseRef)) errors.push({ field: 'case', message: 'must be an FIR or inquiry number: 3-64 letters, digits, / - . or spaces' });
    else partial.caseRef = caseRef;
    if (errors.length) return { errors, partial };
    if (q.covert && !a.principal.permissions.has('registries.covert')) {
      return { errors: [{ field: 'covert', message: 'marking a query covert needs the permission registries.covert' }], forbidden: true, partial };
    }
    return { ok: { purpose: partial.purpose!, caseRef: partial.caseRef!, covert: q.covert === true } };
  }

  async function blockOfficer(a: AccessCtx, acc: Partial<Accountability>, reason: string): Promise<void> {
    const at = now();
    await ctx.unitOfWork(async (tx) => {
      const { block, created } = await repo.insertBlock(tx, { id: randomUUID(), userId: a.principal.id, username: a.principal.name, reason, at });
      if (!created) return;
      const alertId = randomUUID();
      await repo.insertAlert(tx, {
        id: alertId,
        kind: 'anomaly',
        severity: 'high',
        user_id: a.principal.id,
        username: a.principal.name,
        subject: null,
        detail: `${a.principal.name} blocked from registry look-ups: ${reason}`,
        raised_at: at,
      });
      await ctx.ledger.appendInTx(tx, baseEntry(a, 'registries.user.blocked', `registries:block:${block.id}`, 'allowed', acc, { reason, alertId }));
      await ctx.events.emit(tx, 'registries.user.blocked', { blockId: block.id, userId: a.principal.id, reason }, { requestId: a.requestId });
      await ctx.events.emit(
        tx,
        'registries.alert.raised',
        { alertId, kind: 'anomaly', severity: 'high', userId: a.principal.id, subject: null },
        { requestId: a.requestId },
      );
    });
    windows.reset(a.principal.id);
    await refresh(true);
  }

  function blockedProblem(): HttpProblem {
    return new HttpProblem(
      423,
      PROBLEM_TYPES.registriesBlocked,
      'Registry access blocked',
      'your registry look-ups crossed the anomaly threshold and are blocked until a supervisor releases them',
    );
  }

  async function audited<T>(a: AccessCtx, action: string, resource: string, q: QueryInput, run: (acc: Accountability) => Promise<Disclosure<T>>): Promise<T> {
    const checked = checkAccountability(a, q);
    if (!('ok' in checked)) {
      const p = checked.forbidden
        ? new HttpProblem(403, PROBLEM_TYPES.forbidden, 'Forbidden', checked.errors[0].message, checked.errors)
        : new HttpProblem(
            400,
            PROBLEM_TYPES.accountabilityRequired,
            'Purpose and case required',
            'every registry query names its legal basis and case',
            checked.errors,
          );
      throw await refuse(a, action, resource, checked.partial, p);
    }
    const acc = checked.ok;
    await refresh();
    if (blocked.has(a.principal.id)) throw await refuse(a, action, resource, acc, blockedProblem());
    const t = Date.now();
    const rate = windows.hit(a.principal.id, t);
    if (rate > cfg.registryRatePerMinute) {
      await blockOfficer(a, acc, `${rate} queries in one minute (threshold ${cfg.registryRatePerMinute})`);
      throw await refuse(a, action, resource, acc, blockedProblem());
    }
    let out: Disclosure<T>;
    try {
      out = await run(acc);
    } catch (err) {
      if (err instanceof HttpProblem) throw await refuse(a, action, resource, acc, err);
      throw err;
    }
    const persons = [...new Set(out.persons)];
    const breadth = windows.see(a.principal.id, persons, t);
    if (breadth > cfg.registryBreadthPerHour) {
      await blockOfficer(a, acc, `${breadth} distinct persons in one hour (threshold ${cfg.registryBreadthPerHour})`);
      throw await refuse(a, action, resource, acc, blockedProblem(), { withheld: out.returned });
    }
    const at = now();
    const { seq } = await ctx.ledger.append(
      baseEntry(a, action, resource, 'allowed', acc, { covert: acc.covert, returned: out.returned, ...(out.details ?? {}) }),
    );
    const touched = persons.filter((c) => canaries.has(c));
    // Only a canary touch writes ledger entries and events here: otherwise a
    // plain transaction, with no sequencer or dispatcher to wake.
    const inTx = touched.length ? ctx.unitOfWork.bind(ctx) : ctx.db.transaction.bind(ctx.db);
    await inTx(async (tx) => {
      // The ledger entry above is durable and authoritative; this index of it
      // need not wait for its own flush to disk (one fsync per read, not two),
      // unless the transaction also raises a canary alert.
      if (!touched.length) await tx.query('SET LOCAL synchronous_commit TO OFF');
      await repo.insertAccess(
        tx,
        persons.map((cnic) => ({
          cnic,
          at,
          actor_type: a.principal.kind,
          actor_id: a.principal.id,
          actor_name: a.principal.name,
          action,
          outcome: 'allowed',
          purpose: acc.purpose,
          case_ref: acc.caseRef,
          covert: acc.covert,
          disclosable_after: acc.covert ? new Date(at.getTime() + cfg.registryCovertDisclosureDays * 86_400_000) : null,
        })),
        seq,
      );
      for (const cnic of touched) {
        const alertId = randomUUID();
        await repo.insertAlert(tx, {
          id: alertId,
          kind: 'canary',
          severity: 'high',
          user_id: a.principal.id,
          username: a.principal.name,
          subject: cnic,
          detail: `${a.principal.name} touched canary record ${cnic} (${action}, purpose ${acc.purpose}, case ${acc.caseRef}, ledger seq ${seq})`,
          raised_at: at,
        });
        await ctx.ledger.appendInTx(tx, baseEntry(a, 'registries.canary.touched', `registries:alert:${alertId}`, 'allowed', acc, { cnic, accessSeq: seq }));
        await ctx.events.emit(
          tx,
          'registries.alert.raised',
          { alertId, kind: 'canary', severity: 'high', userId: a.principal.id, subject: cnic },
          { requestId: a.requestId },
        );
      }
    });
    return out.result;
  }

  const receipt = (a: AccessCtx, acc: Accountability) => ({ requestId: a.requestId, purpose: acc.purpose, caseRef: acc.caseRef });

  /** Record views with their links; collects the persons shown. */
  async function viewsOf(rows: repo.RecordRow[], viewer: Viewer, persons: Set<string>) {
    const links = await repo.linksOf(ctx.db, rows);
    const linkedCnics = [...new Set(links.map((l) => l.cnic))];
    const people = new Map((await repo.personsByCnic(ctx.db, linkedCnics)).map((p) => [p.cnic, p]));
    for (const c of linkedCnics) persons.add(c);
    const byRecord = new Map<string, repo.LinkRow[]>();
    for (const l of links) {
      const k = `${l.registry}\u0000${l.key}`;
      byRecord.set(k, [...(byRecord.get(k) ?? []), l]);
    }
    return rows.map((r) => presentRecord(r, byRecord.get(`${r.registry}\u0000${r.key}`) ?? [], people, viewer));
  }

  return {
    async search(a, q) {
      return audited(a, 'registries.search', 'registries:search', q, async (acc) => {
        const name = q.name?.trim() ?? '';
        const father = q.fatherName?.trim() ?? '';
        const errors: FieldError[] = [];
        const nameKeys = prefixedKeys('n', name);
        const fatherKeys = father ? prefixedKeys('f', father) : [];
        if (!name) errors.push({ field: 'name', message: 'is required (Roman or Urdu script)' });
        else if (!nameKeys.length) errors.push({ field: 'name', message: 'has no letters to search by' });
        if (father && !fatherKeys.length) errors.push({ field: 'fatherName', message: 'has no letters to search by' });
        if (q.birthYearFrom !== undefined && q.birthYearTo !== undefined && q.birthYearFrom > q.birthYearTo)
          errors.push({ field: 'birthYearFrom', message: 'is after birthYearTo' });
        if (errors.length) throw invalid('the search is incomplete', errors);
        const limit = q.limit ?? 20;
        const max = cfg.registrySearchCandidates;
        const filter = {
          district: q.district?.trim() ? normalizeDistrict(q.district) : null,
          yearFrom: q.birthYearFrom ?? null,
          yearTo: q.birthYearTo ?? null,
          gender: q.gender ?? null,
          limit: max + 1,
        };
        let candidates = await repo.searchCandidates(ctx.db, { ...filter, keys: [...nameKeys, ...fatherKeys] });
        let relaxed = false;
        if (!candidates.length && fatherKeys.length) {
          // The father's name may be spelt beyond recognition: rank on the name alone.
          candidates = await repo.searchCandidates(ctx.db, { ...filter, keys: nameKeys });
          relaxed = true;
        }
        const truncated = candidates.length > max;
        if (truncated) candidates = candidates.slice(0, max);
        const ranked = candidates
          .map((p) => {
            const n = compareNames(name, { roman: p.name, urdu: p.name_urdu });
            const f = father ? compareNames(father, { roman: p.father_name, urdu: p.father_name_urdu }) : null;
            const score = f ? n.score * 0.6 + f.score * 0.4 : n.score;
            const why = [...n.why.map((w) => `name: ${w}`), ...(f ? f.why.map((w) => `father's name: ${w}`) : [])];
            if (relaxed) why.push("father's name: no match (ranked on the name alone)");
            if (filter.district) why.push(`district: ${p.district}`);
            if (filter.yearFrom !== null || filter.yearTo !== null) why.push(`born ${p.birth_year ?? 'unknown'}`);
            return { p, score: relaxed ? score * 0.8 : score, why, weakest: Math.min(n.weakest, f ? f.weakest : 1) };
          })
          // Keys are deliberately coarse (Roman spellings do not show vowel
          // length): a candidate where any name only shares the key
          // (Muhammad / Mahmood, Hassan / Hussain) is not a match.
          .filter((r) => r.weakest >= MIN_NAME_SCORE)
          .sort((x, y) => y.score - x.score || x.p.cnic.localeCompare(y.p.cnic))
          .slice(0, limit);
        const identities = new Map(
          (
            await repo.getIdentities(
              ctx.db,
              ranked.map((r) => r.p.cnic),
            )
          ).map((r) => [r.key, r.data]),
        );
        const viewer = viewerOf(a, null);
        const items = ranked.map((r) => ({
          person: presentPerson(r.p, identities.get(r.p.cnic) ?? null, viewer, { addresses: false }),
          score: Math.round(r.score * 1000) / 1000,
          why: r.why,
        }));
        return {
          result: { items, candidates: candidates.length, truncated, access: receipt(a, acc) },
          returned: ranked.map((r) => ({ registry: 'identity', key: r.p.cnic })),
          persons: ranked.map((r) => r.p.cnic),
          details: {
            query: { name, fatherName: father || null, district: filter.district, yearFrom: filter.yearFrom, yearTo: filter.yearTo },
            candidates: candidates.length,
          },
        };
      });
    },

    async lookup(a, q) {
      return audited(a, 'registries.lookup', 'registries:lookup', q, async (acc) => {
        const type = q.type?.trim() ?? '';
        const value = q.value?.trim() ?? '';
        if (!(LOOKUP_TYPES as readonly string[]).includes(type))
          throw invalid('unknown look-up type', [{ field: 'type', message: `must be one of ${LOOKUP_TYPES.join(', ')}` }]);
        if (!value) throw invalid('nothing to look up', [{ field: 'value', message: 'is required' }]);
        const spec: Record<LookupType, { registry: RegistryName; normalize: (v: string) => string | null; what: string }> = {
          cnic: { registry: 'identity', normalize: normalizeCnic, what: 'a CNIC (13 digits)' },
          msisdn: { registry: 'sims', normalize: normalizeMsisdn, what: 'a Pakistani mobile number (+92 3XX XXXXXXX)' },
          vehicle: { registry: 'vehicles', normalize: normalizeVehicleReg, what: 'a vehicle registration number (e.g. LEA-19-1234)' },
          passport: { registry: 'travel', normalize: normalizePassport, what: 'a passport number (two letters, seven digits)' },
          ntn: { registry: 'tax', normalize: normalizeNtn, what: 'an NTN (7 digits and a check digit)' },
          fir: { registry: 'criminal', normalize: normalizeFir, what: 'an FIR number (STATION/serial/year)' },
        };
        const s = spec[type as LookupType];
        const key = s.normalize(value);
        if (!key) throw invalid(`value is not ${s.what}`, [{ field: 'value', message: `must be ${s.what}` }]);
        const row = await repo.getRecord(ctx.db, s.registry, key);
        const persons = new Set<string>();
        const viewer = viewerOf(a, null);
        const records = row ? await viewsOf([row], viewer, persons) : [];
        if (row && s.registry === 'identity') persons.add(key);
        return {
          result: { type, value: key, records, access: receipt(a, acc) },
          returned: row ? [{ registry: s.registry, key }] : [],
          persons: [...persons],
          details: { type, value: key, found: Boolean(row) },
        };
      });
    },

    async profile(a, cnicOrRef, q) {
      return audited(a, 'registries.person.read', 'registries:person', q, async (acc) => {
        const resolved = resolvePerson(a, cnicOrRef);
        if ('error' in resolved) throw invalid(`cnic ${resolved.error}`, [{ field: 'cnic', message: resolved.error }]);
        const cnic = resolved.cnic;
        const [identity, named] = await Promise.all([repo.getRecord(ctx.db, 'identity', cnic), repo.recordsNaming(ctx.db, cnic)]);
        if (!identity && !named.length)
          throw new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', 'no registry knows this CNIC', [{ field: 'cnic', message: 'not in any registry' }]);
        const viewer = viewerOf(a, cnic);
        const persons = new Set<string>([cnic]);
        const unique = new Map<string, repo.RecordRow>();
        for (const r of named) unique.set(`${r.registry}\u0000${r.key}`, r);
        const views = await viewsOf([...unique.values()], viewer, persons);
        const records: PersonProfile['records'] = { vehicles: [], customs: [], sims: [], land: [], tax: [], travel: [], foreigners: [], criminal: [] };
        for (const v of views) if (v.registry !== 'identity') records[v.registry].push(v);
        const [self] = await repo.personsByCnic(ctx.db, [cnic]);
        let relatives: PersonProfile['relatives'] = [];
        if (self) {
          const rel = await repo.relativesOf(ctx.db, self, prefixedKeys('f', self.father_name), RELATIVES_LIMIT);
          const ids = new Map(
            (
              await repo.getIdentities(
                ctx.db,
                rel.map((r) => r.cnic),
              )
            ).map((r) => [r.key, r.data]),
          );
          relatives = rel.map((r) => presentPerson(r, ids.get(r.cnic) ?? null, viewer, { addresses: true }));
          for (const r of rel) persons.add(r.cnic);
        }
        const subject = self
          ? presentPerson(self, identity?.data ?? null, viewer, { addresses: true })
          : presentPerson(
              { cnic, name: '', name_urdu: null, father_name: '', father_name_urdu: null, gender: '', birth_year: null, district: '' },
              null,
              viewer,
              { addresses: true },
            );
        const identityView = identity ? presentRecord(identity, [], new Map(), viewer) : null;
        return {
          result: { subject, identity: identityView, records, relatives, access: receipt(a, acc) },
          returned: [...(identity ? [{ registry: 'identity', key: cnic }] : []), ...views.map((v) => ({ registry: v.registry, key: v.key }))],
          persons: [...persons],
          details: { viaLink: cnicOrRef.startsWith('lnk_') },
        };
      });
    },

    async accessLog(a, cnicParam, q) {
      return audited(a, 'registries.access-log.read', 'registries:access-log', q, async (acc) => {
        const cnic = normalizeCnic(cnicParam);
        if (!cnic) throw invalid('cnic must be a CNIC', [{ field: 'cnic', message: 'must be a CNIC (13 digits, NNNNN-NNNNNNN-N)' }]);
        const at = now();
        const oversight = a.principal.permissions.has('registries.oversight');
        const rows = await repo.accessLog(ctx.db, cnic, q.limit ?? 200);
        const visible = oversight ? rows : rows.filter((r) => !(r.covert && r.disclosable_after && r.disclosable_after > at));
        const withheld = oversight ? 0 : await repo.countWithheld(ctx.db, cnic, at);
        return {
          result: { cnic, items: visible.map(presentAccessEntry), withheld, access: receipt(a, acc) },
          returned: [{ registry: 'access-log', key: cnic }],
          persons: [cnic],
          details: { entries: visible.length, withheld },
        };
      });
    },

    async stats() {
      const [counts, imports] = await Promise.all([repo.registryCounts(ctx.db), repo.lastImports(ctx.db)]);
      const c = new Map(counts.map((x) => [x.registry, x.records]));
      const i = new Map(imports.map((x) => [x.registry, x.at]));
      return {
        registries: REGISTRIES.map((r) => ({ registry: r, records: c.get(r) ?? 0, lastImportAt: i.get(r)?.toISOString() ?? null })),
        purposes: [...REGISTRY_PURPOSES],
        lookupTypes: [...LOOKUP_TYPES],
      };
    },

    async listAlerts(a) {
      const rows = await repo.listAlerts(ctx.db, 500);
      await ctx.ledger.append(baseEntry(a, 'registries.alerts.read', 'registries:alerts', 'allowed', {}, { returned: rows.length }));
      return rows.map(presentAlert);
    },

    async acknowledgeAlert(a, id) {
      const row = await ctx.unitOfWork(async (tx) => {
        const r = await repo.acknowledgeAlert(tx, id, a.principal.name, now());
        if (r) await ctx.ledger.appendInTx(tx, baseEntry(a, 'registries.alert.acknowledged', `registries:alert:${id}`, 'allowed', {}, {}));
        return r;
      });
      if (!row)
        throw await refuse(
          a,
          'registries.alert.acknowledged',
          `registries:alert:${id}`,
          {},
          new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', 'no such alert', [{ field: 'id', message: 'no such alert' }]),
        );
      return presentAlert(row);
    },

    async listBlocks(a) {
      const rows = await repo.listBlocks(ctx.db, 500);
      await ctx.ledger.append(baseEntry(a, 'registries.blocks.read', 'registries:blocks', 'allowed', {}, { returned: rows.length }));
      return rows.map(presentBlock);
    },

    async releaseBlock(a, id, note) {
      const existing = await repo.getBlock(ctx.db, id);
      const notFound = new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', 'no such block', [{ field: 'id', message: 'no such block' }]);
      if (!existing) throw await refuse(a, 'registries.user.released', `registries:block:${id}`, {}, notFound);
      if (existing.user_id === a.principal.id) {
        throw await refuse(
          a,
          'registries.user.released',
          `registries:block:${id}`,
          {},
          new HttpProblem(403, PROBLEM_TYPES.forbidden, 'Forbidden', 'a supervisor cannot release their own block'),
        );
      }
      const row = await ctx.unitOfWork(async (tx) => {
        const r = await repo.releaseBlock(tx, id, a.principal.name, note, now());
        if (!r) return null;
        await ctx.ledger.appendInTx(tx, baseEntry(a, 'registries.user.released', `registries:block:${id}`, 'allowed', {}, { userId: r.user_id, note }));
        await ctx.events.emit(tx, 'registries.user.released', { blockId: id, userId: r.user_id, releasedBy: a.principal.id }, { requestId: a.requestId });
        return r;
      });
      if (!row)
        throw await refuse(
          a,
          'registries.user.released',
          `registries:block:${id}`,
          {},
          new HttpProblem(409, PROBLEM_TYPES.conflict, 'Conflict', 'this block was already released'),
        );
      windows.reset(row.user_id);
      await refresh(true);
      return presentBlock(row);
    },

    async listCanaries(a) {
      const rows = await repo.listCanaries(ctx.db);
      await ctx.ledger.append(baseEntry(a, 'registries.canaries.read', 'registries:canaries', 'allowed', {}, { returned: rows.length }));
      return rows.map(presentCanary);
    },

    async addCanary(a, cnicParam, note) {
      const cnic = normalizeCnic(cnicParam);
      if (!cnic)
        throw await refuse(
          a,
          'registries.canary.created',
          'registries:canaries',
          {},
          invalid('cnic must be a CNIC', [{ field: 'cnic', message: 'must be a CNIC' }]),
        );
      const row = { cnic, note, created_at: now(), created_by: a.principal.name };
      const created = await ctx.unitOfWork(async (tx) => {
        const ok = await repo.insertCanary(tx, row);
        if (ok) await ctx.ledger.appendInTx(tx, baseEntry(a, 'registries.canary.created', 'registries:canaries', 'allowed', {}, { cnic, note }));
        return ok;
      });
      if (!created)
        throw await refuse(
          a,
          'registries.canary.created',
          'registries:canaries',
          {},
          new HttpProblem(409, PROBLEM_TYPES.conflict, 'Conflict', 'this CNIC is already a canary'),
        );
      await refresh(true);
      return presentCanary(row);
    },

    close() {},
  };
}
