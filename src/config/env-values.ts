/** One value read from the environment by a `${VAR}` reference. */
export interface EnvUse {
  /** Dotted key path of the value it went into, e.g. `http.listen`. */
  readonly path: string;
  readonly variable: string;
  readonly value: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replace, in a message, every value read from the environment by the reference it came from
 * (`${VAR}`), so a message says which variable is at fault without echoing its value. A value
 * is replaced where it stands as a whole word (not inside a longer word), whatever its length;
 * longer values first.
 */
export function hideEnvValues(text: string, uses: readonly EnvUse[]): string {
  const byValue = new Map<string, string>();
  for (const use of [...uses].sort((a, b) => b.value.length - a.value.length)) {
    if (use.value !== '' && !byValue.has(use.value)) byValue.set(use.value, use.variable);
  }
  if (byValue.size === 0) return text;
  const pattern = new RegExp(
    `(?<![A-Za-z0-9])(?:${[...byValue.keys()].map(escape).join('|')})(?![A-Za-z0-9])`,
    'g',
  );
  return text.replace(pattern, (value) => `\${${byValue.get(value) as string}}`);
}

/** The variables whose values make up the value at `path`, in order, without repeats. */
export function variablesAt(path: string, uses: readonly EnvUse[]): string[] {
  return [...new Set(uses.filter((u) => u.path === path).map((u) => u.variable))];
}

/**
 * ` (set from ${A})` for a problem about a value that came from the environment, so the message
 * names the variable to fix; empty when it did not, or when the message already names it.
 */
export function envNote(path: string, message: string, uses: readonly EnvUse[]): string {
  const names = variablesAt(path, uses).filter((v) => !message.includes(`\${${v}}`));
  return names.length === 0 ? '' : ` (set from ${names.map((v) => `\${${v}}`).join(', ')})`;
}

/** Uses whose key is `prefix` or inside it (`outputs.desk` holds `outputs.desk.token`). */
export function usesUnder(prefix: string, uses: readonly EnvUse[]): EnvUse[] {
  return uses.filter((u) => u.path === prefix || u.path.startsWith(`${prefix}.`));
}
