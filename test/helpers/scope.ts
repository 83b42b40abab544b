import { afterEach } from 'vitest';
import { installFakeDns, type FakeDns } from './fake-dns.js';

/** What a test started and must close, and the fake DNS it installed. */
export interface TestScope {
  /** Await `thing` and close it with `close` after the test (the newest first). */
  later<T>(thing: Promise<T>, close: (t: T) => unknown): Promise<T>;
  /** Install the fake DNS resolver; it is restored after the test. */
  fakeDns(): FakeDns;
}

/** A scope for the tests of the calling `describe` (or file): registers its own `afterEach`. */
export function testScope(): TestScope {
  let cleanup: Array<() => unknown> = [];
  let dns: FakeDns | undefined;
  afterEach(async () => {
    for (const fn of cleanup.reverse()) await fn();
    cleanup = [];
    dns?.restore();
    dns = undefined;
  });
  return {
    async later(thing, close) {
      const t = await thing;
      cleanup.push(() => close(t));
      return t;
    },
    fakeDns() {
      dns = installFakeDns();
      return dns;
    },
  };
}
