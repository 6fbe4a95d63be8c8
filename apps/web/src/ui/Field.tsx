import { type InputHTMLAttributes, type ReactNode, type Ref, useId, useState } from 'react';

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'ref'> {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  inputRef?: Ref<HTMLInputElement>;
  /** A password field with a button that shows and hides what was typed. */
  revealable?: boolean;
}

/** A labelled input with its hint and its error, both tied to it for screen readers. */
export function Field({ label, hint, error, inputRef, revealable, type, ...input }: FieldProps) {
  const id = useId();
  const [revealed, setRevealed] = useState(false);
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  const control = (
    <input
      {...input}
      id={id}
      ref={inputRef}
      type={revealable ? (revealed ? 'text' : 'password') : type}
      aria-invalid={error ? true : undefined}
      aria-describedby={describedBy}
    />
  );
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="field__hint" id={hintId}>
          {hint}
        </p>
      )}
      {revealable ? (
        <div className="field__reveal">
          {control}
          <button
            type="button"
            className="button button--quiet"
            aria-pressed={revealed}
            aria-controls={id}
            onClick={() => setRevealed((r) => !r)}
          >
            {revealed ? 'Hide' : 'Show'}
            <span className="visually-hidden"> {label}</span>
          </button>
        </div>
      ) : (
        control
      )}
      {error && (
        <p className="field__error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}
