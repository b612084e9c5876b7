import { useEffect, useRef, useState } from 'react';

async function copyText(text: string, fallbackEl: HTMLElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall back to selecting the text
  }
  if (!fallbackEl) return false;
  const range = document.createRange();
  range.selectNodeContents(fallbackEl);
  const sel = window.getSelection();
  sel?.removeAllRanges();
  sel?.addRange(range);
  try {
    // Deprecated but still the only way outside a secure context.
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

/** A button that copies `text`; `target` is selected when the clipboard API is unavailable. */
export function CopyButton({ text, label = 'Copy', target, testId }: { text: string; label?: string; target?: () => HTMLElement | null; testId?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <button
      type="button"
      className="btn btn-secondary btn-sm"
      data-testid={testId}
      onClick={() => {
        void copyText(text, target?.() ?? null).then((ok) => setState(ok ? 'copied' : 'failed'));
      }}
    >
      <span aria-live="polite">{state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : label}</span>
    </button>
  );
}

/** A secret shown once, in a monospace box with a copy button. */
export function SecretBox({ value, label, testId, grouped }: { value: string; label: string; testId?: string; grouped?: string }) {
  const ref = useRef<HTMLElement>(null);
  return (
    <div className="secret-box">
      <div className="secret-label">{label}</div>
      <div className="secret-row">
        <code ref={ref} className="secret-value" data-testid={testId} data-value={value} aria-label={label}>
          {grouped ?? value}
        </code>
        <CopyButton text={value} target={() => ref.current} testId={testId ? `${testId}-copy` : undefined} />
      </div>
    </div>
  );
}
