import type { ReactNode } from 'react';
import { BrandMark } from '../layout/brand.tsx';

/** The frame of the screens shown before the shell: sign-in and first-login steps. */
export function AuthLayout({ children, wide, medium, step }: { children: ReactNode; wide?: boolean; medium?: boolean; step?: string | undefined }) {
  return (
    <div className="auth-page">
      <main className={`auth-card${wide ? ' auth-card-wide' : medium ? ' auth-card-medium' : ''}`} aria-labelledby="auth-title">
        <div className="auth-brand">
          <BrandMark size={36} />
          <div>
            <div className="auth-brand-name">Kotwal</div>
            <div className="auth-brand-sub">Command &amp; control console</div>
          </div>
          {step ? <div className="auth-step">{step}</div> : null}
        </div>
        {children}
      </main>
      <p className="auth-footnote">
        Every sign-in, read and change is recorded in this node&rsquo;s tamper-evident ledger. Use this system for lawful, authorised purposes only.
      </p>
    </div>
  );
}
