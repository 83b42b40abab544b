import { hash } from 'node:crypto';
import type { Logger } from 'pino';
import { type AnyEnvelope, type Store, COLLECTIONS } from '../../../src/index.js';
import type { Cell } from './layout.js';
import { btcShort, compose, shortTxid, usd, utc, type RenderContext, type RenderedMail } from './format.js';

/** Store collection of the digests being collected: one document per output instance. */
export const DIGEST_COLLECTION = COLLECTIONS.emailDigest;

/** Whales and updates listed in one digest at most; beyond, they are only counted. */
export const DIGEST_MAX_ITEMS = 200;

/** Event ids already mailed in a digest, remembered so an event published again is not listed again. */
const RECENT_IDS = 2000;

/** One whale event as a digest lists it (the few fields it shows, not the whole envelope). */
export interface DigestItem {
  id: string;
  type: string;
  time: string;
  txid: string;
  valueSats?: number;
  valueUsd?: number | null;
  feeRate?: number;
  urgency?: string;
  url?: string;
  /** What happened, for confirmed / replaced / dropped. */
  detail?: string;
}

/** A digest ready to mail: what was collected from `since` to `until`. */
export interface SealedDigest {
  /** `dig_` + 32 hex digits: its outbox key and Message-ID, fixed when it is sealed. */
  id: string;
  since: string;
  until: string;
  items: DigestItem[];
  /** Events beyond {@link DIGEST_MAX_ITEMS}, counted only. */
  overflow: { whales: number; updates: number };
}

/** The document of one instance. */
interface DigestState {
  since: string;
  items: DigestItem[];
  overflow: { whales: number; updates: number };
  /**
   * Sealed but not yet known to be in the outbox: handed over again on the next run, so a crash
   * between the two writes neither loses nor repeats it.
   */
  sealed: SealedDigest | null;
  recent: string[];
}

/** The outbox envelope type of a digest mail (not an event of the bus). */
export const DIGEST_TYPE = 'email.digest';

/** What the outbox worker receives for a digest: shaped like an envelope so it keys and renders one. */
export interface DigestEnvelope {
  id: string;
  type: typeof DIGEST_TYPE;
  time: string;
  source: string;
  data: SealedDigest;
}

export const isDigestEnvelope = (e: AnyEnvelope | DigestEnvelope): e is DigestEnvelope =>
  e.type === DIGEST_TYPE;

export interface Digest {
  /** Keep a whale event for the next digest; on disk before this resolves. A repeat is ignored. */
  add(envelope: AnyEnvelope): Promise<void>;
  /** Seal what was collected and hand it to the outbox. Returns how many whale events it held (0: no mail). */
  run(now?: Date): Promise<number>;
}

function itemOf(e: AnyEnvelope): DigestItem | null {
  const base = { id: e.id, type: e.type, time: e.time };
  switch (e.type) {
    case 'whale.detected': {
      const w = e.data;
      return {
        ...base,
        txid: w.txid,
        valueSats: w.valueSats,
        valueUsd: w.valueUsd,
        feeRate: w.feeRate,
        ...(w.urgency ? { urgency: w.urgency.level } : {}),
        url: w.url,
      };
    }
    case 'whale.confirmed':
      return {
        ...base,
        txid: e.data.txid,
        detail: `confirmed in block ${e.data.height.toLocaleString('en-US')} after ${e.data.blocksWaited} block(s)`,
      };
    case 'whale.replaced':
      return {
        ...base,
        txid: e.data.txid,
        detail: `replaced by ${shortTxid(e.data.byTxid)}${e.data.fullRbf ? ' (full RBF)' : ''}`,
      };
    case 'whale.dropped':
      return { ...base, txid: e.data.txid, detail: `dropped: ${e.data.reason}` };
    default:
      return null;
  }
}

/**
 * The digest of one instance: whale events are collected in the store (so a restart keeps them)
 * and, on each run, sealed into one mail handed to `enqueue` (the outbox). A run with nothing
 * collected sends nothing and starts the next period.
 */
