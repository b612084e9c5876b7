/**
 * Devices that belong together (a body camera with its handheld and its
 * vehicle): the links of one device, and for holders of field-assets.write
 * linking another device found by name or serial (POST /devices/{id}/links)
 * and removing a link (DELETE /devices/{id}/links/{otherId}). A separation
 * alert fires when linked devices are further apart than the distance for
 * longer than the time.
 */
import { useEffect, useState } from 'react';
import type { FieldDevice } from '@kotwal/contracts';
import { ApiError, errorMessage, isApiError } from '../../api/client.ts';
import { Link } from '../../router.tsx';
import { Alert, Loading } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { Section } from '../../ui/page.tsx';
import { TableHead } from '../../ui/table.tsx';
import { useAsync } from '../../ui/use-async.ts';
import { fieldApi, KIND_LABELS } from './api.ts';
import { liveStore } from './live.ts';

/** An integer from a form field: undefined when empty (the server's default), NaN when not a whole number. */
function intOrDefault(v: string): number | undefined {
  const t = v.trim();
  if (!t) return undefined;
  return /^\d+$/.test(t) ? Number(t) : Number.NaN;
}

export function DeviceLinks({ base, device, canWrite }: { base: string; device: FieldDevice; canWrite: boolean }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const unlink = async (otherId: string, name: string) => {
    setBusy(otherId);
    setError(null);
    setNotice(null);
    try {
      liveStore.upsertDevice(await fieldApi.unlink(device.id, otherId));
      setNotice(`Unlinked ${name}.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Section title="Linked devices" testId="fa-links">
      {device.links.length ? (
        <div className="table-wrap">
          <table className="table table-compact" data-testid="fa-links-table" data-count={device.links.length}>
            <caption className="sr-only">Devices linked to {device.name}</caption>
            <TableHead columns={['Device', 'Kind', 'Separation alert', 'Since']} actions={canWrite} />
            <tbody>
              {device.links.map((l) => (
                <tr key={l.deviceId} data-testid={`fa-link-${l.uniqueId}`} data-device={l.deviceId}>
                  <td>
                    <Link to={`${base}/devices/${encodeURIComponent(l.deviceId)}`}>{l.name}</Link> <span className="muted small mono">{l.uniqueId}</span>
                  </td>
                  <td>{KIND_LABELS[l.kind]}</td>
                  <td className="nowrap">
                    beyond {l.separationMetres} m for {l.separationSeconds} s
                  </td>
                  <td className="nowrap">{formatDateTime(l.createdAt)}</td>
                  {canWrite ? (
                    <td>
                      <button
                        type="button"
                        className="btn btn-ghost btn-sm"
                        onClick={() => void unlink(l.deviceId, l.name)}
                        disabled={busy !== null}
                        aria-label={`Unlink ${l.name}`}
                        data-testid={`fa-link-remove-${l.uniqueId}`}
                      >
                        {busy === l.deviceId ? 'Unlinking\u2026' : 'Unlink'}
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted" data-testid="fa-links-none">
          Not linked to any device.
        </p>
      )}
      {error ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {canWrite ? <AddLink device={device} onLinked={(name) => setNotice(`Linked ${name}.`)} /> : null}
    </Section>
  );
}

function AddLink({ device, onLinked }: { device: FieldDevice; onLinked: (name: string) => void }) {
  const [q, setQ] = useState('');
  const [debounced, setDebounced] = useState('');
  const [metres, setMetres] = useState('');
  const [seconds, setSeconds] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const timer = setTimeout(() => setDebounced(q.trim()), 250);
    return () => clearTimeout(timer);
  }, [q]);
  const found = useAsync((signal) => (debounced ? fieldApi.devices({ q: debounced, limit: 10 }, signal) : Promise.resolve(null)), [debounced]);
  const linked = new Set(device.links.map((l) => l.deviceId));
  const candidates = (found.data?.items ?? []).filter((d) => d.id !== device.id && !linked.has(d.id));

  const link = async (other: FieldDevice) => {
    setError(null);
    const m = intOrDefault(metres);
    const s = intOrDefault(seconds);
    const bad = [
      ...(Number.isNaN(m) ? [{ field: '/separationMetres', message: 'must be a whole number of metres' }] : []),
      ...(Number.isNaN(s) ? [{ field: '/separationSeconds', message: 'must be a whole number of seconds' }] : []),
    ];
    if (bad.length) {
      setError(new ApiError({ status: 400, type: 'about:blank', title: 'Check the form', errors: bad }));
      return;
    }
    setBusy(other.id);
    try {
      const d = await fieldApi.link(device.id, {
        deviceId: other.id,
        ...(m !== undefined ? { separationMetres: m } : {}),
        ...(s !== undefined ? { separationSeconds: s } : {}),
      });
      liveStore.upsertDevice(d);
      setQ('');
      setDebounced('');
      onLinked(other.name);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const fe = (f: string) => (isApiError(error) ? error.fieldError(f) : undefined);

  return (
    <div className="fa-inline-form" data-testid="fa-link-form">
      <h3 className="subheading">Link a device</h3>
      <Field
        label="Find a device"
        hint="name or serial"
        type="search"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        testId="fa-link-search"
        maxLength={120}
        autoComplete="off"
      />
      <div className="form-row">
        <Field
          label="Alert beyond (m)"
          hint="default 100"
          value={metres}
          onChange={(e) => setMetres(e.target.value)}
          error={fe('separationMetres')}
          inputMode="numeric"
          testId="fa-link-metres"
        />
        <Field
          label="for longer than (s)"
          hint="default 60"
          value={seconds}
          onChange={(e) => setSeconds(e.target.value)}
          error={fe('separationSeconds')}
          inputMode="numeric"
          testId="fa-link-seconds"
        />
      </div>
      {debounced ? (
        found.loading && !found.data ? (
          <Loading label="Searching\u2026" />
        ) : found.error ? (
          <Alert tone="danger">{errorMessage(found.error)}</Alert>
        ) : candidates.length ? (
          <ul className="fa-device-list" data-testid="fa-link-candidates" aria-label="Devices to link">
            {candidates.map((d) => (
              <li key={d.id}>
                <button
                  type="button"
                  className="fa-device-row"
                  onClick={() => void link(d)}
                  disabled={busy !== null}
                  data-testid={`fa-link-add-${d.uniqueId}`}
                  title={`Link ${d.name} to ${device.name}`}
                >
                  <span className="fa-device-name">{busy === d.id ? `Linking ${d.name}\u2026` : d.name}</span>
                  <span className="fa-device-meta muted small">
                    {KIND_LABELS[d.kind]} · <span className="mono">{d.uniqueId}</span>
                    {d.unit ? ` · ${d.unit}` : ''}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small">No other device matches.</p>
        )
      ) : null}
      {error && !fe('separationMetres') && !fe('separationSeconds') ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
    </div>
  );
}
