import { useMemo, useState, type FormEvent } from 'react';
import { PERMISSIONS, type ApiToken, type Permission } from '@kotwal/contracts';
import { tokensApi, usersApi } from '../../api/endpoints.ts';
import { errorMessage } from '../../api/client.ts';
import { useSession } from '../auth/session.tsx';
import { PageHeader } from '../../ui/page.tsx';
import { Alert, Badge, EmptyState, Loading } from '../../ui/feedback.tsx';
import { CheckboxGroup, Field } from '../../ui/forms.tsx';
import { ConfirmDialog, Modal, SecretOnceDialog } from '../../ui/modal.tsx';
import { formatDateTime, formatRelative, localInputToIso } from '../../ui/format.ts';
import { useAsync } from '../../ui/use-async.ts';
import { TableHead } from '../../ui/table.tsx';

const EXPIRY_CHOICES = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: 'custom', label: 'On a date\u2026' },
  { value: 'never', label: 'Never (not recommended)' },
] as const;

export function tokenStatus(t: ApiToken, now = Date.now()): { label: string; tone: 'success' | 'danger' | 'neutral' } {
  if (t.revokedAt) return { label: 'Revoked', tone: 'danger' };
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return { label: 'Expired', tone: 'neutral' };
  return { label: 'Active', tone: 'success' };
}

type Dialog = { kind: 'issue' } | { kind: 'revoke'; token: ApiToken } | { kind: 'secret'; token: ApiToken; secret: string };

