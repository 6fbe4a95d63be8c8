import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import type { z } from 'zod';
import type { FieldControl } from '../ui/Field.tsx';
import { type FieldErrors, splitServerError } from './errors.ts';

/**
 * Validates form values with a shared zod contract (the same messages the server
 * sends) and remembers one message per field. `focusFirstInvalid` moves focus to
 * the first field, in form order, that has an error. A refused request's messages go
 * to their fields, or to the alert (`alertRef`) when none belongs to a field.
 */
export function useFieldErrors<F extends string>(fields: readonly F[]) {
  const [errors, setErrors] = useState<FieldErrors<F>>({});
  const refs = useRef(new Map<F, FieldControl | null>());

  const register = useCallback(
    (field: F) => (element: FieldControl | null) => {
      refs.current.set(field, element);
    },
    [],
  );

  /** The form's alert region: focused when a refusal belongs to no field. */
  const alertRef = useRef<HTMLDivElement>(null);

  // Focus waits for a render where its target can take it: a server error arrives
  // while the form is still disabled for the request that produced it, and the alert
  // region cannot hold focus until its message is in it.
  const pendingFocus = useRef<F | 'alert' | null>(null);
  const focusPending = useCallback(() => {
    const target = pendingFocus.current;
    const element = target === 'alert' ? alertRef.current : target ? refs.current.get(target) : null;
    if (!element) return;
    element.focus();
    if (document.activeElement === element) pendingFocus.current = null;
  }, []);
  useEffect(focusPending);

  /** Moves focus to `field` now, or as soon as it can take it. */
  const focusField = useCallback(
    (field: F) => {
      pendingFocus.current = field;
      focusPending();
    },
    [focusPending],
  );

  const focusFirstInvalid = useCallback(
    (found: FieldErrors<F>) => {
      const first = fields.find((f) => found[f]);
      pendingFocus.current = first ?? null;
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
        pendingFocus.current = null;
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

  const clear = useCallback((field: F) => {
    setErrors((current) => {
      if (!current[field]) return current;
      const next = { ...current };
      delete next[field];
      return next;
    });
  }, []);

  /** A refused mutation: field messages at their fields (the first focused), else the alert focused. */
  const showServerError = useCallback(
    (error: unknown) => {
      const { fieldErrors } = splitServerError(error, fields);
      setErrors(fieldErrors);
      if (!focusFirstInvalid(fieldErrors)) pendingFocus.current = 'alert';
    },
    [fields, focusFirstInvalid],
  );

  /** What the alert says for a failed mutation: the part no field shows. */
  const alertMessageOf = (error: unknown) => (error ? splitServerError(error, fields).formError : null);

  /** Props that wire an input to the form: its name, ref, message, and clearing it on input. */
  const field = (name: F) => ({
    name,
    inputRef: register(name),
    error: errors[name],
    onInput: () => clear(name),
  });

  return { errors, validate, clear, alertRef, showServerError, alertMessageOf, field, focusField };
}

/** A submit's text fields by name ('' for a field the form does not have); stops the page reload. */
export function submittedText(event: FormEvent<HTMLFormElement>): (name: string) => string {
  event.preventDefault();
  const data = new FormData(event.currentTarget);
  return (name) => String(data.get(name) ?? '');
}
