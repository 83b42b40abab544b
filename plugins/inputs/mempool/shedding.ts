import type { LRUCache } from 'lru-cache';
import { counter, createLru, type PluginContext, type TxSeen } from '../../../src/index.js';

/** The de-duplication cache's share while memory is under pressure (at least 1,000 txids). */
const PRESSED_SHARE = 0.1;

/**
 * The input's answer to memory pressure (`ctx.memory`). Warning or critical: the cache of seen
 * txids shrinks to a tenth, keeping the most recent (a txid forgotten early is at worst
 * published again and de-duplicated downstream by its event id); normal again: full size.
 * Critical: `drops(tx)` is true for a transaction at or below the smallest whale threshold
 * (`floorSats`), counted in `spout_input_shed_total`; nothing is dropped when no detector
 * declared a floor. Whales are never dropped.
 */
export function createShedding(
  ctx: PluginContext<unknown>,
  capacity: number,
  replace: (seen: LRUCache<string, boolean>) => void,
  current: () => LRUCache<string, boolean>,
): { drops(tx: TxSeen): boolean; critical(): boolean } {
  const shedTotal = counter(
    ctx.metrics,
    'spout_input_shed_total',
    'tx.seen not published under critical memory pressure (at or below the smallest whale threshold).',
    ['instance'],
  );
  let shed = 0;
  const resize = (max: number) => {
    const next = createLru<string, boolean>(max);
    // entries() runs most recent first: insert the kept ones oldest first to keep their order.
    const kept = [...current().entries()].slice(0, max).reverse();
    for (const [txid, signalled] of kept) next.set(txid, signalled);
    replace(next);
  };
  ctx.memory.onChange((level, previous) => {
    if (previous === 'normal') resize(Math.max(1_000, Math.round(capacity * PRESSED_SHARE)));
    if (level === 'normal') resize(capacity);
    if (level === 'critical') {
      shed = 0;
      const floor = ctx.memory.floorSats();
      ctx.log.warn(
        { floorSats: floor },
        floor === null
          ? 'memory critical: no whale threshold declared, so no transaction is shed'
          : `memory critical: transactions of at most ${floor / 1e8} BTC are not published until memory recovers`,
      );
    } else if (previous === 'critical')
      ctx.log.info({ shed }, `memory ${level}: publishing every transaction again (${shed} were shed)`);
  });
  return {
    drops(tx) {
      if (ctx.memory.level() !== 'critical') return false;
      const floor = ctx.memory.floorSats();
      if (floor === null || tx.valueSats > floor) return false;
      shed++;
      shedTotal.inc({ instance: ctx.instance });
      return true;
    },
    critical: () => ctx.memory.level() === 'critical',
  };
}