export default function TokensPage() {
  const { can } = useSession();
  const canWrite = can('tokens.write');
  const tokens = useAsync(() => tokensApi.list(), []);
  const users = useAsync(async () => (can('users.read') ? (await usersApi.list()).items : []), []);
  const names = useMemo(() => new Map((users.data ?? []).map((u) => [u.id, u.username])), [users.data]);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const close = () => {
    setDialog(null);
    setBusy(false);
    setError(null);
  };

  return (
    <>
      <PageHeader
        title="API tokens"
        description="Bearer tokens for devices and integrations. A token holds at most the permissions of the person who issues it; its secret is shown once and stored only as a hash."
        actions={
          canWrite ? (
            <button type="button" className="btn btn-primary" onClick={() => setDialog({ kind: 'issue' })} data-testid="token-issue">
              Issue token
            </button>
          ) : null
        }
      />
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {tokens.error ? (
        <Alert tone="danger" title="Could not list tokens">
          {errorMessage(tokens.error)}
        </Alert>
      ) : null}
      {tokens.loading && !tokens.data ? <Loading /> : null}
      {tokens.data && tokens.data.items.length === 0 ? (
        <EmptyState title="No API tokens">Issue one for each device or integration, with only the permissions it needs.</EmptyState>
      ) : null}
      {tokens.data && tokens.data.items.length ? (
        <section className="panel" aria-label="API tokens">
          <div className="table-wrap">
            <table className="table" data-testid="tokens-table">
              <caption className="sr-only">API tokens</caption>
              <TableHead columns={['Name', 'Permissions', 'Status', 'Issued', 'Expires', 'Last used']} actions={canWrite} />
              <tbody>
                {tokens.data.items.map((t) => {
                  const st = tokenStatus(t);
                  return (
                    <tr key={t.id} data-testid={`token-row-${t.name}`}>
                      <td>
                        <div className="strong">{t.name}</div>
                        <div className="muted small mono" title="token id">
                          {t.id}
                        </div>
                      </td>
                      <td>
                        <div className="chips">
                          {t.permissions.map((p) => (
                            <span key={p} className="chip mono">
                              {p}
                            </span>
                          ))}
                        </div>
                      </td>
                      <td>
                        <Badge tone={st.tone}>{st.label}</Badge>
                      </td>
                      <td title={t.createdAt}>
                        {formatDateTime(t.createdAt)}
                        <div className="muted small">by {names.get(t.createdBy) ?? t.createdBy}</div>
                      </td>
                      <td title={t.expiresAt ?? undefined}>{t.expiresAt ? formatDateTime(t.expiresAt) : <span className="muted">never</span>}</td>
                      <td title={t.lastUsedAt ?? undefined}>{formatRelative(t.lastUsedAt)}</td>
                      {canWrite ? (
                        <td className="actions-cell">
                          {st.label === 'Active' ? (
                            <button
                              type="button"
                              className="btn btn-danger-ghost btn-sm"
                              onClick={() => setDialog({ kind: 'revoke', token: t })}
                              data-testid={`token-revoke-${t.name}`}
                            >
                              Revoke
                            </button>
                          ) : null}
                        </td>
                      ) : null}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}

      {dialog?.kind === 'issue' ? (
        <IssueTokenDialog
          onClose={close}
          onIssued={(token, secret) => {
            tokens.reload();
            setNotice(null);
            setDialog({ kind: 'secret', token, secret });
          }}
        />
      ) : null}

      {dialog?.kind === 'revoke' ? (
        <ConfirmDialog
          open
          title={`Revoke the token ${dialog.token.name}?`}
          confirmLabel="Revoke token"
          tone="danger"
          busy={busy}
          onClose={close}
          testId="confirm-revoke-token"
          onConfirm={() => {
            setBusy(true);
            tokensApi.revoke(dialog.token.id).then(
              () => {
                setNotice(`Revoked ${dialog.token.name}.`);
                tokens.reload();
                close();
              },
              (err: unknown) => {
                setError(errorMessage(err));
                setBusy(false);
              },
            );
          }}
        >
          <p>Its next request is refused. This cannot be undone; issue a new token if the device needs access again.</p>
          {error ? <Alert tone="danger">{error}</Alert> : null}
        </ConfirmDialog>
      ) : null}

      {dialog?.kind === 'secret' ? (
        <SecretOnceDialog
          title="Token issued"
          intro={
            <>
              Secret of <strong>{dialog.token.name}</strong>. Configure the device to send it as <code>Authorization: Bearer &lt;secret&gt;</code>.
            </>
          }
          secretLabel="Token secret"
          secret={dialog.secret}
          warning={<>It is not shown again. Whoever holds it acts with this token&rsquo;s permissions until it expires or is revoked.</>}
          onDone={close}
          testId="token-secret-dialog"
          secretTestId="token-secret"
          doneTestId="token-secret-done"
        />
      ) : null}
    </>
  );
}

function IssueTokenDialog({ onClose, onIssued }: { onClose: () => void; onIssued: (t: ApiToken, secret: string) => void }) {
  const { can } = useSession();
  const [name, setName] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [expiry, setExpiry] = useState<string>('90');
  const [customDate, setCustomDate] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const options = (Object.entries(PERMISSIONS) as [Permission, (typeof PERMISSIONS)[Permission]][])
    .filter(([p]) => p !== 'auth.self')
    .map(([p, info]) => ({
      value: p,
      label: (
        <>
          <span className="mono">{p}</span> {info.system !== 'core' ? <Badge tone="neutral">{info.system}</Badge> : null}
        </>
      ),
      description: can(p) ? info.description : `${info.description} (you do not hold it)`,
      disabled: !can(p),
    }));

  const expiresAt = (): string | undefined => {
    if (expiry === 'never') return undefined;
    if (expiry === 'custom') return localInputToIso(customDate);
    return new Date(Date.now() + Number(expiry) * 86_400_000).toISOString();
  };
  const valid = name.trim().length > 0 && selected.size > 0 && (expiry !== 'custom' || Boolean(localInputToIso(customDate)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!valid || busy) return;
    setBusy(true);
    setError(null);
    try {
      const exp = expiresAt();
      const res = await tokensApi.issue({ name: name.trim(), permissions: [...selected].sort(), ...(exp ? { expiresAt: exp } : {}) });
      onIssued(res.token, res.secret);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Modal open wide title="Issue an API token" onClose={onClose} testId="issue-token-dialog">
      <form className="form-stack" onSubmit={(e) => void submit(e)} noValidate>
        {error ? <Alert tone="danger">{error}</Alert> : null}
        <div className="form-row">
          <Field
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={128}
            hint="What uses it, e.g. “metrics scraper” or “ECV-12 tracker”"
            testId="token-name"
          />
          <div className="field">
            <label htmlFor="token-expiry">Expires</label>
            <select id="token-expiry" value={expiry} onChange={(e) => setExpiry(e.target.value)} data-testid="token-expiry">
              {EXPIRY_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          </div>
          {expiry === 'custom' ? (
            <Field label="Expiry (local time)" type="datetime-local" value={customDate} onChange={(e) => setCustomDate(e.target.value)} />
          ) : null}
        </div>
        <CheckboxGroup legend="Permissions" options={options} selected={selected} onChange={setSelected} columns testId="token-permissions" />
        <div className="modal-footer modal-footer-inline">
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!valid || busy} data-testid="token-submit">
            {busy ? 'Issuing\u2026' : 'Issue token'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
