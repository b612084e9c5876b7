/**
 * The device token (holders of field-assets.write): issue or replace it
 * (POST /devices/{id}/token) and revoke it (DELETE /devices/{id}/token).
 * The server keeps only a hash: the token is shown once, in a dialog that
 * must be acknowledged, and never again. Once set, the device must send it:
 * as its MQTT password (username = its serial) and as the OsmAnd `token`
 * parameter.
 */
import { useState } from 'react';
import type { FieldDevice, FieldDeviceTokenResponse } from '@kotwal/contracts';
import { errorMessage } from '../../api/client.ts';
import { Alert, Badge } from '../../ui/feedback.tsx';
import { SecretOnceDialog } from '../../ui/modal.tsx';
import { Section } from '../../ui/page.tsx';
import { fieldApi } from './api.ts';
import { liveStore } from './live.ts';

export function DeviceToken({ device }: { device: FieldDevice }) {
  const [issued, setIssued] = useState<FieldDeviceTokenResponse | null>(null);
  const [confirm, setConfirm] = useState<'replace' | 'revoke' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const refresh = () =>
    fieldApi.device(device.id).then(
      (d) => liveStore.upsertDevice(d),
      () => undefined,
    );
  const issue = async () => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const t = await fieldApi.issueToken(device.id);
      setConfirm(null);
      setIssued(t);
      void refresh();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async () => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      liveStore.upsertDevice(await fieldApi.revokeToken(device.id));
      setConfirm(null);
      setNotice('Token revoked: the device reports without one from now on.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title="Device token" testId="fa-token">
      <p>
        <span data-testid="fa-token-state" data-has-token={device.hasToken ? 'true' : 'false'}>
          {device.hasToken ? <Badge tone="success">token set</Badge> : <Badge>no token</Badge>}
        </span>{' '}
        <span className="muted small">
          {device.hasToken
            ? 'The device must send its token: as the MQTT password, and as the OsmAnd token parameter. Reports without it are refused.'
            : 'Without a token the device may report over OsmAnd by its serial alone, and cannot connect to the MQTT broker.'}
        </span>
      </p>
      {confirm === 'replace' ? (
        <Alert tone="warning" title="Replace the token?" testId="fa-token-confirm-replace">
          The old token stops working at once: the device is refused until it is given the new one.
          <div className="button-row">
            <button type="button" className="btn btn-primary btn-sm" onClick={() => void issue()} disabled={busy} data-testid="fa-token-replace-confirm">
              {busy ? 'Issuing\u2026' : 'Replace the token'}
            </button>
            <button type="button" className="btn btn-secondary btn-sm" onClick={() => setConfirm(null)} disabled={busy} data-testid="fa-token-cancel">
              Cancel
            </button>
          </div>
        </Alert>
      ) : confirm === 'revoke' ? (
        <Alert tone="warning" title="Revoke the token?" testId="fa-token-confirm-revoke">
          The device will no longer need (or be able to use) a token: OsmAnd reports are then accepted by serial alone, and the MQTT broker refuses it.
          <div className="button-row">
            <button type="button" className="btn btn-danger btn-sm" onClick={() => void revoke()} disabled={busy} data-testid="fa-token-revoke-confirm">
              {busy ? 'Revoking\u2026' : 'Revoke the token'}
            </button>
            <button type="button" className="btn btn-secondary btn-sm" onClick={() => setConfirm(null)} disabled={busy} data-testid="fa-token-cancel">
              Cancel
            </button>
          </div>
        </Alert>
      ) : (
        <div className="button-row">
          <button
            type="button"
            className="btn btn-secondary btn-sm"
            onClick={() => (device.hasToken ? setConfirm('replace') : void issue())}
            disabled={busy}
            data-testid="fa-token-issue"
          >
            {busy ? 'Issuing\u2026' : device.hasToken ? 'Replace token' : 'Issue token'}
          </button>
          {device.hasToken ? (
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setConfirm('revoke')} disabled={busy} data-testid="fa-token-revoke">
              Revoke token
            </button>
          ) : null}
        </div>
      )}
      {error ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {issued ? (
        <SecretOnceDialog
          title={`Token for ${device.name}`}
          intro={
            <>
              Configure the device now. MQTT: username <code>{issued.uniqueId}</code>, password the token below. OsmAnd (Traccar Client): add the parameter{' '}
              <code>token</code> with the token below.
            </>
          }
          secretLabel="Device token"
          secret={issued.token}
          warning="This token is shown only this once and cannot be shown again: Kotwal keeps only a hash of it. If it is lost, issue a new one (the old one then stops working)."
          onDone={() => setIssued(null)}
          testId="fa-token-dialog"
          secretTestId="fa-token-value"
          doneTestId="fa-token-done"
        />
      ) : null}
    </Section>
  );
}
