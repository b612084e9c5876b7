import { useId } from 'react';
import type { Checkpoint } from '@kotwal/contracts';
import { errorMessage } from '../../api/client.ts';
import { Alert, Badge, Spinner } from '../../ui/feedback.tsx';
import { CopyButton } from '../../ui/copy.tsx';
import { formatDateTime, formatRelative } from '../../ui/format.ts';
import { ChecksList } from './checks-list.tsx';
import type { CheckpointVerification } from './verify.ts';

export interface CheckpointState {
  checkpoint: Checkpoint | null;
  verification: CheckpointVerification | null;
  publishedKey: string | null;
  loading: boolean;
  error: unknown;
}

export function CheckpointPanel({
  state,
  pinned,
  onReload,
  onPin,
  onUnpin,
}: {
  state: CheckpointState;
  pinned: string | null;
  onReload: () => void;
  onPin: (key: string) => void;
  onUnpin: () => void;
}) {
  const { checkpoint: cp, verification: v } = state;
  const headingId = useId();
  const status = !v ? 'unknown' : v.ok ? 'valid' : 'invalid';
  return (
    <section className="panel checkpoint-panel" aria-labelledby={headingId} data-testid="checkpoint-panel">
      <div className="panel-header">
        <h2 id={headingId}>Latest signed checkpoint</h2>
        <div className="panel-actions">
          {state.loading ? <Spinner label="Reading the checkpoint" /> : null}
          <button type="button" className="btn btn-secondary btn-sm" onClick={onReload} disabled={state.loading} data-testid="checkpoint-refresh">
            Refresh
          </button>
        </div>
      </div>
      <div className="panel-body">
        {state.error ? (
          <Alert tone="danger" title="Could not read the checkpoint">
            {errorMessage(state.error)}
          </Alert>
        ) : null}
        {!cp && !state.loading && !state.error ? <p className="muted">No checkpoint has been signed yet.</p> : null}
        {cp && v ? (
          <div className="checkpoint-grid">
            <div className="checkpoint-status">
              <div
                className={`verdict verdict-${status}`}
                data-testid="checkpoint-signature-status"
                data-status={status}
                role="status"
                aria-label={v.ok ? 'Checkpoint signature verified in this browser' : 'Checkpoint verification FAILED'}
              >
                <span className="verdict-icon" aria-hidden="true">
                  {v.ok ? '\u2713' : '\u2715'}
                </span>
                <span>
                  <span className="verdict-title">{v.ok ? 'Signature verified' : 'Verification FAILED'}</span>
                  <span className="verdict-sub">Ed25519, checked in this browser</span>
                </span>
              </div>
              <ChecksList checks={v.checks} testId="checkpoint-checks" />
            </div>
            <dl className="kv">
              <dt>Tree size</dt>
              <dd data-testid="checkpoint-tree-size" className="num">
                {cp.treeSize.toLocaleString()}
              </dd>
              <dt>Signed</dt>
              <dd title={cp.timestamp}>
                {formatDateTime(cp.timestamp)} <span className="muted">({formatRelative(cp.timestamp)})</span>
              </dd>
              <dt>Origin</dt>
              <dd>
                <code>{cp.origin}</code>
              </dd>
              <dt>Root hash</dt>
              <dd className="hash-cell">
                <code className="hash" data-testid="checkpoint-root-hash">
                  {cp.rootHash}
                </code>
                <CopyButton text={cp.rootHash} />
              </dd>
              <dt>Signature</dt>
              <dd className="hash-cell">
                <code className="hash" data-testid="checkpoint-signature">
                  {cp.signature}
                </code>
                <CopyButton text={cp.signature} />
              </dd>
              <dt>Node key</dt>
              <dd className="hash-cell">
                <code className="hash" title={`key id ${cp.keyId}`}>
                  {cp.publicKey}
                </code>
                <Badge tone="neutral" title="First 8 bytes of SHA-256 of the key">
                  id {cp.keyId}
                </Badge>
              </dd>
              <dt>Trust</dt>
              <dd>
                {pinned ? (
                  pinned === cp.publicKey ? (
                    <>
                      <Badge tone="success">Pinned in this browser</Badge>{' '}
                      <button type="button" className="btn-link" onClick={onUnpin}>
                        Forget
                      </button>
                    </>
                  ) : (
                    <>
                      <Badge tone="danger">Differs from the pinned key</Badge>{' '}
                      <button type="button" className="btn-link" onClick={onUnpin}>
                        Forget the pinned key
                      </button>
                    </>
                  )
                ) : (
                  <>
                    <span className="muted">Not pinned. Compare the key id with the one in the node&rsquo;s deployment record, then </span>
                    <button type="button" className="btn-link" onClick={() => onPin(cp.publicKey)} data-testid="pin-key">
                      pin it in this browser
                    </button>
                  </>
                )}
              </dd>
            </dl>
          </div>
        ) : null}
      </div>
    </section>
  );
}
