/**
 * The event catalogue: every event Spout routes is a key of {@link EventMap}; nothing is
 * published under a free string. Payload shapes follow DESIGN §3 and §4.
 */

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
}

/** Connection state of an input. */
export type InputState = 'connecting' | 'connected' | 'degraded' | 'disconnected';

/** `input.status`: an input's connection changed state. */
export interface InputStatus {
  state: InputState;
  reason?: string;
}

export type UrgencyLevel = 'low' | 'medium' | 'high' | 'critical';

/** The urgency annotation of a whale (DESIGN §4). */
export interface Urgency {
  score: number;
  level: UrgencyLevel;
  predictedBlocks: number;
  basis: string;
  congestion?: 'low' | 'medium' | 'high' | 'extreme';
}

/** The RBF annotation of a whale. */
export interface RbfInfo {
  signaling: boolean;
  replaces: string[];
  confidence?: number;
}

export type FlowType = 'inflow' | 'outflow' | 'internal' | 'unknown';

/** The exchange-flow annotation of a whale. */
export interface Flow {
  type: FlowType;
  from: string | null;
  to: string | null;
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
  feeSats: number;
  vsize: number;
  feeRate: number;
  urgency?: Urgency;
  rbf?: RbfInfo;
  flow?: Flow;
  status: WhaleStatus;
  firstSeen: string;
  detectedAt: string;
  url: string;
}

/** `whale.confirmed`: a detected whale was mined. */
export interface WhaleConfirmed {
  txid: string;
  height: number;
  blocksWaited: number;
  minutesWaited: number;
  predictedBlocks: number | null;
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
  'block.connected': BlockConnected;
  'mempool.stats': MempoolStats;
  'input.status': InputStatus;
  'whale.detected': WhaleSignal;
  'whale.confirmed': WhaleConfirmed;
  'whale.replaced': WhaleReplaced;
  'whale.dropped': WhaleDropped;
  'accuracy.degraded': AccuracyChange;
  'accuracy.recovered': AccuracyChange;
}

/** Any event type. */
export type EventType = keyof EventMap;

/**
 * How the id of an event type is keyed (the envelope id is derived from it, see `eventId`):
 *
 * - `fact`: by what the event is about (a txid, a block hash). The same fact always gets the same
 *   id, whoever publishes it and whenever: a retry, a restart or a second input never gives the
 *   same whale a new id, and every output can deduplicate on it.
 * - `moment`: the event reports a state at a moment (a mempool snapshot, a connection change, an
 *   accuracy alert), so each publication is its own fact. Its key is the publishing instance, the
 *   publication time and a sequence number of that instance's moment events in this process
 *   (`source@time#seq`): two instances publishing in the same millisecond, or one instance
 *   publishing twice in it, never share an id.
 */
export type IdKey<D> = { by: 'fact'; key: (data: D) => string } | { by: 'moment' };

const fact = <D>(key: (data: D) => string): IdKey<D> => ({ by: 'fact', key });
const MOMENT = { by: 'moment' } as const;

/**
 * What identifies each event type's fact. `{ [K in EventType]: … }` makes adding an event without
 * a key a compile error.
 */
export const EVENT_KEYS: { [K in EventType]: IdKey<EventMap[K]> } = {
  'tx.seen': fact((d) => d.txid),
  'tx.replaced': fact((d) => `${d.txid}>${d.byTxid}`),
  'tx.removed': fact((d) => d.txid),
  'block.connected': fact((d) => d.hash),
  'mempool.stats': MOMENT,
  'input.status': MOMENT,
  'whale.detected': fact((d) => d.txid),
  'whale.confirmed': fact((d) => d.txid),
  'whale.replaced': fact((d) => d.txid),
  'whale.dropped': fact((d) => d.txid),
  'accuracy.degraded': MOMENT,
  'accuracy.recovered': MOMENT,
};

/** Every event type, in catalogue order. */
export const EVENT_TYPES = Object.keys(EVENT_KEYS) as EventType[];

/** Which component produces each event (documentation and `spout check`). */
export const EVENT_PRODUCERS: Record<EventType, 'input' | 'detector' | 'job'> = {
  'tx.seen': 'input',
  'tx.replaced': 'input',
  'tx.removed': 'input',
  'block.connected': 'input',
  'mempool.stats': 'input',
  'input.status': 'input',
  'whale.detected': 'detector',
  'whale.confirmed': 'job',
  'whale.replaced': 'job',
  'whale.dropped': 'job',
  'accuracy.degraded': 'job',
  'accuracy.recovered': 'job',
};
