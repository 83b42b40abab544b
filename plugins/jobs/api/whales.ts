import {
  type WhaleSignal,
  type Store,
  COLLECTIONS,
  type OutcomeRecord,
  type PredictionRecord,
  type DeliveryAttempt,
  type OutboxRecord,
  eventId,
} from '../../../src/index.js';
import { SIGNALS } from './signals.js';
import { annotationsMatch, type AnnotationFilter } from './whale-filter.js';

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
  /** How it settled (absent while pending): the block and wait, the prediction and its score, or the replacement or reason. */
  outcome?: ApiOutcome;
}

/** The settlement figures of a settled whale, as the correlation job stored them. */
export type ApiOutcome = Pick<
  OutcomeRecord,
  | 'height'
  | 'blocksWaited'
  | 'minutesWaited'
  | 'predictedBlocks'
  | 'score'
  | 'byTxid'
  | 'reason'
  | 'etaErrorMinutes'
  | 'withinEtaRange'
>;

const OUTCOME_FIELDS = [
  'height',
  'blocksWaited',
  'minutesWaited',
  'predictedBlocks',
  'score',
  'byTxid',
  'reason',
  'etaErrorMinutes',
  'withinEtaRange',
] as const satisfies readonly (keyof ApiOutcome)[];

/** The fields of `o` a reader of `/api/whales` needs, without the absent ones. */
function outcomeFigures(o: OutcomeRecord): ApiOutcome {
  const out: Record<string, unknown> = {};
  for (const key of OUTCOME_FIELDS) if (o[key] !== undefined) out[key] = o[key];
  return out as ApiOutcome;
}

/** The query of `/api/whales`, parsed (`flow`, `entity`, `urgency`: see {@link AnnotationFilter}). */
export interface WhaleQuery extends AnnotationFilter {
  since?: number;
  until?: number;
  minBtc?: number;
  status?: ReadonlySet<ApiStatus>;
  limit: number;
  /** Position after which the page starts (newest first): the last item of the previous page. */
  after?: { at: number; txid: string };
}

/** A whale with its detection time (epoch ms), the order of the list. */
export interface Row {
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
    merge(txid, o.detectedAt, o.valueSats, {
      status: o.status,
      settledAt: o.settledAt,
      outcome: outcomeFigures(o),
    });
  return out;
}

/** Newest first: by detection time, then txid (descending), so the order is total. */
const newerThan = (a: { at: number; txid: string }, b: { at: number; txid: string }): boolean =>
  a.at > b.at || (a.at === b.at && a.txid > b.txid);

const position = (r: Row) => ({ at: r.at, txid: r.whale.txid });

/** Every whale the store knows, newest first, and by txid (the rows are shared: do not change them). */
export function sortedWhales(store: Store): { sorted: Row[]; byTxid: Map<string, Row> } {
  const byTxid = rows(store);
  const sorted = [...byTxid.values()].sort((a, b) =>
    newerThan(position(a), position(b)) ? -1 : newerThan(position(b), position(a)) ? 1 : 0,
  );
  return { sorted, byTxid };
}

/**
 * A page of whales from `sorted` (newest first, as {@link sortedWhales} gives them). `next` is
 * the position to continue after, null on the last page. Whales detected after the first page
 * was read appear on no later page: a page continues strictly after the previous one's last.
 */
export function pageOf(sorted: readonly Row[], q: WhaleQuery): { whales: ApiWhale[]; next: Row | null } {
  // The first row after the cursor (binary search: the rows are in cursor order).
  let lo = 0;
  let hi = sorted.length;
  const after = q.after;
  if (after)
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newerThan(after, position(sorted[mid] as Row))) hi = mid;
      else lo = mid + 1;
    }
  const page: Row[] = [];
  let more = false;
  for (let i = lo; i < sorted.length; i++) {
    const r = sorted[i] as Row;
    if (q.since !== undefined && r.at < q.since) break; // older ones follow
    if (
      (q.until !== undefined && r.at >= q.until) ||
      (q.minBtc !== undefined && r.whale.valueBtc < q.minBtc) ||
      (q.status !== undefined && !q.status.has(r.whale.status)) ||
      !annotationsMatch(r.whale, q)
    )
      continue;
    if (page.length === q.limit) {
      more = true;
      break;
    }
    page.push(r);
  }
  return { whales: page.map((r) => r.whale), next: more ? (page.at(-1) ?? null) : null };
}

/** A delivery of one of the whale's events, with its attempts (the body is left out). */
export interface ApiDelivery extends Omit<OutboxRecord, 'body'> {
  log: Omit<DeliveryAttempt, 'outboxId'>[];
}

/** Everything about one whale: the signal, what was predicted, the outcome, the deliveries. */
export interface WhaleDetails {
  whale: ApiWhale;
  prediction: PredictionRecord | null;
  outcome: OutcomeRecord | null;
  deliveries: ApiDelivery[];
}

/** The details of the whale of `row`: one pass over the outbox and one over the delivery log. */
export function detailsOf(store: Store, row: Row): WhaleDetails {
  const txid = row.whale.txid;
  const ids = new Set(
    (['whale.detected', 'whale.confirmed', 'whale.replaced', 'whale.dropped'] as const).map((t) =>
      eventId(t, txid),
    ),
  );
  const records = new Map<string, ApiDelivery>();
  for (const [, { body: _body, ...r }] of store.collection<OutboxRecord>(COLLECTIONS.outbox).entries())
    if (ids.has(r.eventId)) records.set(r.id, { ...r, log: [] });
  if (records.size > 0)
    for (const [, { outboxId, ...a }] of store.collection<DeliveryAttempt>(COLLECTIONS.deliveries).entries())
      records.get(outboxId)?.log.push(a);
  const deliveries = [...records.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  for (const d of deliveries) d.log.sort((a, b) => a.attempt - b.attempt);
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
