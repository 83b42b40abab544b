import { normalizeAddress, type Label, type LabelMap } from './labels.js';

/** A rule labelling every address that starts with `prefix` (case-sensitive, base58). */
export interface PrefixRule {
  prefix: string;
  label: Label;
}

/** One source of labels: exact addresses (normalized keys) and, for the built-in set, prefix rules. */
export interface LabelLayer {
  addresses: LabelMap;
  prefixes?: readonly PrefixRule[];
}

/** What {@link classifyFlow} looks addresses up in: a plain {@link LabelMap} is one. */
export interface LabelLookup {
  /** The label of a normalized address, or undefined. */
  get(address: string): Label | undefined;
  /** Exact addresses known (prefix rules not counted). */
  readonly size: number;
}

/**
 * Merge label layers into one lookup, later layers over earlier ones: an address a later layer
 * labels takes that label (override), a new one is added (extend). An exact address always wins
 * over a prefix rule, whatever its layer, so a user file can relabel one vanity address; among
 * prefix rules the later layer's comes first. Lookups of unlabelled addresses cost one map miss
 * plus one `startsWith` per prefix rule.
 */
export function createLabelSet(layers: readonly LabelLayer[]): LabelLookup {
  const addresses = new Map<string, Label>();
  const prefixes: PrefixRule[] = [];
  for (const layer of layers) {
    for (const [address, label] of layer.addresses) addresses.set(normalizeAddress(address), label);
    if (layer.prefixes) prefixes.unshift(...layer.prefixes);
  }
  if (prefixes.length === 0) return addresses;
  return {
    size: addresses.size,
    get(address) {
      const exact = addresses.get(address);
      if (exact !== undefined) return exact;
      for (const rule of prefixes) if (address.startsWith(rule.prefix)) return rule.label;
      return undefined;
    },
  };
}
