/** Replaces every occurrence of a secret in a text. */
export type Redactor = (text: string) => string;

/** Shorter values are not scrubbed from free text: they would garble it and protect nothing. */
export const MIN_SCRUBBED_LENGTH = 6;

/**
 * A run of this many characters of a secret (or more) is scrubbed wherever it appears, even when
 * the rest of the secret is not there: a message that cut a secret short, or glued it to other
 * text, leaks no part of it that long.
 */
export const MIN_FRAGMENT_LENGTH = 8;

// Settings people take from the environment that are no secret and occur all over log lines.
const PLAIN = /^(fatal|error|warn|info|debug|trace|silent|pretty|json|true|false|\d{1,7})$/;

/** True when `value` is scrubbed from free text (it is always masked whole in `spout check`). */
export const isScrubbable = (value: string): boolean =>
  value.length >= MIN_SCRUBBED_LENGTH && !PLAIN.test(value);
export const MASK = '[secret]';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Build a redactor: each value, and its JSON-escaped and URL-encoded forms, is replaced by
 * `[secret]`, and so is any run of {@link MIN_FRAGMENT_LENGTH} or more characters of one of them
 * (the whole run, as long as it stays part of one form). `secrets` (values from `${VAR}`) skip
 * short values, log words and small numbers ({@link isScrubbable}); `strict` ones (options
 * marked secret, `auth.secret`) are scrubbed whatever they are. Longer secrets are matched first,
 * so a secret that contains another is masked whole.
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
  // Fragments are taken from the parts of a value that can be secret: a URL's scheme and host
  // are its address, shown in every log line about it (`https://`, the host name), so only its
  // credentials, path and query are.
  const parts = new Set<string>();
  for (const s of all) for (const part of secretParts(s)) parts.add(part);
  const pieces = new Set<string>();
  for (const p of parts) {
    pieces.add(p);
    pieces.add(JSON.stringify(p).slice(1, -1));
    pieces.add(encodeURIComponent(p));
  }
  const list = [...forms, ...pieces].sort((a, b) => b.length - a.length);
  // What starts a match: a whole form, or the first MIN_FRAGMENT_LENGTH characters of a run.
  const seeds = new Set([...forms]);
  for (const piece of pieces) {
    for (let i = 0; i + MIN_FRAGMENT_LENGTH <= piece.length; i++) {
      seeds.add(piece.slice(i, i + MIN_FRAGMENT_LENGTH));
    }
  }
  const pattern = new RegExp(
    [...seeds]
      .sort((a, b) => b.length - a.length)
      .map(escape)
      .join('|'),
    'g',
  );
  const isPart = (run: string) => list.some((form) => form.includes(run));
  return (text) => {
    let out = '';
    let last = 0;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      // Grow the match while it is still part of a secret: a fragment is hidden in full.
      let end = m.index + m[0].length;
      while (end < text.length && isPart(text.slice(m.index, end + 1))) end++;
      out += text.slice(last, m.index) + MASK;
      last = end;
      pattern.lastIndex = end;
    }
    return last === 0 ? text : out + text.slice(last);
  };
}

/**
 * The parts of a secret whose fragments are scrubbed: for a URL with an authority
 * (`scheme://…`) its user name, password, and path with query and fragment; for anything else
 * the whole value.
 */
function secretParts(value: string): string[] {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/is.exec(value);
  if (!m) return [value];
  const [, , userinfo = '', , rest = ''] = m;
  return [...userinfo.split(':'), rest].filter((part) => part !== '');
}
