import { PLACEHOLDERS, type Placeholder, type View } from './view.js';

/** A template split into literal text and placeholders. */
export type Template = ReadonlyArray<{ text: string } | { name: Placeholder }>;

const TOKEN = /\{\{|\}\}|\{([A-Za-z][A-Za-z0-9]*)?\}?/g;

/**
 * Parse `text` with `{name}` placeholders (`{{` and `}}` for literal braces). Throws an Error
 * naming every unknown placeholder and the known ones, so a typo is a config error at start.
 */
export function parseTemplate(text: string): Template {
  const parts: Array<{ text: string } | { name: Placeholder }> = [];
  const unknown: string[] = [];
  let last = 0;
  let literal = '';
  for (const m of text.matchAll(TOKEN)) {
    literal += text.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0] === '{{') literal += '{';
    else if (m[0] === '}}') literal += '}';
    else if (m[1] !== undefined && m[0].endsWith('}')) {
      if (!(m[1] in PLACEHOLDERS)) unknown.push(m[1]);
      if (literal) parts.push({ text: literal });
      literal = '';
      parts.push({ name: m[1] as Placeholder });
    } else
      throw new Error(
        `has an unclosed or empty "{" near "${text.slice(m.index, m.index + 20)}"; write {{ for a literal brace`,
      );
  }
  literal += text.slice(last);
  if (literal) parts.push({ text: literal });
  if (unknown.length > 0)
    throw new Error(
      `uses unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `{${u}}`).join(', ')}; known: ${Object.keys(
        PLACEHOLDERS,
      )
        .map((k) => `{${k}}`)
        .join(', ')}`,
    );
  return parts;
}

/**
 * Fill a template: literal text as written (the operator's markup), every value passed
 * through `escape`. A line whose placeholders all had no value (no flow, no USD price…) is left
 * out.
 */
export function fillTemplate(
  template: Template,
  view: View,
  escape: (value: string, name: Placeholder) => string,
): string {
  const lines: string[] = [];
  let line = '';
  let onlyEmpty = true;
  let hadPlaceholder = false;
  const endLine = () => {
    if (!(hadPlaceholder && onlyEmpty)) lines.push(line);
    line = '';
    onlyEmpty = true;
    hadPlaceholder = false;
  };
  for (const part of template) {
    if ('name' in part) {
      const value = view[part.name];
      hadPlaceholder = true;
      if (value) onlyEmpty = false;
      line += escape(value, part.name);
      continue;
    }
    const pieces = part.text.split('\n');
    pieces.forEach((piece, i) => {
      if (i > 0) endLine();
      line += piece;
    });
  }
  endLine();
  return lines.join('\n');
}
