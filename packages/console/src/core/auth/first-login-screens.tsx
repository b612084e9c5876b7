import { useEffect, useRef, useState, type FormEvent } from 'react';
import { PROBLEM_TYPES, type LoginResponse, type Me, type MfaEnrollResponse } from '@kotwal/contracts';
import { authApi } from '../../api/endpoints.ts';
import { errorMessage, isApiError } from '../../api/client.ts';
import { Alert, Loading } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { CopyButton, SecretBox } from '../../ui/copy.tsx';
import { QrCode } from '../../ui/qr-code.tsx';
import { groupChars } from '../../ui/format.ts';
import { AuthLayout } from './auth-layout.tsx';
import { PasswordChangeForm } from './password-change-form.tsx';

function SignOutLink({ onSignOut }: { onSignOut: () => void }) {
  return (
    <div className="form-links form-links-end">
      <button type="button" className="btn-link" onClick={onSignOut} data-testid="first-login-sign-out">
        Sign out
      </button>
    </div>
  );
}

/** First sign-in with a one-time password (or after an administrator's reset). */
export function PasswordChangeScreen({
  me,
  knownCurrent,
  onChanged,
  onSignOut,
  mfaNext,
}: {
  me: Me;
  knownCurrent: string | undefined;
  onChanged: (res: LoginResponse) => Promise<void> | void;
  onSignOut: () => void;
  mfaNext: boolean;
}) {
  useEffect(() => {
    document.title = 'Choose a password \u00b7 Kotwal';
  }, []);
  return (
    <AuthLayout step={mfaNext ? 'Step 1 of 2' : undefined}>
      <h1 id="auth-title" className="auth-title" data-testid="password-change-screen">
        Choose your password
      </h1>
      <p className="muted">
        Hello <strong>{me.displayName ?? me.username}</strong>. You signed in with a one-time password. Choose a password of your own before you continue; the
        one-time password stops working.
      </p>
      <PasswordChangeForm username={me.username} knownCurrent={knownCurrent} onChanged={onChanged} submitLabel="Set password and continue" />
      <SignOutLink onSignOut={onSignOut} />
    </AuthLayout>
  );
}

