import { refuse, PROJECTED_BLOCKS, type FrameSink } from './sink.js';
import { Check, field } from './validate.js';

// The server's answers to Spout's own `track-txs` (protocol doc §2.1, §3.8): `tracked-txs`
// `{[txid]: TxTrackingInfo}` and `track-txs-error`.

/**
 * `tracked-txs`: each entry read on its own. One with a `position` (and no `confirmed: true`)
 * becomes a `tx.position`, with the CPFP package rate (`cpfp.effectiveFeePerVsize`) when sent;
 * one with `confirmed: true` or a `replacedBy` is no longer tracked (`sink.untrack`); the
 * confirmation or replacement itself is reported from the block and mempool-transactions frames.
 * A bad entry is refused and counted alone; anything but an object refuses the whole message.
 * Entries are handled in the order the server sent them.
 */
export function trackedTxs(value: unknown, sink: FrameSink): void {
  const c = new Check(sink.now, 'tracked-txs');
  const entries = c.object(value, '');
  if (!c.ok) return refuse(sink, c.failure);
  for (const key of Object.keys(entries)) {
    const e = new Check(sink.now, () => `tracked-txs[${JSON.stringify(key.slice(0, 24))}]`);
    entry(key, field(entries, key), e, sink);
    refuse(sink, e.failure);
  }
}

function entry(key: string, raw: unknown, c: Check, sink: FrameSink): void {
  const txid = c.id(key, 'txid');
  const info = c.object(raw, '');
  if (!c.ok) return;
  const confirmed = field(info, 'confirmed');
  if (confirmed !== undefined && typeof confirmed !== 'boolean')
    return c.fail('bad-field', 'confirmed', 'not a boolean');
  const replacedBy = field(info, 'replacedBy');
  if (replacedBy !== undefined) c.id(replacedBy, 'replacedBy');
  const position = positionOf(field(info, 'position'), field(info, 'cpfp'), c);
  if (!c.ok) return;
  if (confirmed === true || replacedBy !== undefined) return sink.untrack?.(txid);
  if (position) sink.emit('tx.position', { txid, ...position });
}

/** The position and package rate of an entry; null when no position is sent. */
function positionOf(
  raw: unknown,
  cpfpRaw: unknown,
  c: Check,
): { block: number; vsize: number; effectiveFeeRate?: number } | null {
  let rate: number | undefined;
  if (cpfpRaw !== undefined && cpfpRaw !== null) {
    const cpfp = c.object(cpfpRaw, 'cpfp');
    const effective = field(cpfp, 'effectiveFeePerVsize');
    if (effective !== undefined && effective !== null) rate = c.rate(effective, 'cpfp.effectiveFeePerVsize');
  }
  if (raw === undefined || raw === null) return null;
  const p = c.object(raw, 'position');
  // The server projects into its MEMPOOL_BLOCKS_AMOUNT blocks; the last one stacks the rest.
  const block = c.index(field(p, 'block'), 'position.block', PROJECTED_BLOCKS);
  const vsize = c.count(field(p, 'vsize'), 'position.vsize');
  if (!c.ok) return null;
  return rate === undefined ? { block, vsize } : { block, vsize, effectiveFeeRate: rate };
}

/** `track-txs-error`: the server refused the list (and closes the connection). */
export function trackError(value: unknown, sink: FrameSink): void {
  const why = typeof value === 'string' ? value.slice(0, 200) : 'no reason given';
  sink.onTrackError?.(why);
}
