import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventId } from '../../src/bus/envelope.js';
import { idOf, ok, startInstance, until } from '../helpers/deployment.js';
import { startFakeMempool, isTrackMempool } from '../helpers/fake-mempool.js';
import { startFakeTelegram } from '../helpers/fake-telegram.js';
import { hasFixtures, loadBlock277647, type EsploraTx } from '../helpers/fixtures.js';
import { newSecret, startReceiver } from '../helpers/receiver.js';
import { hasRedis, startRedis } from '../helpers/redis.js';

// Issue 18, acceptance: three instances on one Redis, the fake mempool.space server with the
// real whales of block 277647, a verifying webhook receiver and the fake Telegram API. The
// leader is SIGKILLed in the middle of the stream of whales: another leads within the lease
// time and recovers what arrived meanwhile; every whale reaches the webhook with its stable
// `webhook-id`, no Telegram message is posted twice, and the confirmations edit the originals.

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const value = (t: EsploraTx) => t.vout.reduce((s, o) => s + o.value, 0);

describe.skipIf(!hasRedis || !hasFixtures)(
  'engine: redis on the real whales (built CLI, fake mempool.space)',
  () => {
    it('SIGKILL the leader mid-stream: every whale delivered, posted once, confirmed in place', async () => {
      const redis = await startRedis();
      cleanups.push(() => redis.stop());
      const fake = await startFakeMempool();
      cleanups.push(() => fake.close());
      const tg = await startFakeTelegram();
      cleanups.push(() => tg.close());
      const secret = newSecret();
      const rx = await startReceiver(secret);
      cleanups.push(() => rx.close());
      const dir = await mkdtemp(join(tmpdir(), 'spout-mempool-failover-'));
      await writeFile(
        join(dir, 'config.yaml'),
        [
          'log: { level: debug, format: json }',
          'http: { listen: "127.0.0.1:${PORT}" }',
          'engine: { use: redis, url: "${REDIS_URL}", deployment: mainnet, leaseTime: 2s }',
          'inputs:',
          `  feed: { use: mempool, url: "${fake.url}" }`,
          'detectors:',
          '  whales: { use: whale, thresholdBtc: 100 }',
          'jobs:',
          '  correlation: { use: correlation }',
          'outputs:',
          '  hook: { use: webhook, url: "${HOOK_URL}", secret: "${HOOK_SECRET}" }',
          `  channel: { use: telegram, token: "\${TG_TOKEN}", chat: "@whales", apiRoot: "${tg.url}", pacing: { perChat: 10ms } }`,
        ].join('\n') + '\n',
      );
      const instance = () =>
        startInstance(
          ['run'],
          dir,
          (port) => ({
            PORT: String(port),
            REDIS_URL: redis.url,
            HOOK_URL: rx.url,
            HOOK_SECRET: secret,
            TG_TOKEN: tg.token,
          }),
          cleanups,
        );
      const whales = loadBlock277647().filter((t) => value(t) > 100e8);
      expect(whales).toHaveLength(3);
      const [w0, w1, w2] = whales as [EsploraTx, EsploraTx, EsploraTx];
      const now = () => Math.floor(Date.now() / 1000);

      const a = await instance();
      await a.waitFor(/leading deployment .*fencing token 1\)/);
      const others = [await instance(), await instance()];
      await Promise.all(others.map((p) => p.waitFor('following: another instance leads')));
      await fake.waitForMessage(isTrackMempool(1));
      fake.pushBlock({ id: 'a'.repeat(64), height: 900_000, timestamp: now() }, []);
      fake.pushMempool({ added: [w0] });
      await tg.waitFor('sendMessage', 1);
      // Recorded as posted (with its message id) in Redis: the log line comes after the write.
      await a.waitFor('"msg":"chat post done"');

      // The second whale arrives as the leader dies: it may or may not have handled it. The server
      // projects it in its next block, where a new leader's recovery finds it.
      const vsize = Math.ceil(w1.weight / 4);
      fake.setProjectedBlockTransactions(0, [[w1.txid, w1.fee, vsize, value(w1), w1.fee / vsize, 0, now()]]);
      fake.pushMempool({ added: [w1] });
      const killedAt = performance.now();
      a.child.kill('SIGKILL');
      await a.exited;
      const leader = await Promise.race(
        others.map((p) => p.waitFor(/leading deployment .*fencing token 2\)/, 15_000).then(() => p)),
      );
      expect(performance.now() - killedAt).toBeLessThan(2000 + 1000 + 1000);
      await fake.waitForMessage(isTrackMempool(2));
      await leader.waitFor(/gap recovery: 1 missed transaction/);
      fake.pushMempool({ added: [w2] });
      await tg.waitFor('sendMessage', 3);
      fake.pushBlock(
        { id: 'b'.repeat(64), height: 900_001, timestamp: now() },
        whales.map((w) => w.txid),
      );
      const edits = await tg.waitFor('editMessageText', 3);

      const detectedIds = whales.map((w) => eventId('whale.detected', w.txid));
      const confirmedIds = whales.map((w) => eventId('whale.confirmed', w.txid));
      await until(
        () =>
          [...detectedIds, ...confirmedIds].every((id) => rx.requests.some((r) => ok(r) && idOf(r) === id)),
        'every whale detected and confirmed, delivered',
      );
      expect(tg.of('sendMessage')).toHaveLength(3);
      const texts = tg.of('sendMessage').map((c) => String(c.body.text));
      for (const w of whales) expect(texts.filter((t) => t.includes(w.txid)).length).toBe(1);
      const posted = new Set(tg.of('sendMessage').map((_, i) => String(100 + i)));
      expect(new Set(edits.map((e) => String(e.body.message_id)))).toEqual(posted);
      expect([...tg.messages.values()].every((t) => t.includes('confirmed in block 900,001'))).toBe(true);

      for (const p of others) p.child.kill('SIGTERM');
      for (const p of others) expect((await p.exited).code).toBe(0);
    });
  },
);
