/**
 * One device: status (connection, service status, battery, camera state),
 * assignment and its history, linked devices, last position on a small map,
 * recent events, and for holders of field-assets.write: edit, assign and end
 * the assignment, link and unlink devices, issue and revoke the device token.
 * Live changes (state, position, device changes) come from the live stream;
 * the rest is read once (the assignment history again whenever the current
 * assignment changes).
 */
import { useMemo, useState } from 'react';
import { DEVICE_SERVICE_STATUSES, type DeviceServiceStatus, type FieldDevice, type FieldPosition } from '@kotwal/contracts';
import { ApiError, errorMessage, isApiError } from '../../api/client.ts';
import { useSession } from '../../core/auth/session.tsx';
import { Link } from '../../router.tsx';
import { Alert, Badge, EmptyState, Loading } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { Section } from '../../ui/page.tsx';
import { useAsync } from '../../ui/use-async.ts';
import { useNow } from '../../ui/use-now.ts';
import { ago, EVENT_LABELS, eventKindOf, fieldApi, KIND_LABELS, kindOf, serviceStatusOf, severityOf } from './api.ts';
import { liveStore, type LiveSnapshot } from './live.ts';
import { FieldMap } from './map/field-map.tsx';
import { DeviceMarkers } from './map/device-markers.tsx';
import { BatteryText, ConnectionBadge, PanTo } from './live-screen.tsx';
import { AssignmentHistory, EndAssignment, officerText } from './device-assignments.tsx';
import { DeviceLinks } from './device-links.tsx';
import { DeviceToken } from './device-token.tsx';

function yesNo(v: boolean | null | undefined): string {
  return v === null || v === undefined ? '\u2014' : v ? 'yes' : 'no';
}

