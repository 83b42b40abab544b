import { Lexer } from 'yaml';

/** Most `{ }` and `[ ]` a configuration may nest inside each other. */
export const MAX_FLOW_NESTING = 64;

// Lexer tokens that stand for no text of the file (document start, flow end, scalar start).
const MARKERS = new Set(['\x02', '\x18', '\x1f']);

/**
 * Find the first `{` or `[` nested deeper than {@link MAX_FLOW_NESTING}, by the YAML lexer (so
 * brackets in quotes, comments and block scalars do not count). A file of nothing but `[`
 * would otherwise take seconds and hundreds of megabytes before the parser gives up. Returns
 * its line and column, or null. Stops at the first one.
 */
export function tooDeep(text: string): { line: number; col: number } | null {
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '{' || token === '[') {
      if (++depth > MAX_FLOW_NESTING) {
        const before = text.slice(0, offset);
        const line = before.split('\n').length;
        return { line, col: offset - before.lastIndexOf('\n') };
      }
    } else if (token === '}' || token === ']') {
      depth = Math.max(0, depth - 1);
    }
    if (!MARKERS.has(token)) offset += token.length;
  }
  return null;
}
