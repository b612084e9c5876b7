import { Fragment, useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { Checkpoint, LedgerEntriesQuery, LedgerEntry } from '@kotwal/contracts';
import { ledgerApi, usersApi } from '../../api/endpoints.ts';
import { errorMessage } from '../../api/client.ts';
import { useSearchParams } from '../../router.tsx';
import { useSession } from '../auth/session.tsx';
import { PageHeader } from '../../ui/page.tsx';
import { Alert, Badge, EmptyState, Loading, Spinner } from '../../ui/feedback.tsx';
import { formatDateTime, isoToLocalInput, localInputToIso, shortHash } from '../../ui/format.ts';
import { useAsync } from '../../ui/use-async.ts';
import { CheckpointPanel, type CheckpointState } from './checkpoint-panel.tsx';
import { ChecksList } from './checks-list.tsx';
import { usePinnedKey } from './trust.ts';
import { coveredBy, publishedKeyFrom, verifyCheckpoint, verifyEntryInclusion, type CheckpointVerification, type InclusionVerification } from './verify.ts';

const PAGE_SIZES = [25, 50, 100, 250] as const;
const FILTER_KEYS = ['actor', 'action', 'resource', 'outcome', 'since', 'until'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type Filters = Record<FilterKey, string>;

function filtersFrom(params: URLSearchParams): Filters {
  const f = {} as Filters;
  for (const k of FILTER_KEYS) f[k] = params.get(k) ?? '';
  return f;
}

function queryFrom(params: URLSearchParams): LedgerEntriesQuery {
  const q: LedgerEntriesQuery = {};
  const from = params.get('from');
  if (from && /^\d+$/.test(from)) q.from = Number(from);
  const limit = Number(params.get('limit') ?? '50');
  q.limit = PAGE_SIZES.includes(limit as (typeof PAGE_SIZES)[number]) ? limit : 50;
  q.order = params.get('order') === 'asc' ? 'asc' : 'desc';
  const f = filtersFrom(params);
  if (f.actor) q.actor = f.actor;
  if (f.action) q.action = f.action;
  if (f.resource) q.resource = f.resource;
  if (f.outcome === 'allowed' || f.outcome === 'denied') q.outcome = f.outcome;
  if (f.since) q.since = f.since;
  if (f.until) q.until = f.until;
  return q;
}

type VerifyResult = { state: 'running' } | { state: 'done'; result: InclusionVerification } | { state: 'error'; message: string };

export default function LedgerPage() {
  const { system, can } = useSession();
  const [params, setParams] = useSearchParams();
  const query = useMemo(() => queryFrom(params), [params]);
  const queryKey = JSON.stringify(query);
  const [prevStack, setPrevStack] = useState<(number | undefined)[]>([]);

  // ---- checkpoint and trust ----
  const { pinned, pin, unpin } = usePinnedKey();
  const [cpState, setCpState] = useState<CheckpointState>({ checkpoint: null, verification: null, publishedKey: null, loading: true, error: undefined });
  const expectations = useCallback(
    (publishedKey: string | null) => ({ publishedKey, pinnedKey: pinned, expectedOrigin: system?.nodeName ?? null }),
    [pinned, system],
  );
  const loadCheckpoint = useCallback(async (): Promise<{ cp: Checkpoint | null; cpv: CheckpointVerification | null }> => {
    setCpState((s) => ({ ...s, loading: true, error: undefined }));
    try {
      const [cp, pk] = await Promise.all([ledgerApi.latestCheckpoint(), ledgerApi.publicKey().catch(() => null)]);
      const publishedKey = publishedKeyFrom(pk);
      const cpv = verifyCheckpoint(cp, expectations(publishedKey));
      setCpState({ checkpoint: cp, verification: cpv, publishedKey, loading: false, error: undefined });
      return { cp, cpv };
    } catch (err) {
      setCpState((s) => ({ ...s, loading: false, error: err }));
      return { cp: null, cpv: null };
    }
  }, [expectations]);
  const cpRef = useRef(cpState);
  cpRef.current = cpState;

  useEffect(() => {
    void loadCheckpoint();
  }, [loadCheckpoint]);

  // ---- entries ----
  const entries = useAsync((signal) => ledgerApi.entries(query, signal), [queryKey]);
  const users = useAsync(async () => (can('users.read') ? (await usersApi.list()).items : []), []);
  const userNames = useMemo(() => new Map((users.data ?? []).map((u) => [u.id, u.username])), [users.data]);

  // ---- inclusion verification ----
  const [results, setResults] = useState<Record<number, VerifyResult>>({});
  const verify = async (entry: LedgerEntry) => {
    setResults((r) => ({ ...r, [entry.seq]: { state: 'running' } }));
    try {
      let cp = cpRef.current.checkpoint;
      let cpv = cpRef.current.verification;
      if (!cp || !cpv || !coveredBy(entry, cpv)) ({ cp, cpv } = await loadCheckpoint());
      if (!cp || !cpv) throw new Error('no signed checkpoint could be read');
      const proof = coveredBy(entry, cpv) && cpv.signed ? await ledgerApi.inclusionProof(entry.seq, cpv.signed.treeSize) : null;
      setResults((r) => ({ ...r, [entry.seq]: { state: 'done', result: verifyEntryInclusion(entry, cpv, proof) } }));
    } catch (err) {
      setResults((r) => ({ ...r, [entry.seq]: { state: 'error', message: errorMessage(err) } }));
    }
  };

  // ---- filters ----
  const [draft, setDraft] = useState<Filters>(() => filtersFrom(params));
  useEffect(() => setDraft(filtersFrom(params)), [params]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams();
    // A username typed as the actor is looked up: the ledger records ids.
    const byName = (users.data ?? []).find((u) => u.username === draft.actor.trim());
    const f: Filters = { ...draft, actor: byName ? byName.id : draft.actor.trim() };
    for (const k of FILTER_KEYS) if (f[k]) next.set(k, f[k]);
    if (params.get('order')) next.set('order', params.get('order') ?? '');
    if (params.get('limit')) next.set('limit', params.get('limit') ?? '');
    setPrevStack([]);
    setParams(next);
  };
  const reset = () => {
    setPrevStack([]);
    setParams(new URLSearchParams());
  };
  const setParam = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    next.delete('from');
    setPrevStack([]);
    setParams(next);
  };
  const goNext = () => {
    const n = entries.data?.next;
    if (n === null || n === undefined) return;
    setPrevStack((s) => [...s, query.from]);
    const next = new URLSearchParams(params);
    next.set('from', String(n));
    setParams(next);
  };
  const goPrev = () => {
    const prev = prevStack[prevStack.length - 1];
    setPrevStack((s) => s.slice(0, -1));
    const next = new URLSearchParams(params);
    if (prev === undefined) next.delete('from');
    else next.set('from', String(prev));
    setParams(next);
  };

  const items = entries.data?.items ?? [];
  const activeFilters = FILTER_KEYS.filter((k) => params.get(k));

  return (
    <>
      <PageHeader
        title="Ledger"
        description="Every sign-in, read and change on this node, sealed in an RFC 9162 Merkle tree. Proofs are checked here, in your browser, against the node's signed checkpoint."
      />
      <CheckpointPanel state={cpState} pinned={pinned} onReload={() => void loadCheckpoint()} onPin={pin} onUnpin={unpin} />

      <section className="panel" aria-label="Ledger entries">
        <form className="filters" onSubmit={apply} data-testid="ledger-filters" aria-label="Filter entries">
          <div className="field">
            <label htmlFor="f-actor">Actor</label>
            <input
              id="f-actor"
              list="f-actor-list"
              value={draft.actor}
              placeholder="username, or a user, token or device id"
              onChange={(e) => setDraft({ ...draft, actor: e.target.value })}
              data-testid="filter-actor"
            />
            <datalist id="f-actor-list">
              {(users.data ?? []).map((u) => (
                <option key={u.id} value={u.id} label={u.username} />
              ))}
            </datalist>
          </div>
          <div className="field">
            <label htmlFor="f-action">Action</label>
            <input
              id="f-action"
              value={draft.action}
              placeholder="auth.login or auth.*"
              onChange={(e) => setDraft({ ...draft, action: e.target.value })}
              data-testid="filter-action"
            />
          </div>
          <div className="field">
            <label htmlFor="f-resource">Resource</label>
            <input
              id="f-resource"
              value={draft.resource}
              placeholder="exact, or prefix*"
              onChange={(e) => setDraft({ ...draft, resource: e.target.value })}
              data-testid="filter-resource"
            />
          </div>
          <div className="field field-narrow">
            <label htmlFor="f-outcome">Outcome</label>
            <select id="f-outcome" value={draft.outcome} onChange={(e) => setDraft({ ...draft, outcome: e.target.value })} data-testid="filter-outcome">
              <option value="">Any</option>
              <option value="allowed">Allowed</option>
              <option value="denied">Denied</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-since">From (local time)</label>
            <input
              id="f-since"
              type="datetime-local"
              value={isoToLocalInput(draft.since)}
              onChange={(e) => setDraft({ ...draft, since: localInputToIso(e.target.value) ?? '' })}
              data-testid="filter-since"
            />
          </div>
          <div className="field">
            <label htmlFor="f-until">Until (local time)</label>
            <input
              id="f-until"
              type="datetime-local"
              value={isoToLocalInput(draft.until)}
              onChange={(e) => setDraft({ ...draft, until: localInputToIso(e.target.value) ?? '' })}
              data-testid="filter-until"
            />
          </div>
          <div className="filters-actions">
            <button type="submit" className="btn btn-primary" data-testid="filter-apply">
              Apply
            </button>
            <button
              type="button"
              className="btn btn-secondary"
              onClick={reset}
              disabled={activeFilters.length === 0 && !params.get('from')}
              data-testid="filter-reset"
            >
              Reset
            </button>
          </div>
        </form>

        <div className="table-toolbar">
          <div className="muted small" data-testid="ledger-summary" aria-live="polite">
            {entries.data
              ? items.length
                ? `Entries ${items[0]?.seq}\u2013${items[items.length - 1]?.seq} \u00b7 ${items.length} shown \u00b7 tree size ${entries.data.treeSize.toLocaleString()}`
                : `No entries \u00b7 tree size ${entries.data.treeSize.toLocaleString()}`
              : '\u00a0'}
            {activeFilters.length ? ` \u00b7 filtered by ${activeFilters.join(', ')}` : ''}
          </div>
          <div className="toolbar-controls">
            <label className="inline-field">
              Order
              <select value={query.order} onChange={(e) => setParam('order', e.target.value === 'asc' ? 'asc' : '')} data-testid="ledger-order">
                <option value="desc">Newest first</option>
                <option value="asc">Oldest first</option>
              </select>
            </label>
            <label className="inline-field">
              Per page
              <select value={query.limit} onChange={(e) => setParam('limit', e.target.value === '50' ? '' : e.target.value)}>
                {PAGE_SIZES.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" className="btn btn-secondary btn-sm" onClick={entries.reload} data-testid="ledger-reload">
              Reload
            </button>
          </div>
        </div>

        {entries.error ? (
          <Alert tone="danger" title="Could not read the ledger">
            {errorMessage(entries.error)}
          </Alert>
        ) : null}
        {entries.loading && !entries.data ? <Loading label="Reading the ledger\u2026" /> : null}
        {entries.data && items.length === 0 ? (
          <EmptyState title="No entries">{activeFilters.length ? 'Nothing matches these filters.' : 'The ledger is empty.'}</EmptyState>
        ) : null}
        {items.length ? (
          <div className="table-wrap" aria-busy={entries.loading}>
            <table className="table ledger-table" data-testid="ledger-table">
              <caption className="sr-only">Ledger entries</caption>
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Seq
                  </th>
                  <th scope="col">Time</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Resource</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Purpose / case</th>
                  <th scope="col">
                    <span className="sr-only">Verification</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <EntryRow key={e.seq} entry={e} names={userNames} result={results[e.seq]} onVerify={() => void verify(e)} />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}

        <nav className="pager" aria-label="Ledger pages">
          <button
            type="button"
            className="btn btn-secondary btn-sm"
            onClick={goPrev}
            disabled={prevStack.length === 0 && !params.get('from')}
            data-testid="ledger-prev"
          >
            {'\u2190'} Previous page
          </button>
          <button
            type="button"
            className="btn btn-secondary btn-sm"
            onClick={goNext}
            disabled={entries.data?.next === null || entries.data?.next === undefined}
            data-testid="ledger-next"
          >
            Next page {'\u2192'}
          </button>
        </nav>
      </section>
    </>
  );
}

/** `user:<id>` reads better as `user:<username>`; the sealed text stays in the tooltip. */
function readableResource(resource: string, names: ReadonlyMap<string, string>): string {
  return resource.replace(/\buser:([0-9a-f-]{36})\b/g, (all, id: string) => {
    const n = names.get(id);
    return n ? `user:${n}` : all;
  });
}

function EntryRow({
  entry: e,
  names,
  result,
  onVerify,
}: {
  entry: LedgerEntry;
  names: ReadonlyMap<string, string>;
  result: VerifyResult | undefined;
  onVerify: () => void;
}) {
  const userName = names.get(e.actorId);
  const [open, setOpen] = useState(false);
  const expanded = open || result !== undefined;
  return (
    <Fragment>
      <tr data-testid={`ledger-row-${e.seq}`} data-action={e.action} data-outcome={e.outcome}>
        <td className="num mono">{e.seq}</td>
        <td className="nowrap" title={e.at}>
          {formatDateTime(e.at)}
        </td>
        <td>
          <span className="actor">
            <Badge tone="neutral">{e.actorType}</Badge> <span title={e.actorId}>{userName ?? shortHash(e.actorId, 14)}</span>
          </span>
        </td>
        <td className="mono">{e.action}</td>
        <td className="mono break-all" title={e.resource}>
          {readableResource(e.resource, names)}
        </td>
        <td>
          <Badge tone={e.outcome === 'allowed' ? 'success' : 'danger'}>{e.outcome}</Badge>
        </td>
        <td className="small">
          {e.purpose ?? <span className="muted">{'\u2014'}</span>}
          {e.caseRef ? <div className="muted">case {e.caseRef}</div> : null}
        </td>
        <td className="actions-cell">
          <button
            type="button"
            className="btn btn-ghost btn-sm"
            aria-expanded={expanded}
            aria-controls={`entry-${e.seq}-detail`}
            onClick={() => setOpen((o) => !o)}
            disabled={result !== undefined}
          >
            Details
          </button>
          <button type="button" className="btn btn-secondary btn-sm" onClick={onVerify} disabled={result?.state === 'running'} data-testid={`verify-${e.seq}`}>
            {result?.state === 'running' ? 'Verifying\u2026' : 'Verify inclusion'}
          </button>
        </td>
      </tr>
      {expanded ? (
        <tr className="detail-row" id={`entry-${e.seq}-detail`}>
          <td colSpan={8}>
            <div className="entry-detail">
              <dl className="kv kv-compact">
                <dt>Actor id</dt>
                <dd className="mono">{e.actorId}</dd>
                <dt>Request id</dt>
                <dd className="mono">{e.requestId ?? '\u2014'}</dd>
                <dt>Details hash</dt>
                <dd className="mono break-all">{e.detailsHash ?? '\u2014'}</dd>
                <dt>Leaf hash</dt>
                <dd className="mono break-all">{e.leafHash}</dd>
              </dl>
              {result ? <InclusionResult seq={e.seq} result={result} onRetry={onVerify} /> : null}
            </div>
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

function InclusionResult({ seq, result, onRetry }: { seq: number; result: VerifyResult; onRetry: () => void }) {
  if (result.state === 'running') {
    return (
      <div className="inclusion inclusion-running" data-testid={`inclusion-result-${seq}`} data-status="running">
        <Spinner label="Verifying" /> Fetching the proof and checking it in this browser{'\u2026'}
      </div>
    );
  }
  if (result.state === 'error') {
    return (
      <div className="inclusion inclusion-error" data-testid={`inclusion-result-${seq}`} data-status="error" role="alert">
        <div className="verdict verdict-unknown">
          <span className="verdict-icon" aria-hidden="true">
            !
          </span>
          <span className="verdict-title">Could not verify</span>
        </div>
        <p>{result.message}</p>
        <button type="button" className="btn btn-secondary btn-sm" onClick={onRetry}>
          Try again
        </button>
      </div>
    );
  }
  const r = result.result;
  const title =
    r.status === 'verified'
      ? `Inclusion verified at tree size ${r.treeSize?.toLocaleString() ?? '?'}`
      : r.status === 'pending'
        ? 'Not yet covered by a signed checkpoint'
        : 'Inclusion verification FAILED';
  const cls = r.status === 'verified' ? 'valid' : r.status === 'pending' ? 'unknown' : 'invalid';
  return (
    <div
      className={`inclusion inclusion-${r.status}`}
      data-testid={`inclusion-result-${seq}`}
      data-status={r.status}
      role={r.status === 'failed' ? 'alert' : 'status'}
    >
      <div className={`verdict verdict-${cls}`}>
        <span className="verdict-icon" aria-hidden="true">
          {r.status === 'verified' ? '\u2713' : r.status === 'pending' ? '\u2026' : '\u2715'}
        </span>
        <span className="verdict-title">{title}</span>
      </div>
      <ChecksList checks={r.checks} testId={`inclusion-checks-${seq}`} />
      {r.status === 'pending' ? (
        <p className="small muted">
          Checkpoints are signed every few seconds while entries are pending.{' '}
          <button type="button" className="btn-link" onClick={onRetry} data-testid={`verify-retry-${seq}`}>
            Try again
          </button>
        </p>
      ) : null}
    </div>
  );
}
