/**
 * Registry extract imports: upload (the browser streams the file as the
 * request body), the list of imports with their counts, and an import's
 * reject report (line, field, reason) with its CSV download.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { REGISTRIES, type ImportSummary, type RegistryName } from '@kotwal/contracts';
import { errorMessage, isApiError } from '../../api/client.ts';
import { Link } from '../../router.tsx';
import { Alert, EmptyState, Loading, Spinner } from '../../ui/feedback.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { Section } from '../../ui/page.tsx';
import { useAsync } from '../../ui/use-async.ts';
import { registriesApi, rejectsCsvUrl, type ImportFormat } from './api.ts';
import { StatusBadge } from './common.tsx';
import { REGISTRY_LABELS } from './records.tsx';

const REJECTS_PAGE = 50;

/** csv or jsonl from the file name, or null when it does not say. */
export function formatFromName(name: string): ImportFormat | null {
  const n = name.toLowerCase();
  if (n.endsWith('.csv') || n.endsWith('.csv.txt')) return 'csv';
  if (n.endsWith('.jsonl') || n.endsWith('.ndjson') || n.endsWith('.json')) return 'jsonl';
  return null;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function ImportsScreen({ base }: { base: string }) {
  const list = useAsync((signal) => registriesApi.imports(signal), []);
  const running = (list.data?.items ?? []).some((i) => i.status === 'running');

  // Imports started elsewhere (the CLI, another steward) progress on their own: follow them.
  useEffect(() => {
    if (!running) return;
    const t = setInterval(list.reload, 2000);
    return () => clearInterval(t);
  }, [running, list.reload]);

  return (
    <>
      <UploadForm base={base} onImported={list.reload} />
      <Section
        title="Imports"
        testId="imports-panel"
        actions={
          <button type="button" className="btn btn-secondary btn-sm" onClick={list.reload} data-testid="imports-reload">
            Reload
          </button>
        }
      >
        {list.error ? (
          <Alert tone="danger" title="Could not list imports">
            {errorMessage(list.error)}
          </Alert>
        ) : null}
        {list.loading && !list.data ? <Loading /> : null}
        {list.data && list.data.items.length === 0 ? <EmptyState title="No extract has been imported yet" /> : null}
        {list.data?.items.length ? <ImportsTable items={list.data.items} base={base} /> : null}
      </Section>
    </>
  );
}

function ImportsTable({ items, base }: { items: ImportSummary[]; base: string }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="imports-table">
        <caption className="sr-only">Imports, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Registry</th>
            <th scope="col">File</th>
            <th scope="col">Source</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Rows
            </th>
            <th scope="col" className="num">
              Inserted
            </th>
            <th scope="col" className="num">
              Updated
            </th>
            <th scope="col" className="num">
              Unchanged
            </th>
            <th scope="col" className="num">
              Rejected
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr key={i.id} data-testid={`import-row-${i.id}`} data-file={i.fileName} data-status={i.status} data-rejected={i.rejected}>
              <td className="nowrap" title={i.startedAt}>
                {formatDateTime(i.startedAt)}
              </td>
              <td>{REGISTRY_LABELS[i.registry]}</td>
              <td>
                <Link to={`${base}/imports/${encodeURIComponent(i.id)}`} data-testid="import-open">
                  {i.fileName}
                </Link>
                <div className="muted small">
                  {i.format.toUpperCase()} {'\u00b7'} {formatBytes(i.bytes)}
                </div>
              </td>
              <td>{i.source}</td>
              <td>
                <StatusBadge status={i.status} />
              </td>
              <td className="num">{i.rowsRead}</td>
              <td className="num">{i.inserted}</td>
              <td className="num">{i.updated}</td>
              <td className="num">{i.unchanged}</td>
              <td className={`num${i.rejected ? ' strong text-danger' : ''}`}>{i.rejected}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function UploadForm({ base, onImported }: { base: string; onImported: () => void }) {
  const [registry, setRegistry] = useState<RegistryName | ''>('');
  const [source, setSource] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [formatOverride, setFormatOverride] = useState<ImportFormat | ''>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<ImportSummary | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  const detected = file ? formatFromName(file.name) : null;
  const format = formatOverride || detected;
  const sourceOk = source.trim().length > 0 && source.trim().length <= 80;
  const ok = registry !== '' && sourceOk && file !== null && format !== null && !busy;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ok || !file || !format) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const summary = await registriesApi.upload({ registry, source: source.trim(), fileName: file.name.slice(0, 200), format }, file);
      setResult(summary);
      setFile(null);
      if (fileRef.current) fileRef.current.value = '';
      onImported();
    } catch (err) {
      setError(err);
      onImported();
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title="Import an extract" testId="import-upload">
      <form className="form-stack" onSubmit={(e) => void submit(e)} noValidate aria-label="Import an extract">
        <div className="form-row">
          <div className="field">
            <label htmlFor="import-registry">Registry</label>
            <select
              id="import-registry"
              value={registry}
              onChange={(e) => setRegistry(e.target.value as RegistryName | '')}
              data-testid="import-registry"
              required
            >
              <option value="">Choose a registry…</option>
              {REGISTRIES.map((r) => (
                <option key={r} value={r}>
                  {REGISTRY_LABELS[r]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="import-source">Source</label>
            <input
              id="import-source"
              value={source}
              onChange={(e) => setSource(e.target.value)}
              placeholder="e.g. NADRA extract 2024-06"
              maxLength={80}
              data-testid="import-source"
              required
            />
          </div>
        </div>
        <div className="form-row">
          <div className="field">
            <label htmlFor="import-file">File (CSV or JSON Lines)</label>
            <input
              id="import-file"
              ref={fileRef}
              type="file"
              accept=".csv,.jsonl,.ndjson,text/csv,application/x-ndjson"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
              data-testid="import-file"
            />
            {file ? (
              <div className="field-hint">
                {file.name}, {formatBytes(file.size)}
              </div>
            ) : null}
          </div>
          <div className={`field${file && !format ? ' field-invalid' : ''}`}>
            <label htmlFor="import-format">Format</label>
            <select
              id="import-format"
              value={formatOverride}
              onChange={(e) => setFormatOverride(e.target.value as ImportFormat | '')}
              data-testid="import-format"
            >
              <option value="">{detected ? `From the file name (${detected.toUpperCase()})` : 'From the file name'}</option>
              <option value="csv">CSV</option>
              <option value="jsonl">JSON Lines</option>
            </select>
            {file && !format ? <div className="field-error">The file name does not say; choose the format.</div> : null}
          </div>
        </div>
        <div className="button-row">
          <button type="submit" className="btn btn-primary" disabled={!ok} data-testid="import-submit">
            {busy ? 'Importing\u2026' : 'Import'}
          </button>
          {busy ? <Spinner label="Uploading and importing" /> : null}
        </div>
        <p className="muted small">
          Rows are validated against the registry&rsquo;s canonical schema. The file&rsquo;s SHA-256, source and counts are recorded in the ledger; every
          rejected row is listed in the import&rsquo;s reject report. Re-importing the same extract changes nothing.
        </p>
      </form>
      {error ? (
        <Alert tone="danger" title="The import failed" testId="import-error">
          {errorMessage(error)}
          {isApiError(error) && error.errors.length ? (
            <ul>
              {error.errors.map((f) => (
                <li key={`${f.field}:${f.message}`}>
                  <code>{f.field}</code>: {f.message}
                </li>
              ))}
            </ul>
          ) : null}
        </Alert>
      ) : null}
      {result ? (
        <Alert
          tone={result.status === 'completed' ? (result.rejected ? 'warning' : 'success') : 'danger'}
          title={`Import ${result.status}`}
          testId="import-result"
        >
          <span data-testid="import-result-counts">
            {result.rowsRead} rows read: {result.inserted} inserted, {result.updated} updated, {result.unchanged} unchanged, {result.rejected} rejected.
          </span>{' '}
          {result.error ? <span>{result.error} </span> : null}
          <Link to={`${base}/imports/${encodeURIComponent(result.id)}`} data-testid="import-result-open">
            {result.rejected ? 'See the reject report' : 'See the import'}
          </Link>
        </Alert>
      ) : null}
    </Section>
  );
}

export function ImportDetailScreen({ base, id }: { base: string; id: string }) {
  const summary = useAsync((signal) => registriesApi.importSummary(id, signal), [id]);
  const [offset, setOffset] = useState(0);
  const rejects = useAsync((signal) => registriesApi.rejects(id, offset, REJECTS_PAGE, signal), [id, offset]);
  const s = summary.data;

  useEffect(() => {
    if (s?.status !== 'running') return;
    const t = setInterval(() => {
      summary.reload();
      rejects.reload();
    }, 2000);
    return () => clearInterval(t);
  }, [s?.status, summary.reload, rejects.reload]);

  return (
    <>
      <p className="small">
        <Link to={`${base}/imports`}>{'\u2190'} Imports</Link>
      </p>
      {summary.error ? (
        <Alert tone="danger" title="Could not read the import">
          {errorMessage(summary.error)}
        </Alert>
      ) : null}
      {summary.loading && !s ? <Loading /> : null}
      {s ? (
        <Section title={`Import of ${s.fileName}`} testId="import-detail" actions={<StatusBadge status={s.status} />}>
          <dl className="kv">
            <dt>Registry</dt>
            <dd>{REGISTRY_LABELS[s.registry]}</dd>
            <dt>Source</dt>
            <dd>{s.source}</dd>
            <dt>File</dt>
            <dd>
              {s.fileName} ({s.format.toUpperCase()}, {formatBytes(s.bytes)})
            </dd>
            <dt>SHA-256</dt>
            <dd className="mono break-all">{s.sha256 ?? '\u2014'}</dd>
            <dt>Rows</dt>
            <dd data-testid="import-detail-counts">
              {s.rowsRead} read: {s.inserted} inserted, {s.updated} updated, {s.unchanged} unchanged, <strong>{s.rejected} rejected</strong>
            </dd>
            <dt>Started</dt>
            <dd>
              {formatDateTime(s.startedAt)} by {s.startedBy}
            </dd>
            <dt>Finished</dt>
            <dd>{s.finishedAt ? formatDateTime(s.finishedAt) : 'still running'}</dd>
            {s.error ? (
              <>
                <dt>Error</dt>
                <dd className="text-danger">{s.error}</dd>
              </>
            ) : null}
          </dl>
        </Section>
      ) : null}

      <Section
        title="Reject report"
        testId="import-rejects-panel"
        actions={
          <a className="btn btn-secondary btn-sm" href={rejectsCsvUrl(id)} download={`rejects-${id}.csv`} data-testid="import-rejects-csv">
            Download CSV
          </a>
        }
      >
        {rejects.error ? (
          <Alert tone="danger" title="Could not read the rejects">
            {errorMessage(rejects.error)}
          </Alert>
        ) : null}
        {rejects.loading && !rejects.data ? <Loading /> : null}
        {rejects.data && rejects.data.total === 0 ? <EmptyState title="No row was rejected" /> : null}
        {rejects.data?.items.length ? (
          <>
            <div className="table-wrap">
              <table className="table" data-testid="import-rejects">
                <caption className="sr-only">Rejected rows</caption>
                <thead>
                  <tr>
                    <th scope="col" className="num">
                      Line
                    </th>
                    <th scope="col">Field</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {rejects.data.items.map((r, i) => (
                    <tr key={`${r.line}:${i}`} data-testid="import-reject-row" data-line={r.line} data-field={r.field ?? ''}>
                      <td className="num mono">{r.line}</td>
                      <td>{r.field ? <code>{r.field}</code> : <span className="muted">row</span>}</td>
                      <td>{r.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div className="pager">
              <span className="muted small" data-testid="import-rejects-range">
                {offset + 1}–{offset + rejects.data.items.length} of {rejects.data.total}
              </span>
              <button type="button" className="btn btn-secondary btn-sm" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - REJECTS_PAGE))}>
                Previous
              </button>
              <button
                type="button"
                className="btn btn-secondary btn-sm"
                disabled={offset + rejects.data.items.length >= rejects.data.total}
                onClick={() => setOffset(offset + REJECTS_PAGE)}
              >
                Next
              </button>
            </div>
          </>
        ) : null}
      </Section>
    </>
  );
}
