/** Small pieces shared by the sovereignty screens. */
import { useState, type ReactNode } from 'react';
import type { GrantStatus, TransferStatus } from '@kotwal/contracts';
import { errorMessage } from '../../api/client.ts';
import { Alert, Badge, type Tone } from '../../ui/feedback.tsx';
import { Modal } from '../../ui/modal.tsx';

const TRANSFER_TONE: Record<TransferStatus, Tone> = {
  'pending-approval': 'warning',
  approved: 'info',
  executing: 'info',
  completed: 'success',
  refused: 'danger',
  revoked: 'danger',
  expired: 'neutral',
  failed: 'danger',
};

const GRANT_TONE: Record<GrantStatus, Tone> = { 'pending-approval': 'warning', active: 'success', expired: 'neutral', revoked: 'danger' };

export function TransferStatusBadge({ status }: { status: TransferStatus }) {
  return (
    <span data-testid="transfer-status" data-status={status}>
      <Badge tone={TRANSFER_TONE[status]}>{status}</Badge>
    </span>
  );
}

export function GrantStatusBadge({ status }: { status: GrantStatus }) {
  return (
    <span data-testid="grant-status" data-status={status}>
      <Badge tone={GRANT_TONE[status]}>{status}</Badge>
    </span>
  );
}

export function Verified({ ok, yes, no, testId }: { ok: boolean; yes: ReactNode; no: ReactNode; testId?: string }) {
  return (
    <span className={ok ? 'sov-ok' : 'sov-bad'} data-testid={testId} data-ok={ok ? 'true' : 'false'}>
      <span aria-hidden="true">{ok ? '\u2713 ' : '\u2715 '}</span>
      {ok ? yes : no}
    </span>
  );
}

/** A dialog that asks for a reason before a revocation (sent to the server and ledgered). */
export function RevokeDialog({
  title,
  children,
  onClose,
  onRevoke,
  testId,
}: {
  title: string;
  children: ReactNode;
  onClose: () => void;
  onRevoke: (reason: string) => Promise<unknown>;
  testId: string;
}) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal
      open
      title={title}
      onClose={onClose}
      testId={testId}
      footer={
        <>
          <button type="button" className="btn btn-secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-danger"
            disabled={busy || !reason.trim()}
            data-testid="revoke-confirm"
            onClick={() => {
              setBusy(true);
              setError(null);
              onRevoke(reason.trim()).then(onClose, (err: unknown) => {
                setError(errorMessage(err));
                setBusy(false);
              });
            }}
          >
            {busy ? 'Revoking\u2026' : 'Revoke'}
          </button>
        </>
      }
    >
      <div className="form-stack sov">
        {children}
        <div className="field">
          <label htmlFor={`${testId}-reason`}>Reason (recorded in the ledger)</label>
          <textarea id={`${testId}-reason`} rows={3} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="revoke-reason" />
        </div>
        {error ? <Alert tone="danger">{error}</Alert> : null}
      </div>
    </Modal>
  );
}

/** Splits "a, b c" into ["a","b","c"]. */
export function splitList(s: string): string[] {
  return s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}
