import { useCallback, useRef, useState } from 'react';
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

  const focusFirstInvalid = useCallback(
    (found: FieldErrors<F>) => {
      const first = fields.find((f) => found[f]);
      if (first) refs.current.get(first)?.focus();
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
