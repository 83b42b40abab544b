import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SpoutConfig } from '../config/types.js';
import type { DeliveryAttempt, OutboxRecord } from '../delivery/outbox/record.js';
import { withRedis } from '../engine/connect.js';
import { readCollection } from '../store/redis.js';
import { createDeliveryAdmin } from '../engine/delivery-admin.js';
import { sharesWork } from '../kernel/fanout.js';
import { COLLECTIONS } from '../store/records.js';
import { applyRetry, retryRequestOf, type RetryRequest } from './control.js';
import { parseJsonObject } from '../control/channel.js';
import type { Store } from '../store/port.js';

/**
 * Commands to a deployment's leader (`engine: redis`): `spout deliveries retry` publishes its
 * request on the deployment's control channel with a reply key; the leader — the only instance
 * subscribed, since it holds the outbox — applies it to its store and pushes the answer there.
 */
export const controlChannel = (deployment: string) => `spout:${deployment}:control`;

interface Envelope {
  reply: string;
  request: RetryRequest;
}

/**
 * The leader's side: apply each retry request published from now on (writes fenced as every
 * store write), answer `{ requeued }` or `{ error }`. Returns the stop.
 */
export async function serveControl(
  redis: Redis,
  deployment: string,
  store: Store,
  log: Logger,
): Promise<() => Promise<void>> {
  const subscriber = redis.duplicate();
  subscriber.on('error', () => {}); // told by the main connection
  subscriber.on('message', (_channel: string, text: string) => {
    const message = parseJsonObject(text);
    const request =
      message && typeof message.request === 'object' && message.request !== null
        ? retryRequestOf(message.request as Record<string, unknown>)
        : null;
    const reply = typeof message?.reply === 'string' ? message.reply : null;
    if (!request || !reply?.startsWith(`${controlChannel(deployment)}:reply:`))
      return log.warn('ignored a control message that is not a deliveries retry request');
    void (async () => {
      let answer: { requeued?: number; error?: string };
      try {
        const requeued = applyRetry(store, request, new Date());
        await store.flush();
        log.info({ requeued }, `deliveries retry: ${requeued} delivery(ies) queued again`);
        answer = { requeued };
      } catch (error) {
        answer = { error: (error as Error).message };
      }
      await redis.multi().rpush(reply, JSON.stringify(answer)).expire(reply, 60).exec();
    })().catch((error: unknown) =>
      log.warn({ err: error }, `control answer failed: ${(error as Error).message}`),
    );
  });
  await subscriber.subscribe(controlChannel(deployment));
  return async () => {
    subscriber.disconnect();
  };
}

/**
 * A command's side: send `request` to the leader and wait for its answer at most `waitMs`.
 * 'no-leader' when no instance listens (none leads now); null when the leader did not answer in time.
 */
export async function askLeader<T>(
  redis: Redis,
  deployment: string,
  request: RetryRequest,
  waitMs: number,
): Promise<T | null | 'no-leader'> {
  const reply = `${controlChannel(deployment)}:reply:${randomUUID()}`;
  const message: Envelope = { reply, request };
  const heard = await redis.publish(controlChannel(deployment), JSON.stringify(message));
  if (heard === 0) return 'no-leader';
  const answer = await redis.blpop(reply, Math.max(1, Math.ceil(waitMs / 1000)));
  return answer ? (JSON.parse(answer[1]) as T) : null;
}

/**
 * `spout deliveries` with `engine: redis`: the deliveries on the deployment's queues with their
 * attempts, and the test deliveries kept in its store; a retry requeues dead jobs directly (any
 * instance makes them) and sends the leader what concerns the store. Each call opens its own
 * connection.
 */
export function redisDeliveries(config: SpoutConfig, waitMs: number) {
  const { deployment, url } = config.engine;
  const shared = config.instances.filter((i) => i.enabled && sharesWork(i.plugin)).map((i) => i.name);
  // Webhook and e-mail deliveries are jobs on the deployment's queues; the store keeps the test
  // deliveries of `spout test` (a retry of those is the leader's to apply).
  const storedOutbox = async (redis: Redis) => [
    ...(await readCollection<OutboxRecord>(redis, deployment, COLLECTIONS.outbox)).values(),
  ];
  const stored = async (redis: Redis) => ({
    outbox: await storedOutbox(redis),
    attempts: [
      ...(await readCollection<DeliveryAttempt>(redis, deployment, COLLECTIONS.deliveries)).values(),
    ],
  });
  return {
    read: () =>
      withRedis(url, async (redis) => {
        const [kept, queued] = await Promise.all([
          stored(redis),
          createDeliveryAdmin(redis, deployment, shared).read(),
        ]);
        return {
          outbox: [...kept.outbox, ...queued.outbox],
          attempts: [...kept.attempts, ...queued.attempts],
        };
      }),
    retry: (request: RetryRequest): Promise<number | string> =>
      withRedis(url, async (redis) => {
        const requeued = await createDeliveryAdmin(redis, deployment, shared).retry(request, new Date());
        const outbox = await storedOutbox(redis);
        const forLeader = request.dead
          ? outbox.some((r) => r.status === 'dead')
          : outbox.some((r) => request.ids?.includes(r.id));
        if (!forLeader) return requeued;
        const answer = await askLeader<{ requeued?: number; error?: string }>(
          redis,
          deployment,
          request,
          waitMs,
        );
        if (answer === 'no-leader')
          return requeued > 0
            ? requeued
            : `no instance leads deployment "${deployment}" now: start spout run (engine: redis), then retry`;
        if (answer === null) return `the leader did not answer within ${waitMs / 1000} s (is it stuck?)`;
        return answer.error ?? requeued + (answer.requeued ?? 0);
      }),
  };
}
