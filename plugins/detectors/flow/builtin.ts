import data from '../../../labels/exchanges.json' with { type: 'json' };
import { normalizeAddress, type Label, type LabelType } from './labels.js';
import type { LabelLayer } from './label-set.js';

/** The word in `labels:` that stands for the built-in set. */
export const BUILTIN = 'builtin';

/** What the built-in file says about one address: its entity, the kind of wallet and the source. */
export interface BuiltinEntry {
  address: string;
  entity: string;
  kind: string;
  source: string;
  published: string | null;
}

interface BuiltinFile {
  version: number;
  entities: Record<string, { name: string; type: string }>;
  addresses: BuiltinEntry[];
  prefixes: Array<Omit<BuiltinEntry, 'address'> & { prefix: string }>;
}

let layer: LabelLayer | null = null;

/**
 * The built-in exchange labels (`labels/exchanges.json`, shipped in the package): addresses the
 * exchanges published in their own proof-of-reserve disclosures, and BitMEX's `3BMEX` vanity
 * addresses as a prefix rule. Entities are shown by their display name (`Binance`, `OKX`). Built
 * once, on first use.
 */
export function builtinLabels(): LabelLayer {
  if (layer) return layer;
  const file = data as BuiltinFile;
  const labelOf = (entity: string): Label => {
    const e = file.entities[entity];
    if (!e) throw new Error(`labels/exchanges.json: entity "${entity}" is not in its entities`);
    return { entity: e.name, type: e.type as LabelType };
  };
  layer = {
    addresses: new Map(file.addresses.map((a) => [normalizeAddress(a.address), labelOf(a.entity)])),
    prefixes: file.prefixes.map((p) => ({ prefix: p.prefix, label: labelOf(p.entity) })),
  };
  return layer;
}
