/** `{{1}}`, `{{ first_name }}`: a Content template's placeholders. */
const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;

/**
 * What the customer reads: the template's text with each placeholder replaced by the value
 * typed, or left as `{{name}}` while it is empty (the preview shows what is still missing).
 */
export function fillTemplate(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values[name]?.trim();
    return value ? value : whole;
  });
}

/** The variables a send must carry: every placeholder, in the order they first appear. */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}
