import { isAlias, isCollection, isPair, isScalar, type Alias, type Document, type Node as YNode } from 'yaml';

/** Most anchors (`&name`) plus aliases (`*name`) a configuration file may hold. */
export const MAX_ANCHORS_AND_ALIASES = 1000;
/**
 * Most values (each scalar, mapping, list) that aliases may bring in, counted as if every alias
 * were written out in full: a "billion laughs" file (aliases of aliases of aliases…) fails here.
 */
export const MAX_ALIASED_VALUES = 10_000;

/** Why the document's aliases are refused, and the alias (or anchor) at fault. */
export interface AliasProblem {
  node: YNode;
  message: string;
}

/**
 * Check a parsed document's anchors and aliases before it is turned into data: too many of them,
 * an alias that expands into too much data, or an alias inside the very mapping or list its anchor
 * names (a loop). Returns the first problem in file order, or null. Linear in the document's size.
 */
export function checkAliases(doc: Document): AliasProblem | null {
  // Anchors and aliases in file order: an alias names the latest anchor before it (YAML 1.2).
  const anchors = new Map<string, YNode>();
  const aliases: Array<{ alias: Alias; target: YNode | undefined }> = [];
  let count = 0;
  let tooMany: YNode | null = null;
  const walk = (node: unknown): void => {
    if (tooMany) return;
    if (isPair(node)) {
      walk(node.key);
      walk(node.value);
      return;
    }
    if (isAlias(node)) {
      if (++count > MAX_ANCHORS_AND_ALIASES) tooMany = node;
      aliases.push({ alias: node, target: anchors.get(node.source) });
      return;
    }
    if (!isScalar(node) && !isCollection(node)) return;
    if (node.anchor) {
      if (++count > MAX_ANCHORS_AND_ALIASES) tooMany = node;
      anchors.set(node.anchor, node);
    }
    if (isCollection(node)) for (const item of node.items) walk(item);
  };
  walk(doc.contents);
  if (tooMany) {
    return {
      node: tooMany,
      message: `more than ${MAX_ANCHORS_AND_ALIASES} anchors (&name) and aliases (*name); a configuration needs far fewer`,
    };
  }

  const targets = new Map(aliases.map((a) => [a.alias, a.target]));
  const sizes = new Map<YNode, number>();
  const open = new Set<YNode>();
  let loop: Alias | null = null;
  // How many values a node stands for with its aliases written out (capped: only "too many" matters).
  const size = (node: unknown): number => {
    if (loop) return 0;
    if (isPair(node)) return size(node.key) + size(node.value);
    if (isAlias(node)) {
      const target = targets.get(node);
      if (!target) return 1;
      if (open.has(target)) {
        loop = node;
        return 0;
      }
      return size(target);
    }
    if (!isCollection(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    open.add(node);
    let n = 1;
    for (const item of node.items) n = Math.min(n + size(item), MAX_ALIASED_VALUES + 1);
    open.delete(node);
    sizes.set(node, n);
    return n;
  };
  let total = 0;
  for (const { alias, target } of aliases) {
    total += target ? size(target) : 1;
    if (loop) {
      return {
        node: loop,
        message: `the alias *${(loop as Alias).source} is inside the value its anchor names (a loop)`,
      };
    }
    if (total > MAX_ALIASED_VALUES) {
      return {
        node: alias,
        message: `aliases (*name) expand to more than ${MAX_ALIASED_VALUES} values; write the values out, or use fewer aliases`,
      };
    }
  }
  return null;
}
