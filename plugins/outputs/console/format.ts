import {
  type AnyEnvelope,
  type WhaleSignal,
  btcAmount,
  etaText,
  flowText,
  isTestEnvelope,
  TEST_LABEL,
  transferredOf,
} from '../../../src/index.js';

const btc = (sats: number) =>
  (sats / 1e8).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 8 });
const usd = (v: number | null) => (v === null ? '' : ` ($${Math.round(v).toLocaleString('en-US')})`);
const short = (txid: string) => `${txid.slice(0, 8)}…${txid.slice(-4)}`;

function whale(w: WhaleSignal): string {
  const transferred = transferredOf(w);
  const parts = [
    `WHALE ${btc(w.valueSats)} BTC${usd(w.valueUsd)}` +
      (transferred === null ? '' : ` out, ~${btcAmount(transferred, 2)} BTC transferred`),
  ];
  const flow = flowText(w.flow);
  if (flow) parts.push(flow);
  parts.push(`${short(w.txid)}`, `fee ${w.feeRate.toFixed(1)} sat/vB`);
  if (w.urgency)
    parts.push(
      w.eta
        ? `urgency ${w.urgency.level}, ${etaText(w.eta)}`
        : `urgency ${w.urgency.level} (~${w.urgency.predictedBlocks} block${w.urgency.predictedBlocks === 1 ? '' : 's'})`,
    );
  else if (w.eta) parts.push(etaText(w.eta));
  if (w.rbf) parts.push(w.rbf.signaling ? 'RBF signalling' : 'no RBF');
  parts.push(w.url);
  return parts.join('  ');
}

/**
 * One readable line for an envelope (no trailing newline). A test envelope (`spout test`) says
 * so after the time: `12:00:00 [TEST — sample alert from spout test] WHALE …`.
 */
export function formatLine(envelope: AnyEnvelope): string {
  const clock = envelope.time.slice(11, 19);
  const time = isTestEnvelope(envelope) ? `${clock} [${TEST_LABEL}]` : clock;
  switch (envelope.type) {
    case 'whale.detected':
      return `${time} ${whale(envelope.data)}`;
    case 'whale.updated': {
      const { txid, eta } = envelope.data;
      return `${time} UPDATE ${short(txid)} now ${etaText(eta)}`;
    }
    case 'whale.confirmed': {
      const d = envelope.data;
      return `${time} CONFIRMED ${short(d.txid)} in block ${d.height.toLocaleString('en-US')} after ${d.blocksWaited} block(s), ${d.minutesWaited} min`;
    }
    case 'whale.replaced':
      return `${time} REPLACED ${short(envelope.data.txid)} by ${short(envelope.data.byTxid)}${envelope.data.fullRbf ? ' (full RBF)' : ''}`;
    case 'whale.dropped':
      return `${time} DROPPED ${short(envelope.data.txid)}: ${envelope.data.reason}`;
    case 'accuracy.degraded':
    case 'accuracy.recovered': {
      const d = envelope.data;
      const what =
        envelope.type === 'accuracy.degraded' ? `ACCURACY ${d.level.toUpperCase()}` : 'ACCURACY RECOVERED';
      return `${time} ${what} ${(d.accuracy * 100).toFixed(1)}% over ${d.window} (threshold ${(d.threshold * 100).toFixed(0)}%, ${d.sample} predictions)`;
    }
    case 'input.status':
      return `${time} INPUT ${envelope.source} ${envelope.data.state}${envelope.data.reason ? `: ${envelope.data.reason}` : ''}`;
    default:
      return `${time} ${envelope.type} ${JSON.stringify(envelope.data)}`;
  }
}
