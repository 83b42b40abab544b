import type { Transaction } from 'bitcoinjs-lib';
import { displayBytes } from './block.js';
import type { ChainBlock, Notification } from './types.js';

/** `sequence` body: 32-byte hash (display order), label, and for A/R the 8-byte LE mempool sequence. */
export function sequenceNote(
  hash: string,
  label: 'A' | 'R' | 'C' | 'D',
  mempoolSequence?: number,
): Notification {
  const body = Buffer.alloc(mempoolSequence === undefined ? 33 : 41);
  displayBytes(hash).copy(body);
  body[32] = label.charCodeAt(0);
  if (mempoolSequence !== undefined) body.writeBigUInt64LE(BigInt(mempoolSequence), 33);
  return { topic: 'sequence', body };
}

/** `TransactionAddedToMempool` / `BlockConnected` / `BlockDisconnected` per transaction: hashtx, then rawtx. */
export const txNotes = (tx: Transaction): Notification[] => [
  { topic: 'hashtx', body: displayBytes(tx.getId()) },
  { topic: 'rawtx', body: Buffer.from(tx.toBuffer()) },
];

/** `UpdatedBlockTip`: hashblock, then rawblock (notifier order). */
export const tipNotes = (b: ChainBlock): Notification[] => [
  { topic: 'hashblock', body: displayBytes(b.hash) },
  { topic: 'rawblock', body: Buffer.from(b.hex ?? '', 'hex') },
];
