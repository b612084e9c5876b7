/**
 * Exact look-up (CNIC, MSISDN, vehicle, passport, NTN, FIR) and fuzzy person
 * search (Roman or Urdu script), both under the tab's case context.
 *
 * The last answers are kept in memory for this page, so coming back from a
 * profile shows them again without a second (ledgered) query.
 */
import { useState, type FormEvent } from 'react';
import { LOOKUP_TYPES, type LookupResult, type LookupType, type SearchResult } from '@kotwal/contracts';
import { useSession } from '../../core/auth/session.tsx';
import { Badge, EmptyState, Spinner } from '../../ui/feedback.tsx';
import { Section } from '../../ui/page.tsx';
import { useAsync } from '../../ui/use-async.ts';
import { registriesApi, type SearchParams } from './api.ts';
import { CaseRequired, useCaseContext } from './case-context.tsx';
import { AccessReceipt, CnicText, PersonLink, PersonName, QueryError, ScoreBar } from './common.tsx';
import { RecordCard, REGISTRY_LABELS } from './records.tsx';
import { TableHead } from '../../ui/table.tsx';

const LOOKUP_LABELS: Record<LookupType, { label: string; placeholder: string }> = {
  cnic: { label: 'CNIC', placeholder: '35202-1234567-1' },
  msisdn: { label: 'Mobile number (MSISDN)', placeholder: '+92 300 1234567' },
  vehicle: { label: 'Vehicle registration', placeholder: 'LEA-19-1234' },
  passport: { label: 'Passport number', placeholder: 'AB1234567' },
  ntn: { label: 'NTN', placeholder: '1234567-8' },
  fir: { label: 'FIR number', placeholder: 'LHR-MODELTOWN/123/2024' },
};

interface SearchForm {
  name: string;
  fatherName: string;
  district: string;
  birthYearFrom: string;
  birthYearTo: string;
  gender: '' | 'M' | 'F';
}

const EMPTY_FORM: SearchForm = { name: '', fatherName: '', district: '', birthYearFrom: '', birthYearTo: '', gender: '' };

type Outcome<T> = { state: 'idle' } | { state: 'running' } | { state: 'done'; result: T } | { state: 'error'; error: unknown };

/** Survives leaving the screen (e.g. to open a profile) for the life of the page. */
const memory: {
  userId: string | null;
  lookupType: LookupType;
  lookupValue: string;
  lookup: Outcome<LookupResult>;
  form: SearchForm;
  search: Outcome<SearchResult>;
} = { userId: null, lookupType: 'cnic', lookupValue: '', lookup: { state: 'idle' }, form: EMPTY_FORM, search: { state: 'idle' } };

function yearOf(s: string): number | undefined {
  const t = s.trim();
  if (!/^\d{4}$/.test(t)) return undefined;
  return Number(t);
}

function yearError(s: string): string | undefined {
  if (!s.trim()) return undefined;
  const y = yearOf(s);
  return y === undefined || y < 1900 || y > 2100 ? 'a year between 1900 and 2100' : undefined;
}

