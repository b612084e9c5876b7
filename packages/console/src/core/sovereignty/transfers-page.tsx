/**
 * Transfers: the list with a status (and dataset) filter, and the request
 * form. A request names the dataset, where it goes (a registered peer, or a
 * node named for an export), why and under what law, and until when; the
 * server builds the manifest the officials then sign.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { TRANSFER_KINDS, TRANSFER_STATUSES, type Dataset, type Peer, type TransferBody, type TransferListQuery, type TransferStatus } from '@kotwal/contracts';
import { errorMessage, isApiError } from '../../api/client.ts';
import { Link, navigate, useSearchParams } from '../../router.tsx';
import { useSession } from '../auth/session.tsx';
import { Alert, EmptyState, Loading } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { Modal } from '../../ui/modal.tsx';
import { PageHeader } from '../../ui/page.tsx';
import { formatDateTime, isoToLocalInput, localInputToIso, shortHash } from '../../ui/format.ts';
import { useAsync } from '../../ui/use-async.ts';
import { peersApi, transfersApi } from './api.ts';
import { TransferStatusBadge } from './common.tsx';
import { SOVEREIGNTY_SCREENS } from './nav.ts';
import { TableHead } from '../../ui/table.tsx';

const PAGE = 50;
type Kind = (typeof TRANSFER_KINDS)[number];

function isStatus(s: string | null): s is TransferStatus {
  return s !== null && (TRANSFER_STATUSES as readonly string[]).includes(s);
}

export function TransfersScreen() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const status = params.get('status');
  const dataset = params.get('dataset') ?? '';
  const before = params.get('before') ?? '';
  const query = useMemo<TransferListQuery>(
    () => ({ limit: PAGE, ...(isStatus(status) ? { status } : {}), ...(dataset ? { dataset } : {}), ...(before ? { before } : {}) }),
    [status, dataset, before],
  );
  const list = useAsync((signal) => transfersApi.list(query, signal), [JSON.stringify(query)]);
  const datasets = useAsync(() => transfersApi.datasets(), []);
  const [requesting, setRequesting] = useState(false);

  const setParam = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    if (k !== 'before') next.delete('before');
    setParams(next, { replace: true });
  };

  return (
    <>
      <PageHeader
        title="Transfers"
        description="Every replication, bulk export or evidence share is a transfer: it runs only after the dataset's designated officials have each signed its manifest with their own key, and only to an allowed destination."
        actions={
          can('transfers.request') ? (
            <button type="button" className="btn btn-primary" onClick={() => setRequesting(true)} data-testid="transfer-request-open">
              Request a transfer
            </button>
          ) : null
        }
      />
      <section className="panel" aria-label="Transfers">
        <div className="filters">
          <div className="field">
            <label htmlFor="transfer-status-filter">Status</label>
            <select
              id="transfer-status-filter"
              value={isStatus(status) ? status : ''}
              onChange={(e) => setParam('status', e.target.value)}
              data-testid="transfer-status-filter"
            >
              <option value="">any</option>
              {TRANSFER_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="transfer-dataset-filter">Dataset</label>
            <select id="transfer-dataset-filter" value={dataset} onChange={(e) => setParam('dataset', e.target.value)}>
              <option value="">any</option>
              {(datasets.data?.items ?? []).map((d) => (
                <option key={d.name} value={d.name}>
                  {d.name}
                </option>
              ))}
            </select>
          </div>
        </div>
        {list.error ? (
          <Alert tone="danger" title="Could not list transfers">
            {errorMessage(list.error)}
          </Alert>
        ) : null}
        {list.loading && !list.data ? <Loading /> : null}
        {list.data && list.data.items.length === 0 ? (
          <EmptyState title="No transfers">{status || dataset ? 'None match this filter.' : 'No data has been requested to leave this node.'}</EmptyState>
        ) : null}
        {list.data && list.data.items.length ? (
          <div className="table-wrap">
            <table className="table" data-testid="transfers-table">
              <caption className="sr-only">Transfers</caption>
              <TableHead columns={['Transfer', 'Dataset', 'Destination', 'Status', 'Approvals', 'Requested', 'Expires']} />
              <tbody>
                {list.data.items.map((t) => (
                  <tr key={t.id} data-testid={`transfer-row-${t.id}`}>
                    <td>
                      <Link to={`${SOVEREIGNTY_SCREENS.transfers.path}/${t.id}`} className="mono">
                        {shortHash(t.id, 8)}
                      </Link>
                      <div className="muted small">{t.manifest.kind}</div>
                    </td>
                    <td className="mono">{t.manifest.dataset}</td>
                    <td>
                      {t.manifest.destination.node} <span className="muted">({t.manifest.destination.jurisdiction})</span>
                    </td>
                    <td>
                      <TransferStatusBadge status={t.status} />
                    </td>
                    <td className="num">
                      {t.manifest.approvers.threshold - t.approvalsNeeded} of {t.manifest.approvers.threshold}
                      <div className="muted small">{t.approvals.length} recorded</div>
                    </td>
                    <td title={t.createdAt}>
                      {formatDateTime(t.createdAt)}
                      <div className="muted small">by {t.manifest.requestedBy}</div>
                    </td>
                    <td title={t.manifest.expiresAt}>{formatDateTime(t.manifest.expiresAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {list.data && (before || list.data.next) ? (
          <div className="pager">
            {before ? (
              <button type="button" className="btn btn-secondary btn-sm" onClick={() => setParam('before', '')}>
                Newest
              </button>
            ) : null}
            {list.data.next ? (
              <button type="button" className="btn btn-secondary btn-sm" onClick={() => setParam('before', list.data?.next ?? '')}>
                Older
              </button>
            ) : null}
          </div>
        ) : null}
      </section>
      {requesting ? <RequestTransferDialog datasets={datasets.data?.items ?? []} onClose={() => setRequesting(false)} /> : null}
    </>
  );
}

function RequestTransferDialog({ datasets, onClose }: { datasets: readonly Dataset[]; onClose: () => void }) {
  const peers = useAsync(() => peersApi.list(), []);
  const active = (peers.data?.items ?? []).filter((p) => p.status === 'active');
  const [dataset, setDataset] = useState(datasets[0]?.name ?? '');
  const [kind, setKind] = useState<Kind>('replication');
  const [node, setNode] = useState('');
  const [jurisdiction, setJurisdiction] = useState('');
  const [purpose, setPurpose] = useState('');
  const [legalBasis, setLegalBasis] = useState('');
  const [expires, setExpires] = useState(() => isoToLocalInput(new Date(Date.now() + 7 * 86_400_000).toISOString()));
  const [filter, setFilter] = useState<Record<string, string>>({});
  const [items, setItems] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const ds = datasets.find((d) => d.name === dataset);
  const choosePeer = (name: string) => {
    setNode(name);
    const p: Peer | undefined = active.find((x) => x.name === name);
    if (p) setJurisdiction(p.jurisdiction);
  };
  const expiresAt = localInputToIso(expires);
  const valid = Boolean(dataset && node.trim() && jurisdiction.trim() && purpose.trim() && legalBasis.trim() && expiresAt);
  const fieldError = (f: string): string | undefined => (isApiError(error) ? error.fieldError(f) : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!valid || busy || !expiresAt) return;
    setBusy(true);
    setError(null);
    const f = Object.fromEntries(Object.entries(filter).filter(([, v]) => v.trim()));
    const list = items
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    try {
      const body: TransferBody = {
        dataset,
        kind,
        destinationNode: node.trim(),
        destinationJurisdiction: jurisdiction.trim().toUpperCase(),
        purpose: purpose.trim(),
        legalBasis: legalBasis.trim(),
        expiresAt,
        ...(Object.keys(f).length ? { filter: f } : {}),
        ...(list.length ? { items: list } : {}),
      };
      const res = await transfersApi.request(body);
      navigate(`${SOVEREIGNTY_SCREENS.transfers.path}/${res.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal open wide title="Request a transfer" onClose={onClose} testId="transfer-request-dialog">
      <form className="form-stack sov" onSubmit={(e) => void submit(e)} noValidate>
        {error ? (
          <Alert tone="danger" title="Not requested" testId="transfer-request-error">
            {errorMessage(error)}
          </Alert>
        ) : null}
        {datasets.length === 0 ? <Alert tone="warning">This node offers no datasets for transfer.</Alert> : null}
        <div className="form-row">
          <div className="field">
            <label htmlFor="tr-dataset">Dataset</label>
            <select id="tr-dataset" value={dataset} onChange={(e) => setDataset(e.target.value)} data-testid="transfer-dataset">
              {datasets.map((d) => (
                <option key={d.name} value={d.name}>
                  {d.name} ({d.title})
                </option>
              ))}
            </select>
            <div className="field-hint">
              {ds
                ? ds.policy
                  ? `${ds.policy.threshold} of ${ds.policy.approvers} officials must sign; allowed: ${[...ds.policy.allowedJurisdictions, ...ds.policy.allowedDestinations].join(', ') || 'this node\u2019s jurisdiction'}`
                  : 'No policy yet: a transfer cannot be requested until one is set'
                : null}
            </div>
          </div>
          <div className="field">
            <label htmlFor="tr-kind">Kind</label>
            <select id="tr-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)} data-testid="transfer-kind">
              {TRANSFER_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="form-row">
          <div className="field">
            <label htmlFor="tr-node">Destination node</label>
            <input
              id="tr-node"
              list="tr-peers"
              value={node}
              onChange={(e) => choosePeer(e.target.value)}
              maxLength={127}
              data-testid="transfer-destination"
              aria-invalid={fieldError('destinationNode') ? true : undefined}
            />
            <datalist id="tr-peers">
              {active.map((p) => (
                <option key={p.id} value={p.name}>
                  {p.jurisdiction} {p.address}
                </option>
              ))}
            </datalist>
            <div className="field-hint">A registered peer for a replication{fieldError('destinationNode') ? `: ${fieldError('destinationNode')}` : ''}</div>
          </div>
          <Field
            label="Destination jurisdiction"
            value={jurisdiction}
            onChange={(e) => setJurisdiction(e.target.value)}
            maxLength={16}
            placeholder="PK-PB"
            hint="ISO 3166 code; a peer's is filled in"
            error={fieldError('destinationJurisdiction')}
            testId="transfer-jurisdiction"
          />
          <Field
            label="Expires (local time)"
            type="datetime-local"
            value={expires}
            onChange={(e) => setExpires(e.target.value)}
            error={fieldError('expiresAt')}
            testId="transfer-expires"
          />
        </div>
        <Field
          label="Purpose"
          value={purpose}
          onChange={(e) => setPurpose(e.target.value)}
          maxLength={500}
          testId="transfer-purpose"
          error={fieldError('purpose')}
        />
        <Field
          label="Legal basis"
          value={legalBasis}
          onChange={(e) => setLegalBasis(e.target.value)}
          maxLength={500}
          hint="The law, order or agreement that allows it"
          testId="transfer-legal-basis"
          error={fieldError('legalBasis')}
        />
        {ds && ds.filters.length ? (
          <div className="form-row">
            {ds.filters.map((f) => (
              <Field
                key={f}
                label={`Filter: ${f}`}
                value={filter[f] ?? ''}
                maxLength={200}
                onChange={(e) => setFilter((x) => ({ ...x, [f]: e.target.value }))}
                hint="Empty: no filter on it"
              />
            ))}
          </div>
        ) : null}
        {kind === 'evidence-share' ? (
          <div className="field">
            <label htmlFor="tr-items">Items (one per line)</label>
            <textarea id="tr-items" rows={3} value={items} onChange={(e) => setItems(e.target.value)} className="mono" />
          </div>
        ) : null}
        <div className="modal-footer modal-footer-inline">
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!valid || busy} data-testid="transfer-request-submit">
            {busy ? 'Requesting\u2026' : 'Request transfer'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
