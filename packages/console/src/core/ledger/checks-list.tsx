import type { Check } from './verify.ts';

export function ChecksList({ checks, testId }: { checks: readonly Check[]; testId?: string }) {
  return (
    <ul className="checks" data-testid={testId}>
      {checks.map((c) => (
        <li key={c.id} className={c.ok ? 'check-ok' : 'check-bad'} data-check={c.id} data-ok={c.ok ? 'true' : 'false'}>
          <span className="check-icon" aria-hidden="true">
            {c.ok ? '\u2713' : '\u2715'}
          </span>
          <span className="check-label">{c.label}</span>
          <span className="sr-only">{c.ok ? ': passed. ' : ': failed. '}</span>
          <span className="check-detail">{c.detail}</span>
        </li>
      ))}
    </ul>
  );
}