export function SearchScreen({ base }: { base: string }) {
  const ctx = useCaseContext();
  const { can, me } = useSession();
  if (memory.userId !== me.id) {
    // Another user signed in on this page: nothing of the previous one's answers stays.
    Object.assign(memory, { userId: me.id, lookupType: 'cnic', lookupValue: '', lookup: { state: 'idle' }, form: EMPTY_FORM, search: { state: 'idle' } });
  }
  const stats = useAsync(async (signal) => (can('registries.read') ? registriesApi.stats(signal) : null), []);

  const [lookupType, setLookupType] = useState<LookupType>(memory.lookupType);
  const [lookupValue, setLookupValue] = useState(memory.lookupValue);
  const [lookup, setLookupState] = useState<Outcome<LookupResult>>(memory.lookup);
  const [form, setFormState] = useState<SearchForm>(memory.form);
  const [search, setSearchState] = useState<Outcome<SearchResult>>(memory.search);

  const setLookup = (o: Outcome<LookupResult>) => {
    memory.lookup = o;
    setLookupState(o);
  };
  const setSearch = (o: Outcome<SearchResult>) => {
    memory.search = o;
    setSearchState(o);
  };
  const setForm = (f: SearchForm) => {
    memory.form = f;
    setFormState(f);
  };

  const runLookup = async (e: FormEvent) => {
    e.preventDefault();
    const value = lookupValue.trim();
    if (!ctx || !value) return;
    memory.lookupType = lookupType;
    memory.lookupValue = value;
    setLookup({ state: 'running' });
    try {
      setLookup({ state: 'done', result: await registriesApi.lookup(lookupType, value, ctx) });
    } catch (error) {
      setLookup({ state: 'error', error });
    }
  };

  const fromErr = yearError(form.birthYearFrom);
  const toErr = yearError(form.birthYearTo);
  const hasCriteria = !!(form.name.trim() || form.fatherName.trim());
  const searchOk = hasCriteria && !fromErr && !toErr;

  const runSearch = async (e: FormEvent) => {
    e.preventDefault();
    if (!ctx || !searchOk) return;
    const q: SearchParams = {};
    if (form.name.trim()) q.name = form.name.trim();
    if (form.fatherName.trim()) q.fatherName = form.fatherName.trim();
    if (form.district.trim()) q.district = form.district.trim();
    const from = yearOf(form.birthYearFrom);
    const to = yearOf(form.birthYearTo);
    if (from !== undefined) q.birthYearFrom = from;
    if (to !== undefined) q.birthYearTo = to;
    if (form.gender) q.gender = form.gender;
    setSearch({ state: 'running' });
    try {
      setSearch({ state: 'done', result: await registriesApi.search(q, ctx) });
    } catch (error) {
      setSearch({ state: 'error', error });
    }
  };

  const noCtx = ctx === null;

  return (
    <>
      {stats.data ? (
        <div className="reg-stats" data-testid="registries-stats" aria-label="Records per registry">
          {stats.data.registries.map((r) => (
            <span key={r.registry} className="reg-stat" data-registry={r.registry}>
              <span className="reg-stat-num">{r.records.toLocaleString()}</span> <span className="muted small">{REGISTRY_LABELS[r.registry]}</span>
            </span>
          ))}
        </div>
      ) : null}

      <div className="grid-2 reg-forms">
        <Section title="Exact look-up" testId="lookup-panel">
          <form className="form-stack" onSubmit={(e) => void runLookup(e)} noValidate aria-label="Exact look-up">
            <div className="form-row">
              <div className="field">
                <label htmlFor="lookup-type">Identifier</label>
                <select id="lookup-type" value={lookupType} onChange={(e) => setLookupType(e.target.value as LookupType)} data-testid="lookup-type">
                  {LOOKUP_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {LOOKUP_LABELS[t].label}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="lookup-value">Value</label>
                <input
                  id="lookup-value"
                  value={lookupValue}
                  onChange={(e) => setLookupValue(e.target.value)}
                  placeholder={LOOKUP_LABELS[lookupType].placeholder}
                  maxLength={200}
                  autoComplete="off"
                  spellCheck={false}
                  data-testid="lookup-value"
                />
              </div>
            </div>
            <div className="button-row">
              <button
                type="submit"
                className="btn btn-primary"
                disabled={noCtx || !lookupValue.trim() || lookup.state === 'running'}
                data-testid="lookup-submit"
              >
                {lookup.state === 'running' ? 'Looking up\u2026' : 'Look up'}
              </button>
            </div>
          </form>
          {noCtx ? <CaseRequired what="looking anything up" /> : null}
        </Section>

        <Section title="Person search" testId="search-panel">
          <form className="form-stack" onSubmit={(e) => void runSearch(e)} noValidate aria-label="Person search">
            <div className="form-row">
              <div className="field">
                <label htmlFor="search-name">Name (Roman or Urdu)</label>
                <input
                  id="search-name"
                  dir="auto"
                  value={form.name}
                  onChange={(e) => setForm({ ...form, name: e.target.value })}
                  placeholder="Muhammad Asif / محمد آصف"
                  maxLength={200}
                  autoComplete="off"
                  data-testid="search-name"
                />
              </div>
              <div className="field">
                <label htmlFor="search-father">Father&rsquo;s name</label>
                <input
                  id="search-father"
                  dir="auto"
                  value={form.fatherName}
                  onChange={(e) => setForm({ ...form, fatherName: e.target.value })}
                  maxLength={200}
                  autoComplete="off"
                  data-testid="search-father"
                />
              </div>
            </div>
            <div className="form-row">
              <div className="field">
                <label htmlFor="search-district">District</label>
                <input
                  id="search-district"
                  value={form.district}
                  onChange={(e) => setForm({ ...form, district: e.target.value })}
                  maxLength={40}
                  data-testid="search-district"
                />
              </div>
              <div className={`field${fromErr ? ' field-invalid' : ''}`}>
                <label htmlFor="search-year-from">Born from</label>
                <input
                  id="search-year-from"
                  inputMode="numeric"
                  value={form.birthYearFrom}
                  onChange={(e) => setForm({ ...form, birthYearFrom: e.target.value })}
                  placeholder="1970"
                  maxLength={4}
                  data-testid="search-year-from"
                  aria-invalid={fromErr ? true : undefined}
                />
                {fromErr ? <div className="field-error">{fromErr}</div> : null}
              </div>
              <div className={`field${toErr ? ' field-invalid' : ''}`}>
                <label htmlFor="search-year-to">Born to</label>
                <input
                  id="search-year-to"
                  inputMode="numeric"
                  value={form.birthYearTo}
                  onChange={(e) => setForm({ ...form, birthYearTo: e.target.value })}
                  placeholder="1990"
                  maxLength={4}
                  data-testid="search-year-to"
                  aria-invalid={toErr ? true : undefined}
                />
                {toErr ? <div className="field-error">{toErr}</div> : null}
              </div>
              <div className="field">
                <label htmlFor="search-gender">Gender</label>
                <select
                  id="search-gender"
                  value={form.gender}
                  onChange={(e) => setForm({ ...form, gender: e.target.value as SearchForm['gender'] })}
                  data-testid="search-gender"
                >
                  <option value="">Any</option>
                  <option value="M">Male</option>
                  <option value="F">Female</option>
                </select>
              </div>
            </div>
            <div className="button-row">
              <button type="submit" className="btn btn-primary" disabled={noCtx || !searchOk || search.state === 'running'} data-testid="search-submit">
                {search.state === 'running' ? 'Searching\u2026' : 'Search'}
              </button>
              <button
                type="button"
                className="btn btn-secondary"
                onClick={() => {
                  setForm(EMPTY_FORM);
                  setSearch({ state: 'idle' });
                }}
              >
                Clear
              </button>
            </div>
          </form>
          {noCtx ? <CaseRequired what="searching" /> : !hasCriteria ? <p className="muted small">Enter a name or a father&rsquo;s name.</p> : null}
        </Section>
      </div>

      <LookupAnswer outcome={lookup} base={base} />
      <SearchAnswer outcome={search} base={base} />
    </>
  );
}

function LookupAnswer({ outcome, base }: { outcome: Outcome<LookupResult>; base: string }) {
  if (outcome.state === 'idle') return null;
  if (outcome.state === 'running') return <Spinner label="Looking up" />;
  if (outcome.state === 'error') return <QueryError error={outcome.error} title="The look-up was refused" />;
  const r = outcome.result;
  return (
    <Section title={`Look-up: ${r.value}`} testId="lookup-results">
      {r.records.length === 0 ? (
        <EmptyState title="No record has this identifier" />
      ) : (
        <div className="record-grid">
          {r.records.map((v) => (
            <RecordCard key={`${v.registry}:${v.key}`} view={v} base={base} />
          ))}
        </div>
      )}
      {r.type === 'cnic' && r.records.length ? (
        <p>
          <PersonLink base={base} refId={r.value} testId="lookup-open-profile">
            Open the profile of {r.value}
          </PersonLink>
        </p>
      ) : null}
      <AccessReceipt access={r.access} />
    </Section>
  );
}

function SearchAnswer({ outcome, base }: { outcome: Outcome<SearchResult>; base: string }) {
  if (outcome.state === 'idle') return null;
  if (outcome.state === 'running') return <Spinner label="Searching" />;
  if (outcome.state === 'error') return <QueryError error={outcome.error} title="The search was refused" />;
  const r = outcome.result;
  return (
    <Section title={`Persons found: ${r.items.length}`} testId="search-results">
      {r.truncated ? (
        <p className="muted small" data-testid="search-truncated">
          More than {r.candidates} candidates matched; only the best were ranked. Narrow the search with a father&rsquo;s name, district or birth years.
        </p>
      ) : null}
      {r.items.length === 0 ? (
        <EmptyState title="Nobody matches" />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="search-hits">
            <caption className="sr-only">Ranked matches</caption>
            <TableHead columns={['Score', 'Person', 'Father\u2019s name', 'CNIC', 'Born', 'District', 'Why it matched']} />
            <tbody>
              {r.items.map((h, i) => (
                <tr key={h.person.ref} data-testid={`search-hit-${i}`} className="search-hit" data-cnic={h.person.cnic} data-masked={String(h.person.masked)}>
                  <td>
                    <ScoreBar score={h.score} />
                  </td>
                  <td>
                    <PersonLink base={base} refId={h.person.ref} testId={`search-hit-open-${i}`}>
                      {h.person.name}
                    </PersonLink>
                    {h.person.nameUrdu ? (
                      <div>
                        <span className="urdu" dir="rtl" lang="ur" data-testid="search-hit-urdu">
                          {h.person.nameUrdu}
                        </span>
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <PersonName name={h.person.fatherName} nameUrdu={h.person.fatherNameUrdu} />
                  </td>
                  <td>
                    <CnicText cnic={h.person.cnic} masked={h.person.masked} />
                  </td>
                  <td className="nowrap">{h.person.dateOfBirth ?? '\u2014'}</td>
                  <td>{h.person.district}</td>
                  <td>
                    <ul className="why-list" data-testid="search-why">
                      {h.why.map((w) => (
                        <li key={w}>{w}</li>
                      ))}
                    </ul>
                    {h.person.masked ? <Badge tone="neutral">masked</Badge> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <AccessReceipt access={r.access} />
    </Section>
  );
}
