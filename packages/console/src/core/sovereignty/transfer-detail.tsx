/**
 * One transfer: its manifest as canonical JSON, the manifest hash recomputed
 * in this browser beside the server's, each approval verified here against
 * that hash and the manifest's approver set, approving with one's own key,
 * progress and receipts, and the execute and revoke actions.
 */
import { useEffect, useMemo, useState } from 'react';
import type { TransferStatus } from '@kotwal/contracts';
import { errorMessage } from '../../api/client.ts';
import { Link } from '../../router.tsx';
import { useSession } from '../auth/session.tsx';
import { Alert, Badge, Loading } from '../../ui/feedback.tsx';
import { ConfirmDialog } from '../../ui/modal.tsx';
import { PageHeader, Section } from '../../ui/page.tsx';
import { CopyButton } from '../../ui/copy.tsx';
import { formatDateTime, shortHash } from '../../ui/format.ts';
import { useAsync } from '../../ui/use-async.ts';
import { transfersApi } from './api.ts';
import { ApproveWithKey } from './approve-with-key.tsx';
import { RevokeDialog, TransferStatusBadge, Verified } from './common.tsx';
import { SOVEREIGNTY_SCREENS } from './nav.ts';
import { checkApprovals, checkTransferManifest, keyIdOf, validApprovalCount } from './signing.ts';
import { TableHead } from '../../ui/table.tsx';

const SIGNABLE = new Set<TransferStatus>(['pending-approval', 'approved', 'refused']);
const REVOCABLE = new Set<TransferStatus>(['pending-approval', 'approved', 'executing', 'refused']);

