import { useId, type ComponentProps, type ReactNode } from 'react';

/** A labelled input with an optional hint and error, wired for assistive technology. */
export function Field({
  label,
  hint,
  error,
  testId,
  ...input
}: { label: string; hint?: ReactNode; error?: string | undefined; testId?: string } & ComponentProps<'input'>) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const describedBy = [hint ? hintId : '', error ? errId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} data-testid={testId} {...input} />
      {hint ? (
        <div id={hintId} className="field-hint">
          {hint}
        </div>
      ) : null}
      {error ? (
        <div id={errId} className="field-error">
          {error}
        </div>
      ) : null}
    </div>
  );
}

export interface CheckOption {
  value: string;
  label: ReactNode;
  description?: ReactNode;
  disabled?: boolean;
}

/** A group of checkboxes in a fieldset. */
export function CheckboxGroup({
  legend,
  options,
  selected,
  onChange,
  disabled,
  testId,
  columns,
}: {
  legend: ReactNode;
  options: readonly CheckOption[];
  selected: ReadonlySet<string>;
  onChange: (next: Set<string>) => void;
  disabled?: boolean;
  testId?: string;
  columns?: boolean;
}) {
  return (
    <fieldset className={`checkbox-group${columns ? ' checkbox-columns' : ''}`} data-testid={testId} disabled={disabled}>
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o.value} className="checkbox">
          <input
            type="checkbox"
            value={o.value}
            checked={selected.has(o.value)}
            disabled={o.disabled}
            onChange={(e) => {
              const next = new Set(selected);
              if (e.target.checked) next.add(o.value);
              else next.delete(o.value);
              onChange(next);
            }}
          />
          <span className="checkbox-text">
            <span className="checkbox-label">{o.label}</span>
            {o.description ? <span className="checkbox-description">{o.description}</span> : null}
          </span>
        </label>
      ))}
    </fieldset>
  );
}
