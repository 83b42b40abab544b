/** Replaces every occurrence of a secret in a text. */
export type Redactor = (text: string) => string;

/** Shorter values are not scrubbed from free text: they would garble it and protect nothing. */
export const MIN_SCRUBBED_LENGTH = 6;

// Settings people take from the environment that are no secret and occur all over log lines.
const PLAIN = /^(fatal|error|warn|info|debug|trace|silent|pretty|json|true|false|\d{1,7})$/;

/** True when `value` is scrubbed from free text (it is always masked whole in `spout check`). */
export const isScrubbable = (value: string): boolean =>
  value.length >= MIN_SCRUBBED_LENGTH && !PLAIN.test(value);
export const MASK = '[secret]';

/**
 * Build a redactor: each value, and its JSON-escaped and URL-encoded forms, is replaced by
 * `[secret]`. `secrets` (values from `${VAR}`) skip short values, log words and small numbers
 * ({@link isScrubbable}); `strict` ones (options marked secret, `auth.secret`) are scrubbed
 * whatever they are. Longer secrets are matched first, so a secret that
 * contains another is masked whole.
 */
export function createRedactor(secrets: Iterable<string>, strict: Iterable<string> = []): Redactor {
  const forms = new Set<string>();
  const all = [...[...secrets].filter(isScrubbable), ...[...strict].filter((s) => s !== '')];
  for (const s of all) {
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(encodeURIComponent(s));
  }
  if (forms.size === 0) return (text) => text;
  const pattern = new RegExp(
    [...forms]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|'),
    'g',
  );
  return (text) => text.replace(pattern, MASK);
}
