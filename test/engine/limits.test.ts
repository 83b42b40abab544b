import { afterEach, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens.js';
import { AUTH_SECRET, deployment, until } from '../helpers/deployment.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { connect, isType } from '../helpers/ws/client.js';

// Issue 18: rate limits shared by a deployment. Three failed WebSocket authentications from one
// address, one on each of three instances, reach the limit of 3: the address is refused (4429)
// everywhere, though no instance saw more than one failure.

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe.skipIf(!hasRedis)('engine: redis — shared rate limits (built CLI)', () => {
  it('failed authentications spread over three instances add up to one limit', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const { instance, receiver } = await deployment(redis, cleanups, [], 'leaseTime: 2s', '', [
      'live: { use: websocket, maxAuthFailures: 3, authFailureWindow: 1m }',
    ]);
    const rx = await receiver();
    const a = await instance(rx.url);
    await a.waitFor(/leading deployment .*fencing token 1\)/);
    const [b, c] = [await instance(rx.url), await instance(rx.url)];
    await Promise.all([b, c].map((p) => p.waitFor('following: another instance leads')));
    const ws = (port: number, token: string) => {
      const client = connect(`ws://127.0.0.1:${port}/ws`, { token });
      cleanups.push(() => client.ws.terminate());
      return client;
    };
    const wrong = (
      await createToken({ secret: 'x'.repeat(40), sub: 'mallory', ttlMs: 60_000, scopes: ['alerts:read'] })
    ).token;
    const right = (
      await createToken({ secret: AUTH_SECRET, sub: 'desk', ttlMs: 60_000, scopes: ['alerts:read'] })
    ).token;

    // A good token is welcome anywhere before.
    await ws(a.port, right).next(isType('auth.ok'));
    for (const p of [a, b, c]) expect((await ws(p.port, wrong).closed).code).toBe(4401);
    // Each instance saw one failure; the deployment three: the address is blocked on every one,
    // even for a good token (the block is told to the instances within moments).
    for (const p of [a, b, c]) {
      let code = 0;
      await until(
        async () => {
          const client = ws(p.port, right);
          code = await Promise.race([
            client.closed.then((c) => c.code),
            client.next(isType('auth.ok')).then(() => (client.ws.close(), 0)),
          ]);
          return code === 4429;
        },
        `4429 on the instance at ${p.port}`,
        3000,
      );
      expect(code).toBe(4429);
    }

    for (const p of [a, b, c]) p.child.kill('SIGTERM');
    for (const p of [a, b, c]) expect((await p.exited).code).toBe(0);
  });
});
