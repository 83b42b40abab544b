import type { EventMap } from '../../../src/index.js';
import type { FrameEvent } from './sink.js';

/** The server's `MAX_TRACKED_TXS`: a longer `track-txs` list closes the connection. */
export const MAX_TRACKED_TXS = 100;
/** Pending candidates remembered, so that one leaving the tracked set is replaced by the next. */
export const TRACK_CANDIDATES = 1_000;
/** Least time between two `track-txs` messages. */
export const TRACK_INTERVAL_MS = 1_000;

/** The `track-txs` subscription of the input: which pending transactions the server follows. */
export interface Tracking {
  /**
   * Follow what the input publishes: a `tx.seen` of at least the minimum value becomes a
   * candidate; a `tx.replaced` (the replaced one), `tx.removed` or `block.connected` (its txids)
   * ends one. Other events change nothing.
   */
  published<K extends FrameEvent>(type: K, data: EventMap[K]): void;
  /** Stop tracking `txid` (the server said it confirmed or was replaced). */
  untrack(txid: string): void;
  /**
   * The message that subscribes to the current set, sent after every (re)connect, or null when
   * the set is empty. Counts as sent: the next change is compared with it.
   */
  subscription(): { 'track-txs': string[] } | null;
  /** The txids tracked now, the most valuable first (at most {@link MAX_TRACKED_TXS}). */
  tracked(): string[];
  /** Cancel a pending send. */
  stop(): void;
}

/**
 * Keep the set of pending transactions worth following live: those the input published as
 * `tx.seen` with a value of at least `minSats`, until they confirm, are replaced or removed. The
 * server follows the {@link MAX_TRACKED_TXS} most valuable; {@link TRACK_CANDIDATES} are kept (the
 * least valuable forgotten first). A change is sent with `send` coalesced: once after the current
 * frame burst, then at most once per {@link TRACK_INTERVAL_MS}, and only when the list differs from
 * the last one sent (an emptied set sends `[]`, which stops tracking). Only a change that can alter
 * that list schedules a look at it: a candidate that sorts into it, or a tracked one leaving; one
 * below the last tracked costs a map entry, not a sort of all candidates.
 */
export function createTracking(deps: {
  minSats: number;
  send(message: { 'track-txs': string[] }): void;
  now?: () => number;
}): Tracking {
  const now = deps.now ?? Date.now;
  const candidates = new Map<string, number>();
  let lastSent: string[] = [];
  let sentSet = new Set<string>();
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | null = null;

  const top = (): string[] =>
    [...candidates]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, MAX_TRACKED_TXS)
      .map(([txid]) => txid);
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((t, i) => t === b[i]);

  const flush = () => {
    timer = null;
    const list = top();
    if (same(list, lastSent)) return;
    sent(list);
    deps.send({ 'track-txs': list });
  };
  const sent = (list: string[]) => {
    lastSent = list;
    sentSet = new Set(list);
    lastSentAt = now();
  };
  // Whether a new candidate sorts into the list last sent. Only then, or when a tracked one
  // goes, can the list change: the full sort is not run for every whale below the 100th.
  const wouldEnter = (txid: string, value: number): boolean => {
    const last = lastSent[MAX_TRACKED_TXS - 1];
    const lastValue = last === undefined ? undefined : candidates.get(last);
    if (last === undefined || lastValue === undefined) return true;
    return value > lastValue || (value === lastValue && txid < last);
  };
  const changed = () => {
    if (timer) return;
    // A timer, not a send now: the events of one frame (a block confirming many) make one message.
    timer = setTimeout(flush, Math.max(0, lastSentAt + TRACK_INTERVAL_MS - now()));
    timer.unref?.();
  };
  const drop = (txid: string) => {
    if (candidates.delete(txid) && sentSet.has(txid)) changed();
  };
  const add = (txid: string, value: number) => {
    if (value < deps.minSats || candidates.has(txid)) return;
    let enters = wouldEnter(txid, value);
    candidates.set(txid, value);
    if (candidates.size > TRACK_CANDIDATES) {
      let least: [string, number] | null = null;
      for (const c of candidates) if (least === null || c[1] < least[1]) least = c;
      // Among equal values the one forgotten may be a tracked one.
      if (least && candidates.delete(least[0]) && sentSet.has(least[0])) enters = true;
    }
    if (enters) changed();
  };

  return {
    published(type, data) {
      if (type === 'tx.seen') {
        const tx = data as EventMap['tx.seen'];
        add(tx.txid, tx.valueSats);
      } else if (type === 'tx.replaced') drop((data as EventMap['tx.replaced']).txid);
      else if (type === 'tx.removed') drop((data as EventMap['tx.removed']).txid);
      else if (type === 'block.connected')
        for (const t of (data as EventMap['block.connected']).txids) drop(t);
    },
    untrack: drop,
    subscription() {
      sent(top());
      return lastSent.length > 0 ? { 'track-txs': lastSent } : null;
    },
    tracked: top,
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
