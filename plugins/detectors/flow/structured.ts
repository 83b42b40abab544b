import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YNode, type YAMLMap } from 'yaml';
import type { LabelEntry, LabelProblem } from './labels.js';

type Field = 'address' | 'entity' | 'type';

const SHAPE =
  'the file must be a mapping of address → { entity, type } or a list of { address, entity, type }';

/**
 * Read the entries of a YAML or JSON label file, with the line of each entry and field. Two
 * shapes: a mapping `ADDRESS: { entity: NAME, type: exchange|custody|other }`, or a list of
 * `{ address, entity, type }`. Any other key in an entry is a problem (it is most likely a typo).
 * JSON is checked by `JSON.parse` first, so a JSON syntax error is reported as JSON sees it.
 */
export function readStructured(
  text: string,
  format: 'yaml' | 'json',
): { entries: LabelEntry[]; problems: LabelProblem[] } {
  const entries: LabelEntry[] = [];
  const problems: LabelProblem[] = [];
  if (format === 'json') {
    const syntax = jsonSyntaxProblem(text);
    if (syntax) return { entries, problems: [syntax] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const lineOf = (node: unknown): number =>
    node && typeof node === 'object' && 'range' in node && Array.isArray(node.range)
      ? lines.linePos(Number(node.range[0])).line
      : 1;

  if (doc.errors.length > 0) {
    // Every repeated key is its own mistake; after a real syntax error, the parser's later
    // complaints mostly echo it, so only the first one is shown.
    const repeated = doc.errors.filter((e) => e.code === 'DUPLICATE_KEY');
    const syntax = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
    for (const e of repeated) {
      problems.push({
        line: e.linePos?.[0].line ?? 1,
        message: 'a key appears twice in one mapping (an address, or a field of one entry)',
      });
    }
    if (syntax) {
      const what = syntax.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
      problems.push({
        line: syntax.linePos?.[0].line ?? 1,
        message: `${format === 'json' ? 'JSON' : 'YAML'} syntax: ${what}`,
      });
    }
    return { entries, problems };
  }

  const root = doc.contents;
  const fields = (map: YAMLMap, allowed: readonly Field[]) => {
    const found: Partial<Record<Field, unknown>> = {};
    const at: Partial<Record<Field, number>> = {};
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!(allowed as readonly string[]).includes(key)) {
        problems.push({
          line: lineOf(pair.key),
          message: `unknown key "${key}" (use ${allowed.join(', ')})`,
        });
        continue;
      }
      const value = pair.value as YNode | null;
      found[key as Field] = isScalar(value) ? value.value : value === null ? undefined : value.toJSON();
      at[key as Field] = lineOf(value ?? pair.key);
    }
    return { found, at };
  };

  if (isMap(root)) {
    for (const pair of root.items) {
      const line = lineOf(pair.key);
      const address = isScalar(pair.key) ? pair.key.value : undefined;
      if (!isMap(pair.value)) {
        problems.push({
          line,
          message: `write ${String(address)}: { entity: NAME, type: exchange|custody|other }`,
        });
        continue;
      }
      const { found, at } = fields(pair.value, ['entity', 'type']);
      entries.push({ line, address, entity: found.entity, type: found.type, lines: at });
    }
  } else if (isSeq(root)) {
    for (const item of root.items) {
      if (!isMap(item)) {
        problems.push({ line: lineOf(item), message: 'each list item must be { address, entity, type }' });
        continue;
      }
      const { found, at } = fields(item, ['address', 'entity', 'type']);
      const { address, entity, type } = found;
      entries.push({ line: lineOf(item), address, entity, type, lines: at });
    }
  } else if (root !== null) {
    problems.push({ line: lineOf(root), message: SHAPE });
  }
  return { entries, problems };
}

/** The first JSON syntax error, with the line V8 points at (the last line for a cut-off file). */
function jsonSyntaxProblem(text: string): LabelProblem | null {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    const offset = position ? Number(position[1]) : text.trimEnd().length;
    const line = text.slice(0, offset).split('\n').length;
    const what = message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    return { line, message: `JSON syntax: ${what}` };
  }
}
