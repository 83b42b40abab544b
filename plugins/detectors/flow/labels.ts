import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseCsv } from './csv.js';
import { readStructured } from './structured.js';

/** What an address belongs to. Only `exchange` decides a flow's direction. */
export type LabelType = 'exchange' | 'custody' | 'other';

/** Every {@link LabelType}, in the order messages list them. */
export const LABEL_TYPES: readonly LabelType[] = ['exchange', 'custody', 'other'];

/** The label of one address: the entity that controls it, and what kind of entity it is. */
export interface Label {
  entity: string;
  type: LabelType;
}

/** Address → label. Keys are normalized with {@link normalizeAddress}. */
export type LabelMap = ReadonlyMap<string, Label>;

/** One problem in a label file, at a 1-based line. */
export interface LabelProblem {
  line: number;
  message: string;
}

/** One entry as read from a file, before validation. Fields are whatever the file held. */
export interface LabelEntry {
  /** The line of the entry (its key, list item or CSV row). */
  line: number;
  address: unknown;
  entity: unknown;
  type: unknown;
  /** Lines of the individual fields, when they differ from {@link line}. */
  lines?: Partial<Record<'address' | 'entity' | 'type', number>>;
}

export type LabelFormat = 'yaml' | 'json' | 'csv';

export type LabelResult = { ok: true; labels: LabelMap } | { ok: false; problems: LabelProblem[] };

const FORMATS: Record<string, LabelFormat> = {
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.json': 'json',
  '.csv': 'csv',
};

/** The format a file name's extension stands for (case-insensitive), or null. */
export function formatOf(file: string): LabelFormat | null {
  return FORMATS[extname(file).toLowerCase()] ?? null;
}

/**
 * The form an address is looked up in: trimmed, and lower-cased when it is bech32/bech32m
 * (`bc1…`, `tb1…`, `bcrt1…`), which is case-insensitive. Base58 addresses are case-sensitive and
 * kept as they are.
 */
export function normalizeAddress(address: string): string {
  const a = address.trim();
  return /^(bc|tb|bcrt)1/i.test(a) ? a.toLowerCase() : a;
}

/**
 * Parse a label file's text. Every problem is collected, each with its line; the labels are
 * returned only when there is none. See the flow plugin's TSDoc for the three formats.
 */
export function parseLabels(text: string, format: LabelFormat): LabelResult {
  const read = format === 'csv' ? readCsv(text) : readStructured(text, format);
  return collectLabels(read.entries, read.problems);
}

/**
 * Read and parse a label file. A file that cannot be read is one problem at line 0 (shown
 * without a line).
 */
export async function readLabelFile(path: string): Promise<LabelResult & { text?: string }> {
  const format = formatOf(path);
  if (format === null) {
    return {
      ok: false,
      problems: [{ line: 0, message: 'unknown file type: name it .yaml, .yml, .json or .csv' }],
    };
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return { ok: false, problems: [{ line: 0, message: `cannot read the file (${code})` }] };
  }
  return { ...parseLabels(text, format), text };
}

/**
 * Validate entries into a map, adding to the problems already found while reading them: every
 * problem is reported; a conflicting duplicate is one.
 */
export function collectLabels(
  entries: readonly LabelEntry[],
  found: readonly LabelProblem[] = [],
): LabelResult {
  const problems: LabelProblem[] = [...found];
  const labels = new Map<string, Label & { line: number }>();
  for (const entry of entries) {
    const at = (field: 'address' | 'entity' | 'type') => entry.lines?.[field] ?? entry.line;
    const before = problems.length;
    const address = typeof entry.address === 'string' ? normalizeAddress(entry.address) : '';
    if (address === '' || /\s/.test(address)) {
      problems.push({ line: at('address'), message: 'address must be a non-empty string without spaces' });
    }
    const entity = typeof entry.entity === 'string' ? entry.entity.trim() : '';
    if (entity === '') {
      problems.push({ line: at('entity'), message: 'entity must be a non-empty string (the owner’s name)' });
    }
    const type = typeof entry.type === 'string' ? entry.type.trim().toLowerCase() : '';
    if (!(LABEL_TYPES as readonly string[]).includes(type)) {
      const found = entry.type === undefined || entry.type === '' ? 'missing' : `"${String(entry.type)}"`;
      problems.push({
        line: at('type'),
        message: `type must be one of ${LABEL_TYPES.join(', ')} (${found})`,
      });
    }
    if (problems.length > before) continue;
    const label = { entity, type: type as LabelType, line: entry.line };
    const earlier = labels.get(address);
    if (earlier === undefined) labels.set(address, label);
    else if (earlier.entity !== entity || earlier.type !== label.type) {
      problems.push({
        line: entry.line,
        message: `${address} is already labelled "${earlier.entity}" (${earlier.type}) on line ${earlier.line}`,
      });
    }
  }
  if (problems.length === 0 && labels.size === 0) {
    problems.push({ line: 1, message: 'the file holds no labels' });
  }
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return {
    ok: true,
    labels: new Map([...labels].map(([a, { entity, type }]) => [a, { entity, type }])),
  };
}

/**
 * `FILE:LINE  problem` lines, top to bottom, at most `limit` of them (then a count of the rest).
 * A problem at line 0 concerns the whole file and is shown as `FILE  problem`.
 */
export function formatProblems(file: string, problems: readonly LabelProblem[], limit = 20): string {
  const shown = problems
    .slice(0, limit)
    .map((p) => (p.line > 0 ? `${file}:${p.line}  ${p.message}` : `${file}  ${p.message}`));
  if (problems.length > limit) shown.push(`… and ${problems.length - limit} more`);
  return shown.join('\n');
}

function sortProblems(problems: LabelProblem[]): LabelProblem[] {
  return [...problems].sort((a, b) => a.line - b.line);
}

const COLUMNS = ['address', 'entity', 'type'] as const;

/** CSV: a header naming `address`, `entity`, `type` (any order; other columns ignored), then rows. */
function readCsv(text: string): { entries: LabelEntry[]; problems: LabelProblem[] } {
  const { records, problems } = parseCsv(text);
  const [header, ...rows] = records;
  if (header === undefined) return { entries: [], problems };
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const index = COLUMNS.map((c) => names.indexOf(c));
  const doubled = names.filter((name, i) => name !== '' && names.indexOf(name) !== i);
  if (index.some((i) => i < 0) || doubled.length > 0) {
    problems.push({
      line: header.line,
      message:
        `the first line must be a header naming the columns address, entity and type ` +
        `(found: ${header.fields.join(',')})` +
        (doubled.length > 0 ? `; column ${doubled.join(', ')} appears twice` : ''),
    });
    return { entries: [], problems };
  }
  const entries: LabelEntry[] = [];
  for (const row of rows) {
    if (row.fields.length !== names.length) {
      problems.push({
        line: row.line,
        message: `expected ${names.length} fields (${names.join(',')}), found ${row.fields.length}; quote a field that contains a comma`,
      });
      continue;
    }
    const [address, entity, type] = index.map((i) => row.fields[i]);
    entries.push({ line: row.line, address, entity, type });
  }
  return { entries, problems };
}
