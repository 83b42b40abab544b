import type { AnyEnvelope } from '../../bus/envelope.js';
import type { WhaleSignal } from '../../bus/events.js';
import { amountText, flowText, transferredOf } from '../describe.js';
import { etaText } from '../eta-text.js';
import type { ChatMessageRecord, ChatOutcome } from './record.js';

/**
 * The named placeholders a chat template may use, each with what it shows. Every value is
 * plain text; the output escapes it for its platform (HTML for Telegram, Markdown for Discord).
 */
export const PLACEHOLDERS = {
  amount: 'the amount in BTC (all outputs), e.g. "1,250.5 BTC"',
  transferred:
    'the total and the amount likely transferred when change is likely, e.g. "501 BTC out, ~1 BTC transferred" (empty when everything moved)',
  btc: 'the amount in BTC, number only',
  usd: 'the amount in USD, e.g. "$78,901,234" (empty without a price)',
  fee: 'the fee in sats',
  feeRate: 'the fee rate, e.g. "12.3 sat/vB"',
  vsize: 'the virtual size in vbytes',
  urgency: 'the urgency level (low, medium, high, critical), empty without the urgency detector',
  predictedBlocks: 'the predicted blocks to confirmation, e.g. "~2 blocks"',
  eta: 'when it is likely to confirm, e.g. "next block: ~7 min (1–23 min)" (empty without the urgency detector)',
  rbf: 'the RBF state, e.g. "signals RBF" or "final (no RBF)"',
  flow: 'who moved it, e.g. "unknown wallet → Binance (inflow)" (empty when nothing is known)',
  from: 'the sending entity label (empty when unknown)',
  to: 'the receiving entity label (empty when unknown)',
  txid: 'the transaction id',
  shortTxid: 'the transaction id shortened, e.g. "a1b2c3d4…9f0e"',
  link: 'the transaction on the configured explorer',
  status: 'pending, confirmed, replaced or dropped',
  icon: 'an emoji for the outcome: ✅ confirmed, 🔁 replaced, 🗑️ dropped (empty while pending)',
  outcome: 'what happened, e.g. "confirmed in block 870,123 after 7 min" (empty while pending)',
  detectedAt: 'when Spout detected it (ISO time)',
} as const;

export type Placeholder = keyof typeof PLACEHOLDERS;
export type View = Record<Placeholder, string>;

const ICONS = { pending: '', confirmed: '✅', replaced: '🔁', dropped: '🗑️' } as const;
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const btcNumber = (sats: number) =>
  (sats / 1e8).toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 8 });
export const shortTxid = (txid: string) =>
  txid.length > 16 ? `${txid.slice(0, 8)}…${txid.slice(-4)}` : txid;
const plural = (n: number, word: string) => `${int(n)} ${word}${n === 1 ? '' : 's'}`;

/** One sentence for an outcome, e.g. "confirmed in block 870,123 after 7 min". */
export function outcomeText(outcome: ChatOutcome | undefined): string {
  if (!outcome) return '';
  switch (outcome.status) {
    case 'confirmed':
      return `confirmed in block ${int(outcome.height)} after ${outcome.minutesWaited < 1 ? 'less than a minute' : plural(outcome.minutesWaited, 'min').replace(/mins$/, 'min')} (${plural(outcome.blocksWaited, 'block')})`;
    case 'replaced':
      return `replaced by ${shortTxid(outcome.byTxid)}${outcome.fullRbf ? ' (full RBF)' : ''}`;
    case 'dropped':
      return `dropped from the mempool (${outcome.reason})`;
  }
}

/** The placeholder values of a whale alert in its current state. */
export function whaleView(signal: WhaleSignal, outcome?: ChatOutcome): View {
  const flow = signal.flow;
  return {
    amount: `${btcNumber(signal.valueSats)} BTC`,
    transferred: transferredOf(signal) === null ? '' : amountText(signal),
    btc: btcNumber(signal.valueSats),
    usd: signal.valueUsd === null ? '' : `$${int(signal.valueUsd)}`,
    fee: int(signal.feeSats),
    feeRate: `${signal.feeRate.toFixed(1)} sat/vB`,
    vsize: int(signal.vsize),
    urgency: signal.urgency?.level ?? '',
    predictedBlocks: signal.urgency ? `~${plural(signal.urgency.predictedBlocks, 'block')}` : '',
    eta: signal.eta ? etaText(signal.eta) : '',
    rbf: !signal.rbf
      ? ''
      : signal.rbf.replaces.length > 0
        ? `replaces ${signal.rbf.replaces.map(shortTxid).join(', ')}`
        : signal.rbf.signaling
          ? 'signals RBF'
          : 'final (no RBF)',
    flow: flowText(flow),
    from: flow?.from ?? '',
    to: flow?.to ?? '',
    txid: signal.txid,
    shortTxid: shortTxid(signal.txid),
    link: signal.url,
    status: outcome?.status ?? 'pending',
    icon: ICONS[outcome?.status ?? 'pending'],
    outcome: outcomeText(outcome),
    detectedAt: signal.detectedAt,
  };
}

/** A one-off notice's title and lines (an event other than a whale's), in plain text. */
export function noticeText(envelope: AnyEnvelope): { title: string; lines: string[] } {
  switch (envelope.type) {
    case 'accuracy.degraded':
    case 'accuracy.recovered': {
      const d = envelope.data;
      const pct = `${(d.accuracy * 100).toFixed(1)}%`;
      return {
        title:
          envelope.type === 'accuracy.degraded'
            ? `Accuracy ${d.level}: ${pct} over ${d.window}`
            : `Accuracy recovered: ${pct} over ${d.window}`,
        lines: [`threshold ${(d.threshold * 100).toFixed(0)}%`, `${int(d.sample)} predictions`],
      };
    }
    case 'input.status':
      return {
        title: `Input ${envelope.source} ${envelope.data.state}`,
        lines: envelope.data.reason ? [envelope.data.reason] : [],
      };
    default:
      return { title: envelope.type, lines: [JSON.stringify(envelope.data).slice(0, 1500)] };
  }
}

/** A whale with every placeholder filled, to try a template on at start. */
export const SAMPLE_VIEW: View = whaleView(
  {
    txid: 'a'.repeat(64),
    valueSats: 1_250_5000_0000,
    valueBtc: 1250.5,
    valueUsd: 78_901_234,
    transferredSats: 250_1000_0000,
    changeRule: 'round-amount',
    feeSats: 12_000,
    vsize: 400,
    feeRate: 30,
    urgency: { score: 0.9, level: 'critical', predictedBlocks: 1, basis: 'sample' },
    eta: { blocks: 1, p10Minutes: 1.1, p50Minutes: 6.9, p90Minutes: 23 },
    rbf: { signaling: true, replaces: [] },
    flow: { type: 'inflow', from: 'Sample & <Co>', to: 'Exchange "X"' },
    status: 'confirmed',
    firstSeen: '2026-01-01T00:00:00.000Z',
    detectedAt: '2026-01-01T00:00:00.000Z',
    url: `https://mempool.space/tx/${'a'.repeat(64)}`,
  },
  { status: 'confirmed', height: 870_123, blocksWaited: 1, minutesWaited: 7 },
);

/** The view of a record, or null for a notice. */
export function recordView(record: ChatMessageRecord): View | null {
  return record.kind === 'whale' && record.signal ? whaleView(record.signal, record.outcome) : null;
}
