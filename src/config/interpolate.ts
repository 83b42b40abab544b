import {
  isMap,
  isScalar,
  isSeq,
  type Document,
  type LineCounter,
  type Node as YNode,
  type Scalar,
} from 'yaml';
import type { EnvUse } from './env-values.js';
import type { Problem } from './problems.js';

/** What substitution found: secret values and paths, and problems (unset variables). */
export interface Interpolation {
  /** Values that came from the environment: scrubbed from every output. */
  secretValues: Set<string>;
  /** Key paths whose value contains a substitution: masked in `spout check`. */
  secretPaths: Array<Array<string | number>>;
  /** Each value read from the environment, with its variable and the key it went to. */
  uses: EnvUse[];
  problems: Problem[];
}

/** The problem reported for `${name}` unset and without a default (at boot and by `spout check`). */
function unsetMessage(name: string): string {
  return `environment variable ${name} is not set and has no default; set it, or write \${${name}:-default}`;
}

const UNSET = /^environment variable ([A-Za-z_][A-Za-z0-9_]*) is not set and has no default; /;

/**
 * The same problem, told to whoever reloads a running process (SIGHUP): "set it" cannot help
 * there, since a process keeps the environment it was started with and never sees variables
 * exported later. Any other problem is returned as it is.
 */
export function unsetOnReload(problem: Problem): Problem {
  const name = UNSET.exec(problem.message)?.[1];
  if (name === undefined) return problem;
  return {
    ...problem,
    message:
      `environment variable ${name} is not set in the environment spout run started with: a running ` +
      `process cannot see variables exported later; restart spout (with systemd: add it to the ` +
      `EnvironmentFile, then \`systemctl restart spout\`), or write \${${name}:-default}`,
  };
}

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;
const TYPED = /^(-?\d+(\.\d+)?|true|false)$/;

/**
 * Replace `${VAR}` and `${VAR:-default}` in every scalar value of the document, in place.
 * `$${` writes a literal `${`. A scalar that is one reference and whose substituted text is a
 * number or boolean becomes that number or boolean (so `port: ${PORT}` is a number).
 */
export function interpolate(
  doc: Document,
  env: Readonly<Record<string, string | undefined>>,
  lines: LineCounter,
  file: string,
): Interpolation {
  const result: Interpolation = { secretValues: new Set(), secretPaths: [], uses: [], problems: [] };

  const substitute = (node: Scalar, path: Array<string | number>): void => {
    const text = node.value as string;
    let fromEnv = false;
    let replaced = false;
    const out = text.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      replaced = true;
      const value = env[name as string];
      if (value !== undefined && value !== '') {
        fromEnv = true;
        result.secretValues.add(value);
        result.uses.push({ path: path.join('.'), variable: name as string, value });
        return value;
      }
      if (fallback !== undefined) return fallback;
      const pos = lines.linePos(node.range?.[0] ?? 0);
      result.problems.push({
        file,
        line: pos.line,
        col: pos.col,
        path: path.join('.'),
        message: unsetMessage(name as string),
      });
      return '';
    });
    if (!replaced && out === text) return;
    if (replaced && fromEnv) result.secretPaths.push(path);
    node.value =
      WHOLE.test(text) && TYPED.test(out)
        ? out === 'true'
          ? true
          : out === 'false'
            ? false
            : Number(out)
        : out;
  };

  const walk = (node: unknown, path: Array<string | number>): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      substitute(node, path);
    }
  };
  walk(doc.contents as YNode | null, []);
  return result;
}
