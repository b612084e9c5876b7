/**
 * Break-glass grants: the only way a support account gets access. Listed
 * with the count of actions taken under each; requested with a grantee,
 * role, reason, ticket and duration; activated only once the designated
 * officials have signed the grant's manifest hash (here, with their own key,
 * in the browser); revocable; expiring by themselves.
 */
import { useMemo, useState, type FormEvent } from 'react';
import type { Approver, GrantPolicyBody } from '@kotwal/contracts';
import { rolesApi } from '../../api/endpoints.ts';
import { errorMessage, isApiError } from '../../api/client.ts';
import { Link, navigate } from '../../router.tsx';
import { useSession } from '../auth/session.tsx';
import { Alert, Badge, EmptyState, Loading } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { ConfirmDialog, Modal } from '../../ui/modal.tsx';
import { PageHeader, Section } from '../../ui/page.tsx';
import { formatDateTime, shortHash } from '../../ui/format.ts';
import { useAsync } from '../../ui/use-async.ts';
import { grantsApi } from './api.ts';
import { ApproveWithKey } from './approve-with-key.tsx';
import { GrantStatusBadge, RevokeDialog, Verified } from './common.tsx';
import { SOVEREIGNTY_SCREENS } from './nav.ts';
import { checkApprovals, checkGrantManifest, keyIdOf, normalisePublicKey, validApprovalCount } from './signing.ts';
import { TableHead } from '../../ui/table.tsx';

const base = SOVEREIGNTY_SCREENS.grants.path;

