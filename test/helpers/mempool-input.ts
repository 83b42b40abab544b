import { afterEach } from 'vitest';
import { isTrackMempool, startFakeMempool, type FakeMempool } from './fake-mempool.js';
import { runYaml } from './run-yaml.js';

/** A kernel {@link runYaml} started. */
export type YamlRun = Awaited<ReturnType<typeof runYaml>>;

/** The mempool input under test in this file: what the running test started, closed after it. */
export interface MempoolInputTests {
  /** The running test's fake mempool.space server, once it started one. */
  fake: FakeMempool | null;
  /** Stops the running test's kernel, once it started one. */
  stop: (() => Promise<unknown>) | null;
  /**
   * Start a fake server and a kernel running the mempool input against it (backoff 50–200 ms),
   * `extra` YAML after it; resolves with the run once the input has subscribed. A reader of every
   * `tx.seen` is subscribed: these tests are about what the input makes of each transaction.
   */
  start(extra?: string): Promise<YamlRun>;
}

/**
 * Registers an `afterEach` that stops the kernel and closes the fake server of each test (what
 * it left in `stop` and `fake`, whether through `start` or by hand).
 */
export function mempoolInputTests(): MempoolInputTests {
  const tests: MempoolInputTests = {
    fake: null,
    stop: null,
    async start(extra = '') {
      const fake = (tests.fake = await startFakeMempool());
      const run = await runYaml(
        `inputs:\n  feed:\n    use: mempool\n    url: ${fake.url}\n    backoffMin: 50ms\n    backoffMax: 200ms\n${extra}`,
        { readsEveryTx: true },
      );
      tests.stop = run.stop;
      await fake.waitForMessage(isTrackMempool(1));
      return run;
    },
  };
  afterEach(async () => {
    await tests.stop?.();
    await tests.fake?.close();
    tests.stop = null;
    tests.fake = null;
  });
  return tests;
}
