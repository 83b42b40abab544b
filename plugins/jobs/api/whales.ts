import type { WhaleSignal } from '../../../src/bus/events.js';
import type { Store } from '../../../src/store/port.js';
import {
  COLLECTIONS,
  type DeliveryAttempt,
  type OutboxRecord,
  type OutcomeRecord,
  type PredictionRecord,
} from '../../../src/store/records.js';
import { eventId } from '../../../src/bus/envelope.js';

/** Whale signals as detected, by txid, for the API (pruned by the api job after `keep`). */
export const SIGNALS = 'api-whale-signals';

/** Status of a whale in the API: pending until its outcome is known. */
export type ApiStatus = 'pending' | OutcomeRecord['status'];
export const API_STATUSES: readonly ApiStatus[] = ['pending', 'confirmed', 'replaced', 'dropped', 'unknown'];

/** One whale as `/api/whales` lists it: the signal (when kept) with its current status. */
export interface ApiWhale extends Partial<Omit<WhaleSignal, 'status'>> {
  txid: string;
  detectedAt: string;
  valueSats: number;
  valueBtc: number;
  status: ApiStatus;
  settledAt?: string;
}

/** The query of `/api/whales`, parsed. */
export interface WhaleQuery {
  since?: number;
  until?: number;
  minBtc?: number;
  status?: ReadonlySet<ApiStatus>;
  limit: number;
  /** Position after which the page starts (newest first): the last item of the previous page. */
  after?: { at: number; txid: string };
}

interface Row {
  at: number;
  whale: ApiWhale;
}

/** Every whale the store knows (signals, pending predictions, outcomes), merged by txid. */
function rows(store: Store): Map<string, Row> {
  const out = new Map<string, Row>();
  const merge = (txid: string, detectedAt: string, valueSats: number, extra: Partial<ApiWhale>) => {
    const at = Date.parse(detectedAt);
    if (Number.isNaN(at)) return;
    const row = out.get(txid);
    if (row) Object.assign(row.whale, extra);
    else
      out.set(txid, {
        at,
        whale: { txid, detectedAt, valueSats, valueBtc: valueSats / 1e8, status: 'pending', ...extra },
      });
  };
  for (const [txid, s] of store.collection<WhaleSignal>(SIGNALS).entries())
    merge(txid, s.detectedAt, s.valueSats, { ...s, status: 'pending' });
  for (const [txid, p] of store.collection<PredictionRecord>(COLLECTIONS.predictions).entries())
    if (!out.has(txid))
      merge(txid, p.detectedAt, p.valueSats, { feeRate: p.feeRate, firstSeen: p.firstSeen });
  for (const [txid, o] of store.collection<OutcomeRecord>(COLLECTIONS.outcomes).entries())
    merge(txid, o.detectedAt, o.valueSats, { status: o.status, settledAt: o.settledAt });
  return out;
}

const newestFirst = (a: Row, b: Row) => b.at - a.at || (a.whale.txid < b.whale.txid ? 1 : -1);

/**
 * A page of whales, newest first (by detection time, then txid, so the order is total and a
 * page boundary never moves). `next` is the position to continue after, null on the last page.
 * Whales detected after the first page was read appear on no later page: pages are stable.
 */
export function listWhales(store: Store, q: WhaleQuery): { whales: ApiWhale[]; next: Row | null } {
  const matching = [...rows(store).values()]
    .filter(
      (r) =>
        (q.since === undefined || r.at >= q.since) &&
        (q.until === undefined || r.at < q.until) &&
        (q.minBtc === undefined || r.whale.valueBtc >= q.minBtc) &&
        (q.status === undefined || q.status.has(r.whale.status)) &&
        (q.after === undefined || r.at < q.after.at || (r.at === q.after.at && r.whale.txid < q.after.txid)),
    )
    .sort(newestFirst);
  const page = matching.slice(0, q.limit);
  return { whales: page.map((r) => r.whale), next: matching.length > q.limit ? (page.at(-1) ?? null) : null };
}

/** A delivery of one of the whale's events, with its attempts (the body is left out). */
export interface ApiDelivery extends Omit<OutboxRecord, 'body'> {
  log: Omit<DeliveryAttempt, 'outboxId'>[];
}

/** Everything about one whale: the signal, what was predicted, the outcome, the deliveries. */
export function oneWhale(
  store: Store,
  txid: string,
): {
  whale: ApiWhale;
  prediction: PredictionRecord | null;
  outcome: OutcomeRecord | null;
  deliveries: ApiDelivery[];
} | null {
  const row = rows(store).get(txid);
  if (!row) return null;
  const ids = new Set(
    (['whale.detected', 'whale.confirmed', 'whale.replaced', 'whale.dropped'] as const).map((t) =>
      eventId(t, txid),
    ),
  );
  const attempts = [...store.collection<DeliveryAttempt>(COLLECTIONS.deliveries).entries()].map(([, a]) => a);
  const deliveries = [...store.collection<OutboxRecord>(COLLECTIONS.outbox).entries()]
    .map(([, r]) => r)
    .filter((r) => ids.has(r.eventId))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map(({ body: _body, ...r }) => ({
      ...r,
      log: attempts
        .filter((a) => a.outboxId === r.id)
        .sort((a, b) => a.attempt - b.attempt)
        .map(({ outboxId: _o, ...a }) => a),
    }));
  return {
    whale: row.whale,
    prediction: store.collection<PredictionRecord>(COLLECTIONS.predictions).get(txid) ?? null,
    outcome: store.collection<OutcomeRecord>(COLLECTIONS.outcomes).get(txid) ?? null,
    deliveries,
  };
}

/** Cursor text for a position (opaque to clients). */
export const encodeCursor = (row: Row): string =>
  Buffer.from(JSON.stringify([row.at, row.whale.txid])).toString('base64url');

/** The position of a cursor, or null when it is not one of ours. */
export function decodeCursor(text: string): { at: number; txid: string } | null {
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string')
      return { at: v[0], txid: v[1] };
  } catch {
    // not JSON: answered as a bad cursor below
  }
  return null;
}
