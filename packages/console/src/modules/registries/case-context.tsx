/**
 * The case context: the legal basis (purpose) and the case reference every
 * registry query names. It is kept for this browser tab only
 * (sessionStorage), shown on every registries screen, and no query can be
 * sent without it.
 */
import { useState, useSyncExternalStore, type FormEvent } from 'react';
import { CASE_REF_PATTERN, REGISTRY_PURPOSES, type RegistryPurpose } from '@kotwal/contracts';
import { useSession } from '../../core/auth/session.tsx';
import { Badge } from '../../ui/feedback.tsx';

export interface CaseContext {
  purpose: RegistryPurpose;
  caseRef: string;
  /** Part of a covert investigation (needs registries.covert): withheld from access logs until disclosure. */
  covert: boolean;
}

const STORAGE_KEY = 'kotwal.registries.case';
const CASE_RE = new RegExp(CASE_REF_PATTERN);

export const PURPOSE_LABELS: Record<RegistryPurpose, string> = {
  'criminal-investigation': 'Criminal investigation',
  'fir-registration': 'FIR registration',
  'counter-terrorism': 'Counter-terrorism',
  'missing-person': 'Missing person',
  'court-order': 'Court order',
  'crime-prevention': 'Crime prevention',
  'traffic-enforcement': 'Traffic enforcement',
  verification: 'Verification',
  'oversight-audit': 'Oversight audit',
};

export function isPurpose(v: unknown): v is RegistryPurpose {
  return typeof v === 'string' && (REGISTRY_PURPOSES as readonly string[]).includes(v);
}

export function validCaseRef(v: string): boolean {
  return CASE_RE.test(v);
}

interface Stored extends CaseContext {
  /** The user who set it: another user signing in on this tab starts without one. */
  userId: string;
}

function readStored(): Stored | null {
  try {
    const raw = window.sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<Stored>;
    if (!isPurpose(v.purpose) || typeof v.caseRef !== 'string' || !validCaseRef(v.caseRef) || typeof v.userId !== 'string') return null;
    return { purpose: v.purpose, caseRef: v.caseRef, covert: v.covert === true, userId: v.userId };
  } catch {
    return null;
  }
}

let current: Stored | null = readStored();
const listeners = new Set<() => void>();

function setStored(next: Stored | null): void {
  current = next;
  try {
    if (next) window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    else window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage refused (private mode quota): the context still holds for this page.
  }
  for (const l of listeners) l();
}

/** The case context the signed-in user set on this tab, or null when none is set. */
export function useCaseContext(): CaseContext | null {
  const { me } = useSession();
  const stored = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
  return stored && stored.userId === me.id ? stored : null;
}

/** Purpose, case and covert flag: edited, then applied to every query of this tab. */
export function CaseContextBar() {
  const { can, me } = useSession();
  const ctx = useCaseContext();
  const [editing, setEditing] = useState(ctx === null);
  const [purpose, setPurpose] = useState<string>(ctx?.purpose ?? '');
  const [caseRef, setCaseRef] = useState(ctx?.caseRef ?? '');
  const [covert, setCovert] = useState(ctx?.covert ?? false);
  const canCovert = can('registries.covert');
  const caseOk = validCaseRef(caseRef.trim());
  const ok = isPurpose(purpose) && caseOk;

  const apply = (e: FormEvent) => {
    e.preventDefault();
    if (!isPurpose(purpose) || !caseOk) return;
    setStored({ purpose, caseRef: caseRef.trim(), covert: canCovert && covert, userId: me.id });
    setEditing(false);
  };

  if (ctx && !editing) {
    return (
      <section className="case-bar case-bar-set" aria-label="Case context" data-testid="case-bar" data-state="set">
        <div className="case-bar-summary" data-testid="case-current">
          <span className="case-bar-label">Purpose</span> <strong data-testid="case-current-purpose">{PURPOSE_LABELS[ctx.purpose]}</strong>
          <span className="case-bar-label">Case</span> <strong data-testid="case-current-ref">{ctx.caseRef}</strong>
          {ctx.covert ? <Badge tone="warning">covert</Badge> : null}
        </div>
        <span className="muted small">Queries are recorded in the ledger under this purpose and case.</span>
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          data-testid="case-change"
          onClick={() => {
            setPurpose(ctx.purpose);
            setCaseRef(ctx.caseRef);
            setCovert(ctx.covert);
            setEditing(true);
          }}
        >
          Change
        </button>
      </section>
    );
  }

  return (
    <section className="case-bar" aria-label="Case context" data-testid="case-bar" data-state={ctx ? 'editing' : 'unset'}>
      <form className="case-bar-form" onSubmit={apply} noValidate>
        <div className="field">
          <label htmlFor="case-purpose">Purpose (legal basis)</label>
          <select id="case-purpose" value={purpose} onChange={(e) => setPurpose(e.target.value)} data-testid="case-purpose" required>
            <option value="">Choose a purpose…</option>
            {REGISTRY_PURPOSES.map((p) => (
              <option key={p} value={p}>
                {PURPOSE_LABELS[p]}
              </option>
            ))}
          </select>
        </div>
        <div className={`field${caseRef && !caseOk ? ' field-invalid' : ''}`}>
          <label htmlFor="case-ref">Case reference (FIR or inquiry number)</label>
          <input
            id="case-ref"
            value={caseRef}
            onChange={(e) => setCaseRef(e.target.value)}
            placeholder="e.g. LHR-MODELTOWN/123/2024"
            maxLength={64}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={caseRef && !caseOk ? true : undefined}
            aria-describedby="case-ref-hint"
            data-testid="case-ref"
            required
          />
          <div id="case-ref-hint" className={caseRef && !caseOk ? 'field-error' : 'field-hint'}>
            {caseRef && !caseOk ? '3–64 letters, digits, / - . or spaces, starting with a letter or digit' : 'Letters, digits, / - . and spaces'}
          </div>
        </div>
        {canCovert ? (
          <label className="checkbox case-bar-covert">
            <input type="checkbox" checked={covert} onChange={(e) => setCovert(e.target.checked)} data-testid="case-covert" />
            <span className="checkbox-text">
              <span className="checkbox-label">Covert investigation</span>
              <span className="checkbox-description">Withheld from access logs until disclosure</span>
            </span>
          </label>
        ) : null}
        <div className="case-bar-actions">
          <button type="submit" className="btn btn-primary" disabled={!ok} data-testid="case-apply">
            Use for queries
          </button>
          {ctx ? (
            <button type="button" className="btn btn-secondary" onClick={() => setEditing(false)}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
      <p className="muted small case-bar-note">
        Queries are recorded in the ledger under this purpose and case. {ctx ? null : 'Set them before any query: none can be sent without them.'}
      </p>
    </section>
  );
}

/** Shown in place of a query's results while no case context is set. */
export function CaseRequired({ what }: { what: string }) {
  return (
    <div className="case-required" role="status" data-testid="case-required">
      Set a purpose and a case reference above before {what}. Every registry query is recorded in the ledger under them.
    </div>
  );
}
