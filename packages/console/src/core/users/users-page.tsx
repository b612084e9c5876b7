import { useMemo, useState, type FormEvent } from 'react';
import { USERNAME_PATTERN, type Role, type User } from '@kotwal/contracts';
import { rolesApi, usersApi } from '../../api/endpoints.ts';
import { errorMessage, isApiError } from '../../api/client.ts';
import { useSession } from '../auth/session.tsx';
import { PageHeader } from '../../ui/page.tsx';
import { Alert, Badge, EmptyState, Loading } from '../../ui/feedback.tsx';
import { CheckboxGroup, Field } from '../../ui/forms.tsx';
import { ConfirmDialog, Modal, SecretOnceDialog } from '../../ui/modal.tsx';
import { formatDateTime, formatRelative } from '../../ui/format.ts';
import { useAsync } from '../../ui/use-async.ts';
import { TableHead } from '../../ui/table.tsx';

const USERNAME_RE = new RegExp(USERNAME_PATTERN);

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit'; user: User }
  | { kind: 'reset-password'; user: User }
  | { kind: 'reset-mfa'; user: User }
  | { kind: 'toggle-disabled'; user: User }
  | { kind: 'secret'; title: string; user: string; password: string; note: string };

export function userStatus(u: User, now = Date.now()): { label: string; tone: 'success' | 'danger' | 'warning' | 'info' } {
  if (u.disabled) return { label: 'Disabled', tone: 'danger' };
  if (u.lockedUntil && Date.parse(u.lockedUntil) > now) return { label: `Locked until ${formatDateTime(u.lockedUntil)}`, tone: 'warning' };
  if (u.mustChangePassword) return { label: 'Password change pending', tone: 'info' };
  return { label: 'Active', tone: 'success' };
}

