import type { ReactNode } from 'react';
import { PROBLEM_TYPES } from '@kotwal/contracts';
import { errorMessage, isApiError } from '../../api/client.ts';
import { Link } from '../../router.tsx';
import { Alert, Badge } from '../../ui/feedback.tsx';

const URDU_RE = /[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]/;

/** True when the text holds Arabic-script (Urdu) letters. */
export function isUrdu(s: string | null | undefined): boolean {
  return !!s && URDU_RE.test(s);
}

/** Urdu text, laid out right to left and announced as Urdu. */
export function Urdu({ children, testId }: { children: string; testId?: string }) {
  return (
    <span className="urdu" dir="rtl" lang="ur" data-testid={testId}>
      {children}
    </span>
  );
}

/** Text in whichever script it is written: Urdu right to left, Roman as is. */
export function ScriptText({ text, testId }: { text: string | null | undefined; testId?: string }) {
  if (!text) return <span className="muted">{'\u2014'}</span>;
  return isUrdu(text) ? <Urdu testId={testId}>{text}</Urdu> : <span data-testid={testId}>{text}</span>;
}

/** A name in Roman script with its Urdu form beside it when known. */
export function PersonName({ name, nameUrdu, testId }: { name: string | null | undefined; nameUrdu?: string | null | undefined; testId?: string }) {
  return (
    <span className="person-name" data-testid={testId}>
      <ScriptText text={name} />
      {nameUrdu && nameUrdu !== name ? (
        <>
          {' '}
          <Urdu>{nameUrdu}</Urdu>
        </>
      ) : null}
    </span>
  );
}

/** A masked value (e.g. 35202-*****67-1) as served: the stars say what is hidden. */
export function looksMasked(v: unknown): boolean {
  return typeof v === 'string' && v.includes('*');
}

export function MaskedBadge() {
  return (
    <span className="masked-badge" data-testid="masked-badge" title="Hidden: your roles do not allow seeing this person in full">
      masked
    </span>
  );
}

/** A CNIC, marked when masked. */
export function CnicText({ cnic, masked }: { cnic: string | null | undefined; masked?: boolean }) {
  if (!cnic) return <span className="muted">{'\u2014'}</span>;
  const m = masked ?? looksMasked(cnic);
  return (
    <span className={`mono nowrap${m ? ' masked-value' : ''}`} data-testid={m ? 'masked-value' : undefined} data-masked={m ? 'true' : 'false'}>
      {cnic}
      {m ? (
        <>
          {' '}
          <MaskedBadge />
        </>
      ) : null}
    </span>
  );
}

/** A score in [0, 1] as a bar and a percentage. */
export function ScoreBar({ score }: { score: number }) {
  const pct = Math.round(Math.max(0, Math.min(1, score)) * 100);
  return (
    <span className="score" data-testid="search-score" data-score={score.toFixed(3)}>
      <meter className="score-bar" min={0} max={1} low={0.5} high={0.8} optimum={1} value={score} aria-label={`score ${pct}%`} />
      <span className="score-num">{pct}%</span>
    </span>
  );
}

/**
 * Why a query was refused: the anomaly control's block (423) gets its own
 * message; a refusal for missing accountability names the field.
 */
export function QueryError({ error, title }: { error: unknown; title: string }) {
  if (isApiError(error) && (error.type === PROBLEM_TYPES.registriesBlocked || error.status === 423)) {
    return (
      <Alert tone="danger" title="Your registry access is blocked" testId="registries-blocked">
        {error.detail ?? 'The anomaly control blocked further look-ups.'} A supervisor must review and release the block before you can query the registries
        again. This refusal is recorded in the ledger.
      </Alert>
    );
  }
  const fields = isApiError(error) ? error.errors : [];
  return (
    <Alert tone="danger" title={title} testId="query-error">
      {errorMessage(error)}
      {fields.length ? (
        <ul>
          {fields.map((f) => (
            <li key={`${f.field}:${f.message}`}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      ) : null}
    </Alert>
  );
}

/** The ledger receipt of a read. */
export function AccessReceipt({ access }: { access: { requestId: string; purpose: string; caseRef: string } }) {
  return (
    <p className="muted small access-receipt" data-testid="access-receipt">
      Recorded in the ledger as request <code>{access.requestId}</code> under purpose <strong>{access.purpose}</strong>, case <strong>{access.caseRef}</strong>.
    </p>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const tone = status === 'completed' ? 'success' : status === 'failed' ? 'danger' : status === 'running' ? 'info' : 'neutral';
  return <Badge tone={tone}>{status}</Badge>;
}

/** A link to a person's profile (by CNIC or link reference). */
export function PersonLink({ base, refId, children, testId }: { base: string; refId: string; children: ReactNode; testId?: string }) {
  return (
    <Link to={`${base}/persons/${encodeURIComponent(refId)}`} data-testid={testId} data-ref={refId}>
      {children}
    </Link>
  );
}
