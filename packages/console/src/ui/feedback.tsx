import type { ReactNode } from 'react';

export type Tone = 'info' | 'success' | 'warning' | 'danger' | 'neutral';

const ICON: Record<Tone, string> = { info: 'i', success: '\u2713', warning: '!', danger: '\u2715', neutral: '\u2022' };

/** A message block. `danger` and `warning` are announced at once (role=alert). */
export function Alert({ tone = 'info', title, children, testId }: { tone?: Tone; title?: ReactNode; children?: ReactNode; testId?: string }) {
  const urgent = tone === 'danger' || tone === 'warning';
  return (
    <div className={`alert alert-${tone}`} role={urgent ? 'alert' : 'status'} data-testid={testId}>
      <span className="alert-icon" aria-hidden="true">
        {ICON[tone]}
      </span>
      <div className="alert-body">
        {title ? <div className="alert-title">{title}</div> : null}
        {children ? <div className="alert-text">{children}</div> : null}
      </div>
    </div>
  );
}

export function Badge({ tone = 'neutral', children, title }: { tone?: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span className="spinner-wrap" role="status">
      <span className="spinner" aria-hidden="true" />
      <span className="sr-only">{label}</span>
    </span>
  );
}

export function Loading({ label = 'Loading\u2026' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <div className="empty-title">{title}</div>
      {children ? <div className="empty-text">{children}</div> : null}
    </div>
  );
}
