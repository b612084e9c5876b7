/**
 * This node's signed identity (checked in the browser) and the peer nodes
 * it knows: name, address, public key and jurisdiction. Registering a peer
 * asks it for its signed identity when it is reachable; a different key or
 * jurisdiction is refused.
 */
import { useState, type FormEvent } from 'react';
import type { Peer } from '@kotwal/contracts';
import { errorMessage } from '../../api/client.ts';
import { useSession } from '../auth/session.tsx';
import { Alert, Badge, EmptyState, Loading } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { ConfirmDialog, Modal } from '../../ui/modal.tsx';
import { PageHeader, Section } from '../../ui/page.tsx';
import { formatDateTime, formatRelative } from '../../ui/format.ts';
import { useAsync } from '../../ui/use-async.ts';
import { nodeApi, peersApi } from './api.ts';
import { Verified } from './common.tsx';
import { keyIdOf, normalisePublicKey, verifyNodeIdentity } from './signing.ts';
import { TableHead } from '../../ui/table.tsx';

export function NodeIdentityPanel() {
  const node = useAsync(() => nodeApi.identity(), []);
  return (
    <Section title="This node" testId="node-identity">
      {node.error ? <Alert tone="danger">{errorMessage(node.error)}</Alert> : null}
      {node.loading && !node.data ? <Loading /> : null}
      {node.data ? (
        <dl className="kv kv-compact">
          <dt>Name</dt>
          <dd className="strong" data-testid="node-name">
            {node.data.name}
          </dd>
          <dt>Jurisdiction</dt>
          <dd data-testid="node-jurisdiction">{node.data.jurisdiction}</dd>
          <dt>Mode</dt>
          <dd>{node.data.mode === 'replica' ? `replica of ${node.data.replicaOf ?? '?'}` : 'primary'}</dd>
          <dt>Public key</dt>
          <dd className="mono break-all">
            {node.data.publicKey} <Badge tone="neutral">id {node.data.keyId}</Badge>
          </dd>
          <dt>Signed identity</dt>
          <dd>
            <Verified
              ok={verifyNodeIdentity(node.data)}
              yes="signature verified in this browser"
              no="signature does not verify"
              testId="node-identity-verified"
            />
          </dd>
        </dl>
      ) : null}
    </Section>
  );
}

