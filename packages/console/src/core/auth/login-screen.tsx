import { useEffect, useRef, useState, type FormEvent } from 'react';
import { PROBLEM_TYPES, type LoginResponse } from '@kotwal/contracts';
import { authApi } from '../../api/endpoints.ts';
import { errorMessage, isApiError } from '../../api/client.ts';
import { Alert, type Tone } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { AuthLayout } from './auth-layout.tsx';

export interface Notice {
  tone: Tone;
  text: string;
}

type Step = 'credentials' | 'mfa';

export function LoginScreen({ notice, onSignedIn }: { notice?: Notice | undefined; onSignedIn: (res: LoginResponse, password: string) => void }) {
  const [step, setStep] = useState<Step>('credentials');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [recovery, setRecovery] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const totpRef = useRef<HTMLInputElement>(null);
  const userRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in \u00b7 Kotwal';
  }, []);
  useEffect(() => {
    if (step === 'mfa') totpRef.current?.focus();
    else userRef.current?.focus();
  }, [step, recovery]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const code = totp.replace(/\s+/g, '');
    try {
      const res = await authApi.login({ username: username.trim(), password, ...(step === 'mfa' && code ? { totp: code } : {}) });
      onSignedIn(res, password);
    } catch (err) {
      if (isApiError(err) && err.is(PROBLEM_TYPES.mfaRequired)) {
        if (step === 'mfa') setError('Enter the code from your authenticator app.');
        setStep('mfa');
      } else if (isApiError(err) && err.is(PROBLEM_TYPES.mfaInvalid)) {
        setTotp('');
        setError(recovery ? 'That recovery code is not valid or has been used.' : 'That code is not valid. Wait for the next code and try again.');
        totpRef.current?.focus();
      } else if (isApiError(err) && err.is(PROBLEM_TYPES.invalidCredentials)) {
        setStep('credentials');
        setTotp('');
        setPassword('');
        setError('The username or password is not correct.');
      } else {
        setError(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthLayout>
      <h1 id="auth-title" className="auth-title">
        {step === 'mfa' ? 'Two-factor verification' : 'Sign in'}
      </h1>
      {notice && !error ? (
        <Alert tone={notice.tone} testId="login-notice">
          {notice.text}
        </Alert>
      ) : null}
      {error ? (
        <Alert tone="danger" testId="login-error">
          {error}
        </Alert>
      ) : null}
      <form onSubmit={(e) => void submit(e)} noValidate data-testid="login-form" className="form-stack">
        {step === 'credentials' ? (
          <>
            <Field
              ref={userRef}
              label="Username"
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              testId="login-username"
            />
            <Field
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              testId="login-password"
            />
          </>
        ) : (
          <>
            <p className="muted">
              Signing in as <strong>{username}</strong>.{' '}
              {recovery ? 'Enter one of your unused recovery codes.' : 'Enter the six-digit code from your authenticator app.'}
            </p>
            <Field
              ref={totpRef}
              key={recovery ? 'recovery' : 'totp'}
              label={recovery ? 'Recovery code' : 'Authentication code'}
              name="totp"
              inputMode={recovery ? 'text' : 'numeric'}
              autoComplete="one-time-code"
              autoCapitalize="none"
              spellCheck={false}
              maxLength={recovery ? 32 : 6}
              pattern={recovery ? undefined : '[0-9]{6}'}
              className={recovery ? undefined : 'input-code'}
              required
              value={totp}
              onChange={(e) => setTotp(recovery ? e.target.value : e.target.value.replace(/\D+/g, ''))}
              testId="login-totp"
            />
          </>
        )}
        <button
          type="submit"
          className="btn btn-primary btn-block"
          disabled={busy || (step === 'credentials' ? !username || !password : !totp)}
          data-testid="login-submit"
        >
          {busy ? 'Signing in\u2026' : step === 'mfa' ? 'Verify and sign in' : 'Sign in'}
        </button>
        {step === 'mfa' ? (
          <div className="form-links">
            <button
              type="button"
              className="btn-link"
              onClick={() => {
                setRecovery((r) => !r);
                setTotp('');
                setError(null);
              }}
            >
              {recovery ? 'Use the authenticator app instead' : 'Use a recovery code'}
            </button>
            <button
              type="button"
              className="btn-link"
              onClick={() => {
                setStep('credentials');
                setTotp('');
                setPassword('');
                setRecovery(false);
                setError(null);
              }}
            >
              Sign in as someone else
            </button>
          </div>
        ) : null}
      </form>
    </AuthLayout>
  );
}