export function createDigest(deps: {
  instance: string;
  store: Store;
  log: Logger;
  enqueue(digest: DigestEnvelope): Promise<void>;
}): Digest {
  const { instance, log } = deps;
  const docs = deps.store.collection<DigestState>(DIGEST_COLLECTION);
  const state = (): DigestState =>
    docs.get(instance) ?? {
      since: new Date().toISOString(),
      items: [],
      overflow: { whales: 0, updates: 0 },
      sealed: null,
      recent: [],
    };
  if (!docs.has(instance)) docs.put(instance, state());

  const handOver = async (sealed: SealedDigest) => {
    await deps.enqueue({
      id: sealed.id,
      type: DIGEST_TYPE,
      time: sealed.until,
      source: instance,
      data: sealed,
    });
    const s = state();
    const recent = [...s.recent, ...sealed.items.map((i) => i.id)].slice(-RECENT_IDS);
    docs.put(instance, { ...s, sealed: null, recent });
    await deps.store.flush();
  };

  return {
    async add(envelope) {
      const item = itemOf(envelope);
      if (!item) return;
      const s = state();
      if (s.items.some((i) => i.id === item.id) || s.recent.includes(item.id)) return;
      if (s.sealed?.items.some((i) => i.id === item.id)) return;
      if (s.items.length < DIGEST_MAX_ITEMS) docs.put(instance, { ...s, items: [...s.items, item] });
      else {
        const key = item.type === 'whale.detected' ? 'whales' : 'updates';
        docs.put(instance, { ...s, overflow: { ...s.overflow, [key]: s.overflow[key] + 1 } });
      }
      await deps.store.flush();
    },
    async run(now = new Date()) {
      const left = state().sealed;
      if (left) {
        log.info({ digest: left.id }, 'handing over a digest sealed before a restart');
        await handOver(left);
      }
      const s = state();
      const until = now.toISOString();
      const whales = s.items.filter((i) => i.type === 'whale.detected').length + s.overflow.whales;
      if (s.items.length === 0 && s.overflow.whales + s.overflow.updates === 0) {
        docs.put(instance, { ...s, since: until });
        log.debug({ since: s.since }, 'no whale events for the digest; nothing to send');
        return 0;
      }
      const sealed: SealedDigest = {
        id: 'dig_' + hash('sha256', `${instance}\0${s.since}\0${until}`).slice(0, 32),
        since: s.since,
        until,
        items: s.items,
        overflow: s.overflow,
      };
      docs.put(instance, { ...s, since: until, items: [], overflow: { whales: 0, updates: 0 }, sealed });
      await deps.store.flush();
      await handOver(sealed);
      log.info({ digest: sealed.id, whales, events: s.items.length }, `digest of ${whales} whale(s) queued`);
      return whales;
    },
  };
}

/** `the last hour`, `the last 3 hours`, `the last 45 minutes`, `the last day`. */
export function lastPeriod(spanMs: number): string {
  const units: Array<[string, number]> = [
    ['day', 864e5],
    ['hour', 36e5],
    ['minute', 6e4],
    ['second', 1e3],
  ];
  for (const [name, size] of units)
    if (spanMs >= size * 0.95) {
      const n = Math.round(spanMs / size);
      return n === 1 ? `the last ${name}` : `the last ${n} ${name}s`;
    }
  return 'the last second';
}

/**
 * The digest mail: "[Spout] 3 whales in the last hour", the whales as a table (largest first)
 * and the updates (confirmed, replaced, dropped) of the period.
 */
export function formatDigest(d: SealedDigest, ctx: RenderContext): RenderedMail {
  const detected = d.items.filter((i) => i.type === 'whale.detected');
  const updates = d.items.filter((i) => i.type !== 'whale.detected');
  const whales = detected.length + d.overflow.whales;
  const period = lastPeriod(Date.parse(d.until) - Date.parse(d.since));
  const largest = [...detected].sort((a, b) => (b.valueSats ?? 0) - (a.valueSats ?? 0));
  const link = (i: DigestItem): Cell => ({
    text: shortTxid(i.txid),
    href: i.url || `https://mempool.space/tx/${i.txid}`,
  });
  const more = (n: number) => (n > 0 ? `and ${n} more, not listed` : undefined);
  return compose(
    d.id,
    DIGEST_TYPE,
    {
      subject:
        whales > 0
          ? `${whales} ${whales === 1 ? 'whale' : 'whales'} in ${period}`
          : `${updates.length + d.overflow.updates} whale updates in ${period}`,
      lead:
        whales > 0
          ? `${whales === 1 ? '1 whale' : `${whales} whales`} entered the mempool between ${utc(d.since)} and ${utc(d.until)}.`
          : `No new whale between ${utc(d.since)} and ${utc(d.until)}; news of earlier ones below.`,
      facts: [
        ['Period', `${utc(d.since)} – ${utc(d.until)}`],
        ['Whales', String(whales)],
        ['Updates', String(updates.length + d.overflow.updates)],
      ],
      tables: [
        ...(detected.length > 0
          ? [
              {
                title: 'Whales (largest first)',
                head: ['Seen (UTC)', 'Amount', 'Value', 'Fee rate', 'Urgency', 'Transaction'],
                rows: largest.map((i) => [
                  { text: utc(i.time).slice(11, 19) },
                  { text: btcShort(i.valueSats ?? 0) },
                  { text: i.valueUsd != null ? usd(i.valueUsd, true) : '' },
                  { text: `${(i.feeRate ?? 0).toFixed(1)} sat/vB` },
                  { text: i.urgency ?? '' },
                  link(i),
                ]),
                ...(more(d.overflow.whales) ? { more: more(d.overflow.whales)! } : {}),
              },
            ]
          : []),
        ...(updates.length > 0
          ? [
              {
                title: 'Updates',
                head: ['Time (UTC)', 'Transaction', 'What happened'],
                rows: updates.map((i) => [
                  { text: utc(i.time).slice(11, 19) },
                  link(i),
                  { text: i.detail ?? i.type },
                ]),
                ...(more(d.overflow.updates) ? { more: more(d.overflow.updates)! } : {}),
              },
            ]
          : []),
      ],
    },
    ctx,
  );
}