/** TOTP enrolment, then the recovery codes, shown once. */
export function MfaEnrolmentScreen({
  me,
  onDone,
  onSignOut,
  stepLabel,
}: {
  me: Me;
  onDone: (user: Me) => Promise<void>;
  onSignOut: () => void;
  stepLabel?: string | undefined;
}) {
  const [enrolment, setEnrolment] = useState<MfaEnrollResponse | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ codes: string[]; user: Me } | null>(null);
  const started = useRef(false);

  const start = async () => {
    setLoadError(null);
    setEnrolment(null);
    try {
      setEnrolment(await authApi.enrollMfa());
    } catch (err) {
      setLoadError(errorMessage(err));
    }
  };

  useEffect(() => {
    document.title = 'Set up two-factor authentication \u00b7 Kotwal';
    if (started.current) return;
    started.current = true;
    void start();
  }, []);

  const verify = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || code.length !== 6) return;
    setBusy(true);
    setError(null);
    try {
      const res = await authApi.verifyMfa({ code });
      setResult({ codes: res.recoveryCodes, user: res.user });
    } catch (err) {
      setCode('');
      setError(
        isApiError(err) && err.is(PROBLEM_TYPES.mfaInvalid)
          ? 'That code is not valid. Check the time on your device and enter the current code.'
          : errorMessage(err),
      );
    } finally {
      setBusy(false);
    }
  };

  if (result) return <RecoveryCodesScreen codes={result.codes} onContinue={() => onDone(result.user)} stepLabel={stepLabel} />;

  return (
    <AuthLayout wide step={stepLabel}>
      <h1 id="auth-title" className="auth-title" data-testid="mfa-enrolment-screen">
        Set up two-factor authentication
      </h1>
      <p className="muted">
        Your role{me.roles.length === 1 ? '' : 's'} ({me.roles.join(', ') || 'none'}) require{me.roles.length === 1 ? 's' : ''} a second factor. Use an
        authenticator app (for example FreeOTP, Aegis or Google Authenticator) on a device you keep with you.
      </p>
      {loadError ? (
        <Alert tone="danger" title="Could not start enrolment">
          {loadError}{' '}
          <button type="button" className="btn-link" onClick={() => void start()}>
            Try again
          </button>
        </Alert>
      ) : null}
      {!enrolment && !loadError ? <Loading label="Generating your secret\u2026" /> : null}
      {enrolment ? (
        <div className="enrol-grid">
          <div className="enrol-step">
            <h2 className="step-title">
              <span className="step-num">1</span> Add Kotwal to your app
            </h2>
            <div className="enrol-qr">
              <QrCode value={enrolment.otpauthUrl} label="QR code of the authenticator secret" testId="mfa-qr" />
            </div>
            <p className="muted small">Scan the code, or type the key by hand (time-based, 6 digits, 30 seconds):</p>
            <SecretBox label="Setup key" value={enrolment.secret} grouped={groupChars(enrolment.secret, 4)} testId="mfa-secret" />
            <details className="otpauth-details">
              <summary>Show the otpauth link</summary>
              <div className="secret-row">
                <code className="break-all" data-testid="mfa-otpauth-url">
                  {enrolment.otpauthUrl}
                </code>
                <CopyButton text={enrolment.otpauthUrl} />
              </div>
            </details>
          </div>
          <form className="enrol-step form-stack" onSubmit={(e) => void verify(e)} noValidate>
            <h2 className="step-title">
              <span className="step-num">2</span> Enter the code it shows
            </h2>
            {error ? (
              <Alert tone="danger" testId="mfa-error">
                {error}
              </Alert>
            ) : null}
            <Field
              label="Six-digit code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
              pattern="[0-9]{6}"
              className="input-code"
              required
              value={code}
              onChange={(e) => setCode(e.target.value.replace(/\D+/g, ''))}
              testId="mfa-code"
            />
            <button type="submit" className="btn btn-primary btn-block" disabled={busy || code.length !== 6} data-testid="mfa-verify">
              {busy ? 'Verifying\u2026' : 'Verify and turn on'}
            </button>
          </form>
        </div>
      ) : null}
      <SignOutLink onSignOut={onSignOut} />
    </AuthLayout>
  );
}

function RecoveryCodesScreen({ codes, onContinue, stepLabel }: { codes: string[]; onContinue: () => Promise<void>; stepLabel?: string | undefined }) {
  const [stored, setStored] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [downloadUrl, setDownloadUrl] = useState<string | null>(null);
  const text = `Kotwal recovery codes (each works once)\n\n${codes.join('\n')}\n`;

  useEffect(() => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    setDownloadUrl(url);
    return () => URL.revokeObjectURL(url);
  }, [text]);

  return (
    <AuthLayout medium step={stepLabel}>
      <h1 id="auth-title" className="auth-title" data-testid="recovery-codes-screen">
        Save your recovery codes
      </h1>
      <Alert tone="warning" title="Shown once">
        If you lose your authenticator device, each of these codes lets you sign in once instead of a six-digit code. Store them somewhere safe and offline.
        They will not be shown again.
      </Alert>
      <ol className="recovery-codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div className="button-row">
        <CopyButton text={codes.join('\n')} label="Copy all" testId="recovery-copy" />
        {downloadUrl ? (
          <a className="btn btn-secondary btn-sm" href={downloadUrl} download="kotwal-recovery-codes.txt">
            Download .txt
          </a>
        ) : null}
      </div>
      {error ? <Alert tone="danger">{error}</Alert> : null}
      <label className="checkbox ack">
        <input type="checkbox" checked={stored} onChange={(e) => setStored(e.target.checked)} data-testid="recovery-ack" />
        <span>I have stored these recovery codes somewhere safe</span>
      </label>
      <button
        type="button"
        className="btn btn-primary btn-block"
        disabled={!stored || busy}
        data-testid="recovery-continue"
        onClick={() => {
          setBusy(true);
          onContinue().catch((err: unknown) => {
            setError(errorMessage(err));
            setBusy(false);
          });
        }}
      >
        Continue to the console
      </button>
    </AuthLayout>
  );
}
