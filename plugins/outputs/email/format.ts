import ms from 'ms';
import {
  amountText,
  btcAmount,
  etaText,
  flowText,
  transferredOf,
  eventId,
  type AnyEnvelope,
  type AccuracyChange,
  type WhaleSignal,
  parseDuration,
  isTestEnvelope,
  TEST_LABEL,
} from '../../../src/index.js';
import { toHtml, toText, type MailContent } from './layout.js';

/**
 * A mail as stored in the outbox and sent on every attempt (its JSON is the record's body):
 * everything but the sender and recipients, which come from the options at sending time.
 */
export interface RenderedMail {
  /** `<evt_…@domain>`: derived from the event id, so a repeat is recognisable as one. */
  messageId: string;
  /** ISO time the mail was composed (its `Date` header). */
  date: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/** What rendering needs besides the event. */
export interface RenderContext {
  /** The output instance, named in the footer. */
  instance: string;
  /** Right-hand side of Message-IDs (the sender's domain). */
  domain: string;
  subjectPrefix: string;
  now: Date;
}

/** The Message-ID of the mail about event (or digest) `id`. */
export const messageIdOf = (id: string, domain: string): string => `<${id}@${domain}>`;

/** `0.714` → `71.4%`, `0.71` → `71%`. */
export const percent = (x: number): string => `${Number((x * 100).toFixed(1))}%`;

/** `7d` → `7 days`; left as written when it is not a duration. */
function span(window: string): string {
  try {
    return ms(parseDuration(window), { long: true });
  } catch {
    return window;
  }
}

/** `2026-11-21T10:00:00.012Z` → `2026-11-21 10:00:00 UTC`. */
export const utc = (iso: string): string =>
  Number.isNaN(Date.parse(iso)) ? iso : `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** Whole bitcoins from 100 up, else two decimals: for subjects and lists. */
export const btcShort = (sats: number): string => {
  const btc = sats / 1e8;
  return `${btc.toLocaleString('en-US', { maximumFractionDigits: btc >= 100 ? 0 : 2 })} BTC`;
};

const btcFull = (sats: number): string =>
  `${(sats / 1e8).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 8 })} BTC`;

/** `$10,973,754` (body) or `$11.0M` (compact, for subjects and lists). */
export const usd = (v: number, compact = false): string =>
  compact && v >= 1e6
    ? `$${(v / 1e6).toFixed(1)}M`
    : compact && v >= 1e4
      ? `$${Math.round(v / 1e3)}k`
      : `$${Math.round(v).toLocaleString('en-US')}`;

/** `5143ba55…7dcd`. */
export const shortTxid = (txid: string): string =>
  txid.length > 16 ? `${txid.slice(0, 8)}…${txid.slice(-4)}` : txid;

const txUrl = (txid: string): string => `https://mempool.space/tx/${encodeURIComponent(txid)}`;

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The one-line summary of a whale: amount, USD, fee rate, urgency. */
export function whaleSummary(w: WhaleSignal): string {
  const parts = [btcShort(w.valueSats) + (w.valueUsd !== null ? ` (${usd(w.valueUsd, true)})` : '')];
  const flow = flowText(w.flow);
  if (flow) parts.push(flow);
  parts.push(`${w.feeRate.toFixed(1)} sat/vB`);
  if (w.urgency) parts.push(`urgency ${w.urgency.level}`);
  return parts.join(', ');
}

function accuracyMail(type: 'accuracy.degraded' | 'accuracy.recovered', d: AccuracyChange) {
  const over = `${percent(d.accuracy)} over ${span(d.window)}`;
  const degraded = type === 'accuracy.degraded';
  return {
    subject: degraded ? `accuracy ${d.level}: ${over}` : `accuracy recovered: ${over}`,
    lead: degraded
      ? `Spout's prediction accuracy fell below the ${d.level} threshold: ${percent(d.accuracy)} over the last ${span(d.window)}.`
      : `Spout's prediction accuracy is back at or above ${percent(d.threshold)}: ${percent(d.accuracy)} over the last ${span(d.window)} (the ${d.level} alert is over).`,
    facts: [
      ['Accuracy', `${percent(d.accuracy)} over the last ${span(d.window)}`],
      ['Threshold', `${percent(d.threshold)} (${degraded ? d.level : 'warning'})`],
      ['Settled whales', String(d.sample)],
    ] as MailContent['facts'],
    note: 'Accuracy is the mean score of the whales settled in the window: timing 0.6 and urgency match 0.4 for a confirmed whale; replaced and dropped whales score low. The command spout stats shows the daily figures.',
  };
}

function whaleMail(w: WhaleSignal) {
  const facts: MailContent['facts'] = [];
  const flow = flowText(w.flow);
  if (flow) facts.push(['Flow', flow]);
  facts.push(['Amount', btcFull(w.valueSats)]);
  const transferred = transferredOf(w);
  if (transferred !== null)
    facts.push([
      'Transferred',
      `~${btcAmount(transferred, 2)} BTC (the rest is likely change: ${w.changeRule})`,
    ]);
  if (w.valueUsd !== null) facts.push(['Value', usd(w.valueUsd)]);
  facts.push([
    'Fee',
    `${w.feeRate.toFixed(1)} sat/vB (${w.feeSats.toLocaleString('en-US')} sats, ${w.vsize} vB)`,
  ]);
  if (w.urgency)
    facts.push([
      'Urgency',
      `${w.urgency.level} (score ${w.urgency.score.toFixed(2)}, about ${plural(w.urgency.predictedBlocks, 'block')} to confirm)`,
    ]);
  if (w.eta) facts.push(['ETA', etaText(w.eta)]);
  if (w.rbf)
    facts.push([
      'RBF',
      (w.rbf.signaling ? 'signals replaceability' : 'not signalling') +
        (w.rbf.replaces.length ? `; replaces ${w.rbf.replaces.map(shortTxid).join(', ')}` : ''),
    ]);
  facts.push(
    ['First seen', utc(w.firstSeen)],
    ['Transaction', { text: w.txid, href: w.url || txUrl(w.txid) }],
  );
  return {
    subject: `whale: ${whaleSummary(w)}`,
    lead: `A whale transaction of ${transferredOf(w) === null ? btcShort(w.valueSats) : amountText(w)} entered the mempool and is not confirmed yet.`,
    facts,
  };
}

