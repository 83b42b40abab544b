import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { parseTokenRequest, type TokenRequest } from '../auth/requests.js';

/**
 * Token changes across a deployment (`engine: redis`): `spout token create|revoke` records the
 * change in Redis and publishes it on a channel; every instance's token hub applies it at once,
 * so a revocation closes that token's connections on every instance within a second.
 */
export interface TokenChannel {
  /** Apply each request published from now on (a subscriber connection of its own). Returns the stop. */
  subscribe(apply: (request: TokenRequest) => void): Promise<() => Promise<void>>;
}

/** The pub/sub channel of a deployment's token changes. */
export const tokenChannelName = (deployment: string) => `spout:${deployment}:tokens`;

export function createTokenChannel(redis: Redis, deployment: string, log: Logger): TokenChannel {
  const channel = tokenChannelName(deployment);
  return {
    async subscribe(apply) {
      const subscriber = redis.duplicate();
      subscriber.on('error', () => {}); // told by the main connection
      subscriber.on('message', (from: string, text: string) => {
        if (from !== channel) return;
        const request = parseTokenRequest(text);
        if (!request) return log.warn(`ignored a message on ${channel} that is not a token request`);
        apply(request);
      });
      // ioredis subscribes again by itself after a reconnect.
      await subscriber.subscribe(channel);
      return async () => {
        subscriber.disconnect();
      };
    },
  };
}

/** Publish a token change to every instance; resolves with how many instances heard it. */
export async function publishTokenRequest(
  redis: Redis,
  deployment: string,
  request: TokenRequest,
): Promise<number> {
  return redis.publish(tokenChannelName(deployment), JSON.stringify(request));
}
