/**
 * A person's profile: the identity card, then every record linked to the
 * CNIC across the registries. Each link to another person opens that
 * person's profile by its link reference: one ledgered request per hop.
 */
import type { PersonProfile, PersonSummary, RegistryName, RegistryRecordView } from '@kotwal/contracts';
import { useSession } from '../../core/auth/session.tsx';
import { Link } from '../../router.tsx';
import { Badge, EmptyState, Loading } from '../../ui/feedback.tsx';
import { Section } from '../../ui/page.tsx';
import { useAsync } from '../../ui/use-async.ts';
import { registriesApi } from './api.ts';
import { CaseRequired, useCaseContext, type CaseContext } from './case-context.tsx';
import { AccessReceipt, CnicText, MaskedBadge, PersonLink, PersonName, QueryError, ScriptText } from './common.tsx';
import { RecordCard, REGISTRY_LABELS } from './records.tsx';

/** The sections of a profile, in the order an investigator reads them. */
const SECTIONS: readonly { registry: Exclude<RegistryName, 'identity'>; testId: string; empty: string }[] = [
  { registry: 'sims', testId: 'person-sims', empty: 'No SIM registered to this CNIC.' },
  { registry: 'vehicles', testId: 'person-vehicles', empty: 'No vehicle registered to this CNIC.' },
  { registry: 'land', testId: 'person-land', empty: 'No land record names this CNIC.' },
  { registry: 'tax', testId: 'person-tax', empty: 'No tax registration.' },
  { registry: 'travel', testId: 'person-travel', empty: 'No passport or travel record.' },
  { registry: 'foreigners', testId: 'person-foreigners', empty: 'Sponsors no registered foreigner.' },
  { registry: 'criminal', testId: 'person-criminal', empty: 'No criminal record names this CNIC.' },
  { registry: 'customs', testId: 'person-customs', empty: 'No customs declaration.' },
];

export function PersonScreen({ base, refId }: { base: string; refId: string }) {
  const ctx = useCaseContext();
  if (!ctx) {
    return (
      <Section title="Person profile" testId="person-profile">
        <CaseRequired what="opening a profile" />
      </Section>
    );
  }
  return <Profile base={base} refId={refId} ctx={ctx} />;
}

function Profile({ base, refId, ctx }: { base: string; refId: string; ctx: CaseContext }) {
  const { can } = useSession();
  const profile = useAsync((signal) => registriesApi.person(refId, ctx, signal), [refId, ctx.purpose, ctx.caseRef, ctx.covert]);

  if (profile.loading && !profile.data) return <Loading label="Reading the registries\u2026" />;
  if (profile.error) return <QueryError error={profile.error} title="The profile could not be read" />;
  const p = profile.data;
  if (!p) return null;

  return (
    <div data-testid="person-profile" data-cnic={p.subject.cnic}>
      <p className="small">
        <Link to={`${base}/search`}>{'\u2190'} Search</Link>
      </p>
      <IdentityCard profile={p} canAccessLog={can('registries.access-log.read')} base={base} />
      {SECTIONS.map((s) => (
        <RecordSection key={s.registry} title={REGISTRY_LABELS[s.registry]} testId={s.testId} empty={s.empty} records={p.records[s.registry]} base={base} />
      ))}
      <Section title={`Relatives (${p.relatives.length})`} testId="person-relatives">
        {p.relatives.length ? (
          <Relatives persons={p.relatives} base={base} />
        ) : (
          <p className="muted">No relative found by father&rsquo;s name and family address.</p>
        )}
      </Section>
      <AccessReceipt access={p.access} />
    </div>
  );
}

function IdentityCard({ profile, canAccessLog, base }: { profile: PersonProfile; canAccessLog: boolean; base: string }) {
  const s = profile.subject;
  const id = profile.identity?.data ?? null;
  const issued = id && typeof id['issuedOn'] === 'string' ? id['issuedOn'] : null;
  const expires = id && typeof id['expiresOn'] === 'string' ? id['expiresOn'] : null;
  return (
    <section className="panel id-card" aria-label="Identity card" data-testid="person-identity" data-masked={String(s.masked)}>
      <div className="panel-header">
        <h2>
          <PersonName name={s.name} nameUrdu={s.nameUrdu} testId="person-name" />
        </h2>
        <div className="panel-actions">
          {s.masked ? <MaskedBadge /> : null}
          {canAccessLog && !s.masked ? (
            <Link to={`${base}/access-log/${encodeURIComponent(s.cnic)}`} className="btn btn-secondary btn-sm" data-testid="person-access-log-link">
              Who looked at this person
            </Link>
          ) : null}
        </div>
      </div>
      <div className="panel-body">
        {profile.identity === null ? (
          <p className="muted small" data-testid="person-no-identity">
            No identity card record: only other registries know this CNIC.
          </p>
        ) : null}
        <dl className="kv id-card-kv">
          <dt>CNIC</dt>
          <dd data-testid="person-cnic">
            <CnicText cnic={s.cnic} masked={s.masked} />
          </dd>
          <dt>Father&rsquo;s name</dt>
          <dd>
            <PersonName name={s.fatherName} nameUrdu={s.fatherNameUrdu} testId="person-father" />
          </dd>
          <dt>Gender</dt>
          <dd>{s.gender === 'M' ? 'Male' : s.gender === 'F' ? 'Female' : s.gender}</dd>
          <dt>Date of birth</dt>
          <dd>{s.dateOfBirth ?? '\u2014'}</dd>
          <dt>Place of birth</dt>
          <dd>
            <ScriptText text={s.placeOfBirth} />
          </dd>
          <dt>District</dt>
          <dd>{s.district}</dd>
          <dt>Permanent address</dt>
          <dd data-testid="person-permanent-address">{s.masked && s.permanentAddress === null ? <Hidden /> : <ScriptText text={s.permanentAddress} />}</dd>
          <dt>Present address</dt>
          <dd>{s.masked && s.presentAddress === null ? <Hidden /> : <ScriptText text={s.presentAddress} />}</dd>
          {issued || expires ? (
            <>
              <dt>Card valid</dt>
              <dd>
                {issued ?? '\u2014'} to {expires ?? '\u2014'}
              </dd>
            </>
          ) : null}
        </dl>
      </div>
    </section>
  );
}

function Hidden() {
  return (
    <span className="masked-value" data-testid="masked-value">
      hidden <MaskedBadge />
    </span>
  );
}

function RecordSection({ title, testId, empty, records, base }: { title: string; testId: string; empty: string; records: RegistryRecordView[]; base: string }) {
  return (
    <Section
      title={title}
      testId={testId}
      actions={
        <Badge tone={records.length ? 'info' : 'neutral'}>
          <span data-testid={`${testId}-count`}>{records.length}</span>
        </Badge>
      }
    >
      {records.length ? (
        <div className="record-grid">
          {records.map((v) => (
            <RecordCard key={`${v.registry}:${v.key}`} view={v} base={base} />
          ))}
        </div>
      ) : (
        <p className="muted">{empty}</p>
      )}
    </Section>
  );
}

function Relatives({ persons, base }: { persons: PersonSummary[]; base: string }) {
  if (!persons.length) return <EmptyState title="None" />;
  return (
    <ul className="record-links">
      {persons.map((r) => (
        <li key={r.ref}>
          <PersonLink base={base} refId={r.ref} testId="relative-link">
            <PersonName name={r.name} nameUrdu={r.nameUrdu} />
          </PersonLink>{' '}
          <CnicText cnic={r.cnic} masked={r.masked} /> <span className="muted small">{r.dateOfBirth ?? ''}</span>
        </li>
      ))}
    </ul>
  );
}
