import type { Eta, UrgencyLevel } from '../bus/events.js';

/**
 * Records the jobs keep in the store, by collection. One place, because the correlation job
 * writes them, the accuracy and retention jobs and `spout stats` read them.
 */
export const COLLECTIONS = {
  /** Whales waiting for an outcome, by txid. */
  predictions: 'predictions',
  /** Settled whales, by txid. */
  outcomes: 'outcomes',
  /** Small per-job state (last block height, last alert), by job instance. */
  jobState: 'job-state',
  /** Webhook and e-mail deliveries waiting or in progress (records carry createdAt/updatedAt). */
  outbox: 'outbox',
  /** The delivery log: attempts and outcomes (createdAt/updatedAt). */
  deliveries: 'deliveries',
  /** Chat message ids of posted alerts, for edits in place (createdAt). */
  messages: 'messages',
  /** Subscriber and API tokens issued by `spout token create`, and revocations, by jti. */
  tokens: 'tokens',
  /** Whale signals as detected, by txid, for the REST API (the `api` job records them). */
  apiSignals: 'api-whale-signals',
  /** Whale events an e-mail instance collects for its next digest, by instance (emptied when mailed). */
  emailDigest: 'email-digest',
} as const;

/** A detected whale and what was predicted for it. */
export interface PredictionRecord {
  txid: string;
  /** ISO time of detection. */
  detectedAt: string;
  /** ISO time the input first saw the transaction (the data's clock: simulated time on the simulator). */
  firstSeen: string;
  valueSats: number;
  feeRate: number;
  /** From the urgency annotation; null when the urgency detector is off. */
  predictedBlocks: number | null;
  urgencyLevel: UrgencyLevel | null;
  /** Chain tip when the whale was detected (the last block seen), null before any block. */
  tipHeight: number | null;
  tipTime: string | null;
  /** Set when blocks were missed after detection (Spout was down): the outcome may be unobservable. */
  uncertainSince?: number;
  /** The whale's ETA at detection (`whale.detected` `eta`); absent when it had none. */
  eta?: Eta;
}

export type OutcomeStatus = 'confirmed' | 'replaced' | 'dropped' | 'unknown';

/** How a prediction ended. `score` is null for `unknown` (it counts toward no accuracy). */
export interface OutcomeRecord {
  txid: string;
  detectedAt: string;
  /** ISO time the outcome was observed. */
  settledAt: string;
  status: OutcomeStatus;
  valueSats: number;
  predictedBlocks: number | null;
  urgencyLevel: UrgencyLevel | null;
  /** confirmed: the block, and how long it took. */
  height?: number;
  blocksWaited?: number;
  minutesWaited?: number;
  /** replaced: the replacement. */
  byTxid?: string;
  /** dropped / unknown: why. */
  reason?: string;
  /** 0–1: timing 0.6 + urgency match 0.4 for confirmed; 0.1 replaced; 0.3 dropped; null unknown. */
  score: number | null;
  /** The whale's ETA at detection; absent when it had none. */
  eta?: Eta;
  /** confirmed: unrounded wait − eta.p50Minutes, 2 decimals; null without an ETA. */
  etaErrorMinutes?: number | null;
  /** confirmed: unrounded wait within [p10Minutes, p90Minutes]; null without an ETA. */
  withinEtaRange?: boolean | null;
}

/**
 * An issued token (collection `tokens`, key `jti`). The token itself is never stored: it is a
 * bearer credential. A revoked token keeps its record with `revokedAt` set; a token revoked
 * without having been recorded here (issued elsewhere with the same secret) has only `jti` and
 * `revokedAt`.
 */
export interface TokenRecord {
  jti: string;
  sub?: string;
  scope?: string[];
  /** ISO times of issue and expiry (the JWT's `iat` and `exp`). */
  issuedAt?: string;
  expiresAt?: string;
  revokedAt?: string;
}
