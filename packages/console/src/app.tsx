/**
 * The console's root: resumes the session, then lets the user's `state`
 * drive what is shown: sign-in, forced password change, MFA enrolment, or
 * the shell.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { LoginResponse, Me, Permission } from '@kotwal/contracts';
import { apiClient, errorMessage, isApiError, NETWORK_PROBLEM, type ApiError } from './api/client.ts';
import { authApi } from './api/endpoints.ts';
import { idleTracker } from './core/auth/idle.ts';
import { LoginScreen, type Notice } from './core/auth/login-screen.tsx';
import { MfaEnrolmentScreen, PasswordChangeScreen } from './core/auth/first-login-screens.tsx';
import type { Session } from './core/auth/session.tsx';
import { Shell } from './core/layout/shell.tsx';
import { Loading } from './ui/feedback.tsx';
import { navigate } from './router.tsx';

type View =
  | { kind: 'loading' }
  | { kind: 'signed-out'; notice?: Notice }
  | {
      kind: 'signed-in';
      me: Me;
      /** The password just typed at sign-in, kept in memory only until it has been changed. */
      loginPassword?: string | undefined;
      /** Both first-login steps are owed: number them. */
      twoSteps?: boolean;
    };

let lastServerDate: Date | null = null;

function idleMinutes(ms: number): string {
  const m = Math.max(1, Math.round(ms / 60_000));
  return m === 1 ? 'one minute' : `${m} minutes`;
}

export function App() {
  const [view, setView] = useState<View>({ kind: 'loading' });
  const viewRef = useRef(view);
  viewRef.current = view;

  const adopt = useCallback((res: LoginResponse, loginPassword?: string, twoSteps?: boolean) => {
    apiClient.setCsrfToken(res.csrfToken);
    idleTracker.configure(res.user.sessionExpiresAt, lastServerDate);
    const u = res.user;
    setView({
      kind: 'signed-in',
      me: u,
      loginPassword: u.state === 'password-change-required' ? loginPassword : undefined,
      twoSteps: twoSteps ?? (u.state === 'password-change-required' && u.mfaRequired && !u.mfaEnabled),
    });
  }, []);

  const toSignedOut = useCallback((notice?: Notice) => {
    apiClient.setCsrfToken(null);
    idleTracker.stop();
    setView(notice ? { kind: 'signed-out', notice } : { kind: 'signed-out' });
  }, []);

  /** Re-reads the session: after a password change, MFA enrolment, or a sign-in in another tab. */
  const refresh = useCallback(async () => {
    try {
      const res = await authApi.session();
      const current = viewRef.current;
      const signedIn = current.kind === 'signed-in' ? current : null;
      adopt(res, signedIn?.loginPassword, signedIn?.twoSteps);
    } catch (err) {
      if (isApiError(err) && err.status === 401) toSignedOut({ tone: 'warning', text: 'Your session has ended. Sign in again.' });
      else throw err;
    }
  }, [adopt, toSignedOut]);

  /** Ends the session. An explicit sign-out returns to /; a timeout keeps the address to come back to. */
  const signOut = useCallback(
    async (notice: Notice = { tone: 'info', text: 'You have signed out.' }, opts: { keepLocation?: boolean } = {}) => {
      try {
        await authApi.logout();
      } catch {
        // The session may already be gone; signing out locally is what matters.
      }
      idleTracker.broadcast({ type: 'signed-out' });
      if (!opts.keepLocation) navigate('/', { replace: true });
      toSignedOut(notice);
    },
    [toSignedOut],
  );

  useEffect(() => {
    apiClient.setHooks({
      onActivity: (date) => {
        lastServerDate = date;
        idleTracker.touch();
      },
      onSessionLost: (err: ApiError) => {
        idleTracker.broadcast({ type: 'signed-out' });
        toSignedOut({
          tone: 'warning',
          text: err.detail ? `Your session has ended (${err.detail}). Sign in again to continue.` : 'Your session has ended. Sign in again to continue.',
        });
      },
      onObligation: () => {
        void refresh().catch(() => undefined);
      },
    });
    idleTracker.onRemote((m) => {
      if (m.type === 'signed-out' && viewRef.current.kind === 'signed-in') {
        apiClient.setCsrfToken(null);
        idleTracker.stop();
        setView({ kind: 'signed-out', notice: { tone: 'info', text: 'You signed out in another tab.' } });
      } else if (m.type === 'signed-in') {
        // Another tab signed in: the cookie (and CSRF token) changed under us.
        void refresh().catch(() => undefined);
      }
    });

    let cancelled = false;
    authApi.session().then(
      (res) => {
        if (!cancelled) adopt(res);
      },
      (err: unknown) => {
        if (cancelled) return;
        if (isApiError(err) && err.type === NETWORK_PROBLEM) setView({ kind: 'signed-out', notice: { tone: 'danger', text: errorMessage(err) } });
        else setView({ kind: 'signed-out' });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [adopt, refresh, toSignedOut]);

  const me = view.kind === 'signed-in' ? view.me : null;
  const session = useMemo<Omit<Session, 'system'> | null>(
    () =>
      me
        ? {
            me,
            can: (p: Permission) => me.permissions.includes(p),
            refresh,
            signOut: () => signOut(),
          }
        : null,
    [me, refresh, signOut],
  );

  switch (view.kind) {
    case 'loading':
      return (
        <div className="boot">
          <Loading label="Connecting to Kotwal\u2026" />
        </div>
      );
    case 'signed-out':
      return (
        <LoginScreen
          notice={view.notice}
          onSignedIn={(res, password) => {
            idleTracker.broadcast({ type: 'signed-in' });
            adopt(res, password);
          }}
        />
      );
    case 'signed-in': {
      const user = view.me;
      switch (user.state) {
        case 'password-change-required':
          return (
            <PasswordChangeScreen
              me={user}
              knownCurrent={view.loginPassword}
              mfaNext={view.twoSteps === true}
              onChanged={(res) => adopt(res, undefined, view.twoSteps)}
              onSignOut={() => void signOut()}
            />
          );
        case 'mfa-enrollment-required':
          return (
            <MfaEnrolmentScreen
              me={user}
              stepLabel={view.twoSteps ? 'Step 2 of 2' : undefined}
              onSignOut={() => void signOut()}
              onDone={async (updated) => {
                setView({ kind: 'signed-in', me: updated, twoSteps: false });
                await refresh();
              }}
            />
          );
        case 'active':
          return session ? (
            <Shell
              session={session}
              onIdleTimeout={() =>
                void signOut(
                  { tone: 'warning', text: `You were signed out after ${idleMinutes(idleTracker.windowMs)} without activity.` },
                  { keepLocation: true },
                )
              }
            />
          ) : null;
      }
    }
  }
}
