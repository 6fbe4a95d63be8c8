import {
  type InputHTMLAttributes,
  type ReactNode,
  type RefCallback,
  type TextareaHTMLAttributes,
  useId,
  useState,
} from 'react';

/** The element a Field renders: an input, or a textarea when `multiline`. */
export type FieldControl = HTMLInputElement | HTMLTextAreaElement;

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'ref'> {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  inputRef?: RefCallback<FieldControl>;
  /** A password field with a button that shows and hides what was typed. */
  revealable?: boolean;
  /** A textarea instead of an input (same label, hint and error wiring). */
  multiline?: boolean;
}

/** A labelled input (or textarea) with its hint and its error, both tied to it for screen readers. */
export function Field({ label, hint, error, inputRef, revealable, multiline, type, ...input }: FieldProps) {
  const id = useId();
  const [revealed, setRevealed] = useState(false);
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  const control = multiline ? (
    <textarea
      {...(input as TextareaHTMLAttributes<HTMLTextAreaElement>)}
      id={id}
      ref={inputRef}
      aria-invalid={error ? true : undefined}
      aria-describedby={describedBy}
    />
  ) : (
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