/** The subject, lead and facts of an event; a readable dump for events without a layout of their own. */
function describe(e: AnyEnvelope): Omit<MailContent, 'footer'> {
  switch (e.type) {
    case 'accuracy.degraded':
    case 'accuracy.recovered':
      return accuracyMail(e.type, e.data);
    case 'whale.detected':
      return whaleMail(e.data);
    case 'whale.confirmed': {
      const d = e.data;
      return {
        subject: `whale confirmed: ${shortTxid(d.txid)} in block ${d.height.toLocaleString('en-US')}`,
        lead: `The whale ${shortTxid(d.txid)} was mined in block ${d.height.toLocaleString('en-US')} after ${plural(d.blocksWaited, 'block')} (${plural(d.minutesWaited, 'minute')}).`,
        facts: [
          ['Block', d.height.toLocaleString('en-US')],
          ['Waited', `${plural(d.blocksWaited, 'block')}, ${plural(d.minutesWaited, 'minute')}`],
          ['Predicted', d.predictedBlocks === null ? 'no prediction' : plural(d.predictedBlocks, 'block')],
          ['Transaction', { text: d.txid, href: txUrl(d.txid) }],
        ],
      };
    }
    case 'whale.replaced': {
      const d = e.data;
      return {
        subject: `whale replaced: ${shortTxid(d.txid)} by ${shortTxid(d.byTxid)}`,
        lead: `The whale ${shortTxid(d.txid)} was replaced${d.fullRbf ? ' (full RBF)' : ''} before it confirmed.`,
        facts: [
          ['Replaced', { text: d.txid, href: txUrl(d.txid) }],
          ['By', { text: d.byTxid, href: txUrl(d.byTxid) }],
        ],
      };
    }
    case 'whale.dropped': {
      const d = e.data;
      return {
        subject: `whale dropped: ${shortTxid(d.txid)} (${d.reason})`,
        lead: `The whale ${shortTxid(d.txid)} left the mempool without being mined: ${d.reason}.`,
        facts: [
          ['Reason', d.reason],
          ['Transaction', { text: d.txid, href: txUrl(d.txid) }],
        ],
      };
    }
    default:
      return {
        subject: `${e.type} from ${e.source}`,
        lead: `Spout published ${e.type} (from ${e.source}).`,
        facts: Object.entries(e.data as unknown as Record<string, unknown>).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : JSON.stringify(v),
        ]),
      };
  }
}

/** Put subject prefix, bodies and headers together. `references`: the mail this one follows up. */
export function compose(
  id: string,
  type: string,
  content: Omit<MailContent, 'footer' | 'subject'> & { subject: string },
  ctx: RenderContext,
  references?: string,
): RenderedMail {
  const subject = `${ctx.subjectPrefix ? `${ctx.subjectPrefix} ` : ''}${content.subject}`.replace(
    /[\r\n]+/g,
    ' ',
  );
  const full: MailContent = {
    ...content,
    subject,
    footer: `Sent automatically by Spout (output "${ctx.instance}", ${type} ${id}).`,
  };
  return {
    messageId: messageIdOf(id, ctx.domain),
    date: ctx.now.toISOString(),
    subject,
    text: toText(full),
    html: toHtml(full),
    headers: {
      'Auto-Submitted': 'auto-generated',
      // Outlook and Exchange: no out-of-office or delivery-report replies to an alert.
      'X-Auto-Response-Suppress': 'All',
      'X-Spout-Event': type,
      'X-Spout-Event-Id': id,
      ...(references ? { 'In-Reply-To': references, References: references } : {}),
    },
  };
}

/**
 * The mail for one event: a subject that says what happened (`[Spout] accuracy warning: 71% over
 * 7 days`), text and HTML bodies (every value escaped), `Message-ID: <event id@domain>`,
 * `Auto-Submitted: auto-generated`. A whale's later news (confirmed, replaced, dropped) refers to
 * the mail of its detection, so mail clients thread them.
 */
export function formatEvent(envelope: AnyEnvelope, ctx: RenderContext): RenderedMail {
  const follows =
    envelope.type === 'whale.confirmed' ||
    envelope.type === 'whale.replaced' ||
    envelope.type === 'whale.dropped'
      ? messageIdOf(eventId('whale.detected', envelope.data.txid), ctx.domain)
      : undefined;
  if (!isTestEnvelope(envelope)) return compose(envelope.id, envelope.type, describe(envelope), ctx, follows);
  // A test mail (`spout test`) says so in its subject and first sentence, and in a header; it
  // refers to no earlier mail.
  const content = describe(envelope);
  const mail = compose(
    envelope.id,
    envelope.type,
    { ...content, subject: `TEST — ${content.subject}`, lead: `${TEST_LABEL}. ${content.lead}` },
    ctx,
  );
  return { ...mail, headers: { ...mail.headers, 'X-Spout-Test': 'true' } };
}
