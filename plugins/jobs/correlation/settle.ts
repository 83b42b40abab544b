import type { BlockConnected, EventMap } from '../../../src/index.js';
import { scoreEta, type Outcome, type Prediction } from './eta.js';
import { DROPPED_SCORE, REPLACED_SCORE, confirmedScore } from './score.js';
import { waitedExactMinutes } from './waited.js';

type OutcomeEvent = {
  [K in 'whale.confirmed' | 'whale.replaced' | 'whale.dropped']: { type: K; data: EventMap[K] };
}['whale.confirmed' | 'whale.replaced' | 'whale.dropped'];

/** How one prediction ended: the outcome to store in its place and the event announcing it. */
export interface Settlement {
  outcome: Outcome;
  /** None for `unknown`: nothing was observed to announce. */
  event?: OutcomeEvent;
}

/** The job's options that decide when a pending prediction is given up. */
export interface SettleRules {
  /** As configured (`72h`), for the reason text. */
  dropAfter: string;
  dropAfterMs: number;
  unknownAfterBlocks: number;
}

/** A `block.connected` and when it reached the job (the envelope's time, the wall clock). */
export type ArrivedBlock = Pick<BlockConnected, 'height' | 'time' | 'txids'> & { arrivedAt: string };

/** What a block does to the pending predictions; the job applies it in this order. */
export interface BlockSettlement {
  /** Set when blocks were skipped since `tip` and pending predictions became uncertain. */
  missed?: { from: number; to: number; uncertain: number };
  /** Still pending, with a changed record (uncertain since the gap, or the tip now known). */
  updated: Prediction[];
  /** Ended by this block, in the order they were pending. */
  settled: Settlement[];
  /** The chain height to remember: the block's, unless it is not above `tip`. */
  tip: number;
}

const outcomeOf = (
  p: Prediction,
  at: string,
  end: Omit<
    Outcome,
    'txid' | 'detectedAt' | 'settledAt' | 'valueSats' | 'predictedBlocks' | 'urgencyLevel' | 'eta'
  >,
): Outcome => ({
  txid: p.txid,
  detectedAt: p.detectedAt,
  settledAt: at,
  valueSats: p.valueSats,
  predictedBlocks: p.predictedBlocks,
  urgencyLevel: p.urgencyLevel,
  ...(p.eta ? { eta: p.eta } : {}),
  ...end,
});

/**
 * Mined at `height`: blocks waited from the tip at detection (at least 1; 1 when no tip was
 * known), minutes waited on the feed's clock (see {@link waitedExactMinutes}; rounded in
 * `minutesWaited`), the score, and how the ETA predicted at detection did against the unrounded
 * wait (see {@link scoreEta}; nulls when the whale had no ETA).
 */
export function confirmed(p: Prediction, height: number, arrivedAt: string, blockTime: string): Settlement {
  const blocksWaited = p.tipHeight === null ? 1 : Math.max(1, height - p.tipHeight);
  const exactMinutes = waitedExactMinutes(p, arrivedAt, blockTime);
  const minutesWaited = Math.round(exactMinutes);
  const eta = scoreEta(p.eta, exactMinutes);
  const score = confirmedScore(blocksWaited, p.predictedBlocks, p.urgencyLevel);
  return {
    outcome: outcomeOf(p, arrivedAt, {
      status: 'confirmed',
      height,
      blocksWaited,
      minutesWaited,
      ...eta,
      score,
    }),
    event: {
      type: 'whale.confirmed',
      data: {
        txid: p.txid,
        height,
        blocksWaited,
        minutesWaited,
        predictedBlocks: p.predictedBlocks,
        ...eta,
        score,
      },
    },
  };
}

/** Replaced by `byTxid` (RBF). */
export function replaced(p: Prediction, byTxid: string, fullRbf: boolean, at: string): Settlement {
  return {
    outcome: outcomeOf(p, at, { status: 'replaced', byTxid, score: REPLACED_SCORE }),
    event: { type: 'whale.replaced', data: { txid: p.txid, byTxid, fullRbf } },
  };
}

/** Left the mempool unmined, or never confirmed in time, for `reason`. */
export function dropped(p: Prediction, at: string, reason: string): Settlement {
  return {
    outcome: outcomeOf(p, at, { status: 'dropped', reason, score: DROPPED_SCORE }),
    event: { type: 'whale.dropped', data: { txid: p.txid, reason } },
  };
}

/** Not seen again since missed blocks: it may have confirmed unseen, so it is not scored. */
const unknown = (p: Prediction, at: string): Settlement => ({
  outcome: outcomeOf(p, at, {
    status: 'unknown',
    reason: 'Spout missed blocks while it was down; this whale was not seen again',
    score: null,
  }),
});

/**
 * What `block` does to the `pending` predictions, given the last height seen (`tip`, null
 * before any block). Pure: the job reads its state, calls this, and writes the result.
 *
 * - Blocks skipped (the block is more than one above `tip`): every pending prediction not yet
 *   uncertain becomes uncertain since the first missed height.
 * - Then each pending prediction, in order: mined in this block → confirmed; else first seen at
 *   least `dropAfter` before the block's time (the feed's clock) → dropped; else detected before
 *   any tip was known → its tip becomes this block's parent; else uncertain for at least
 *   `unknownAfterBlocks` blocks → `unknown` (no score, no event).
 */
export function settleBlock(
  pending: Iterable<Prediction>,
  block: ArrivedBlock,
  tip: number | null,
  rules: SettleRules,
): BlockSettlement {
  const { height, arrivedAt } = block;
  const changed = new Map<string, Prediction>();
  const settled: Settlement[] = [];
  let predictions = [...pending];
  let missed: BlockSettlement['missed'];
  if (tip !== null && height > tip + 1) {
    const from = tip + 1;
    predictions = predictions.map((p) => {
      if (p.uncertainSince !== undefined) return p;
      const uncertain = { ...p, uncertainSince: from };
      changed.set(p.txid, uncertain);
      return uncertain;
    });
    if (changed.size > 0) missed = { from, to: height - 1, uncertain: changed.size };
  }
  const mined = new Set(block.txids);
  for (const p of predictions) {
    if (mined.has(p.txid)) settled.push(confirmed(p, height, arrivedAt, block.time));
    // Judged on the chain's clock too, so a replayed or simulated feed settles by its own time.
    else if (Date.parse(block.time) - Date.parse(p.firstSeen) >= rules.dropAfterMs)
      settled.push(dropped(p, arrivedAt, `not confirmed within ${rules.dropAfter}`));
    // Detected before the first block this job saw: the chain tip then was this block's parent.
    else if (p.tipHeight === null) changed.set(p.txid, { ...p, tipHeight: height - 1 });
    else if (p.uncertainSince !== undefined && height - p.uncertainSince >= rules.unknownAfterBlocks)
      settled.push(unknown(p, arrivedAt));
  }
  const ended = new Set(settled.map((s) => s.outcome.txid));
  return {
    ...(missed ? { missed } : {}),
    updated: [...changed.values()].filter((p) => !ended.has(p.txid)),
    settled,
    tip: tip === null || height > tip ? height : tip,
  };
}
