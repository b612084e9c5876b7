/**
 * "Who looked at me": every access to one person's records, from the
 * ledger. Covert accesses not yet disclosable are counted, not listed.
 */
import { useState, type FormEvent } from 'react';
import { CNIC_PATTERN } from '@kotwal/contracts';
import { useSession } from '../../core/auth/session.tsx';
import { navigate } from '../../router.tsx';
import { Badge, EmptyState, Loading } from '../../ui/feedback.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { Section } from '../../ui/page.tsx';
import { useAsync } from '../../ui/use-async.ts';
import { registriesApi } from './api.ts';
import { CaseRequired, PURPOSE_LABELS, isPurpose, useCaseContext, type CaseContext } from './case-context.tsx';
import { AccessReceipt, PersonLink, QueryError } from './common.tsx';

const CNIC_RE = new RegExp(CNIC_PATTERN);

/** 3520212345671 or 35202-1234567-1 to the canonical form, or null. */
export function canonicalCnic(input: string): string | null {
  const t = input.trim();
  if (CNIC_RE.test(t)) return t;
  const digits = t.replace(/[\s-]/g, '');
  if (!/^\d{13}$/.test(digits)) return null;
  return `${digits.slice(0, 5)}-${digits.slice(5, 12)}-${digits.slice(12)}`;
}

export function AccessLogScreen({ base, cnic }: { base: string; cnic: string | null }) {
  const ctx = useCaseContext();
  const [input, setInput] = useState(cnic ?? '');
  const canonical = canonicalCnic(input);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (canonical) navigate(`${base}/access-log/${encodeURIComponent(canonical)}`);
  };

  return (
    <>
      <Section title="Who looked at this person" testId="access-log-panel">
        <form className="inline-form" onSubmit={submit} noValidate aria-label="Person to audit">
          <div className={`field${input && !canonical ? ' field-invalid' : ''}`}>
            <label htmlFor="access-log-cnic">CNIC</label>
            <input
              id="access-log-cnic"
              value={input}
              onChange={(e) => setInput(e.target.value)}
              placeholder="35202-1234567-1"
              maxLength={20}
              autoComplete="off"
              data-testid="access-log-cnic"
              aria-invalid={input && !canonical ? true : undefined}
            />
            {input && !canonical ? <div className="field-error">13 digits, as NNNNN-NNNNNNN-N</div> : null}
          </div>
          <button type="submit" className="btn btn-primary" disabled={!canonical || !ctx} data-testid="access-log-submit">
            Show accesses
          </button>
        </form>
        <p className="muted small">
          Every search, look-up and profile that returned this person&rsquo;s records, allowed or refused. Reading the log is itself recorded in the ledger.
        </p>
        {!ctx ? <CaseRequired what="reading an access log" /> : null}
      </Section>
      {cnic && ctx ? <Log key={cnic} base={base} cnic={cnic} ctx={ctx} /> : null}
    </>
  );
}

function Log({ base, cnic, ctx }: { base: string; cnic: string; ctx: CaseContext }) {
  const { can } = useSession();
  const log = useAsync((signal) => registriesApi.accessLog(cnic, ctx, signal), [cnic, ctx.purpose, ctx.caseRef, ctx.covert]);
  if (log.loading && !log.data) return <Loading />;
  if (log.error) return <QueryError error={log.error} title="The access log could not be read" />;
  const l = log.data;
  if (!l) return null;
  return (
    <Section
      title={`Accesses to ${l.cnic}`}
      testId="access-log"
      actions={
        <button type="button" className="btn btn-secondary btn-sm" onClick={log.reload}>
          Reload
        </button>
      }
    >
      {l.withheld > 0 ? (
        <p className="access-withheld" data-testid="access-log-withheld" data-withheld={l.withheld}>
          {l.withheld} covert {l.withheld === 1 ? 'access' : 'accesses'} withheld until disclosure.
        </p>
      ) : null}
      {l.items.length === 0 ? (
        <EmptyState title="No access is recorded" />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="access-log-table">
            <caption className="sr-only">Accesses to this person&rsquo;s records</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Officer</th>
                <th scope="col">Action</th>
                <th scope="col">Purpose</th>
                <th scope="col">Case</th>
                <th scope="col">Outcome</th>
                <th scope="col">Covert</th>
                <th scope="col" className="num">
                  Ledger
                </th>
              </tr>
            </thead>
            <tbody>
              {l.items.map((e) => (
                <tr
                  key={e.seq}
                  data-testid="access-log-row"
                  data-actor={e.actorName ?? e.actorId}
                  data-action={e.action}
                  data-outcome={e.outcome}
                  data-case={e.caseRef ?? ''}
                  data-covert={String(e.covert)}
                >
                  <td className="nowrap" title={e.at}>
                    {formatDateTime(e.at)}
                  </td>
                  <td>
                    <span className="strong">{e.actorName ?? e.actorId}</span>
                    {e.actorType !== 'user' ? <div className="muted small">{e.actorType}</div> : null}
                  </td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.purpose ? isPurpose(e.purpose) ? PURPOSE_LABELS[e.purpose] : e.purpose : <span className="muted">none</span>}</td>
                  <td>{e.caseRef ?? <span className="muted">none</span>}</td>
                  <td>
                    <Badge tone={e.outcome === 'allowed' ? 'success' : 'danger'}>{e.outcome}</Badge>
                  </td>
                  <td>
                    {e.covert ? (
                      <Badge tone="warning" title={e.disclosableAfter ? `disclosable after ${formatDateTime(e.disclosableAfter)}` : undefined}>
                        covert
                      </Badge>
                    ) : (
                      <span className="muted">no</span>
                    )}
                  </td>
                  <td className="num mono">{e.seq}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {can('registries.read') ? (
        <p className="small">
          <PersonLink base={base} refId={l.cnic}>
            Open this person&rsquo;s profile
          </PersonLink>{' '}
          <span className="muted">(a registry read of its own, ledgered)</span>
        </p>
      ) : null}
      <AccessReceipt access={l.access} />
    </Section>
  );
}