export default function UsersPage() {
  const { can, me } = useSession();
  const canWrite = can('users.write');
  const users = useAsync(() => usersApi.list(), []);
  const roles = useAsync(async () => (can('roles.read') ? (await rolesApi.list()).items : null), []);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [filter, setFilter] = useState('');

  const list = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const items = users.data?.items ?? [];
    return q ? items.filter((u) => u.username.includes(q) || (u.displayName ?? '').toLowerCase().includes(q) || u.roles.some((r) => r.includes(q))) : items;
  }, [users.data, filter]);

  const close = () => {
    setDialog(null);
    setActionError(null);
    setBusy(false);
  };

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setActionError(null);
    try {
      await fn();
    } catch (err) {
      setActionError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader
        title="Users"
        description="Accounts that may sign in to this node. New accounts and password resets get a one-time password, shown once; the user chooses their own at first sign-in."
        actions={
          canWrite ? (
            <button type="button" className="btn btn-primary" onClick={() => setDialog({ kind: 'create' })} data-testid="user-create">
              New user
            </button>
          ) : null
        }
      />
      {notice ? (
        <Alert tone="success" testId="users-notice">
          {notice}
        </Alert>
      ) : null}
      {users.error ? (
        <Alert tone="danger" title="Could not list users">
          {errorMessage(users.error)}
        </Alert>
      ) : null}
      <section className="panel" aria-label="User accounts">
        <div className="table-toolbar">
          <label className="inline-field">
            <span className="sr-only">Search users</span>
            <input type="search" placeholder="Search by name or role" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </label>
          <div className="muted small">{users.data ? `${list.length} of ${users.data.items.length}` : ''}</div>
        </div>
        {users.loading && !users.data ? <Loading /> : null}
        {users.data && list.length === 0 ? <EmptyState title="No users match" /> : null}
        {list.length ? (
          <div className="table-wrap">
            <table className="table" data-testid="users-table">
              <caption className="sr-only">User accounts</caption>
              <TableHead columns={['User', 'Roles', 'Status', 'MFA', 'Last sign-in', 'Created']} actions={canWrite} />
              <tbody>
                {list.map((u) => {
                  const st = userStatus(u);
                  const self = u.id === me.id;
                  return (
                    <tr key={u.id} data-testid={`user-row-${u.username}`}>
                      <td>
                        <div className="strong">
                          {u.username} {self ? <Badge tone="info">you</Badge> : null}
                        </div>
                        {u.displayName ? <div className="muted small">{u.displayName}</div> : null}
                      </td>
                      <td>
                        <div className="chips">
                          {u.roles.length ? (
                            u.roles.map((r) => (
                              <span key={r} className="chip">
                                {r}
                              </span>
                            ))
                          ) : (
                            <span className="muted">none</span>
                          )}
                        </div>
                      </td>
                      <td>
                        <Badge tone={st.tone}>{st.label}</Badge>
                      </td>
                      <td>{u.mfaEnabled ? <Badge tone="success">Enrolled</Badge> : <Badge tone="neutral">Not enrolled</Badge>}</td>
                      <td title={u.lastLoginAt ?? undefined}>{formatRelative(u.lastLoginAt)}</td>
                      <td title={u.createdAt}>{formatDateTime(u.createdAt)}</td>
                      {canWrite ? (
                        <td className="actions-cell">
                          <div className="row-actions">
                            <button
                              type="button"
                              className="btn btn-ghost btn-sm"
                              onClick={() => setDialog({ kind: 'edit', user: u })}
                              data-testid={`user-edit-${u.username}`}
                            >
                              Edit
                            </button>
                            <button
                              type="button"
                              className="btn btn-ghost btn-sm"
                              onClick={() => setDialog({ kind: 'reset-password', user: u })}
                              data-testid={`user-reset-password-${u.username}`}
                            >
                              Reset password
                            </button>
                            <button
                              type="button"
                              className="btn btn-ghost btn-sm"
                              onClick={() => setDialog({ kind: 'reset-mfa', user: u })}
                              disabled={!u.mfaEnabled}
                              data-testid={`user-reset-mfa-${u.username}`}
                            >
                              Reset MFA
                            </button>
                            <button
                              type="button"
                              className={`btn btn-sm ${u.disabled ? 'btn-secondary' : 'btn-danger-ghost'}`}
                              onClick={() => setDialog({ kind: 'toggle-disabled', user: u })}
                              disabled={self}
                              title={self ? 'You cannot disable your own account' : undefined}
                              data-testid={`user-toggle-${u.username}`}
                            >
                              {u.disabled ? 'Enable' : 'Disable'}
                            </button>
                          </div>
                        </td>
                      ) : null}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>

      {dialog?.kind === 'create' ? (
        <CreateUserDialog
          roles={roles.data ?? null}
          onClose={close}
          onCreated={(user, password) => {
            users.reload();
            setNotice(null);
            setDialog({
              kind: 'secret',
              title: 'User created',
              user: user.username,
              password,
              note: 'Give this one-time password to the user through a trusted channel. They must choose their own password when they first sign in.',
            });
          }}
        />
      ) : null}

      {dialog?.kind === 'edit' ? (
        <EditUserDialog
          user={dialog.user}
          roles={roles.data ?? null}
          onClose={close}
          onSaved={(u) => {
            users.reload();
            setNotice(`Saved ${u.username}.`);
            close();
          }}
        />
      ) : null}

      {dialog?.kind === 'reset-password' ? (
        <ConfirmDialog
          open
          title={`Reset the password of ${dialog.user.username}?`}
          confirmLabel="Reset password"
          tone="danger"
          busy={busy}
          onClose={close}
          testId="confirm-reset-password"
          onConfirm={() =>
            void run(async () => {
              const res = await usersApi.resetPassword(dialog.user.id);
              users.reload();
              setBusy(false);
              setDialog({
                kind: 'secret',
                title: 'Password reset',
                user: dialog.user.username,
                password: res.oneTimePassword,
                note: 'Their sessions have ended. Give them this one-time password through a trusted channel; they choose a new one at sign-in.',
              });
            })
          }
        >
          <p>
            A new one-time password is issued, <strong>{dialog.user.username}</strong>&rsquo;s sessions end at once and any lockout is cleared.
          </p>
          {actionError ? <Alert tone="danger">{actionError}</Alert> : null}
        </ConfirmDialog>
      ) : null}

      {dialog?.kind === 'reset-mfa' ? (
        <ConfirmDialog
          open
          title={`Reset two-factor authentication of ${dialog.user.username}?`}
          confirmLabel="Reset MFA"
          tone="danger"
          busy={busy}
          onClose={close}
          testId="confirm-reset-mfa"
          onConfirm={() =>
            void run(async () => {
              await usersApi.resetMfa(dialog.user.id);
              users.reload();
              setNotice(`Two-factor authentication of ${dialog.user.username} was reset; they enrol again at next sign-in.`);
              close();
            })
          }
        >
          <p>
            Their authenticator secret and recovery codes are removed and their sessions end. Do this only after verifying the person&rsquo;s identity, e.g.
            when they lost their device.
          </p>
          {actionError ? <Alert tone="danger">{actionError}</Alert> : null}
        </ConfirmDialog>
      ) : null}

      {dialog?.kind === 'toggle-disabled' ? (
        <ConfirmDialog
          open
          title={dialog.user.disabled ? `Enable ${dialog.user.username}?` : `Disable ${dialog.user.username}?`}
          confirmLabel={dialog.user.disabled ? 'Enable account' : 'Disable account'}
          tone={dialog.user.disabled ? 'primary' : 'danger'}
          busy={busy}
          onClose={close}
          testId="confirm-toggle-disabled"
          onConfirm={() =>
            void run(async () => {
              const u = await usersApi.update(dialog.user.id, { disabled: !dialog.user.disabled });
              users.reload();
              setNotice(u.disabled ? `${u.username} is disabled.` : `${u.username} is enabled again.`);
              close();
            })
          }
        >
          <p>
            {dialog.user.disabled
              ? 'The account can sign in again with its current password.'
              : 'The account cannot sign in and its sessions end at once. Its history stays in the ledger.'}
          </p>
          {actionError ? <Alert tone="danger">{actionError}</Alert> : null}
        </ConfirmDialog>
      ) : null}

      {dialog?.kind === 'secret' ? (
        <SecretOnceDialog
          title={dialog.title}
          intro={
            <>
              One-time password for <strong>{dialog.user}</strong>:
            </>
          }
          secretLabel="One-time password"
          secret={dialog.password}
          warning={`${dialog.note} It is not shown again.`}
          onDone={close}
          testId="one-time-password-dialog"
          secretTestId="one-time-password"
          doneTestId="one-time-password-done"
        />
      ) : null}
    </>
  );
}

function roleOptions(roles: readonly Role[] | null, current: readonly string[]) {
  const known = roles ?? [];
  const names = new Set(known.map((r) => r.name));
  return [
    ...known.map((r) => ({
      value: r.name,
      label: (
        <>
          {r.name} {r.requiresMfa ? <Badge tone="warning">MFA</Badge> : null}
        </>
      ),
      description: r.description,
    })),
    ...current.filter((r) => !names.has(r)).map((r) => ({ value: r, label: r, description: 'unknown role' })),
  ];
}

function CreateUserDialog({
  roles,
  onClose,
  onCreated,
}: {
  roles: readonly Role[] | null;
  onClose: () => void;
  onCreated: (user: User, password: string) => void;
}) {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<{ username?: string | undefined; displayName?: string | undefined }>({});
  const usernameOk = USERNAME_RE.test(username);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!usernameOk || busy) return;
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const res = await usersApi.create({ username, roles: [...selected], ...(displayName.trim() ? { displayName: displayName.trim() } : {}) });
      onCreated(res.user, res.oneTimePassword);
    } catch (err) {
      setError(errorMessage(err));
      if (isApiError(err)) setFieldErrors({ username: err.fieldError('username'), displayName: err.fieldError('displayName') });
      setBusy(false);
    }
  };

  return (
    <Modal open title="New user" onClose={onClose} testId="create-user-dialog" wide>
      <form className="form-stack" onSubmit={(e) => void submit(e)} noValidate>
        {error ? <Alert tone="danger">{error}</Alert> : null}
        <div className="form-row">
          <Field
            label="Username"
            value={username}
            onChange={(e) => setUsername(e.target.value.toLowerCase())}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={64}
            required
            hint="2\u201364 lower-case letters, digits, dot, underscore or hyphen"
            error={fieldErrors.username ?? (username && !usernameOk ? 'not a valid username' : undefined)}
            testId="new-user-username"
          />
          <Field
            label="Display name (optional)"
            value={displayName}
            onChange={(e) => setDisplayName(e.target.value)}
            maxLength={128}
            error={fieldErrors.displayName}
            testId="new-user-display-name"
          />
        </div>
        {roles ? (
          <CheckboxGroup legend="Roles" options={roleOptions(roles, [])} selected={selected} onChange={setSelected} testId="new-user-roles" columns />
        ) : (
          <Alert tone="info">You cannot read roles; the user is created without roles.</Alert>
        )}
        <div className="modal-footer modal-footer-inline">
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!usernameOk || busy} data-testid="new-user-submit">
            {busy ? 'Creating\u2026' : 'Create user'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function EditUserDialog({ user, roles, onClose, onSaved }: { user: User; roles: readonly Role[] | null; onClose: () => void; onSaved: (u: User) => void }) {
  const [displayName, setDisplayName] = useState(user.displayName ?? '');
  const [selected, setSelected] = useState<Set<string>>(new Set(user.roles));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: { displayName?: string; roles?: string[] } = {};
      const dn = displayName.trim();
      if (dn && dn !== (user.displayName ?? '')) body.displayName = dn;
      const nextRoles = [...selected].sort();
      if (roles && nextRoles.join('\n') !== [...user.roles].sort().join('\n')) body.roles = nextRoles;
      const u = Object.keys(body).length ? await usersApi.update(user.id, body) : user;
      onSaved(u);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Modal open title={`Edit ${user.username}`} onClose={onClose} testId="edit-user-dialog" wide>
      <form className="form-stack" onSubmit={(e) => void submit(e)} noValidate>
        {error ? <Alert tone="danger">{error}</Alert> : null}
        <Field label="Display name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={128} testId="edit-user-display-name" />
        {roles ? (
          <CheckboxGroup legend="Roles" options={roleOptions(roles, user.roles)} selected={selected} onChange={setSelected} testId="edit-user-roles" columns />
        ) : (
          <Alert tone="info">You cannot read roles, so you cannot change them here.</Alert>
        )}
        <p className="small muted">Changing roles takes effect on the user&rsquo;s next request. Roles that require MFA make the user enrol at next sign-in.</p>
        <div className="modal-footer modal-footer-inline">
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="edit-user-submit">
            {busy ? 'Saving\u2026' : 'Save'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