export function DeviceDetailScreen({ base, deviceId, live }: { base: string; deviceId: string; live: LiveSnapshot }) {
  const { can } = useSession();
  const now = useNow(5000);
  const loaded = useAsync((signal) => fieldApi.device(deviceId, signal), [deviceId]);
  const events = useAsync((signal) => fieldApi.events({ deviceId, limit: 20 }, signal), [deviceId, live.alerts.length]);
  const device: FieldDevice | undefined = live.devices.get(deviceId) ?? loaded.data;
  const pos: FieldPosition | undefined = live.positions.get(deviceId);
  const positions = useMemo(() => new Map(pos ? [[deviceId, pos]] : []), [deviceId, pos]);
  const devices = useMemo(() => new Map(device ? [[deviceId, device]] : []), [deviceId, device]);

  if (!device) {
    if (loaded.loading) return <Loading />;
    return (
      <EmptyState title="Device not found">
        {loaded.error ? errorMessage(loaded.error) : null} <Link to={base}>Back to the live map</Link>
      </EmptyState>
    );
  }
  const kind = kindOf(device);
  const st = device.state;
  const a = device.assignment;
  const camera = kind === 'body-camera' || kind === 'covert-camera';

  return (
    <div className="fa-detail" data-testid="fa-device-detail" data-device={device.uniqueId}>
      <div className="fa-detail-head">
        <Link to={base} className="btn btn-ghost btn-sm">
          {'\u2190'} Live map
        </Link>
        <h2 data-testid="fa-detail-name">{device.name}</h2>
        <Badge tone="info">{KIND_LABELS[kind]}</Badge>
        {device.covert ? (
          <Badge tone="warning" title="Every view of this device is recorded in the ledger">
            covert
          </Badge>
        ) : null}
        <ConnectionBadge device={device} />
        <Link to={`${base}/replay?device=${encodeURIComponent(device.id)}`} className="btn btn-secondary btn-sm" data-testid="fa-detail-replay">
          Replay track
        </Link>
      </div>
      <div className="grid-2">
        <Section title="Status" testId="fa-detail-status">
          <dl className="kv">
            <dt>Serial (unique id)</dt>
            <dd className="mono" data-testid="fa-detail-uniqueid">
              {device.uniqueId}
            </dd>
            <dt>Connection</dt>
            <dd>
              <ConnectionBadge device={device} />
            </dd>
            <dt>Unit</dt>
            <dd>{device.unit ?? '\u2014'}</dd>
            <dt>Service status</dt>
            <dd data-testid="fa-detail-service">{serviceStatusOf(device)}</dd>
            <dt>Last report</dt>
            <dd title={formatDateTime(st.lastSeenAt)}>{ago(st.lastSeenAt, now)}</dd>
            <dt>Battery</dt>
            <dd>
              <BatteryText level={st.batteryLevel} charging={st.charging} />
            </dd>
            <dt>Moving</dt>
            <dd>{yesNo(st.moving)}</dd>
            {camera ? (
              <>
                <dt>Recording</dt>
                <dd data-testid="fa-detail-recording">{yesNo(st.recording)}</dd>
                <dt>Docked</dt>
                <dd>{yesNo(st.docked)}</dd>
              </>
            ) : null}
            <dt>Speed limit</dt>
            <dd>{device.speedLimitKph ? `${device.speedLimitKph} km/h` : 'default for its kind'}</dd>
            <dt>Device token</dt>
            <dd data-testid="fa-detail-token" data-has-token={device.hasToken ? 'true' : 'false'}>
              {device.hasToken ? 'set (required from the device)' : 'none'}
            </dd>
          </dl>
        </Section>
        <Section title="Last position" testId="fa-detail-position">
          {pos ? (
            <>
              <p className="small" data-testid="fa-detail-latlon" data-lat={pos.lat} data-lon={pos.lon}>
                <span className="mono">
                  {pos.lat.toFixed(5)}, {pos.lon.toFixed(5)}
                </span>{' '}
                · {pos.speedKph !== null ? `${Math.round(pos.speedKph)} km/h` : 'speed unknown'}
                {pos.accuracy !== null ? ` · \u00b1${Math.round(pos.accuracy)} m` : ''} ·{' '}
                <time dateTime={pos.fixTime} title={formatDateTime(pos.fixTime)}>
                  {ago(pos.fixTime, now)}
                </time>{' '}
                via {pos.protocol}
              </p>
              <FieldMap testId="fa-detail-map" className="fa-map-small" center={[pos.lat, pos.lon]} zoom={15}>
                <DeviceMarkers devices={devices} positions={positions} cluster={false} />
                <PanTo target={{ lat: pos.lat, lon: pos.lon, key: `${pos.lat},${pos.lon}` }} />
              </FieldMap>
            </>
          ) : (
            <EmptyState title="No position yet">The device has not reported, or its fixes are older than the live window.</EmptyState>
          )}
        </Section>
      </div>
      <div className="grid-2">
        <Section title="Assignment" testId="fa-detail-assignment">
          {a ? (
            <dl className="kv">
              <dt>Officer</dt>
              <dd data-testid="fa-detail-officer">{officerText(a) || '\u2014'}</dd>
              {a.vehicleDeviceId ? (
                <>
                  <dt>Vehicle</dt>
                  <dd>
                    <Link to={`${base}/devices/${encodeURIComponent(a.vehicleDeviceId)}`}>{live.devices.get(a.vehicleDeviceId)?.name ?? 'vehicle'}</Link>
                  </dd>
                </>
              ) : null}
              <dt>Since</dt>
              <dd>{formatDateTime(a.startedAt)}</dd>
              <dt>Assigned by</dt>
              <dd>{a.assignedBy}</dd>
              {a.note ? (
                <>
                  <dt>Note</dt>
                  <dd>{a.note}</dd>
                </>
              ) : null}
            </dl>
          ) : (
            <p className="muted" data-testid="fa-detail-unassigned">
              Not assigned.
            </p>
          )}
          {a && can('field-assets.write') ? <EndAssignment key={a.id} device={device} /> : null}
          {can('field-assets.write') ? <AssignForm device={device} /> : null}
        </Section>
        <Section title="Recent events" testId="fa-detail-events">
          {events.loading && !events.data ? (
            <Loading />
          ) : events.error ? (
            <Alert tone="danger">{errorMessage(events.error)}</Alert>
          ) : events.data && events.data.items.length ? (
            <ul className="fa-event-list">
              {events.data.items.map((e) => (
                <li key={e.id} data-testid={`fa-detail-event-${eventKindOf(e)}`} className={`fa-alert-${eventKindOf(e) === 'sos' ? 'sos' : severityOf(e)}`}>
                  <span className="fa-alert-kind">{EVENT_LABELS[eventKindOf(e)]}</span> {e.message}{' '}
                  <time className="muted small" dateTime={e.at} title={formatDateTime(e.at)}>
                    {ago(e.at, now)}
                  </time>
                  {e.acknowledgedAt ? <span className="muted small"> · acknowledged by {e.acknowledgedBy}</span> : null}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No events.</p>
          )}
        </Section>
      </div>
      <AssignmentHistory base={base} device={device} devices={live.devices} />
      <div className="grid-2">
        <DeviceLinks base={base} device={device} canWrite={can('field-assets.write')} />
        {can('field-assets.write') ? <DeviceToken device={device} /> : null}
      </div>
      {can('field-assets.write') ? <EditDevice device={device} /> : null}
    </div>
  );
}

function AssignForm({ device }: { device: FieldDevice }) {
  const [officerId, setOfficerId] = useState('');
  const [officerName, setOfficerName] = useState('');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ tone: 'success' | 'danger'; text: string } | null>(null);
  const submit = async () => {
    setBusy(true);
    setMsg(null);
    try {
      const d = await fieldApi.assign(device.id, {
        ...(officerId.trim() ? { officerId: officerId.trim() } : {}),
        ...(officerName.trim() ? { officerName: officerName.trim() } : {}),
      });
      liveStore.upsertDevice(d);
      setMsg({ tone: 'success', text: 'Assigned.' });
      setOfficerId('');
      setOfficerName('');
    } catch (err) {
      setMsg({ tone: 'danger', text: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="fa-inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      data-testid="fa-assign-form"
    >
      <h3 className="subheading">Assign to an officer</h3>
      <div className="form-row">
        <Field
          label="Officer id"
          hint="belt or service number"
          value={officerId}
          onChange={(e) => setOfficerId(e.target.value)}
          testId="fa-assign-officer-id"
          maxLength={64}
        />
        <Field label="Officer name" value={officerName} onChange={(e) => setOfficerName(e.target.value)} testId="fa-assign-officer-name" maxLength={120} />
      </div>
      <button type="submit" className="btn btn-secondary btn-sm" disabled={busy || (!officerId.trim() && !officerName.trim())} data-testid="fa-assign-submit">
        {busy ? 'Assigning\u2026' : 'Assign'}
      </button>
      {msg ? <Alert tone={msg.tone}>{msg.text}</Alert> : null}
    </form>
  );
}

function EditDevice({ device }: { device: FieldDevice }) {
  const [name, setName] = useState(device.name);
  const [unit, setUnit] = useState(device.unit ?? '');
  const [status, setStatus] = useState<DeviceServiceStatus>(serviceStatusOf(device));
  const [limit, setLimit] = useState(device.speedLimitKph ? String(device.speedLimitKph) : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const save = async () => {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const n = limit.trim() ? Number(limit) : null;
      if (n !== null && !Number.isFinite(n)) {
        setError(
          new ApiError({ status: 400, type: 'about:blank', title: 'Check the form', errors: [{ field: '/speedLimitKph', message: 'must be a number' }] }),
        );
        return;
      }
      const d = await fieldApi.updateDevice(device.id, { name: name.trim(), unit: unit.trim() || null, status, speedLimitKph: n });
      liveStore.upsertDevice(d);
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fe = (f: string) => (isApiError(error) ? error.fieldError(f) : undefined);
  return (
    <Section title="Edit" testId="fa-detail-edit">
      <form
        className="form-row fa-edit-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Field label="Name" value={name} onChange={(e) => setName(e.target.value)} error={fe('name')} testId="fa-edit-name" maxLength={120} />
        <Field label="Unit" value={unit} onChange={(e) => setUnit(e.target.value)} error={fe('unit')} testId="fa-edit-unit" maxLength={120} />
        <div className="field">
          <label htmlFor="fa-edit-status">Service status</label>
          <select id="fa-edit-status" value={status} onChange={(e) => setStatus(e.target.value as DeviceServiceStatus)} data-testid="fa-edit-status">
            {DEVICE_SERVICE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <Field
          label="Speed limit (km/h)"
          hint="empty: the default for its kind"
          value={limit}
          onChange={(e) => setLimit(e.target.value)}
          error={fe('speedLimitKph')}
          inputMode="decimal"
          testId="fa-edit-limit"
        />
        <div className="fa-edit-actions">
          <button type="submit" className="btn btn-primary btn-sm" disabled={busy || !name.trim()} data-testid="fa-edit-save">
            {busy ? 'Saving\u2026' : 'Save'}
          </button>
          {saved ? <span className="muted small">Saved.</span> : null}
        </div>
      </form>
      {error && !fe('name') && !fe('unit') && !fe('speedLimitKph') ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
    </Section>
  );
}
