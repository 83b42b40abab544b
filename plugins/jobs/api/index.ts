import type { ServerResponse } from 'node:http';
import {
  type WhaleSignal,
  verifyToken,
  sendJson,
  defineJob,
  counter,
  aggregate,
  COLLECTIONS,
  type OutcomeRecord,
} from '../../../src/index.js';
import { runningThresholds } from '../accuracy/thresholds.js';
import {
  ApiError,
  admit,
  onlyParameters,
  parseTime,
  parseWhaleQuery,
  sendError,
  singleValues,
} from './http.js';
import { ApiOptions, resolveOptions } from './options.js';
import { createLagMonitor, memoryFigures } from '../../../src/index.js';
import { SIGNALS } from './signals.js';
import { createStatusBoard, STATUS_EVENTS } from './status.js';
import { createWhaleIndex } from './whale-index.js';
import { encodeCursor } from './whales.js';

const TXID = /^[0-9a-f]{64}$/;
const HOUR_MS = 3_600_000;
const LAG_WINDOW_MS = 60_000;

/**
 * `api`: the REST API on the shared HTTP server, for holders of a token with `api:read`
 * (`Authorization: Bearer`): `GET /api/whales` (newest first, filtered, paginated by cursor),
 * `GET /api/whales/:txid` (signal, prediction, outcome, deliveries), `GET /api/stats` (what
 * `spout stats --json` shows, the ETA calibration `etaCalibration` included, and the running
 * `accuracy` job's `thresholds`, null without one) and `GET /api/status` (the inputs' connection
 * state, the last block and mempool figures, the process's memory and event-loop delay; see
 * `StatusReport`). Each address (IPv6: each /64) may make `rateLimit` requests within any
 * `rateWindow` (sliding; then 429 with `Retry-After`); each query parameter is given once (else
 * 400). Errors are `{ error, message }` JSON with their status, never a stack.
 *
 * It also keeps every `whale.detected` signal (for `/api/whales/:txid`) for `keep`, with the
 * urgency and ETA of its latest `whale.updated` while it is pending, and follows `input.status`,
 * `block.connected` and `mempool.stats` for `/api/status` (what arrived since it started).
 */
export default defineJob({
  name: 'api',
  description:
    'REST API: /api/whales, /api/whales/:txid, /api/stats, /api/status (Bearer token with api:read, rate-limited).',
  options: ApiOptions,
  everyInstance: true,
  consumes: ['whale.detected', 'whale.updated', ...STATUS_EVENTS],
  resolve: (options, { auth, httpEnabled }) => resolveOptions(options, auth, httpEnabled),
  async setup(ctx) {
    const o = ctx.options;
    const secret = ctx.auth?.secret as string; // checked by resolveOptions
    const signals = ctx.store.collection<WhaleSignal>(SIGNALS);
    const whales = createWhaleIndex(ctx.store);
    const board = createStatusBoard();
    const lag = createLagMonitor();
    ctx.onStop(() => lag.stop());
    const hub = await ctx.tokens.join();
    const limiter = ctx.limiter({ name: 'requests', max: o.rateLimit, windowMs: o.rateWindowMs });
    const requests = counter(
      ctx.metrics,
      'spout_api_requests_total',
      'REST API requests, by route and status.',
      ['instance', 'route', 'status'],
    );
    const verify = (token: string) =>
      verifyToken(token, { secret, scope: 'api:read', isRevoked: hub.registry.isRevoked });

    const serve = (
      route: string,
      answer: (query: Record<string, string>, params: Record<string, string | undefined>) => unknown,
    ) =>
      ctx.http.route('GET', route, async (req, res: ServerResponse, params, query) => {
        let status = 200;
        try {
          await admit(req, { limiter, verify });
          sendJson(res, 200, answer(singleValues(query), params));
        } catch (error) {
          if (!(error instanceof ApiError)) {
            status = 500;
            throw error; // the server answers 500, no stack
          }
          status = error.status;
          sendError(res, error);
        } finally {
          requests.inc({ instance: ctx.instance, route, status: String(status) });
        }
      });

    serve('/api/whales', (query) => {
      const page = whales.list(parseWhaleQuery(query, new Date()));
      return { whales: page.whales, nextCursor: page.next ? encodeCursor(page.next) : null };
    });
    serve('/api/whales/:txid', (_query, params) => {
      const txid = params.txid ?? '';
      if (!TXID.test(txid)) throw new ApiError(400, 'bad_request', 'txid must be 64 lower-case hex digits.');
      const found = whales.one(txid);
      if (!found) throw new ApiError(404, 'not_found', `No whale ${txid} is stored.`);
      return found;
    });
    serve('/api/stats', (query) => {
      onlyParameters(query, ['since']);
      const now = new Date();
      const since = parseTime('since', query.since, now);
      const outcomes = [...ctx.store.collection<OutcomeRecord>(COLLECTIONS.outcomes).entries()].map(
        ([, r]) => r,
      );
      return {
        ...aggregate(outcomes, since === undefined ? { now } : { since: new Date(since), now }),
        thresholds: runningThresholds(ctx.store),
      };
    });
    serve('/api/status', (query) => {
      onlyParameters(query, []);
      return board.report(ctx.now(), { ...memoryFigures(), eventLoopLagMs: lag.read() });
    });

    ctx.bus.subscribe('whale.detected', (e) => {
      if (signals.has(e.data.txid)) return;
      signals.put(e.data.txid, e.data);
      whales.touch();
    });
    // A pending whale's prediction followed live (the urgency detector): the API shows the latest.
    ctx.bus.subscribe('whale.updated', (e) => {
      const signal = signals.get(e.data.txid);
      if (!signal) return;
      signals.put(e.data.txid, { ...signal, urgency: e.data.urgency, eta: e.data.eta });
      whales.touch();
    });
    ctx.bus.subscribe(STATUS_EVENTS, (e) => board.observe(e));
    ctx.scheduler.every(LAG_WINDOW_MS, () => lag.rotate(), { name: 'api event-loop window' });
    ctx.scheduler.every(
      HOUR_MS,
      () => {
        const cutoff = Date.now() - o.keepMs;
        for (const [txid, s] of [...signals.entries()])
          if (Date.parse(s.detectedAt) < cutoff) signals.delete(txid);
        whales.touch();
      },
      { name: 'api signal pruning' },
    );
  },
});
