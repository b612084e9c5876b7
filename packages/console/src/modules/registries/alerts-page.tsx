/**
 * Oversight of registry use: alerts (a canary record touched: high
 * priority; an anomaly: medium), officers blocked by the anomaly control
 * (released by a supervisor with a note), and the canary records.
 */
import { useState, type FormEvent } from 'react';
import { useSession } from '../../core/auth/session.tsx';
import { errorMessage, isApiError } from '../../api/client.ts';
import { Alert, Badge, EmptyState, Loading } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { Modal } from '../../ui/modal.tsx';
import { Section } from '../../ui/page.tsx';
import { useAsync } from '../../ui/use-async.ts';
import { registriesApi, type RegistryAlert, type RegistryBlock } from './api.ts';
import { canonicalCnic } from './access-log-page.tsx';
import { TableHead } from '../../ui/table.tsx';

export function AlertsScreen() {
  const { can } = useSession();
  return (
    <>
      {can('registries.oversight') ? <AlertsPanel /> : null}
      {can('registries.supervise') ? <BlocksPanel /> : null}
      {can('registries.oversight') ? <CanariesPanel /> : null}
    </>
  );
}

function AlertsPanel() {
  const alerts = useAsync((signal) => registriesApi.alerts(signal), []);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [showAcknowledged, setShowAcknowledged] = useState(false);
  const items = (alerts.data?.items ?? []).filter((a) => showAcknowledged || a.acknowledgedAt === null);
  const open = (alerts.data?.items ?? []).filter((a) => a.acknowledgedAt === null);
  const openCanary = open.filter((a) => a.kind === 'canary').length;

  const acknowledge = async (a: RegistryAlert) => {
    setBusy(a.id);
    setError(null);
    try {
      await registriesApi.acknowledgeAlert(a.id);
      alerts.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Section
      title="Registry alerts"
      testId="alerts-panel"
      actions={
        <>
          <label className="inline-field">
            <input type="checkbox" checked={showAcknowledged} onChange={(e) => setShowAcknowledged(e.target.checked)} data-testid="alerts-show-acknowledged" />
            <span>Show acknowledged</span>
          </label>
          <button type="button" className="btn btn-secondary btn-sm" onClick={alerts.reload} data-testid="alerts-reload">
            Reload
          </button>
        </>
      }
    >
      {openCanary > 0 ? (
        <Alert tone="danger" title={`${openCanary} canary ${openCanary === 1 ? 'alert' : 'alerts'} open (high priority)`} testId="alerts-canary-summary">
          A canary record was accessed. Canary identities exist only to detect misuse: find out who looked, under which case, and why.
        </Alert>
      ) : null}
      {error ? <Alert tone="danger">{error}</Alert> : null}
      {alerts.error ? (
        <Alert tone="danger" title="Could not list alerts">
          {errorMessage(alerts.error)}
        </Alert>
      ) : null}
      {alerts.loading && !alerts.data ? <Loading /> : null}
      {alerts.data && items.length === 0 ? <EmptyState title={showAcknowledged ? 'No alert has been raised' : 'No open alert'} /> : null}
      {items.length ? (
        <ul className="reg-alerts" data-testid="alerts-list">
          {items.map((a) => (
            <li
              key={a.id}
              className={`reg-alert reg-alert-${a.severity}${a.kind === 'canary' ? ' reg-alert-canary' : ''}${a.acknowledgedAt ? ' reg-alert-acknowledged' : ''}`}
              data-testid={`alert-row-${a.id}`}
              data-kind={a.kind}
              data-severity={a.severity}
              data-acknowledged={a.acknowledgedAt ? 'true' : 'false'}
              data-subject={a.subject ?? ''}
              data-user={a.username ?? a.userId}
            >
              <div className="reg-alert-head">
                <Badge tone={a.severity === 'high' ? 'danger' : 'warning'}>{a.severity === 'high' ? 'HIGH' : 'medium'}</Badge>
                {a.kind === 'canary' ? <span className="canary-tag">canary</span> : null}
                <span className="strong">{a.kind === 'canary' ? 'Canary record accessed' : 'Anomalous use: officer blocked'}</span>
                <span className="muted small" title={a.raisedAt}>
                  {formatDateTime(a.raisedAt)}
                </span>
              </div>
              <div className="reg-alert-body">
                <div>
                  Officer <strong>{a.username ?? a.userId}</strong>
                  {a.subject ? (
                    <>
                      {' '}
                      {'\u00b7'} record <span className="mono">{a.subject}</span>
                    </>
                  ) : null}
                </div>
                <div className="muted">{a.detail}</div>
              </div>
              <div className="reg-alert-actions">
                {a.acknowledgedAt ? (
                  <span className="muted small">
                    Acknowledged {formatDateTime(a.acknowledgedAt)}
                    {a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}
                  </span>
                ) : (
                  <button
                    type="button"
                    className="btn btn-secondary btn-sm"
                    disabled={busy === a.id}
                    onClick={() => void acknowledge(a)}
                    data-testid={`alert-ack-${a.id}`}
                  >
                    {busy === a.id ? 'Acknowledging\u2026' : 'Acknowledge'}
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      ) : null}
    </Section>
  );
}

function BlocksPanel() {
  const blocks = useAsync((signal) => registriesApi.blocks(signal), []);
  const [releasing, setReleasing] = useState<RegistryBlock | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const items = blocks.data?.items ?? [];
  const active = items.filter((b) => b.releasedAt === null);
  const released = items.filter((b) => b.releasedAt !== null);

  return (
    <Section
      title="Blocked officers"
      testId="blocks-panel"
      actions={
        <button type="button" className="btn btn-secondary btn-sm" onClick={blocks.reload}>
          Reload
        </button>
      }
    >
      <p className="muted small">
        The anomaly control blocks an officer whose look-ups cross the configured rate or breadth. They can query again once a supervisor has reviewed the case
        and released the block.
      </p>
      {notice ? (
        <Alert tone="success" testId="blocks-notice">
          {notice}
        </Alert>
      ) : null}
      {blocks.error ? (
        <Alert tone="danger" title="Could not list blocks">
          {errorMessage(blocks.error)}
        </Alert>
      ) : null}
      {blocks.loading && !blocks.data ? <Loading /> : null}
      {blocks.data && active.length === 0 ? <EmptyState title="No officer is blocked" /> : null}
      {active.length || released.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="blocks-table">
            <caption className="sr-only">Blocks</caption>
            <TableHead columns={['Officer', 'Reason', 'Blocked', 'Released']} actions />
            <tbody>
              {[...active, ...released].map((b) => (
                <tr key={b.id} data-testid={`block-row-${b.id}`} data-user={b.username ?? b.userId} data-released={b.releasedAt ? 'true' : 'false'}>
                  <td className="strong">{b.username ?? b.userId}</td>
                  <td>{b.reason}</td>
                  <td className="nowrap">{formatDateTime(b.blockedAt)}</td>
                  <td className="nowrap">
                    {b.releasedAt ? (
                      <>
                        {formatDateTime(b.releasedAt)}
                        {b.releasedBy ? <div className="muted small">by {b.releasedBy}</div> : null}
                      </>
                    ) : (
                      <Badge tone="danger">blocked</Badge>
                    )}
                  </td>
                  <td className="actions-cell">
                    {b.releasedAt ? null : (
                      <button type="button" className="btn btn-secondary btn-sm" onClick={() => setReleasing(b)} data-testid={`block-release-${b.id}`}>
                        Release
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {releasing ? (
        <ReleaseDialog
          block={releasing}
          onClose={() => setReleasing(null)}
          onReleased={(b) => {
            setReleasing(null);
            setNotice(`${b.username ?? b.userId} may query the registries again.`);
            blocks.reload();
          }}
        />
      ) : null}
    </Section>
  );
}

function ReleaseDialog({ block, onClose, onReleased }: { block: RegistryBlock; onClose: () => void; onReleased: (b: RegistryBlock) => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const ok = note.trim().length > 0 && note.trim().length <= 500;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ok) return;
    setBusy(true);
    setError(null);
    try {
      onReleased(await registriesApi.releaseBlock(block.id, note.trim()));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal open title={`Release ${block.username ?? block.userId}?`} onClose={onClose} testId="block-release-dialog">
      <form className="form-stack" onSubmit={(e) => void submit(e)} noValidate>
        <p>
          Blocked {formatDateTime(block.blockedAt)}: {block.reason}
        </p>
        <Field
          label="Note (required)"
          value={note}
          onChange={(e) => setNote(e.target.value)}
          maxLength={500}
          hint="What you reviewed and why the look-ups were lawful. Recorded in the ledger."
          error={isApiError(error) ? (error.fieldError('note') ?? undefined) : undefined}
          testId="block-release-note"
        />
        {error ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
        <div className="modal-footer modal-footer-inline">
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!ok || busy} data-testid="block-release-confirm">
            {busy ? 'Releasing\u2026' : 'Release'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function CanariesPanel() {
  const canaries = useAsync((signal) => registriesApi.canaries(signal), []);
  const [cnic, setCnic] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const canonical = canonicalCnic(cnic);
  const ok = canonical !== null && note.trim().length > 0 && !busy;

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!ok || !canonical) return;
    setBusy(true);
    setError(null);
    try {
      await registriesApi.addCanary(canonical, note.trim());
      setCnic('');
      setNote('');
      canaries.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const items = canaries.data?.items ?? [];
  return (
    <Section title="Canary records" testId="canaries-panel">
      <p className="muted small">
        Honeytoken identities: nobody has a lawful reason to look them up, so every access raises a high-priority alert. Keep this list to oversight.
      </p>
      <form className="inline-form" onSubmit={(e) => void add(e)} noValidate aria-label="Add a canary record">
        <Field
          label="CNIC"
          value={cnic}
          onChange={(e) => setCnic(e.target.value)}
          placeholder="35202-1234567-1"
          maxLength={20}
          error={cnic && !canonical ? '13 digits, as NNNNN-NNNNNNN-N' : isApiError(error) ? error.fieldError('cnic') : undefined}
          testId="canary-cnic"
        />
        <Field
          label="Note"
          value={note}
          onChange={(e) => setNote(e.target.value)}
          maxLength={500}
          error={isApiError(error) ? error.fieldError('note') : undefined}
          testId="canary-note"
        />
        <button type="submit" className="btn btn-primary" disabled={!ok} data-testid="canary-add">
          {busy ? 'Adding\u2026' : 'Add canary'}
        </button>
      </form>
      {error ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
      {canaries.error ? (
        <Alert tone="danger" title="Could not list canaries">
          {errorMessage(canaries.error)}
        </Alert>
      ) : null}
      {canaries.loading && !canaries.data ? <Loading /> : null}
      {canaries.data && items.length === 0 ? <EmptyState title="No canary record" /> : null}
      {items.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="canaries-table">
            <caption className="sr-only">Canary records</caption>
            <TableHead columns={['CNIC', 'Note', 'Added']} />
            <tbody>
              {items.map((c) => (
                <tr key={c.cnic} data-testid={`canary-row-${c.cnic}`}>
                  <td className="mono">{c.cnic}</td>
                  <td>{c.note}</td>
                  <td className="nowrap">
                    {formatDateTime(c.createdAt)} <span className="muted small">by {c.createdBy}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Section>
  );
}
