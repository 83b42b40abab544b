import type { AnyEnvelope } from '../bus/envelope.js';
import { outcomeText, shortTxid } from '../delivery/chat/view.js';
import { amountText, flowText } from '../delivery/describe.js';
import { etaText } from '../delivery/eta-text.js';

/** What the demo's receiver prints before a verified delivery. */
export const VERIFIED_MARK = 'webhook ✓';

/**
 * One line for a verified webhook delivery, in the words of the other outputs, e.g.
 * `webhook ✓ whale.detected 1,250 BTC  unknown wallet → Binance (inflow)  a1b2c3d4…9f0e`. Total:
 * a body that is not JSON or not a Spout envelope still gets a line saying so, never an error.
 */
export function deliveryLine(body: string): string {
  const envelope = envelopeOf(body);
  if (!envelope) return `${VERIFIED_MARK} a signed body that is not a Spout event`;
  let what: string;
  try {
    what = describe(envelope);
  } catch {
    // Signed by the demo's own output, so this is a bug, but the receiver keeps printing.
    what = `${envelope.type} (data not as expected)`;
  }
  return `${VERIFIED_MARK} ${what}`;
}

function envelopeOf(body: string): AnyEnvelope | null {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { type, data } = value as { type?: unknown; data?: unknown };
  if (typeof type !== 'string' || typeof data !== 'object' || data === null) return null;
  return value as AnyEnvelope;
}

/** The event type, then its parts two spaces apart (as the console output separates them). */
function describe(envelope: AnyEnvelope): string {
  if (!plausible(envelope)) return `${envelope.type} (data not as expected)`;
  const parts: string[] = [];
  switch (envelope.type) {
    case 'whale.detected': {
      const w = envelope.data;
      parts.push(amountText(w), flowText(w.flow), shortTxid(w.txid));
      break;
    }
    case 'whale.updated':
      parts.push(shortTxid(envelope.data.txid), `now ${etaText(envelope.data.eta)}`);
      break;
    case 'whale.confirmed':
      parts.push(shortTxid(envelope.data.txid), outcomeText({ status: 'confirmed', ...envelope.data }));
      break;
    case 'whale.replaced':
      parts.push(shortTxid(envelope.data.txid), outcomeText({ status: 'replaced', ...envelope.data }));
      break;
    case 'whale.dropped':
      parts.push(shortTxid(envelope.data.txid), outcomeText({ status: 'dropped', ...envelope.data }));
      break;
    default:
      if (typeof envelope.id === 'string') parts.push(envelope.id);
  }
  const rest = parts.filter(Boolean).join('  ');
  return rest ? `${envelope.type} ${rest}` : envelope.type;
}

/** The fields every whale line names are there; the rest may be missing (a check, not a schema). */
function plausible(envelope: AnyEnvelope): boolean {
  if (!envelope.type.startsWith('whale.')) return true;
  const data = envelope.data as { txid?: unknown; valueSats?: unknown };
  if (typeof data.txid !== 'string') return false;
  return envelope.type !== 'whale.detected' || typeof data.valueSats === 'number';
}
