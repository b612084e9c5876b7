import { useEffect, useId, useRef, type ReactNode } from 'react';
import { SecretBox } from './copy.tsx';
import { Alert } from './feedback.tsx';

/**
 * A modal dialog on the native <dialog> element: the browser traps focus,
 * makes the page behind inert and closes on Escape.
 */
export function Modal({
  open,
  title,
  onClose,
  children,
  footer,
  testId,
  dismissible = true,
  wide,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  testId?: string;
  /** false: Escape and the close button do nothing (e.g. a secret not yet acknowledged). */
  dismissible?: boolean;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  if (!open) return null;
  return (
    <dialog
      ref={ref}
      className={`modal${wide ? ' modal-wide' : ''}`}
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        if (dismissible) onClose();
      }}
    >
      <div className="modal-header">
        <h2 id={titleId}>{title}</h2>
        {dismissible ? (
          <button type="button" className="btn btn-ghost btn-icon" aria-label="Close" onClick={onClose}>
            {'\u2715'}
          </button>
        ) : null}
      </div>
      <div className="modal-body">{children}</div>
      {footer ? <div className="modal-footer">{footer}</div> : null}
    </dialog>
  );
}

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  tone = 'primary',
  busy,
  onConfirm,
  onClose,
  testId,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  tone?: 'primary' | 'danger';
  busy?: boolean;
  onConfirm: () => void;
  onClose: () => void;
  testId?: string;
}) {
  return (
    <Modal
      open={open}
      title={title}
      onClose={onClose}
      testId={testId}
      footer={
        <>
          <button type="button" className="btn btn-secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="button" className={`btn btn-${tone}`} onClick={onConfirm} disabled={busy} data-testid="confirm-button">
            {busy ? 'Working\u2026' : confirmLabel}
          </button>
        </>
      }
    >
      {children}
    </Modal>
  );
}

/**
 * Shows a secret once (a one-time password, an API token): it cannot be
 * dismissed by accident, only acknowledged with Done.
 */
export function SecretOnceDialog({
  title,
  intro,
  secretLabel,
  secret,
  warning,
  onDone,
  testId,
  secretTestId,
  doneTestId,
}: {
  title: string;
  intro: ReactNode;
  secretLabel: string;
  secret: string;
  warning: ReactNode;
  onDone: () => void;
  testId: string;
  secretTestId: string;
  doneTestId: string;
}) {
  return (
    <Modal
      open
      title={title}
      onClose={onDone}
      dismissible={false}
      testId={testId}
      footer={
        <button type="button" className="btn btn-primary" onClick={onDone} data-testid={doneTestId}>
          Done
        </button>
      }
    >
      <p>{intro}</p>
      <SecretBox label={secretLabel} value={secret} testId={secretTestId} />
      <Alert tone="warning">{warning}</Alert>
    </Modal>
  );
}
