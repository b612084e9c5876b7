/**
 * Outside witnesses: the parties (the data owner, an ombudsman) whose keys
 * may countersign this node's ledger checkpoints after checking them against
 * the last one they saw, and the cosignatures each recent checkpoint holds,
 * every one verified in this browser over the checkpoint's signed body.
 */
import { useState, type FormEvent } from 'react';
import type { Checkpoint, WitnessWithLatest } from '@kotwal/contracts';
import { errorMessage } from '../../api/client.ts';
import { useSession } from '../auth/session.tsx';
import { Alert, Badge, EmptyState, Loading } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { ConfirmDialog } from '../../ui/modal.tsx';
import { PageHeader, Section } from '../../ui/page.tsx';
import { formatDateTime, shortHash } from '../../ui/format.ts';
import { useAsync } from '../../ui/use-async.ts';
import { witnessesApi } from './api.ts';
import { Verified } from './common.tsx';
import { checkCosignatures, keyIdOf, normalisePublicKey, type CosignatureCheck } from './signing.ts';
import { TableHead } from '../../ui/table.tsx';

/** How many recent checkpoints "Check recent checkpoints" reads (each read is ledgered). */
const RECENT = 10;

interface CheckpointRow {
  checkpoint: Checkpoint;
  checks: CosignatureCheck[];
}

/**
 * The checkpoints the witnesses last cosigned (and, on request, the most
 * recent ones), each with its cosignatures verified here.
 */
async function loadCosigned(witnesses: readonly WitnessWithLatest[], recent: boolean): Promise<CheckpointRow[]> {
  const sizes = new Set(witnesses.map((w) => w.lastCosignature?.treeSize ?? w.lastCosignedTreeSize).filter((s): s is number => s !== null && s !== undefined));
  const checkpoints: Checkpoint[] = recent ? (await witnessesApi.checkpoints(RECENT)).items : [];
  for (const c of checkpoints) sizes.delete(c.treeSize);
  const more = await Promise.all([...sizes].map((s) => witnessesApi.checkpoint(s)));
  const all = [...checkpoints, ...more].sort((a, b) => b.treeSize - a.treeSize);
  return Promise.all(
    all.map(async (checkpoint) => {
      const cos = await witnessesApi.cosignatures(checkpoint.treeSize);
      return {
        checkpoint,
        checks: checkCosignatures(
          checkpoint,
          cos.items,
          witnesses.filter((w) => w.status === 'active'),
        ),
      };
    }),
  );
}

