import { useState, type FormEvent } from 'react';
import { PASSWORD_POLICY, PROBLEM_TYPES, passwordPolicyViolations, type LoginResponse } from '@kotwal/contracts';
import { authApi } from '../../api/endpoints.ts';
import { errorMessage, isApiError } from '../../api/client.ts';
import { Alert } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';

interface Rule {
  label: string;
  ok: boolean;
}

function classesIn(pw: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
}

/** The rules of PASSWORD_POLICY, as a checklist that fills in while typing. */
export function policyChecklist(pw: string, confirm: string, username: string, current: string | null): Rule[] {
  const rules: Rule[] = [
    { label: `At least ${PASSWORD_POLICY.minLength} characters`, ok: [...pw].length >= PASSWORD_POLICY.minLength && pw.length <= PASSWORD_POLICY.maxLength },
    { label: `At least ${PASSWORD_POLICY.minClasses} of: lower-case, upper-case, digits, symbols`, ok: classesIn(pw) >= PASSWORD_POLICY.minClasses },
    { label: 'Does not contain your username', ok: pw.length > 0 && !(username.length >= 3 && pw.toLowerCase().includes(username.toLowerCase())) },
  ];
  if (current !== null) rules.push({ label: 'Different from the current password', ok: pw.length > 0 && pw !== current });
  rules.push({ label: 'Both entries match', ok: pw.length > 0 && pw === confirm });
  return rules;
}

/**
 * Changes one's own password. `knownCurrent` is the password just used to
 * sign in (kept in memory only for this step), so a user who signed in with
 * a one-time password is not asked to type it twice.
 */
export function PasswordChangeForm({
  username,
  knownCurrent,
  onChanged,
  submitLabel = 'Change password',
}: {
  username: string;
  knownCurrent?: string | undefined;
  /** The server's answer: this session, renewed, with a new CSRF token. */
  onChanged: (res: LoginResponse) => Promise<void> | void;
  submitLabel?: string;
}) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [serverErrors, setServerErrors] = useState<string[]>([]);
  const [askCurrent, setAskCurrent] = useState(knownCurrent === undefined);

  const currentValue = askCurrent ? current : (knownCurrent ?? '');
  const checklist = policyChecklist(next, confirm, username, currentValue || null);
  const violations = passwordPolicyViolations(next, username);
  const acceptable = violations.length === 0 && next === confirm && next !== currentValue && currentValue.length > 0;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!acceptable || busy) return;
    setBusy(true);
    setError(null);
    setServerErrors([]);
    try {
      const res = await authApi.changePassword({ currentPassword: currentValue, newPassword: next });
      await onChanged(res);
    } catch (err) {
      if (isApiError(err) && err.is(PROBLEM_TYPES.invalidCredentials)) {
        setError('The current password is not correct.');
        setAskCurrent(true);
      } else if (isApiError(err) && err.is(PROBLEM_TYPES.passwordPolicy)) {
        setError(err.detail ?? 'The new password does not meet the policy.');
        setServerErrors(err.errors.map((x) => x.message));
      } else {
        setError(errorMessage(err));
      }
      setBusy(false);
    }
  };

  return (
    <form className="form-stack" onSubmit={(e) => void submit(e)} noValidate data-testid="password-change-form">
      {error ? (
        <Alert tone="danger" testId="password-error">
          {error}
          {serverErrors.length ? (
            <ul>
              {serverErrors.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          ) : null}
        </Alert>
      ) : null}
      {askCurrent ? (
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          testId="pw-current"
        />
      ) : null}
      <Field
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        value={next}
        onChange={(e) => setNext(e.target.value)}
        hint={PASSWORD_POLICY.description}
        testId="pw-new"
      />
      <Field
        label="Repeat the new password"
        type="password"
        autoComplete="new-password"
        required
        value={confirm}
        onChange={(e) => setConfirm(e.target.value)}
        testId="pw-confirm"
      />
      <ul className="checklist" aria-label="Password requirements" data-testid="password-policy">
        {checklist.map((r) => (
          <li key={r.label} className={r.ok ? 'ok' : 'pending'}>
            <span aria-hidden="true">{r.ok ? '\u2713' : '\u2022'}</span> {r.label}
            <span className="sr-only">{r.ok ? ' (met)' : ' (not yet met)'}</span>
          </li>
        ))}
      </ul>
      <button type="submit" className="btn btn-primary btn-block" disabled={!acceptable || busy} data-testid="pw-submit">
        {busy ? 'Saving\u2026' : submitLabel}
      </button>
    </form>
  );
}
