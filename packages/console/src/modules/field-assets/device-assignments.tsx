/**
 * A device's assignment history (GET /devices/{id}/assignments, newest
 * first) and, for holders of field-assets.write, ending the current
 * assignment (DELETE /devices/{id}/assignment). The history reloads whenever
 * the current assignment changes, whoever changed it.
 */
import { useState } from 'react';
import type { FieldDevice, FieldDeviceAssignment } from '@kotwal/contracts';
import { errorMessage } from '../../api/client.ts';
import { Link } from '../../router.tsx';
import { Alert, Badge, Loading } from '../../ui/feedback.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { Section } from '../../ui/page.tsx';
import { useAsync } from '../../ui/use-async.ts';
import { fieldApi } from './api.ts';
import { liveStore } from './live.ts';
import { TableHead } from '../../ui/table.tsx';

export function officerText(a: Pick<FieldDeviceAssignment, 'officerId' | 'officerName' | 'userId'>): string {
  return [a.officerName, a.officerId ? `(${a.officerId})` : null, !a.officerName && !a.officerId && a.userId ? `user ${a.userId}` : null]
    .filter(Boolean)
    .join(' ');
}

export function AssignmentHistory({ base, device, devices }: { base: string; device: FieldDevice; devices: ReadonlyMap<string, FieldDevice> }) {
  const current = device.assignment?.id ?? null;
  const history = useAsync((signal) => fieldApi.assignments(device.id, signal), [device.id, current]);
  const items = history.data?.items ?? [];
  return (
    <Section title="Assignment history" testId="fa-assignment-history">
      {history.loading && !history.data ? (
        <Loading />
      ) : history.error ? (
        <Alert tone="danger">{errorMessage(history.error)}</Alert>
      ) : items.length ? (
        <div className="table-wrap">
          <table className="table table-compact" data-testid="fa-assignment-table" data-count={items.length}>
            <caption className="sr-only">Assignments of {device.name}, newest first</caption>
            <TableHead columns={['Officer', 'Vehicle', 'From', 'To', 'By']} />
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-testid="fa-assignment-row" data-assignment={a.id} data-current={a.endedAt ? 'false' : 'true'}>
                  <td>
                    {officerText(a) || '\u2014'}
                    {a.note ? <div className="muted small">{a.note}</div> : null}
                  </td>
                  <td>
                    {a.vehicleDeviceId ? (
                      <Link to={`${base}/devices/${encodeURIComponent(a.vehicleDeviceId)}`}>{devices.get(a.vehicleDeviceId)?.name ?? 'vehicle'}</Link>
                    ) : (
                      '\u2014'
                    )}
                  </td>
                  <td className="nowrap">{formatDateTime(a.startedAt)}</td>
                  <td className="nowrap">{a.endedAt ? formatDateTime(a.endedAt) : <Badge tone="success">current</Badge>}</td>
                  <td>{a.assignedBy}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">Never assigned.</p>
      )}
    </Section>
  );
}

/** Ends the current assignment; the device is then unassigned (the history keeps it). */
export function EndAssignment({ device }: { device: FieldDevice }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const end = async () => {
    setBusy(true);
    setError(null);
    try {
      liveStore.upsertDevice(await fieldApi.unassign(device.id));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="fa-inline-form">
      <button type="button" className="btn btn-secondary btn-sm" onClick={() => void end()} disabled={busy} data-testid="fa-unassign">
        {busy ? 'Ending\u2026' : 'End assignment'}
      </button>
      {error ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
    </div>
  );
}
