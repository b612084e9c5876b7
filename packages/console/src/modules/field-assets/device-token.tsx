/**
 * The device token (holders of field-assets.write): issue or replace it
 * (POST /devices/{id}/token) and revoke it (DELETE /devices/{id}/token).
 * The server keeps only a hash: the token is shown once, in a dialog that
 * must be acknowledged, and never again. Once set, the device must send it:
 * as its MQTT password (username = its serial) and as the OsmAnd `token`
 * parameter.
 */
import { useState, type ReactNode } from 'react';
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
        <InlineConfirm
          title="Replace the token?"
          action="replace"
          label={busy ? 'Issuing\u2026' : 'Replace the token'}
          className="btn-primary"
          busy={busy}
          onConfirm={() => void issue()}
          onCancel={() => setConfirm(null)}
        >
          The old token stops working at once: the device is refused until it is given the new one.
        </InlineConfirm>
      ) : confirm === 'revoke' ? (
        <InlineConfirm
          title="Revoke the token?"
          action="revoke"
          label={busy ? 'Revoking\u2026' : 'Revoke the token'}
          className="btn-danger"
          busy={busy}
          onConfirm={() => void revoke()}
          onCancel={() => setConfirm(null)}
        >
          The device will no longer need (or be able to use) a token: OsmAnd reports are then accepted by serial alone, and the MQTT broker refuses it.
        </InlineConfirm>
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

/** A warning with the confirming button and Cancel, in place of the buttons that asked for it. */
function InlineConfirm(props: {
  title: string;
  action: 'replace' | 'revoke';
  label: string;
  className: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  return (
    <Alert tone="warning" title={props.title} testId={`fa-token-confirm-${props.action}`}>
      {props.children}
      <div className="button-row">
        <button
          type="button"
          className={`btn ${props.className} btn-sm`}
          onClick={props.onConfirm}
          disabled={props.busy}
          data-testid={`fa-token-${props.action}-confirm`}
        >
          {props.label}
        </button>
        <button type="button" className="btn btn-secondary btn-sm" onClick={props.onCancel} disabled={props.busy} data-testid="fa-token-cancel">
          Cancel
        </button>
      </div>
    </Alert>
  );
}
