import type { Network } from 'bitcoinjs-lib';
import { addressOf, type RawFacts } from './parse.js';
import type { Rpc } from './rpc.js';

/** Transactions with more inputs are left as they are (a consolidation of thousands of coins). */
const MAX_INPUTS = 500;

/**
 * Fill in the address and value of what each input of `txs` spends, from Core's UTXO set
 * (`gettxout txid n false`, one batched request for all): Core's raw transaction names only the
 * outpoints, and where a whale comes from (an exchange's outflow) and which output is change are
 * read from these. An input spending an output of another mempool transaction, or one Core does
 * not answer for, stays unknown (null). Never throws: without an answer the inputs stay unknown.
 */
export async function fillPrevouts(rpc: Rpc, txs: readonly RawFacts[], network: Network): Promise<void> {
  const wanted = txs.filter((t) => t.inputs.length <= MAX_INPUTS).flatMap((t) => t.inputs);
  if (wanted.length === 0) return;
  let answers;
  try {
    answers = await rpc.batch(wanted.map((i) => ({ method: 'gettxout', params: [i.txid, i.vout, false] })));
  } catch {
    return;
  }
  answers.forEach((a, k) => {
    if (!('result' in a)) return;
    const coin = a.result as { value?: unknown; scriptPubKey?: { hex?: unknown } } | null;
    if (typeof coin?.value !== 'number' || typeof coin.scriptPubKey?.hex !== 'string') return;
    const input = wanted[k]!;
    input.valueSats = Math.round(coin.value * 1e8);
    input.address = addressOf(Buffer.from(coin.scriptPubKey.hex, 'hex'), network);
  });
}