export function GrantsScreen() {
  const { can } = useSession();
  const grants = useAsync((signal) => grantsApi.list(signal), []);
  const [requesting, setRequesting] = useState(false);

  return (
    <>
      <PageHeader
        title="Break-glass grants"
        description="This product has no built-in or vendor accounts. Support access is a grant: requested with a reason, activated only by the officials' signatures, time-boxed, every action ledgered, ending by itself."
        actions={
          can('grants.request') ? (
            <button type="button" className="btn btn-primary" onClick={() => setRequesting(true)} data-testid="grant-request-open">
              Request a grant
            </button>
          ) : null
        }
      />
      <section className="panel" aria-label="Grants">
        {grants.error ? (
          <Alert tone="danger" title="Could not list grants">
            {errorMessage(grants.error)}
          </Alert>
        ) : null}
        {grants.loading && !grants.data ? <Loading /> : null}
        {grants.data && grants.data.items.length === 0 ? <EmptyState title="No grants">No support access has been requested.</EmptyState> : null}
        {grants.data?.items.length ? (
          <div className="table-wrap">
            <table className="table" data-testid="grants-table">
              <caption className="sr-only">Grants</caption>
              <TableHead columns={['Grant', 'Grantee and role', 'Reason', 'Status', 'Approvals', 'Time box', 'Actions taken']} />
              <tbody>
                {grants.data.items.map((g) => (
                  <tr key={g.id} data-testid={`grant-row-${g.id}`}>
                    <td>
                      <Link to={`${base}/${g.id}`} className="mono">
                        {shortHash(g.id, 8)}
                      </Link>
                      <div className="muted small">{formatDateTime(g.requestedAt)}</div>
                    </td>
                    <td>
                      <span className="strong">{g.grantee.username}</span> as <span className="mono">{g.role}</span>
                    </td>
                    <td>
                      {g.reason}
                      {g.ticket ? <div className="muted small">ticket {g.ticket}</div> : null}
                    </td>
                    <td>
                      <GrantStatusBadge status={g.status} />
                    </td>
                    <td className="num">
                      {g.approvals.length} signed{g.approvalsNeeded > 0 ? `, ${g.approvalsNeeded} needed` : ''}
                    </td>
                    <td>
                      {g.durationMinutes} min
                      {g.expiresAt ? <div className="muted small">until {formatDateTime(g.expiresAt)}</div> : null}
                    </td>
                    <td className="num" data-testid={`grant-actions-${g.id}`}>
                      {g.actions.toLocaleString()}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <BreakGlassApprovers manage={can('grants.manage')} />
      {requesting ? <RequestGrantDialog onClose={() => setRequesting(false)} /> : null}
    </>
  );
}

function RequestGrantDialog({ onClose }: { onClose: () => void }) {
  const { can } = useSession();
  const roles = useAsync(async () => (can('roles.read') ? (await rolesApi.list()).items.map((r) => r.name) : []), []);
  const [grantee, setGrantee] = useState('');
  const [role, setRole] = useState('');
  const [reason, setReason] = useState('');
  const [ticket, setTicket] = useState('');
  const [minutes, setMinutes] = useState('60');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const duration = Number(minutes);
  const valid = Boolean(grantee.trim() && role.trim() && reason.trim() && Number.isInteger(duration) && duration >= 5 && duration <= 7 * 24 * 60);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!valid || busy) return;
    setBusy(true);
    setError(null);
    try {
      const g = await grantsApi.request({
        grantee: grantee.trim(),
        role: role.trim(),
        reason: reason.trim(),
        durationMinutes: duration,
        ...(ticket.trim() ? { ticket: ticket.trim() } : {}),
      });
      navigate(`${base}/${g.id}`);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Modal open wide title="Request a break-glass grant" onClose={onClose} testId="grant-request-dialog">
      <form className="form-stack sov" onSubmit={(e) => void submit(e)} noValidate>
        {error ? (
          <Alert tone="danger" title="Not requested" testId="grant-request-error">
            {error}
          </Alert>
        ) : null}
        <div className="form-row">
          <Field label="Support account (username)" value={grantee} onChange={(e) => setGrantee(e.target.value)} maxLength={64} testId="grant-grantee" />
          <Field
            label="Role granted"
            value={role}
            onChange={(e) => setRole(e.target.value)}
            maxLength={64}
            list="grant-roles"
            testId="grant-role"
            hint="Only for the time box"
          />
          <datalist id="grant-roles">
            {(roles.data ?? []).map((r) => (
              <option key={r} value={r} />
            ))}
          </datalist>
          <Field
            label="Duration (minutes)"
            type="number"
            min={5}
            max={7 * 24 * 60}
            value={minutes}
            onChange={(e) => setMinutes(e.target.value)}
            testId="grant-duration"
            hint="Counted from activation"
          />
        </div>
        <div className="field">
          <label htmlFor="grant-reason">Reason</label>
          <textarea id="grant-reason" rows={3} maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="grant-reason" />
        </div>
        <Field
          label="Ticket"
          value={ticket}
          onChange={(e) => setTicket(e.target.value)}
          maxLength={200}
          hint="Optional: the support ticket it answers"
          testId="grant-ticket"
        />
        <div className="modal-footer modal-footer-inline">
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!valid || busy} data-testid="grant-request-submit">
            {busy ? 'Requesting\u2026' : 'Request grant'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function GrantDetailScreen({ id }: { id: string }) {
  const { can, me } = useSession();
  const g = useAsync((signal) => grantsApi.get(id, signal), [id]);
  const signing = useAsync(() => grantsApi.manifest(id), [id, g.data?.status, g.data?.approvals.length]);
  const [revoking, setRevoking] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const data = g.data;
  const manifest = signing.data?.manifest ?? null;
  const check = useMemo(() => (data && manifest ? checkGrantManifest(manifest, data.manifestHash) : null), [data, manifest]);
  const approvals = useMemo(
    () => (data && check && manifest ? checkApprovals(check.recomputed, data.approvals, manifest.approvers.publicKeys) : []),
    [data, check, manifest],
  );

  if (g.error && !data) {
    return (
      <>
        <PageHeader title="Grant" />
        <Alert tone="danger" title="Could not read the grant">
          {errorMessage(g.error)}
        </Alert>
        <Link to={base}>Back to the grants</Link>
      </>
    );
  }
  if (!data) return <Loading />;
  const valid = validApprovalCount(approvals);

  return (
    <div data-testid="grant-detail" data-grant-id={data.id}>
      <PageHeader
        title={`Grant ${shortHash(data.id, 8)}`}
        description={
          <>
            <strong>{data.grantee.username}</strong> as <span className="mono">{data.role}</span> for {data.durationMinutes} minutes.{' '}
            <Link to={base}>All grants</Link>
          </>
        }
        actions={
          <>
            <GrantStatusBadge status={data.status} />
            {can('grants.manage') && (data.status === 'pending-approval' || data.status === 'active') ? (
              <button type="button" className="btn btn-danger" onClick={() => setRevoking(true)} data-testid="grant-revoke">
                Revoke
              </button>
            ) : null}
          </>
        }
      />
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      <div className="sov-grid">
        <Section title="Grant">
          <dl className="kv kv-compact">
            <dt>Grantee</dt>
            <dd>{data.grantee.username}</dd>
            <dt>Role</dt>
            <dd className="mono">{data.role}</dd>
            <dt>Reason</dt>
            <dd>{data.reason}</dd>
            <dt>Ticket</dt>
            <dd>{data.ticket ?? '\u2014'}</dd>
            <dt>Requested</dt>
            <dd>
              {formatDateTime(data.requestedAt)} by {data.requestedBy}
            </dd>
            <dt>Active</dt>
            <dd>
              {data.activatedAt ? `${formatDateTime(data.activatedAt)} until ${formatDateTime(data.expiresAt)}` : 'not yet'}
              {data.revokedAt ? ` (revoked ${formatDateTime(data.revokedAt)} by ${data.revokedBy ?? '?'})` : ''}
            </dd>
            <dt>Actions taken under it</dt>
            <dd className="num" data-testid="grant-actions">
              {data.actions.toLocaleString()} <span className="muted small">(each in the ledger)</span>
            </dd>
          </dl>
        </Section>
        <Section title="Integrity, checked in this browser" testId="grant-integrity">
          {signing.error ? <Alert tone="danger">Could not read the grant manifest: {errorMessage(signing.error)}</Alert> : null}
          <dl className="kv kv-compact">
            <dt>Server&rsquo;s hash</dt>
            <dd className="mono break-all">{data.manifestHash}</dd>
            <dt>Recomputed here</dt>
            <dd className="mono break-all" data-testid="grant-browser-hash">
              {check?.recomputed ?? '\u2026'}
            </dd>
            {check ? (
              <>
                <dt>Verdict</dt>
                <dd>
                  <Verified ok={check.matches} yes="the manifest hashes to the server's hash" no="mismatch: do not sign" testId="grant-hash-match" />
                </dd>
                <dt>Signatures</dt>
                <dd data-testid="grant-approval-count" data-valid={valid}>
                  {valid} of {manifest?.approvers.threshold ?? '?'} valid here
                </dd>
              </>
            ) : null}
          </dl>
          {check ? (
            <pre className="sov-manifest mono" data-testid="grant-manifest-json">
              {check.canonical}
            </pre>
          ) : null}
        </Section>
      </div>
      <Section title="Approvals" testId="grant-approvals">
        {approvals.length === 0 ? (
          <p className="muted">{data.approvals.length ? 'Verifying\u2026' : 'No official has signed yet.'}</p>
        ) : (
          <table className="table">
            <caption className="sr-only">Approvals</caption>
            <TableHead columns={['Official', 'Key id', 'Signed', 'Signature (verified in this browser)']} />
            <tbody>
              {approvals.map((c) => (
                <tr key={c.approval.id} data-testid={`grant-approval-${c.approval.keyId}`} data-verified={c.verifiedAs && c.designated ? 'true' : 'false'}>
                  <td className="strong">{c.approval.approverName}</td>
                  <td className="mono">{c.approval.keyId}</td>
                  <td>{formatDateTime(c.approval.at)}</td>
                  <td>
                    <Verified
                      ok={c.verifiedAs !== null && c.designated}
                      yes="valid over this grant's hash, by a designated key"
                      no={c.verifiedAs === null ? 'does not verify over this grant hash' : 'key not in the grant\u2019s approver set'}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {data.status === 'pending-approval' && check && manifest ? (
          <>
            <h3 className="subheading">Approve with your key</h3>
            {data.requestedBy === me.username || data.grantee.id === me.id ? (
              <Alert tone="info" testId="grant-own">
                You {data.grantee.id === me.id ? 'are the grantee of' : 'requested'} this grant: the server refuses an approval sent from your session. Another
                official approves it, signed in as themselves.
              </Alert>
            ) : null}
            <ApproveWithKey
              subject="grant"
              hash={check.recomputed}
              hashMatches={check.matches}
              designatedKeys={manifest.approvers.publicKeys}
              submit={(body) => grantsApi.approve(data.id, body)}
              onApproved={g.reload}
            />
          </>
        ) : null}
      </Section>
      {revoking ? (
        <RevokeDialog
          title="Revoke this grant?"
          testId="revoke-grant-dialog"
          onClose={() => setRevoking(false)}
          onRevoke={async (reason) => {
            await grantsApi.revoke(data.id, { reason });
            setNotice('Revoked: the support account loses the role at once.');
            g.reload();
          }}
        >
          <p>The support account loses the role at once; its sessions under the grant end.</p>
        </RevokeDialog>
      ) : null}
    </div>
  );
}

/** Who signs break-glass grants and how many of them; designation and policy for grants.manage. */
function BreakGlassApprovers({ manage }: { manage: boolean }) {
  const approvers = useAsync(() => grantsApi.approvers(), []);
  const policy = useAsync(() => grantsApi.policy(), []);
  const [name, setName] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Approver | null>(null);
  const normalised = publicKey.trim() ? normalisePublicKey(publicKey) : null;
  const active = (approvers.data?.items ?? []).filter((a) => !a.removedAt);

  const run = async (what: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(null);
    try {
      await what();
      setNotice(done);
      approvers.reload();
      policy.reload();
      return true;
    } catch (err) {
      setError(errorMessage(err));
      return false;
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title="Break-glass approvers and policy" testId="grant-approvers">
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {error ? <Alert tone="danger">{error}</Alert> : null}
      {approvers.error ? <Alert tone="danger">{errorMessage(approvers.error)}</Alert> : null}
      {policy.data ? (
        <p data-testid="grant-policy">
          A grant is activated by <strong>{policy.data.threshold}</strong> of the <strong>{policy.data.approvers}</strong> designated officials&rsquo;
          signatures and lasts at most <strong>{policy.data.maxMinutes}</strong> minutes.
          {policy.data.approvers < policy.data.threshold ? <Badge tone="warning">too few officials: no grant can be activated</Badge> : null}
        </p>
      ) : isApiError(policy.error) && policy.error.status === 404 ? (
        <p className="muted" data-testid="grant-policy">
          No break-glass policy is set: no grant can be requested until one is.
        </p>
      ) : policy.error ? (
        <Alert tone="danger">{errorMessage(policy.error)}</Alert>
      ) : null}
      {active.length ? (
        <table className="table">
          <caption className="sr-only">Break-glass approvers</caption>
          <TableHead columns={['Official', 'Key id', 'Designated']} actions={manage} />
          <tbody>
            {active.map((a) => (
              <tr key={a.id} data-testid={`grant-approver-${a.keyId}`}>
                <td className="strong">{a.name}</td>
                <td className="mono" title={a.publicKey}>
                  {a.keyId}
                </td>
                <td>
                  {formatDateTime(a.createdAt)} <span className="muted small">by {a.createdBy}</span>
                </td>
                {manage ? (
                  <td className="actions-cell">
                    <button type="button" className="btn btn-danger-ghost btn-sm" onClick={() => setRemoving(a)}>
                      Remove
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : approvers.data ? (
        <p className="muted">No official is designated: no grant can be activated.</p>
      ) : null}
      {manage ? (
        <div className="sov-grid">
          <form
            className="form-stack sov"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              if (!name.trim() || !normalised || busy) return;
              void run(
                () => grantsApi.designate({ name: name.trim(), publicKey: publicKey.trim() }),
                `Designated ${name.trim()} (key ${keyIdOf(normalised)}).`,
              ).then((ok) => {
                if (ok) {
                  setName('');
                  setPublicKey('');
                }
              });
            }}
          >
            <h3 className="subheading">Designate an official</h3>
            <Field label="Name and post" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
            <div className="field">
              <label htmlFor="bg-key">Public key</label>
              <textarea id="bg-key" rows={2} className="mono small" value={publicKey} spellCheck={false} onChange={(e) => setPublicKey(e.target.value)} />
              <div className="field-hint">
                {publicKey.trim() ? (normalised ? `Ed25519 key, id ${keyIdOf(normalised)}` : 'Not an Ed25519 public key') : null}
              </div>
            </div>
            <div>
              <button type="submit" className="btn btn-primary" disabled={!name.trim() || !normalised || busy}>
                Designate
              </button>
            </div>
          </form>
          <GrantPolicyForm
            key={policy.data?.updatedAt ?? 'none'}
            threshold={policy.data?.threshold ?? 2}
            maxMinutes={policy.data?.maxMinutes ?? null}
            busy={busy}
            onSave={(body) => void run(() => grantsApi.setPolicy(body), 'Grant policy saved.')}
          />
        </div>
      ) : null}
      {removing ? (
        <ConfirmDialog
          open
          title={`Remove ${removing.name} as a break-glass approver?`}
          confirmLabel="Remove approver"
          tone="danger"
          busy={busy}
          onClose={() => setRemoving(null)}
          onConfirm={() => {
            void run(() => grantsApi.removeApprover(removing.id), `Removed ${removing.name}.`).then(() => setRemoving(null));
          }}
        >
          <p>Grants requested from now on do not name this key.</p>
        </ConfirmDialog>
      ) : null}
    </Section>
  );
}

function GrantPolicyForm({
  threshold: m0,
  maxMinutes: max0,
  busy,
  onSave,
}: {
  threshold: number;
  maxMinutes: number | null;
  busy: boolean;
  onSave: (body: GrantPolicyBody) => void;
}) {
  const [threshold, setThreshold] = useState(String(m0));
  const [maxMinutes, setMaxMinutes] = useState(max0 === null ? '' : String(max0));
  const m = Number(threshold);
  const max = maxMinutes.trim() ? Number(maxMinutes) : undefined;
  const valid = Number.isInteger(m) && m >= 1 && m <= 32 && (max === undefined || (Number.isInteger(max) && max >= 5));
  return (
    <form
      className="form-stack"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (valid && !busy) onSave({ threshold: m, ...(max !== undefined ? { maxMinutes: max } : {}) });
      }}
    >
      <h3 className="subheading">Policy</h3>
      <Field label="Signatures needed (M)" type="number" min={1} max={32} value={threshold} onChange={(e) => setThreshold(e.target.value)} />
      <Field label="Longest grant (minutes)" type="number" min={5} value={maxMinutes} onChange={(e) => setMaxMinutes(e.target.value)} />
      <div>
        <button type="submit" className="btn btn-primary" disabled={!valid || busy}>
          Save policy
        </button>
      </div>
    </form>
  );
}
