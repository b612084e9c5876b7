/**
 * The datasets this node can transfer, and per dataset its designated
 * approvers (officials' public keys) and its policy: how many of them must
 * sign (M of N) and where data may go (jurisdictions, or nodes named
 * explicitly).
 */
import { Fragment, useState, type FormEvent } from 'react';
import type { Approver, Dataset } from '@kotwal/contracts';
import { errorMessage } from '../../api/client.ts';
import { useSearchParams } from '../../router.tsx';
import { useSession } from '../auth/session.tsx';
import { Alert, Badge, EmptyState, Loading } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { ConfirmDialog } from '../../ui/modal.tsx';
import { PageHeader } from '../../ui/page.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { useAsync } from '../../ui/use-async.ts';
import { approversApi, policyApi, transfersApi } from './api.ts';
import { splitList } from './common.tsx';
import { keyIdOf, normalisePublicKey } from './signing.ts';
import { TableHead } from '../../ui/table.tsx';

export function DatasetsScreen() {
  const datasets = useAsync(() => transfersApi.datasets(), []);
  const [params, setParams] = useSearchParams();
  const open = params.get('dataset');
  const toggle = (name: string) => {
    const next = new URLSearchParams(params);
    if (open === name) next.delete('dataset');
    else next.set('dataset', name);
    setParams(next, { replace: true });
  };

  return (
    <>
      <PageHeader
        title="Datasets & approvers"
        description="Who must sign before a dataset leaves this node, how many of them, and to where it may go. A transfer records the approver set and threshold as they stood when it was requested."
      />
      {datasets.error ? <Alert tone="danger">{errorMessage(datasets.error)}</Alert> : null}
      {datasets.loading && !datasets.data ? <Loading /> : null}
      {datasets.data && datasets.data.items.length === 0 ? (
        <EmptyState title="No datasets">No system on this node offers a dataset for transfer.</EmptyState>
      ) : null}
      {datasets.data?.items.length ? (
        <section className="panel" aria-label="Datasets">
          <div className="table-wrap">
            <table className="table" data-testid="datasets-table">
              <caption className="sr-only">Datasets</caption>
              <TableHead columns={['Dataset', 'Records', 'Signatures needed', 'Allowed destinations']} actions />
              <tbody>
                {datasets.data.items.map((d) => (
                  <Fragment key={d.name}>
                    <tr data-testid={`dataset-row-${d.name}`}>
                      <td>
                        <div className="strong mono">{d.name}</div>
                        <div className="muted small">
                          {d.title}: {d.description}
                        </div>
                      </td>
                      <td className="num">{d.records === null ? '\u2014' : d.records.toLocaleString()}</td>
                      <td data-testid={`dataset-policy-${d.name}`}>
                        {d.policy ? (
                          <>
                            {d.policy.threshold} of {d.policy.approvers}
                            {d.policy.approvers < d.policy.threshold ? (
                              <div>
                                <Badge tone="warning">too few approvers to request</Badge>
                              </div>
                            ) : null}
                          </>
                        ) : (
                          <Badge tone="neutral">no policy</Badge>
                        )}
                      </td>
                      <td className="small">
                        {d.policy
                          ? [...d.policy.allowedJurisdictions, ...d.policy.allowedDestinations.map((n) => `node ${n}`)].join(', ') || 'own jurisdiction'
                          : '\u2014'}
                      </td>
                      <td className="actions-cell">
                        <button
                          type="button"
                          className="btn btn-secondary btn-sm"
                          aria-expanded={open === d.name}
                          onClick={() => toggle(d.name)}
                          data-testid={`dataset-open-${d.name}`}
                        >
                          {open === d.name ? 'Close' : 'Approvers & policy'}
                        </button>
                      </td>
                    </tr>
                    {open === d.name ? (
                      <tr>
                        <td colSpan={5}>
                          <DatasetPanel dataset={d} onChanged={datasets.reload} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
    </>
  );
}

function DatasetPanel({ dataset, onChanged }: { dataset: Dataset; onChanged: () => void }) {
  const { can } = useSession();
  const manage = can('transfers.manage');
  const approvers = useAsync(() => approversApi.list(dataset.name), [dataset.name]);
  const [removing, setRemoving] = useState<Approver | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const active = (approvers.data?.items ?? []).filter((a) => !a.removedAt);
  const changed = (msg: string) => {
    setNotice(msg);
    approvers.reload();
    onChanged();
  };

  return (
    <div className="sov-dataset-panel sov" data-testid={`dataset-panel-${dataset.name}`}>
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      <h3 className="subheading">Designated approvers</h3>
      {approvers.error ? <Alert tone="danger">{errorMessage(approvers.error)}</Alert> : null}
      {approvers.loading && !approvers.data ? <Loading /> : null}
      {approvers.data && active.length === 0 ? <p className="muted">No official is designated for this dataset.</p> : null}
      {active.length ? (
        <table className="table" data-testid={`approvers-table-${dataset.name}`}>
          <caption className="sr-only">Approvers of {dataset.name}</caption>
          <TableHead columns={['Official', 'Key id', 'Designated']} actions={manage} />
          <tbody>
            {active.map((a) => (
              <tr key={a.id} data-testid={`approver-row-${a.keyId}`}>
                <td className="strong">{a.name}</td>
                <td className="mono" title={a.publicKey}>
                  {a.keyId}
                </td>
                <td title={a.createdAt}>
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
      ) : null}
      {manage ? (
        <div className="sov-grid">
          <DesignateForm dataset={dataset.name} onDone={(a) => changed(`Designated ${a.name} (key ${a.keyId}).`)} />
          <PolicyForm dataset={dataset} onDone={() => changed('Policy saved.')} />
        </div>
      ) : null}
      {removing ? (
        <ConfirmDialog
          open
          title={`Remove ${removing.name} as an approver?`}
          confirmLabel="Remove approver"
          tone="danger"
          busy={busy}
          onClose={() => {
            setRemoving(null);
            setError(null);
          }}
          onConfirm={() => {
            setBusy(true);
            approversApi.remove(removing.id).then(
              () => {
                setRemoving(null);
                setBusy(false);
                changed(`Removed ${removing.name}.`);
              },
              (err: unknown) => {
                setError(errorMessage(err));
                setBusy(false);
              },
            );
          }}
        >
          <p>Transfers requested from now on do not name this key. Transfers already requested keep the approver set they were signed with.</p>
          {error ? <Alert tone="danger">{error}</Alert> : null}
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

function DesignateForm({ dataset, onDone }: { dataset: string; onDone: (a: Approver) => void }) {
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
      onDone(await approversApi.designate({ dataset, name: name.trim(), publicKey: publicKey.trim() }));
      setName('');
      setPublicKey('');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form-stack" onSubmit={(e) => void submit(e)} noValidate data-testid="approver-designate-form">
      <h3 className="subheading">Designate an official</h3>
      {error ? <Alert tone="danger">{error}</Alert> : null}
      <Field label="Name and post" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} testId="approver-name" />
      <div className="field">
        <label htmlFor={`approver-key-${dataset}`}>Public key</label>
        <textarea
          id={`approver-key-${dataset}`}
          rows={3}
          className="mono small"
          value={publicKey}
          spellCheck={false}
          onChange={(e) => setPublicKey(e.target.value)}
          placeholder="the line `kotwal keys generate` printed, or the .pub file"
          data-testid="approver-public-key"
        />
        <div className="field-hint">{publicKey.trim() ? (normalised ? `Ed25519 key, id ${keyIdOf(normalised)}` : 'Not an Ed25519 public key') : null}</div>
      </div>
      <div>
        <button type="submit" className="btn btn-primary" disabled={!name.trim() || !normalised || busy} data-testid="approver-submit">
          {busy ? 'Designating\u2026' : 'Designate'}
        </button>
      </div>
    </form>
  );
}

function PolicyForm({ dataset, onDone }: { dataset: Dataset; onDone: () => void }) {
  const p = dataset.policy;
  const [threshold, setThreshold] = useState(String(p?.threshold ?? 2));
  const [jurisdictions, setJurisdictions] = useState((p?.allowedJurisdictions ?? []).join(', '));
  const [destinations, setDestinations] = useState((p?.allowedDestinations ?? []).join(', '));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const m = Number(threshold);
  const valid = Number.isInteger(m) && m >= 1 && m <= 32;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!valid || busy) return;
    setBusy(true);
    setError(null);
    try {
      await policyApi.set({
        dataset: dataset.name,
        threshold: m,
        allowedJurisdictions: splitList(jurisdictions).map((j) => j.toUpperCase()),
        allowedDestinations: splitList(destinations),
      });
      onDone();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form-stack" onSubmit={(e) => void submit(e)} noValidate data-testid="policy-form">
      <h3 className="subheading">Policy</h3>
      {error ? <Alert tone="danger">{error}</Alert> : null}
      <Field
        label="Signatures needed (M)"
        type="number"
        min={1}
        max={32}
        value={threshold}
        onChange={(e) => setThreshold(e.target.value)}
        hint="It may exceed the officials designated now; transfers can be requested once enough are"
        testId="policy-threshold"
      />
      <Field
        label="Allowed jurisdictions"
        value={jurisdictions}
        onChange={(e) => setJurisdictions(e.target.value)}
        placeholder="PK-PB, PK-IS"
        hint="Comma-separated; empty: this node's own only"
        testId="policy-jurisdictions"
      />
      <Field
        label="Nodes allowed by name"
        value={destinations}
        onChange={(e) => setDestinations(e.target.value)}
        hint="Comma-separated node names allowed even outside those jurisdictions"
        testId="policy-destinations"
      />
      <div>
        <button type="submit" className="btn btn-primary" disabled={!valid || busy} data-testid="policy-submit">
          {busy ? 'Saving\u2026' : 'Save policy'}
        </button>
      </div>
    </form>
  );
}
