import type { ClientState } from './client.js';
import type { BlockChange, FakeState, MempoolChange } from './state.js';
import { trackedOnBlock, trackedOnMempool } from './tracked.js';

/** Keys of one outbound frame mapped to their JSON text; null/undefined values are dropped. */
export type ResponseMap = Record<string, string | undefined>;

/** The real server's `serializeResponse`: `{"k": v, "k2": v2}` with `", "` between keys. */
export function serialize(response: ResponseMap): string {
  const keys = Object.keys(response).filter((k) => response[k] != null);
  return '{' + keys.map((k) => `"${k}": ${response[k]}`).join(', ') + '}';
}

/** Serialize each value once per push, whatever the number of clients (`getCachedResponse`). */
export class ResponseCache {
  private readonly cache = new Map<string, string>();

  get(key: string, make: () => unknown): string {
    let json = this.cache.get(key);
    if (json === undefined) {
      json = JSON.stringify(make());
      this.cache.set(key, json);
    }
    return json;
  }
}

function addStats(r: ResponseMap, state: FakeState, withTransactions: boolean): void {
  r.mempoolInfo = state.field('mempoolInfo');
  r.vBytesPerSecond = state.field('vBytesPerSecond');
  if (withTransactions) {
    r.transactions = state.field('transactions');
    r.da = state.field('da');
    r.fees = state.field('fees');
  } else {
    r.fees = state.field('fees');
    r.da = state.field('da');
  }
}

/** One client's frame for a mempool tick, keys in `$handleMempoolChange` order. */
export function mempoolResponse(
  client: ClientState,
  change: MempoolChange,
  state: FakeState,
  cache: ResponseCache,
): ResponseMap {
  const r: ResponseMap = {};
  if (client.want.has('stats')) addStats(r, state, true);
  if (client.want.has('mempool-blocks')) r['mempool-blocks'] = state.field('mempool-blocks');
  const index = client.trackMempoolBlock;
  const delta = index === null ? undefined : change.deltas.get(index);
  if (index !== null && delta) {
    r['projected-block-transactions'] = cache.get(`pbt-${index}`, () => ({
      index,
      sequence: change.sequence,
      delta,
    }));
  }
  if (client.trackRbf && change.rbfChanged) {
    const full = client.trackRbf === 'fullRbf';
    r.rbfLatest = cache.get(full ? 'fullrbfLatest' : 'rbfLatest', () => state.rbf.latest(full));
  }
  r['tracked-txs'] = trackedOnMempool(client, change);
  if (client.trackMempoolTxids) {
    r['mempool-txids'] = cache.get('mempool-txids', () => ({
      sequence: change.sequence,
      added: change.added.map((t) => t.txid),
      removed: change.removed,
      mined: [],
      replaced: change.replaced.map((x) => ({ replaced: x.replaced, by: x.by.txid })),
    }));
  }
  if (client.trackMempool) {
    r['mempool-transactions'] = cache.get('mempool-transactions', () => ({
      sequence: change.sequence,
      added: change.added,
      removed: change.removed,
      mined: [],
      replaced: change.replaced,
    }));
  }
  return r;
}

/** The projected-block frame on a block: full when more than half the block is new, else a delta. */
function projectedOnBlock(client: ClientState, change: BlockChange, state: FakeState, cache: ResponseCache) {
  const index = client.trackMempoolBlock;
  if (index === null) return undefined;
  const delta = change.deltas.get(index);
  const txs = state.projected.get(index);
  if (!delta || txs.length === 0) return undefined;
  if (delta.added.length > txs.length / 2) {
    return cache.get(`pbt-full-${index}`, () => ({
      index,
      sequence: change.sequence,
      blockTransactions: txs,
    }));
  }
  return cache.get(`pbt-delta-${index}`, () => ({ index, sequence: change.sequence, delta }));
}

/** One client's frame for a new block, keys in `handleNewBlock` order. */
export function blockResponse(
  client: ClientState,
  change: BlockChange,
  state: FakeState,
  cache: ResponseCache,
): ResponseMap {
  const r: ResponseMap = {};
  if (client.want.has('blocks')) r.block = cache.get('block', () => change.block);
  if (client.want.has('stats')) addStats(r, state, false);
  if (client.want.has('mempool-blocks')) r['mempool-blocks'] = state.field('mempool-blocks');
  r['projected-block-transactions'] = projectedOnBlock(client, change, state, cache);
  r['tracked-txs'] = trackedOnBlock(client, change);
  const delta = { sequence: change.sequence, added: [], removed: [], mined: change.mined, replaced: [] };
  if (client.trackMempoolTxids) r['mempool-txids'] = cache.get('mempool-txids', () => delta);
  if (client.trackMempool) r['mempool-transactions'] = cache.get('mempool-transactions', () => delta);
  return r;
}

/** True when a response has at least one key to send. */
export function hasKeys(r: ResponseMap): boolean {
  return Object.values(r).some((v) => v != null);
}
