import { useMemo, useState, type FormEvent } from 'react';
import { ROLE_NAME_PATTERN, type PermissionCatalogue, type Role } from '@kotwal/contracts';
import { rolesApi } from '../../api/endpoints.ts';
import { errorMessage, isApiError } from '../../api/client.ts';
import { useSession } from '../auth/session.tsx';
import { PageHeader } from '../../ui/page.tsx';
import { Alert, Badge, Loading } from '../../ui/feedback.tsx';
import { CheckboxGroup, Field } from '../../ui/forms.tsx';
import { ConfirmDialog, Modal } from '../../ui/modal.tsx';
import { useAsync } from '../../ui/use-async.ts';
import { TableHead } from '../../ui/table.tsx';

const ROLE_NAME_RE = new RegExp(ROLE_NAME_PATTERN);

type CatalogueItem = PermissionCatalogue['items'][number];

export function groupBySystem(items: readonly CatalogueItem[]): [string, CatalogueItem[]][] {
  const m = new Map<string, CatalogueItem[]>();
  for (const i of items) m.set(i.system, [...(m.get(i.system) ?? []), i]);
  return [...m.entries()].sort(([a], [b]) => (a === 'core' ? -1 : b === 'core' ? 1 : a.localeCompare(b)));
}

type Dialog = { kind: 'edit'; role: Role } | { kind: 'new' } | { kind: 'delete'; role: Role };

