import { useId, useRef, useState } from 'react';

/**
 * A read-only URL shown in full (it wraps: two of them can differ only at the end)
 * with a button that copies it; the result is announced.
 */
export function CopyField({ label, value }: { label: string; value: string }) {
  const id = useId();
  const ref = useRef<HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      // No clipboard permission (or an insecure origin): select it for Ctrl+C instead.
      ref.current?.select();
      setCopied('no');
    }
  }

  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-field__row">
        <textarea
          id={id}
          ref={ref}
          readOnly
          value={value}
          rows={1}
          spellCheck={false}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" className="button" onClick={() => void copy()}>
          Copy<span className="visually-hidden"> {label}</span>
        </button>
      </div>
      <p role="status" className="copy-field__status">
        {copied === 'yes' ? 'Copied.' : copied === 'no' ? 'Selected: press Ctrl+C (⌘C) to copy.' : ''}
      </p>
    </div>
  );
}
