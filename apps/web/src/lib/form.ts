import { useCallback, useEffect, useRef, useState } from 'react';
import type { z } from 'zod';
import type { FieldErrors } from './errors.ts';

/**
 * Validates form values with a shared zod contract (the same messages the server
 * sends) and remembers one message per field. `focusFirstInvalid` moves focus to
 * the first field, in form order, that has an error.
 */
export function useFieldErrors<F extends string>(fields: readonly F[]) {
  const [errors, setErrors] = useState<FieldErrors<F>>({});
  const refs = useRef(new Map<F, HTMLInputElement | null>());

  const register = useCallback(
    (field: F) => (element: HTMLInputElement | null) => {
      refs.current.set(field, element);
    },
    [],
  );

  // Focus waits for a render where the field can take it: a server error arrives
  // while the form is still disabled for the request that produced it.
  const pendingFocus = useRef<F | null>(null);
  useEffect(() => {
    const field = pendingFocus.current;
    const element = field ? refs.current.get(field) : null;
    if (!element || element.disabled || element.closest('fieldset:disabled')) return;
    element.focus();
    pendingFocus.current = null;
  });

  const focusFirstInvalid = useCallback(
    (found: FieldErrors<F>) => {
      const first = fields.find((f) => found[f]);
      if (first) pendingFocus.current = first;
      return first !== undefined;
    },
    [fields],
  );

  /** Parses `values`; on failure shows the errors, focuses the first and returns null. */
  const validate = useCallback(
    <S extends z.ZodType>(schema: S, values: Record<string, unknown>): z.output<S> | null => {
      const result = schema.safeParse(values);
      if (result.success) {
        setErrors({});
        return result.data;
      }
      const found: FieldErrors<F> = {};
      for (const issue of result.error.issues) {
        const field = issue.path[0];
        if (typeof field === 'string' && (fields as readonly string[]).includes(field)) {
          found[field as F] ??= issue.message;
        }
      }
      setErrors(found);
      focusFirstInvalid(found);
      return null;
    },
    [fields, focusFirstInvalid],
  );

  const show = useCallback(
    (found: FieldErrors<F>) => {
      setErrors(found);
      focusFirstInvalid(found);
    },
    [focusFirstInvalid],
  );

  const clear = useCallback((field: F) => {
    setErrors((current) => {
      if (!current[field]) return current;
      const next = { ...current };
      delete next[field];
      return next;
    });
  }, []);

  return { errors, register, validate, show, clear };
}