export default function RolesPage() {
  const { can } = useSession();
  const canWrite = can('roles.write');
  const roles = useAsync(() => rolesApi.list(), []);
  const catalogue = useAsync(() => rolesApi.permissions(), []);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);

  const close = () => {
    setDialog(null);
    setBusy(false);
    setDeleteError(null);
  };

  return (
    <>
      <PageHeader
        title="Roles & permissions"
        description="A role is a set of permissions from the catalogue; users hold roles. Built-in roles are fixed. Any permission marked MFA obliges its holders to use two-factor authentication."
        actions={
          canWrite ? (
            <button type="button" className="btn btn-primary" onClick={() => setDialog({ kind: 'new' })} data-testid="role-create">
              New role
            </button>
          ) : null
        }
      />
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {roles.error || catalogue.error ? (
        <Alert tone="danger" title="Could not read roles">
          {errorMessage(roles.error ?? catalogue.error)}
        </Alert>
      ) : null}
      {roles.loading && !roles.data ? <Loading /> : null}
      {roles.data ? (
        <section className="panel" aria-label="Roles">
          <div className="table-wrap">
            <table className="table" data-testid="roles-table">
              <caption className="sr-only">Roles</caption>
              <TableHead columns={['Role', 'Description', 'Permissions']} actions />
              <tbody>
                {roles.data.items.map((r) => (
                  <tr key={r.name} data-testid={`role-row-${r.name}`}>
                    <td>
                      <div className="strong mono">{r.name}</div>
                      <div className="chips">
                        {r.builtIn ? <Badge tone="neutral">built-in</Badge> : <Badge tone="info">custom</Badge>}
                        {r.requiresMfa ? <Badge tone="warning">requires MFA</Badge> : null}
                      </div>
                    </td>
                    <td>{r.description}</td>
                    <td>
                      <div className="chips">
                        {r.permissions.map((p) => (
                          <span key={p} className="chip mono">
                            {p}
                          </span>
                        ))}
                      </div>
                    </td>
                    <td className="actions-cell">
                      <button
                        type="button"
                        className="btn btn-ghost btn-sm"
                        onClick={() => setDialog({ kind: 'edit', role: r })}
                        data-testid={`role-open-${r.name}`}
                      >
                        {canWrite && !r.builtIn ? 'Edit' : 'View'}
                      </button>
                      {canWrite && !r.builtIn ? (
                        <button type="button" className="btn btn-danger-ghost btn-sm" onClick={() => setDialog({ kind: 'delete', role: r })}>
                          Delete
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}

      {dialog && dialog.kind !== 'delete' && catalogue.data ? (
        <RoleEditor
          role={dialog.kind === 'edit' ? dialog.role : null}
          catalogue={catalogue.data.items}
          readOnly={!canWrite || (dialog.kind === 'edit' && dialog.role.builtIn)}
          existing={new Set((roles.data?.items ?? []).map((r) => r.name))}
          onClose={close}
          onSaved={(r) => {
            setNotice(`Saved role ${r.name}.`);
            roles.reload();
            close();
          }}
        />
      ) : null}

      {dialog?.kind === 'delete' ? (
        <ConfirmDialog
          open
          title={`Delete the role ${dialog.role.name}?`}
          confirmLabel="Delete role"
          tone="danger"
          busy={busy}
          onClose={close}
          onConfirm={() => {
            setBusy(true);
            rolesApi.remove(dialog.role.name).then(
              () => {
                setNotice(`Deleted role ${dialog.role.name}.`);
                roles.reload();
                close();
              },
              (err: unknown) => {
                setDeleteError(errorMessage(err));
                setBusy(false);
              },
            );
          }}
        >
          <p>A role can be deleted only while no user holds it.</p>
          {deleteError ? <Alert tone="danger">{deleteError}</Alert> : null}
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function RoleEditor({
  role,
  catalogue,
  readOnly,
  existing,
  onClose,
  onSaved,
}: {
  role: Role | null;
  catalogue: readonly CatalogueItem[];
  readOnly: boolean;
  existing: ReadonlySet<string>;
  onClose: () => void;
  onSaved: (r: Role) => void;
}) {
  const [name, setName] = useState(role?.name ?? '');
  const [description, setDescription] = useState(role?.description ?? '');
  const [selected, setSelected] = useState<Set<string>>(new Set(role?.permissions ?? ['auth.self']));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const groups = useMemo(() => groupBySystem(catalogue), [catalogue]);
  const isNew = role === null;
  const nameError =
    isNew && name ? (!ROLE_NAME_RE.test(name) ? 'not a valid role name' : existing.has(name) ? 'a role with this name exists' : undefined) : undefined;
  const mfa = catalogue.some((c) => c.requiresMfa && selected.has(c.name));
  const canSave = !readOnly && !busy && description.trim().length > 0 && (!isNew || (name.length > 0 && !nameError));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!canSave) return;
    setBusy(true);
    setError(null);
    try {
      const r = await rolesApi.upsert(name, { description: description.trim(), permissions: [...selected].sort() });
      onSaved(r);
    } catch (err) {
      setError(isApiError(err) && err.errors.length ? `${err.title}: ${err.errors.map((x) => `${x.field} ${x.message}`).join('; ')}` : errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Modal open wide title={isNew ? 'New role' : readOnly ? `Role ${role.name}` : `Edit role ${role.name}`} onClose={onClose} testId="role-editor">
      <form className="form-stack" onSubmit={(e) => void submit(e)} noValidate>
        {readOnly && role?.builtIn ? <Alert tone="info">Built-in roles cannot be changed. Create a custom role to grant a different set.</Alert> : null}
        {error ? <Alert tone="danger">{error}</Alert> : null}
        <div className="form-row">
          {isNew ? (
            <Field
              label="Name"
              value={name}
              onChange={(e) => setName(e.target.value.toLowerCase())}
              maxLength={64}
              hint="lower-case letters, digits, dot, underscore, hyphen"
              error={nameError}
              testId="role-name"
            />
          ) : null}
          <Field
            label="Description"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            maxLength={256}
            readOnly={readOnly}
            testId="role-description"
          />
        </div>
        {groups.map(([system, items]) => (
          <CheckboxGroup
            key={system}
            legend={system === 'core' ? 'Platform (core)' : `System: ${system}`}
            disabled={readOnly}
            columns
            testId={`role-permissions-${system}`}
            selected={selected}
            onChange={setSelected}
            options={items.map((p) => ({
              value: p.name,
              label: (
                <>
                  <span className="mono">{p.name}</span> {p.requiresMfa ? <Badge tone="warning">MFA</Badge> : null}
                </>
              ),
              description: p.description,
            }))}
          />
        ))}
        {mfa ? <p className="small muted">Holders of this role must use two-factor authentication.</p> : null}
        <div className="modal-footer modal-footer-inline">
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            {readOnly ? 'Close' : 'Cancel'}
          </button>
          {!readOnly ? (
            <button type="submit" className="btn btn-primary" disabled={!canSave} data-testid="role-save">
              {busy ? 'Saving\u2026' : 'Save role'}
            </button>
          ) : null}
        </div>
      </form>
    </Modal>
  );
}
