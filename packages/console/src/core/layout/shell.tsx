import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { SystemInfo } from '@kotwal/contracts';
import { systemApi } from '../../api/endpoints.ts';
import { errorMessage } from '../../api/client.ts';
import { Link, NavLink, useLocation } from '../../router.tsx';
import { Alert } from '../../ui/feedback.tsx';
import { Modal } from '../../ui/modal.tsx';
import { formatCountdown } from '../../ui/format.ts';
import { useNow } from '../../ui/use-now.ts';
import { idleTracker } from '../auth/idle.ts';
import { SessionProvider, useSession, type Session } from '../auth/session.tsx';
import { BrandMark } from './brand.tsx';
import { buildNavigation } from './nav.ts';
import { Routes } from './routes.tsx';

/** Warn this long before the idle timeout (less for very short timeouts). */
export function warnBeforeMs(windowMs: number): number {
  return Math.min(2 * 60_000, Math.floor(windowMs / 2));
}

export function Shell({ session, onIdleTimeout }: { session: Omit<Session, 'system'>; onIdleTimeout: () => void }) {
  const [system, setSystem] = useState<SystemInfo | null>(null);
  const [systemError, setSystemError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    systemApi.info().then(
      (s) => {
        if (!cancelled) setSystem(s);
      },
      (err: unknown) => {
        if (!cancelled) setSystemError(errorMessage(err));
      },
    );
    return () => {
      cancelled = true;
    };
  }, []);

  const value = useMemo<Session>(() => ({ ...session, system }), [session, system]);

  return (
    <SessionProvider value={value}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="shell">
        <TopBar />
        <div className="shell-body">
          <SideNav />
          <main id="main" className="main" tabIndex={-1}>
            {systemError ? (
              <Alert tone="warning" title="Could not read this node&rsquo;s information">
                {systemError}. Systems are missing from the navigation until it can be read.
              </Alert>
            ) : null}
            <Routes />
          </main>
        </div>
      </div>
      <IdleWatch onTimeout={onIdleTimeout} />
    </SessionProvider>
  );
}

function useIdleDeadline(): number {
  return useSyncExternalStore(
    (l) => idleTracker.subscribe(l),
    () => idleTracker.deadline,
  );
}

function SessionTimer() {
  const deadline = useIdleDeadline();
  const now = useNow(15_000);
  if (!deadline) return null;
  const remaining = deadline - now;
  const mins = Math.round(remaining / 60_000);
  return (
    <span
      className={`session-timer${remaining <= 5 * 60_000 ? ' session-timer-low' : ''}`}
      data-testid="session-timer"
      title="Time until this session signs out without activity"
    >
      <span className="sr-only">Session idle timeout in </span>
      {mins >= 1 ? `${mins} min` : '< 1 min'}
    </span>
  );
}

function TopBar() {
  const { me, system, signOut } = useSession();
  const [busy, setBusy] = useState(false);
  return (
    <header className="topbar">
      <Link to="/" className="topbar-brand" aria-label="Kotwal overview">
        <BrandMark size={26} />
        <span className="topbar-title">Kotwal</span>
      </Link>
      <span className="topbar-node" data-testid="topbar-node" title="Node name (the origin of its ledger checkpoints)">
        <span className="node-dot" aria-hidden="true" />
        {system ? system.nodeName : '\u2026'}
      </span>
      {system ? <span className="topbar-version">v{system.version}</span> : null}
      <div className="topbar-spacer" />
      <SessionTimer />
      <Link to="/account" className="topbar-user" data-testid="topbar-user" title={`Signed in as ${me.username} (${me.roles.join(', ')})`}>
        <span className="avatar" aria-hidden="true">
          {(me.displayName ?? me.username).slice(0, 1).toUpperCase()}
        </span>
        <span className="topbar-user-text">
          <span className="topbar-user-name">{me.displayName ?? me.username}</span>
          <span className="topbar-user-roles">{me.roles.join(', ') || 'no roles'}</span>
        </span>
      </Link>
      <button
        type="button"
        className="btn btn-secondary btn-sm"
        data-testid="sign-out"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          void signOut();
        }}
      >
        Sign out
      </button>
    </header>
  );
}

function SideNav() {
  const { system, can } = useSession();
  const groups = buildNavigation(system, can);
  return (
    <nav className="sidenav" aria-label="Main" data-testid="sidenav">
      {groups.map((g) => (
        <div key={g.label} className="nav-group">
          <div className="nav-group-label">{g.label}</div>
          <ul>
            {g.items.map((i) => (
              <li key={i.path}>
                <NavLink to={i.path} exact={i.path === '/'} className="nav-link" data-testid={i.testId}>
                  <span>{i.label}</span>
                  {i.hint ? <span className="nav-hint">{i.hint}</span> : null}
                </NavLink>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}

/** Warns before the idle timeout and signs out when it passes. */
function IdleWatch({ onTimeout }: { onTimeout: () => void }) {
  const { refresh, signOut } = useSession();
  const deadline = useIdleDeadline();
  const now = useNow(1000);
  const [busy, setBusy] = useState(false);
  const remaining = deadline ? deadline - now : Infinity;
  const expired = remaining <= 0;
  const { pathname } = useLocation();

  const fired = useRef(false);
  useEffect(() => {
    if (!expired || fired.current) return;
    fired.current = true;
    onTimeout();
  }, [expired, onTimeout]);

  const warn = remaining > 0 && remaining <= warnBeforeMs(idleTracker.windowMs);
  return (
    <Modal
      open={warn}
      title="Are you still there?"
      onClose={() => undefined}
      dismissible={false}
      testId="idle-warning"
      footer={
        <>
          <button type="button" className="btn btn-secondary" onClick={() => void signOut()}>
            Sign out now
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            data-testid="idle-stay"
            onClick={() => {
              setBusy(true);
              void refresh()
                .catch(() => undefined)
                .finally(() => setBusy(false));
            }}
          >
            Stay signed in
          </button>
        </>
      }
    >
      <p>
        For security, this session signs out after a period without activity. You will be signed out in{' '}
        <strong className="countdown" aria-live="off">
          {formatCountdown(remaining)}
        </strong>
        .
      </p>
      <p className="muted small">Unsaved input on this page ({pathname}) would be lost.</p>
    </Modal>
  );
}
