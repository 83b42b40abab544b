/**
 * The event catalogue: every event Spout routes is a key of {@link EventMap}; nothing is
 * published under a free string. Payload shapes follow DESIGN §3 and §4; the tables keyed by
 * event type (`EVENT_KEYS`, `EVENT_TYPES`, `EVENT_PRODUCERS`) are in `catalogue.ts`.
 */

import type { Urgency, Eta, ChangeRule, RbfInfo, Flow } from './annotations.js';
export type { UrgencyLevel, Urgency, Eta, ChangeRule, RbfInfo, FlowType, Flow } from './annotations.js';

/** One transaction output, as normalized by an input. `address` is null for scripts without one. */
export interface TxOutput {
  address: string | null;
  valueSats: number;
}

/** One transaction input. `prevout` is null for a coinbase or when the server did not send it. */
export interface TxInput {
  txid: string;
  vout: number;
  sequence: number;
  address: string | null;
  valueSats: number | null;
}

/** `tx.seen`: a transaction entered the mempool (normalized by the input that saw it). */
export interface TxSeen {
  txid: string;
  /** Sum of all outputs, in satoshis (the `value` mempool.space reports). */
  valueSats: number;
  feeSats: number;
  vsize: number;
  /** sat/vB */
  feeRate: number;
  /**
   * The package (CPFP-aware) fee rate in sat/vB when the input knows it: mempool.space's
   * `effectiveFeePerVsize` (a low-fee parent pulled in by a high-fee child confirms at the
   * child's package rate). Absent when the input does not send one.
   */
  effectiveFeeRate?: number;
  /**
   * Where the input's server projects the transaction when it was seen: `block` is the
   * projected-block index (0 = next block), `vsize` the vB offset of its midpoint inside that
   * block (mempool.space's `position`). Absent when not sent.
   */
  position?: { block: number; vsize: number };
  inputs: TxInput[];
  outputs: TxOutput[];
  /** Any input's sequence < 0xfffffffe (BIP 125). */
  rbfSignaling: boolean;
  /** ISO 8601 time the input first saw the transaction. */
  firstSeen: string;
  /**
   * True when only the summary is known (no inputs or outputs): a transaction recovered from
   * the projected blocks after a reconnect. Absent otherwise.
   */
  partial?: true;
}

/** `tx.replaced`: `txid` was replaced by `byTxid`. */
export interface TxReplaced {
  txid: string;
  byTxid: string;
  fullRbf: boolean;
}

/**
 * `tx.position`: where the input's server now projects a transaction it tracks (mempool.space's
 * `tracked-txs`), published whenever the server sends news of it. A state at a moment: the same
 * transaction is published again each time it moves.
 */
export interface TxPosition {
  txid: string;
  /** The projected-block index, as the server sends it: 0 = the next block. */
  block: number;
  /** The vB offset of the transaction's midpoint inside that projected block. */
  vsize: number;
  /** The package (CPFP-aware) fee rate in sat/vB, when the server sent one with this position. */
  effectiveFeeRate?: number;
}

/** Why a transaction left the mempool without being mined (`mined` is not a removal). */
export type RemovalReason = 'evicted' | 'expired' | 'conflict' | 'unknown';

/** `tx.removed`: a transaction left the mempool without being mined. */
export interface TxRemoved {
  txid: string;
  reason: RemovalReason;
}

/** `block.connected`: a block was mined; `txids` are the transactions it confirmed. */
export interface BlockConnected {
  height: number;
  hash: string;
  /** ISO 8601 block time. */
  time: string;
  txids: string[];
}

/**
 * `block.disconnected`: a block left the best chain (a reorg); its transactions went back to
 * the mempool, and the blocks of the new chain follow as `block.connected`.
 */
export interface BlockDisconnected {
  height: number;
  hash: string;
  txids: string[];
}

/** One projected (next) block of the mempool. */
export interface ProjectedBlock {
  /** Fee-rate range in sat/vB, ascending (min … max). */
  feeRange: number[];
  medianFee: number;
  nTx: number;
  vsize: number;
}

/** Recommended fee rates in sat/vB. */
export interface RecommendedFees {
  fastestFee: number;
  halfHourFee: number;
  hourFee: number;
  economyFee: number;
  minimumFee: number;
}

