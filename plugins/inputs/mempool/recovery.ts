import type { TxSeen } from '../../../src/index.js';

export interface RecoveryOptions {
  /** How many projected blocks to scan (0 turns recovery off). */
  blocks: number;
  send(message: unknown): void;
  /**
   * Handle the transactions of one projected block, already validated by the frame handler
   * (partial `tx.seen` payloads); returns how many were emitted.
   */
  found(txs: TxSeen[]): number;
  done(emitted: number, scanned: number): void;
  /** Give up on a block whose list does not come within this time. */
  stepTimeoutMs?: number;
}

/**
 * Gap recovery after a reconnect. What was added to the mempool while disconnected is not sent
 * again by `track-mempool`, but the projected blocks still hold it: subscribe to each projected
 * block in turn (`track-mempool-block`: one index per connection), read its full transaction
 * list (txid, fee, vsize, value, …), then unsubscribe. Whales among them can still be found;
 * their inputs and outputs are not in the list (the tx.seen is marked `partial`).
 */
export function createRecovery(options: RecoveryOptions) {
  let index = -1;
  let emitted = 0;
  let timer: NodeJS.Timeout | null = null;

  const finish = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (index < 0) return;
    const scanned = index;
    index = -1;
    options.send({ 'track-mempool-block': -1 });
    options.done(emitted, scanned);
  };
  const request = (i: number) => {
    index = i;
    options.send({ 'track-mempool-block': i });
    if (timer) clearTimeout(timer);
    timer = setTimeout(finish, options.stepTimeoutMs ?? 10_000);
  };

  return {
    start() {
      if (options.blocks === 0) return;
      emitted = 0;
      request(0);
    },
    onProjectedBlock(i: number, txs: TxSeen[]) {
      if (i !== index) return;
      emitted += options.found(txs);
      if (i + 1 < options.blocks) request(i + 1);
      else {
        index = i + 1;
        finish();
      }
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      index = -1;
    },
  };
}
