import { useState } from 'react';
import { FIELD_ASSET_KINDS, type FieldAssetKind, type FieldDevice } from '@kotwal/contracts';
import { errorMessage, isApiError } from '../../api/client.ts';
import { Alert } from '../../ui/feedback.tsx';
import { Field } from '../../ui/forms.tsx';
import { Modal } from '../../ui/modal.tsx';
import { fieldApi, KIND_LABELS } from './api.ts';

/** "Register device": unique id (IMEI / serial / Traccar Client id), name, kind, unit. */
export function RegisterDeviceButton({ onCreated }: { onCreated: (d: FieldDevice) => void }) {
  const [open, setOpen] = useState(false);
  const [uniqueId, setUniqueId] = useState('');
  const [name, setName] = useState('');
  const [kind, setKind] = useState<FieldAssetKind>('patrol-vehicle');
  const [unit, setUnit] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const close = () => {
    setOpen(false);
    setError(null);
  };
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const d = await fieldApi.createDevice({ uniqueId: uniqueId.trim(), name: name.trim(), kind, ...(unit.trim() ? { unit: unit.trim() } : {}) });
      onCreated(d);
      setUniqueId('');
      setName('');
      setUnit('');
      close();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fieldErr = (f: string) => (isApiError(error) ? error.fieldError(f) : undefined);

  return (
    <>
      <button type="button" className="btn btn-primary btn-sm" onClick={() => setOpen(true)} data-testid="fa-register-open">
        Register device
      </button>
      <Modal
        open={open}
        title="Register a device"
        onClose={close}
        testId="fa-register-dialog"
        footer={
          <>
            <button type="button" className="btn btn-secondary" onClick={close} disabled={busy}>
              Cancel
            </button>
            <button
              type="submit"
              form="fa-register-form"
              className="btn btn-primary"
              disabled={busy || !uniqueId.trim() || !name.trim()}
              data-testid="fa-register-submit"
            >
              {busy ? 'Registering\u2026' : 'Register'}
            </button>
          </>
        }
      >
        <form
          id="fa-register-form"
          className="form-stack"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          {error && !fieldErr('uniqueId') && !fieldErr('name') ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
          <Field
            label="Unique id"
            hint="IMEI or serial, exactly as the device sends it (Traccar Client: the device identifier)"
            value={uniqueId}
            onChange={(e) => setUniqueId(e.target.value)}
            error={fieldErr('uniqueId')}
            testId="fa-register-uniqueid"
            autoComplete="off"
            maxLength={64}
            required
          />
          <Field
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={fieldErr('name')}
            testId="fa-register-name"
            maxLength={120}
            required
          />
          <div className="field">
            <label htmlFor="fa-register-kind">Kind</label>
            <select id="fa-register-kind" value={kind} onChange={(e) => setKind(e.target.value as FieldAssetKind)} data-testid="fa-register-kind">
              {FIELD_ASSET_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </div>
          <Field
            label="Unit"
            hint="optional: police station, wing or squad"
            value={unit}
            onChange={(e) => setUnit(e.target.value)}
            testId="fa-register-unit"
            maxLength={120}
          />
        </form>
      </Modal>
    </>
  );
}