export function PeersScreen() {
  const { can } = useSession();
  const manage = can('transfers.manage');
  const peers = useAsync(() => peersApi.list(), []);
  const [registering, setRegistering] = useState(false);
  const [removing, setRemoving] = useState<Peer | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [showRemoved, setShowRemoved] = useState(false);
  const items = (peers.data?.items ?? []).filter((p) => showRemoved || p.status === 'active');

  return (
    <>
      <PageHeader
        title="Peers"
        description="Nodes this one may send data to, each with the key it signs with and the jurisdiction it is in. A peer proves both again before every transfer executes."
        actions={
          manage ? (
            <button type="button" className="btn btn-primary" onClick={() => setRegistering(true)} data-testid="peer-register-open">
              Register a peer
            </button>
          ) : null
        }
      />
      <NodeIdentityPanel />
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      <section className="panel" aria-label="Peers">
        <div className="panel-header">
          <h2>Registered peers</h2>
          <div className="panel-actions">
            <label className="checkbox">
              <input type="checkbox" checked={showRemoved} onChange={(e) => setShowRemoved(e.target.checked)} />
              <span className="checkbox-text">Show removed</span>
            </label>
          </div>
        </div>
        {peers.error ? <Alert tone="danger">{errorMessage(peers.error)}</Alert> : null}
        {peers.loading && !peers.data ? <Loading /> : null}
        {peers.data && items.length === 0 ? <EmptyState title="No peers">No other node is registered: nothing can be replicated.</EmptyState> : null}
        {items.length ? (
          <div className="table-wrap">
            <table className="table" data-testid="peers-table">
              <caption className="sr-only">Peers</caption>
              <TableHead columns={['Name', 'Jurisdiction', 'Address', 'Key id', 'Identity last proved', 'Registered']} actions={manage} />
              <tbody>
                {items.map((p) => (
                  <tr key={p.id} data-testid={`peer-row-${p.name}`}>
                    <td className="strong">
                      {p.name} {p.status === 'removed' ? <Badge tone="neutral">removed</Badge> : null}
                    </td>
                    <td>{p.jurisdiction}</td>
                    <td className="mono small">{p.address}</td>
                    <td className="mono" title={p.publicKey}>
                      {p.keyId}
                    </td>
                    <td title={p.lastVerifiedAt ?? undefined}>
                      {p.lastVerifiedAt ? formatRelative(p.lastVerifiedAt) : <Badge tone="warning">not yet (unreachable)</Badge>}
                    </td>
                    <td title={p.createdAt}>
                      {formatDateTime(p.createdAt)}
                      <div className="muted small">by {p.createdBy}</div>
                    </td>
                    {manage ? (
                      <td className="actions-cell">
                        {p.status === 'active' ? (
                          <button type="button" className="btn btn-danger-ghost btn-sm" onClick={() => setRemoving(p)} data-testid={`peer-remove-${p.name}`}>
                            Remove
                          </button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      {registering ? (
        <RegisterPeerDialog
          onClose={() => setRegistering(false)}
          onRegistered={(p) => {
            setRegistering(false);
            setNotice(
              p.lastVerifiedAt
                ? `Registered ${p.name}: it proved its key and jurisdiction.`
                : `Registered ${p.name}. It could not be reached, so its identity is checked before any transfer executes.`,
            );
            peers.reload();
          }}
        />
      ) : null}
      {removing ? (
        <ConfirmDialog
          open
          title={`Remove the peer ${removing.name}?`}
          confirmLabel="Remove peer"
          tone="danger"
          busy={busy}
          testId="confirm-remove-peer"
          onClose={() => {
            setRemoving(null);
            setError(null);
          }}
          onConfirm={() => {
            setBusy(true);
            peersApi.remove(removing.id).then(
              () => {
                setNotice(`Removed ${removing.name}.`);
                setRemoving(null);
                setBusy(false);
                peers.reload();
              },
              (err: unknown) => {
                setError(errorMessage(err));
                setBusy(false);
              },
            );
          }}
        >
          <p>No new replication to it can be requested or executed.</p>
          {error ? <Alert tone="danger">{error}</Alert> : null}
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function RegisterPeerDialog({ onClose, onRegistered }: { onClose: () => void; onRegistered: (p: Peer) => void }) {
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [jurisdiction, setJurisdiction] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const normalised = publicKey.trim() ? normalisePublicKey(publicKey) : null;
  const valid = Boolean(name.trim() && /^https?:\/\//.test(address.trim()) && normalised && jurisdiction.trim());

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!valid || busy) return;
    setBusy(true);
    setError(null);
    try {
      onRegistered(
        await peersApi.register({ name: name.trim(), address: address.trim(), publicKey: publicKey.trim(), jurisdiction: jurisdiction.trim().toUpperCase() }),
      );
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Modal open wide title="Register a peer node" onClose={onClose} testId="peer-register-dialog">
      <form className="form-stack sov" onSubmit={(e) => void submit(e)} noValidate>
        {error ? (
          <Alert tone="danger" title="Not registered" testId="peer-register-error">
            {error}
          </Alert>
        ) : null}
        <div className="form-row">
          <Field
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={127}
            hint="Its node name (as in its checkpoints)"
            testId="peer-name"
          />
          <Field
            label="Jurisdiction"
            value={jurisdiction}
            onChange={(e) => setJurisdiction(e.target.value)}
            maxLength={16}
            placeholder="PK-PB"
            testId="peer-jurisdiction"
          />
        </div>
        <Field
          label="Address"
          value={address}
          onChange={(e) => setAddress(e.target.value)}
          maxLength={512}
          placeholder="https://node.example:8080"
          testId="peer-address"
        />
        <div className="field">
          <label htmlFor="peer-key">Public key</label>
          <textarea
            id="peer-key"
            rows={3}
            className="mono small"
            value={publicKey}
            onChange={(e) => setPublicKey(e.target.value)}
            spellCheck={false}
            placeholder="base64 of the raw 32 bytes, or SPKI PEM"
            data-testid="peer-public-key"
          />
          <div className="field-hint">
            {publicKey.trim() ? (normalised ? `Ed25519 key, id ${keyIdOf(normalised)}` : 'Not an Ed25519 public key') : 'From GET /api/v1/node on that node'}
          </div>
        </div>
        <div className="modal-footer modal-footer-inline">
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!valid || busy} data-testid="peer-register-submit">
            {busy ? 'Registering\u2026' : 'Register peer'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