export function WitnessesScreen() {
  const { can } = useSession();
  const manage = can('witnesses.manage');
  const witnesses = useAsync(() => witnessesApi.list(), []);
  const [recent, setRecent] = useState(false);
  const rows = useAsync(async () => (witnesses.data ? loadCosigned(witnesses.data.items, recent) : null), [witnesses.data, recent]);
  const [removing, setRemoving] = useState<WitnessWithLatest | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [showRemoved, setShowRemoved] = useState(false);
  const listed = (witnesses.data?.items ?? []).filter((w) => showRemoved || w.status === 'active');
  const shown = rows.data ?? [];

  return (
    <>
      <PageHeader
        title="Witnesses"
        description={
          <>
            Outside parties fetch this node&rsquo;s signed checkpoints with <code>npx kotwal ledger witness</code>, check that each extends the last one they
            saw, and countersign. A countersigned checkpoint cannot be quietly replaced with another history.
          </>
        }
      />
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      <Section
        title="Registered witnesses"
        testId="witnesses"
        actions={
          <label className="checkbox">
            <input type="checkbox" checked={showRemoved} onChange={(e) => setShowRemoved(e.target.checked)} />
            <span className="checkbox-text">Show removed</span>
          </label>
        }
      >
        {witnesses.error ? <Alert tone="danger">{errorMessage(witnesses.error)}</Alert> : null}
        {witnesses.loading && !witnesses.data ? <Loading /> : null}
        {witnesses.data && listed.length === 0 ? <p className="muted">No witness is registered: no cosignature is accepted.</p> : null}
        {listed.length ? (
          <div className="table-wrap">
            <table className="table" data-testid="witnesses-table">
              <caption className="sr-only">Witnesses</caption>
              <TableHead columns={['Witness', 'Key id', 'Last cosigned', 'Registered']} actions={manage} />
              <tbody>
                {listed.map((w) => (
                  <tr key={w.id} data-testid={`witness-row-${w.name}`}>
                    <td className="strong">
                      {w.name} {w.status === 'removed' ? <Badge tone="neutral">removed {formatDateTime(w.removedAt)}</Badge> : null}
                    </td>
                    <td className="mono" title={w.publicKey}>
                      {w.keyId}
                    </td>
                    <td>
                      {w.lastCosignedTreeSize === null ? (
                        <span className="muted">never</span>
                      ) : (
                        <>
                          tree size {w.lastCosignedTreeSize.toLocaleString()} <span className="muted small">{formatDateTime(w.lastCosignedAt)}</span>
                        </>
                      )}
                    </td>
                    <td title={w.createdAt}>
                      {formatDateTime(w.createdAt)} <span className="muted small">by {w.createdBy}</span>
                    </td>
                    {manage ? (
                      <td className="actions-cell">
                        {w.status === 'active' ? (
                          <button type="button" className="btn btn-danger-ghost btn-sm" onClick={() => setRemoving(w)}>
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
        {manage ? (
          <RegisterWitnessForm
            onDone={(w) => {
              setNotice(`Registered ${w.name} (key ${w.keyId}).`);
              witnesses.reload();
            }}
          />
        ) : null}
      </Section>

      <Section
        title="Cosigned checkpoints"
        testId="cosigned-checkpoints"
        actions={
          <label className="checkbox">
            <input type="checkbox" checked={recent} onChange={(e) => setRecent(e.target.checked)} data-testid="witness-recent" />
            <span className="checkbox-text">Also the {RECENT} most recent</span>
          </label>
        }
      >
        <p className="muted small">
          The checkpoints the witnesses last countersigned{recent ? `, and the ${RECENT} most recent` : ''}. Each cosignature is checked here over the
          checkpoint&rsquo;s exact signed body. Every read is recorded in the ledger.
        </p>
        {rows.error ? <Alert tone="danger">{errorMessage(rows.error)}</Alert> : null}
        {rows.loading && !rows.data ? <Loading /> : null}
        {rows.data && shown.length === 0 ? (
          <EmptyState title="No cosigned checkpoint">
            {recent ? 'The ledger has not made a checkpoint yet.' : 'No witness has countersigned a checkpoint yet.'}
          </EmptyState>
        ) : null}
        {shown.length ? (
          <div className="table-wrap">
            <table className="table" data-testid="checkpoints-table">
              <caption className="sr-only">Checkpoints and their cosignatures</caption>
              <TableHead columns={['Tree size', 'Root hash', 'Signed', 'Cosignatures (verified in this browser)']} />
              <tbody>
                {shown.map(({ checkpoint: cp, checks }) => (
                  <tr key={cp.treeSize} data-testid={`checkpoint-row-${cp.treeSize}`}>
                    <td className="num">{cp.treeSize.toLocaleString()}</td>
                    <td className="mono" title={cp.rootHash}>
                      {shortHash(cp.rootHash, 16)}
                    </td>
                    <td title={cp.timestamp}>{formatDateTime(cp.timestamp)}</td>
                    <td>
                      {checks.length === 0 ? (
                        <span className="muted">none</span>
                      ) : (
                        <ul className="sov-cosig-list">
                          {checks.map((c) => (
                            <li
                              key={c.cosignature.publicKey}
                              data-testid={`cosignature-${cp.treeSize}-${c.cosignature.witness}`}
                              data-valid={c.valid ? 'true' : 'false'}
                            >
                              <strong>{c.cosignature.witness}</strong> <span className="mono small">{c.cosignature.keyId}</span>{' '}
                              <Verified ok={c.valid} yes="valid" no="does not verify over this checkpoint" />{' '}
                              {c.registered ? null : <Badge tone="warning">key not registered now</Badge>}{' '}
                              <span className="muted small" title={new Date(c.cosignature.timestamp * 1000).toISOString()}>
                                signed {formatDateTime(new Date(c.cosignature.timestamp * 1000).toISOString())}
                              </span>
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Section>

      {removing ? (
        <ConfirmDialog
          open
          title={`Remove the witness ${removing.name}?`}
          confirmLabel="Remove witness"
          tone="danger"
          busy={busy}
          onClose={() => {
            setRemoving(null);
            setError(null);
          }}
          onConfirm={() => {
            setBusy(true);
            witnessesApi.remove(removing.id).then(
              () => {
                setNotice(`Removed ${removing.name}. Its past cosignatures stay.`);
                setRemoving(null);
                setBusy(false);
                witnesses.reload();
              },
              (err: unknown) => {
                setError(errorMessage(err));
                setBusy(false);
              },
            );
          }}
        >
          <p>Its further cosignatures are refused; those it already made stay recorded.</p>
          {error ? <Alert tone="danger">{error}</Alert> : null}
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function RegisterWitnessForm({ onDone }: { onDone: (w: WitnessWithLatest) => void }) {
  const [name, setName] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const normalised = publicKey.trim() ? normalisePublicKey(publicKey) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim() || !normalised || busy) return;
    setBusy(true);
    setError(null);
    try {
      onDone(await witnessesApi.register({ name: name.trim(), publicKey: publicKey.trim() }));
      setName('');
      setPublicKey('');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form-stack sov" onSubmit={(e) => void submit(e)} noValidate data-testid="witness-register-form">
      <h3 className="subheading">Register a witness</h3>
      {error ? <Alert tone="danger">{error}</Alert> : null}
      <div className="form-row">
        <Field
          label="Name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={200}
          hint="Who holds the key, e.g. the data owner"
          testId="witness-name"
        />
        <div className="field">
          <label htmlFor="witness-key">Public key</label>
          <textarea
            id="witness-key"
            rows={2}
            className="mono small"
            value={publicKey}
            spellCheck={false}
            onChange={(e) => setPublicKey(e.target.value)}
            data-testid="witness-public-key"
          />
          <div className="field-hint">
            {publicKey.trim() ? (normalised ? `Ed25519 key, id ${keyIdOf(normalised)}` : 'Not an Ed25519 public key') : 'Base64 raw or SPKI PEM'}
          </div>
        </div>
      </div>
      <div>
        <button type="submit" className="btn btn-primary" disabled={!name.trim() || !normalised || busy} data-testid="witness-submit">
          {busy ? 'Registering\u2026' : 'Register witness'}
        </button>
      </div>
    </form>
  );
}