export function TransferDetailScreen({ id }: { id: string }) {
  const { can } = useSession();
  const t = useAsync((signal) => transfersApi.get(id, signal), [id]);
  const [dialog, setDialog] = useState<'execute' | 'revoke' | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const data = t.data;
  const check = useMemo(() => (data ? checkTransferManifest(data) : null), [data]);
  const approvals = useMemo(() => (data && check ? checkApprovals(check.recomputed, data.approvals, data.manifest.approvers.publicKeys) : []), [data, check]);

  // Follow a running transfer.
  const running = data?.status === 'executing';
  const { reload } = t;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(reload, 2000);
    return () => clearInterval(timer);
  }, [running, reload]);

  if (t.error && !data) {
    return (
      <>
        <PageHeader title="Transfer" />
        <Alert tone="danger" title="Could not read the transfer">
          {errorMessage(t.error)}
        </Alert>
        <Link to={SOVEREIGNTY_SCREENS.transfers.path}>Back to the transfers</Link>
      </>
    );
  }
  if (!data || !check) return <Loading />;
  const m = data.manifest;
  const valid = validApprovalCount(approvals);

  return (
    <div data-testid="transfer-detail" data-transfer-id={data.id}>
      <PageHeader
        title={`Transfer ${shortHash(data.id, 8)}`}
        description={
          <>
            <span className="mono">{m.dataset}</span> to <strong>{m.destination.node}</strong> ({m.destination.jurisdiction}), {m.kind}.{' '}
            <Link to={SOVEREIGNTY_SCREENS.transfers.path}>All transfers</Link>
          </>
        }
        actions={
          <>
            <TransferStatusBadge status={data.status} />
            {can('transfers.manage') && data.status === 'approved' ? (
              <button type="button" className="btn btn-primary" onClick={() => setDialog('execute')} data-testid="transfer-execute">
                Execute
              </button>
            ) : null}
            {can('transfers.manage') && REVOCABLE.has(data.status) ? (
              <button type="button" className="btn btn-danger" onClick={() => setDialog('revoke')} data-testid="transfer-revoke">
                Revoke
              </button>
            ) : null}
          </>
        }
      />
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {actionError ? (
        <Alert tone="danger" title="Refused" testId="transfer-action-error">
          {actionError}
        </Alert>
      ) : null}
      {data.refusal ? (
        <Alert tone="danger" title="This transfer cannot execute, whatever the approvals" testId="transfer-refusal">
          {data.refusal.detail} <span className="muted small mono">({data.refusal.type.split('/').pop()})</span>
        </Alert>
      ) : null}
      {data.status === 'revoked' ? (
        <Alert tone="warning" title="Revoked" testId="transfer-revoked">
          Revoked {formatDateTime(data.revokedAt)} by {data.revokedBy ?? 'unknown'}
          {data.revokeReason ? `: ${data.revokeReason}` : ''}. No further data flows under it.
        </Alert>
      ) : null}
      {data.error ? (
        <Alert tone="danger" title="Execution error">
          {data.error}
        </Alert>
      ) : null}

      <div className="sov-grid">
        <Section title="Manifest" testId="transfer-manifest">
          <dl className="kv kv-compact">
            <dt>Dataset</dt>
            <dd className="mono">{m.dataset}</dd>
            <dt>Filter</dt>
            <dd className="mono">
              {Object.keys(m.filter).length
                ? Object.entries(m.filter)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(', ')
                : 'none (whole dataset)'}
            </dd>
            {m.items.length ? (
              <>
                <dt>Items</dt>
                <dd className="mono">{m.items.length}</dd>
              </>
            ) : null}
            <dt>From</dt>
            <dd>
              {m.source.node} ({m.source.jurisdiction}) <span className="muted mono small">key {keyIdOf(m.source.publicKey)}</span>
            </dd>
            <dt>To</dt>
            <dd data-testid="transfer-destination-shown">
              {m.destination.node} ({m.destination.jurisdiction}) {m.destination.address ? <span className="mono small">{m.destination.address}</span> : null}{' '}
              {m.destination.publicKey ? <span className="muted mono small">key {keyIdOf(m.destination.publicKey)}</span> : null}
            </dd>
            <dt>Purpose</dt>
            <dd>{m.purpose}</dd>
            <dt>Legal basis</dt>
            <dd>{m.legalBasis}</dd>
            <dt>Expires</dt>
            <dd title={m.expiresAt}>{formatDateTime(m.expiresAt)}</dd>
            <dt>Requested</dt>
            <dd title={m.requestedAt}>
              {formatDateTime(m.requestedAt)} by {m.requestedBy}
            </dd>
            <dt>Approvers</dt>
            <dd>
              {m.approvers.threshold} of {m.approvers.publicKeys.length}:{' '}
              <span className="mono small">{m.approvers.publicKeys.map((k) => keyIdOf(k)).join(', ')}</span>
            </dd>
          </dl>
          <h3 className="subheading">Canonical JSON (what is hashed and signed)</h3>
          <pre className="sov-manifest mono" data-testid="transfer-manifest-json">
            {check.canonical}
          </pre>
          <div className="button-row">
            <CopyButton text={check.canonical} label="Copy the manifest" />
          </div>
        </Section>

        <Section title="Integrity, checked in this browser" testId="transfer-integrity">
          <dl className="kv kv-compact">
            <dt>Server&rsquo;s hash</dt>
            <dd className="mono break-all" data-testid="transfer-server-hash">
              {data.manifestHash}
            </dd>
            <dt>Recomputed here</dt>
            <dd className="mono break-all" data-testid="transfer-browser-hash">
              {check.recomputed}
            </dd>
            <dt>Verdict</dt>
            <dd>
              <Verified
                ok={check.matches}
                yes="the manifest hashes to the server's hash"
                no="the manifest does NOT hash to the server's hash: do not sign"
                testId="transfer-hash-match"
              />
            </dd>
            <dt>Signatures</dt>
            <dd data-testid="transfer-approval-count" data-valid={valid}>
              {valid} of {m.approvers.threshold} valid here
              {data.approvalsNeeded > 0 ? <span className="muted"> ({data.approvalsNeeded} still needed, says the server)</span> : null}
            </dd>
          </dl>
        </Section>
      </div>

      <Section title="Approvals" testId="transfer-approvals">
        {approvals.length === 0 ? (
          <p className="muted">No official has signed yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="transfer-approvals-table">
              <caption className="sr-only">Approvals</caption>
              <TableHead columns={['Official', 'Key id', 'Signed', 'Signature (verified in this browser)', 'Ledger']} />
              <tbody>
                {approvals.map((c) => (
                  <tr key={c.approval.id} data-testid={`approval-${c.approval.keyId}`} data-verified={c.verifiedAs && c.designated ? 'true' : 'false'}>
                    <td className="strong">{c.approval.approverName}</td>
                    <td className="mono">
                      {c.approval.keyId} {c.keyIdMatches ? null : <Badge tone="danger">id does not match the key</Badge>}
                    </td>
                    <td title={c.approval.at}>{formatDateTime(c.approval.at)}</td>
                    <td>
                      <Verified
                        ok={c.verifiedAs !== null && c.designated}
                        yes={`valid over this manifest's hash${c.verifiedAs === 'hex-text' ? ' (signed as hex text)' : ''}, by a designated key`}
                        no={c.verifiedAs === null ? 'does not verify over this manifest hash' : 'key not in the manifest\u2019s approver set'}
                      />
                    </td>
                    <td className="mono">{c.approval.ledgerSeq ?? '\u2014'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {SIGNABLE.has(data.status) ? (
          <>
            <h3 className="subheading">Approve with your key</h3>
            <ApproveWithKey
              subject="transfer"
              hash={check.recomputed}
              hashMatches={check.matches}
              designatedKeys={m.approvers.publicKeys}
              submit={(body) => transfersApi.approve(data.id, body)}
              onApproved={reload}
            />
          </>
        ) : null}
      </Section>

      <Section title="Progress and receipts" testId="transfer-progress">
        <div className="sov-progress">
          <div>
            <div className="num" data-testid="transfer-records-sent">
              {data.progress.recordsSent.toLocaleString()}
            </div>
            <div className="muted small">records sent</div>
          </div>
          <div>
            <div className="num" data-testid="transfer-records-acknowledged">
              {data.progress.recordsAcknowledged.toLocaleString()}
            </div>
            <div className="muted small">acknowledged by signed receipt</div>
          </div>
          <div>
            <div className="num">
              {data.progress.batchesAcknowledged} / {data.progress.batchesSent}
            </div>
            <div className="muted small">batches acknowledged / sent</div>
          </div>
        </div>
        <dl className="kv kv-compact">
          <dt>Executed</dt>
          <dd>{formatDateTime(data.executedAt)}</dd>
          <dt>Completed</dt>
          <dd>{formatDateTime(data.completedAt)}</dd>
        </dl>
        {data.receipts.length ? (
          <div className="table-wrap">
            <table className="table" data-testid="transfer-receipts">
              <caption className="sr-only">Receipts from the destination</caption>
              <TableHead columns={['Batch', 'Batch hash', 'Records', 'Received', 'Destination ledger seq']} />
              <tbody>
                {data.receipts.map((r) => (
                  <tr key={r.batchSeq}>
                    <td className="num">{r.batchSeq}</td>
                    <td className="mono" title={r.batchHash}>
                      {shortHash(r.batchHash, 16)}
                    </td>
                    <td className="num">{r.records}</td>
                    <td title={r.receivedAt}>{formatDateTime(r.receivedAt)}</td>
                    <td className="mono">{r.replicaLedgerSeq ?? '\u2014'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">No receipts yet.</p>
        )}
      </Section>

      {dialog === 'execute' ? (
        <ConfirmDialog
          open
          title="Execute this transfer?"
          confirmLabel="Execute"
          busy={busy}
          testId="confirm-execute"
          onClose={() => setDialog(null)}
          onConfirm={() => {
            setBusy(true);
            setActionError(null);
            transfersApi.execute(data.id).then(
              () => {
                setNotice('Execution started. The server re-checked the approvals, the policy and the destination first.');
                setBusy(false);
                setDialog(null);
                reload();
              },
              (err: unknown) => {
                setActionError(errorMessage(err));
                setBusy(false);
                setDialog(null);
                reload();
              },
            );
          }}
        >
          <p>
            The server re-checks everything (approvals, expiry, policy, and the destination&rsquo;s identity) before any record leaves. The data goes to{' '}
            <strong>{m.destination.node}</strong> ({m.destination.jurisdiction}).
          </p>
        </ConfirmDialog>
      ) : null}
      {dialog === 'revoke' ? (
        <RevokeDialog
          title="Revoke this transfer?"
          testId="revoke-transfer-dialog"
          onClose={() => setDialog(null)}
          onRevoke={async (reason) => {
            await transfersApi.revoke(data.id, { reason });
            setNotice('Revoked: no further batch is sent, and the destination is told to refuse any.');
            reload();
          }}
        >
          <p>It stops at once: no further batch leaves, and the destination is told to refuse any. Approvals cannot revive it.</p>
        </RevokeDialog>
      ) : null}
    </div>
  );
}
