// The page's filters, kept in the address bar's query (`?minBtc=500&flow=inflow`) so that a view
// can be bookmarked and shared. The same filter narrows the WebSocket subscription and the REST
// back-fill, so the server sends only what the page shows.

export const FLOWS = ['inflow', 'outflow', 'internal', 'unknown'];
export const LEVELS = ['low', 'medium', 'high', 'critical'];
export const STATUSES = ['pending', 'confirmed', 'replaced', 'dropped'];

const pick = (text, allowed) => {
  const list = (text ?? '').split(',').filter((v) => allowed.includes(v));
  return list.length > 0 ? [...new Set(list)] : undefined;
};

/**
 * The filter in a query string; unknown or malformed values are ignored (a hand-edited address
 * shows more, never an error). Keys: `minBtc`, `flow`, `entity`, `urgency`, `status`.
 */
export function parseFilter(search) {
  const q = new URLSearchParams(search);
  const filter = {};
  const min = Number(q.get('minBtc'));
  if (q.get('minBtc') && Number.isFinite(min) && min > 0) filter.minBtc = min;
  const flow = pick(q.get('flow'), FLOWS);
  if (flow) filter.flow = flow;
  const entity = (q.get('entity') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entity.length > 0) filter.entity = entity;
  const urgency = pick(q.get('urgency'), LEVELS);
  if (urgency) filter.urgency = urgency;
  const status = pick(q.get('status'), STATUSES);
  if (status) filter.status = status;
  return filter;
}

/** The filter as query parameters (the address bar's and `/api/whales`' spelling). */
export function filterQuery(filter) {
  const q = new URLSearchParams();
  if (filter.minBtc !== undefined) q.set('minBtc', String(filter.minBtc));
  for (const key of ['flow', 'entity', 'urgency', 'status'])
    if (filter[key]?.length) q.set(key, filter[key].join(','));
  return q;
}

/** A stable key of a filter: the feed restarts when it changes. */
export const filterKey = (filter) => filterQuery(filter).toString();

/** Put the filter in the address bar without a new history entry (and without the fragment). */
export function writeFilterToUrl(filter) {
  const query = filterKey(filter);
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
}

/** Whether any condition is set. */
export const isFiltered = (filter) => Object.keys(filter).length > 0;