/** `mempool.stats`: the state of the mempool as the input last saw it. */
export interface MempoolStats {
  projectedBlocks: ProjectedBlock[];
  recommendedFees: RecommendedFees | null;
  /** Total mempool size in vbytes. */
  mempoolVsize: number;
  usdPrice?: number | null;
  /**
   * The mean time between recent blocks in minutes, when the input knows it (mempool.space's
   * difficulty-adjustment `timeAvg`). Absent otherwise; consumers then assume 10 minutes.
   */
  blockIntervalMinutes?: number;
}

/** Connection state of an input. */
export type InputState = 'connecting' | 'connected' | 'degraded' | 'disconnected';

/** `input.status`: an input's connection changed state. */
export interface InputStatus {
  state: InputState;
  reason?: string;
}

export type WhaleStatus = 'pending' | 'confirmed' | 'replaced' | 'dropped';

/**
 * `whale.detected`: the whale signal (DESIGN §4). Webhook and WebSocket payloads use it as is.
 * `urgency`, `rbf` and `flow` are present when the detector that adds them is enabled.
 */
export interface WhaleSignal {
  txid: string;
  valueSats: number;
  valueBtc: number;
  valueUsd: number | null;
  /**
   * Satoshis that likely changed hands: the outputs that are not likely change (see
   * `changeRule`). Equals `valueSats` when no rule applies. Absent in signals made before it was
   * recorded.
   */
  transferredSats?: number;
  /** The change heuristic that decided `transferredSats` (`none` when none applied). */
  changeRule?: ChangeRule;
  feeSats: number;
  vsize: number;
  feeRate: number;
  urgency?: Urgency;
  /** When it is likely to confirm (present with the `urgency` detector). */
  eta?: Eta;
  rbf?: RbfInfo;
  flow?: Flow;
  status: WhaleStatus;
  firstSeen: string;
  detectedAt: string;
  url: string;
}

/**
 * `whale.updated`: the prediction of a pending whale changed (its predicted block moved, from the
 * position its input's server now projects). `urgency` and `eta` replace those of the whale's
 * `whale.detected`; the prediction made at detection is still the one scored on confirmation.
 */
export interface WhaleUpdated {
  txid: string;
  urgency: Urgency;
  eta: Eta;
}

/** `whale.confirmed`: a detected whale was mined. */
export interface WhaleConfirmed {
  txid: string;
  height: number;
  blocksWaited: number;
  minutesWaited: number;
  predictedBlocks: number | null;
  /**
   * Minutes between the ETA's median (`eta.p50Minutes` at detection) and the actual wait
   * (`minutesWaited`): positive when it confirmed later than predicted. Null or absent when the
   * whale had no ETA.
   */
  etaErrorMinutes?: number | null;
  /** Whether the actual wait fell in the ETA's 10–90% range. Null or absent without an ETA. */
  withinEtaRange?: boolean | null;
  /**
   * The accuracy score of the prediction, 0–1 (timing 0.6 + urgency match 0.4), as the
   * correlation job stores it in the outcome. Absent from other producers.
   */
  score?: number;
}

/** `whale.replaced`: a detected whale was replaced (RBF). */
export interface WhaleReplaced {
  txid: string;
  byTxid: string;
  fullRbf: boolean;
}

/** `whale.dropped`: a detected whale left the mempool unmined, or never confirmed in time. */
export interface WhaleDropped {
  txid: string;
  reason: string;
}

/** `accuracy.degraded` / `accuracy.recovered`: prediction accuracy crossed a threshold. */
export interface AccuracyChange {
  accuracy: number;
  window: string;
  threshold: number;
  level: 'warning' | 'critical';
  sample: number;
}

/** Every event type and its payload. The only source of event names in Spout. */
export interface EventMap {
  'tx.seen': TxSeen;
  'tx.replaced': TxReplaced;
  'tx.removed': TxRemoved;
  'tx.position': TxPosition;
  'block.connected': BlockConnected;
  'block.disconnected': BlockDisconnected;
  'mempool.stats': MempoolStats;
  'input.status': InputStatus;
  'whale.detected': WhaleSignal;
  'whale.updated': WhaleUpdated;
  'whale.confirmed': WhaleConfirmed;
  'whale.replaced': WhaleReplaced;
  'whale.dropped': WhaleDropped;
  'accuracy.degraded': AccuracyChange;
  'accuracy.recovered': AccuracyChange;
}

/** Any event type. */
export type EventType = keyof EventMap;
