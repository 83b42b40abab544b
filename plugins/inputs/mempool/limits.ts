/**
 * Why a piece of input was refused: the `reason` label of `spout_input_rejected_total`.
 * Frame level: `oversize`, `invalid-json`, `not-object`, `unknown-key`. Item level: the others.
 * `internal` counts an unexpected error caught by the frame handler's last-resort guard (a bug).
 */
export type RejectReason =
  | 'oversize'
  | 'invalid-json'
  | 'not-object'
  | 'unknown-key'
  | 'bad-shape'
  | 'bad-id'
  | 'bad-amount'
  | 'bad-size'
  | 'bad-rate'
  | 'bad-count'
  | 'bad-price'
  | 'bad-height'
  | 'implausible-height'
  | 'bad-time'
  | 'bad-address'
  | 'bad-field'
  | 'internal';

/** Every reason, in the order docs/inputs.md lists them. */
export const REJECT_REASONS: readonly RejectReason[] = [
  'oversize',
  'invalid-json',
  'not-object',
  'unknown-key',
  'bad-shape',
  'bad-id',
  'bad-amount',
  'bad-size',
  'bad-rate',
  'bad-count',
  'bad-price',
  'bad-height',
  'implausible-height',
  'bad-time',
  'bad-address',
  'bad-field',
  'internal',
];

/** A refused value: the reason (a metrics label) and a short human explanation. */
export interface Refusal {
  reason: RejectReason;
  why: string;
}

/** 21 million BTC in satoshis: no amount can be larger. */
export const MAX_SATS = 2_100_000_000_000_000;
/** A block's weight limit; no transaction can weigh more. */
export const MAX_WEIGHT = 4_000_000;
export const MAX_VSIZE = MAX_WEIGHT / 4;
export const MAX_RATE = 10_000_000;
export const MAX_COUNT = 1e12;
export const MAX_PRICE = 1e9;
export const MAX_HEIGHT = 10_000_000;
/** 2009-01-01T00:00:00Z in unix seconds: nothing in Bitcoin is older. */
export const MIN_TIME = 1_230_768_000;
/** How far ahead of the local clock a time may be (Bitcoin accepts block times up to 2 h ahead). */
export const FUTURE_SLACK_MS = 2 * 3600_000;
/** The longest address text accepted. */
export const MAX_ADDRESS = 128;
