import { isMap, isScalar, type Document, type LineCounter, type Node as YNode } from 'yaml';

/** One configuration problem, located in the file. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  /** Dotted key path, e.g. `outputs.desk-webhook.url`. Empty for the whole file. */
  path: string;
  message: string;
}

/** `FILE:LINE:COL  key.path  message`, the one format every config problem is printed in. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}  ${p.path || '(file)'}  ${p.message}`;
}

/** Sort by position, so problems read top to bottom like the file. */
export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col || a.path.localeCompare(b.path));
}

/**
 * Locate a key path in the document: the value's node, or, with `atKey`, the key itself (for
 * unknown keys). Walks up to the nearest node that exists (a missing required key is reported
 * at its parent).
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: Array<string | number>,
  atKey?: string,
): { line: number; col: number } {
  const trail = [...path];
  let node = doc.getIn(trail, true) as YNode | undefined;
  if (atKey !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === atKey);
    if (pair && isScalar(pair.key)) node = pair.key;
  }
  while (!node?.range && trail.length > 0) {
    trail.pop();
    node = doc.getIn(trail, true) as YNode | undefined;
  }
  // A map without a usable range (an empty flow map) falls back to the key that holds it.
  if (!node?.range && trail.length === 0) return { line: 1, col: 1 };
  return lines.linePos(node?.range?.[0] ?? 0);
}

/** A problem at `path` of the document, located by line and column (at the key `atKey` when given). */
export function at(
  doc: Document,
  lines: LineCounter,
  file: string,
  path: string[],
  message: string,
  atKey?: string,
  shown = path,
): Problem {
  const { line, col } = locate(doc, lines, path, atKey);
  return { file, line, col, path: shown.join('.'), message };
}

/** The problems without repeats (same place, path and message). */
export function dedupe(problems: Problem[]): Problem[] {
  const keys = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.line}:${p.col}:${p.path}:${p.message}`;
    if (keys.has(k)) return false;
    keys.add(k);
    return true;
  });
}
