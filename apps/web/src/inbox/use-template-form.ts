import type { WhatsappTemplate } from '@app/contracts';
import { useCallback, useEffect, useRef, useState } from 'react';
import { splitServerError } from '../lib/errors.ts';
import type { FieldControl } from '../ui/Field.tsx';

type Errors = Record<string, string | undefined>;

/**
 * The state of a template send: which template, a value per variable, and a message per
 * field. `check` refuses what Twilio would refuse (no template, a variable left empty)
 * before anything is sent, and focuses the first field to fix.
 */
export function useTemplateForm() {
  const [selectedSid, setSelectedSid] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Errors>({});
  const alertRef = useRef<HTMLDivElement>(null);
  const controls = useRef(new Map<string, FieldControl | null>());
  const pendingFocus = useRef<string | null>(null);

  useEffect(() => {
    const target = pendingFocus.current;
    if (!target) return;
    const element =
      target === 'alert'
        ? alertRef.current
        : target === 'template'
          ? (document.querySelector<HTMLElement>('.templates__choice input:not(:disabled)') ??
            document.querySelector<HTMLElement>('.templates__choice legend'))
          : controls.current.get(target);
    if (!element || element.closest('fieldset:disabled')) return;
    element.focus();
    pendingFocus.current = null;
  });

  const register = useCallback(
    (name: string) => (element: FieldControl | null) => {
      controls.current.set(name, element);
    },
    [],
  );

  const select = useCallback((sid: string) => {
    setSelectedSid(sid);
    setErrors({});
  }, []);

  const setValue = useCallback((name: string, value: string) => {
    setValues((current) => ({ ...current, [name]: value }));
    setErrors((current) => (current[name] ? { ...current, [name]: undefined } : current));
  }, []);

  /** The template and its values to send, or null (with the errors shown) when something is missing. */
  function check(
    templates: readonly WhatsappTemplate[],
  ): { contentSid: string; variables: Record<string, string> } | null {
    const template = templates.find((t) => t.sid === selectedSid && t.selectable);
    if (!template) {
      setErrors({
        template: templates.some((t) => t.selectable)
          ? 'Pick an approved template.'
          : 'There is no approved template to send yet: see above for how to get one approved.',
      });
      pendingFocus.current = 'template';
      return null;
    }
    const found: Errors = {};
    const variables: Record<string, string> = {};
    for (const { key: name } of template.variables) {
      const value = values[name]?.trim() ?? '';
      if (value === '') found[name] = `Fill in {{${name}}}: the customer would read it as it is.`;
      else variables[name] = value;
    }
    const first = template.variables.find((v) => found[v.key]);
    setErrors(found);
    if (first) {
      pendingFocus.current = first.key;
      return null;
    }
    return { contentSid: template.sid, variables };
  }

  /** A refused send: a message the server tied to a variable goes to its field; else the alert. */
  function showServerError(error: unknown) {
    const names = [...controls.current.keys()];
    const { fieldErrors, formError } = splitServerError(error, names);
    setErrors(fieldErrors);
    const first = names.find((n) => fieldErrors[n]);
    pendingFocus.current = first ?? (formError ? 'alert' : null);
  }

  const alertMessageOf = (error: unknown) =>
    error ? splitServerError(error, [...controls.current.keys()]).formError : null;

  const reset = useCallback(() => {
    setValues({});
    setErrors({});
  }, []);

  return {
    selectedSid,
    select,
    values,
    setValue,
    errors,
    register,
    check,
    showServerError,
    alertMessageOf,
    alertRef,
    reset,
  };
}
