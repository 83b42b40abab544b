import { describe, expect, it } from 'vitest';
import { parseConfig } from '../helpers/builtins.js';
import { createKernel } from '../../src/kernel/kernel.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { isTrackMempool, startFakeMempool } from '../helpers/fake-mempool.js';
import { captureLog, until } from '../helpers/kernel.js';
import { testScope } from '../helpers/scope.js';

const scope = testScope();

interface Health {
  code: number;
  body: {
    status: string;
    state: string;
    instances: Record<string, { state: string; reason?: string; since?: string }>;
  };
}

describe('/health and an input that cannot connect', () => {
  it('answers 503 once the input has not been connected for unhealthyAfter, saying since when and why; 200 again once it connects', async () => {
    const fake = await scope.later(startFakeMempool(), (f) => f.close());
    const port = new URL(fake.url).port;
    // The name does not resolve until the test says so; then it is the fake server on loopback.
    const dns = scope.fakeDns();
    dns.answer('mempool.test', 'ENOTFOUND');
    const url = `ws://mempool.test:${port}/api/v1/ws`;
    const config = await parseConfig(
      [
        'http: { listen: "127.0.0.1:0" }',
        'log: { level: debug, format: json }',
        'inputs:',
        '  feed:',
        '    use: mempool',
        `    url: ${url}`,
        '    backoffMin: 10ms',
        '    backoffMax: 40ms',
        '    unhealthyAfter: 1s',
      ].join('\n'),
      'test.yaml',
      process.cwd(),
      {},
    );
    const log = captureLog(config.secrets as string[]);
    const wallBefore = Date.now();
    const kernel = await scope.later(
      Promise.resolve(
        createKernel({ config, log: log.log, store: createMemoryStore(), redact: () => log.redact }),
      ),
      (k) => k.stop(),
    );
    const address = await kernel.start();
    const health = async (): Promise<Health> => {
      const res = await fetch(`http://127.0.0.1:${address?.port}/health`);
      return { code: res.status, body: (await res.json()) as Health['body'] };
    };

    // Down, but not for long yet: degraded (200), and already saying why.
    await until(() => dns.lookups('mempool.test') >= 1, 5000, 'a first attempt');
    await until(() => log.lines.some((l) => l.level === 'warn'), 5000, 'the WARN of the first failure');
    const early = await health();
    expect(early.code).toBe(200);
    expect(early.body.instances.feed).toMatchObject({ state: 'degraded', since: expect.any(String) });

    // Down for unhealthyAfter: the ERROR, and /health answers 503 with since and why.
    await until(() => log.lines.some((l) => l.level === 'error'), 5000, 'the ERROR of a long outage');
    const down = await health();
    expect(down.code).toBe(503);
    expect(down.body.status).toBe('unhealthy');
    const feed = down.body.instances.feed!;
    expect(feed.state).toBe('unhealthy');
    expect(feed.reason).toMatch(
      new RegExp(
        `^not connected to ws://mempool\\.test:${port}/api/v1/ws since \\S+ \\(input started\\); \\d+ failed attempt\\(s\\), last: getaddrinfo ENOTFOUND mempool\\.test \\(dns\\)$`,
      ),
    );
    const since = Date.parse(feed.since ?? '');
    expect(since).toBeGreaterThanOrEqual(wallBefore - 1000);
    expect(since).toBeLessThanOrEqual(Date.now());
    expect(feed.since).toBe(early.body.instances.feed?.since);

    // The name resolves again: the input connects, /health is 200 and healthy, with no since.
    dns.answer('mempool.test', '127.0.0.1');
    await fake.waitForMessage(isTrackMempool(1));
    await until(() => kernel.health.report().instances.feed?.state === 'healthy', 5000, 'healthy');
    const up = await health();
    expect(up.code).toBe(200);
    expect(up.body.status).toBe('healthy');
    expect(up.body.instances.feed).toEqual({
      kind: 'input',
      plugin: 'mempool',
      phase: 'running',
      state: 'healthy',
    });
    expect(log.lines.filter((l) => l.level === 'info' && String(l.msg).startsWith('connected to'))).toEqual([
      expect.objectContaining({
        url,
        msg: expect.stringMatching(
          new RegExp(
            `^connected to ${url.replace(/\./g, '\\.')} after \\S+ s \\(\\d+ failed attempt\\(s\\)\\)$`,
          ),
        ),
      }),
    ]);
  });
});
