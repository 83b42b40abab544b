import dns, { type LookupAddress, type LookupOptions } from 'node:dns';

/** What a fake name resolves to: loopback, or the failure `getaddrinfo` reports. */
export type DnsAnswer = '127.0.0.1' | 'ENOTFOUND' | 'EAI_AGAIN';

export interface FakeDns {
  /**
   * Answer lookups of `host` with these answers in order, the last one repeated. Each name is
   * fake (never sent to a real resolver) from its first `answer` until `restore`.
   */
  answer(host: string, ...answers: DnsAnswer[]): void;
  /** Lookups of `host` so far (one per connection a client opened to it, or tried to). */
  lookups(host: string): number;
  /** Put the real `dns.lookup` and `dns.Resolver` back. */
  restore(): void;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** The error `getaddrinfo` gives for a name that does not resolve (now, or at all). */
function failure(code: 'ENOTFOUND' | 'EAI_AGAIN', host: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ${code} ${host}`), {
    code,
    errno: code === 'ENOTFOUND' ? -3008 : -3001,
    syscall: 'getaddrinfo',
    hostname: host,
  });
}

/**
 * Fake names for the process, so a client meets a DNS failure on its real code path (got, the
 * `http` module under node-fetch, undici's connector and nodemailer all end in `dns.lookup`)
 * without any query leaving the machine. Patches `dns.lookup` (what `net.connect` calls for a
 * host name) and `dns.Resolver` (nodemailer asks it first, then falls back to `dns.lookup`); every
 * other name goes to the real ones. Call `restore` in `afterEach`.
 */
export function installFakeDns(): FakeDns {
  const realLookup = dns.lookup;
  const RealResolver = dns.Resolver;
  const answers = new Map<string, DnsAnswer[]>();
  const counts = new Map<string, number>();

  const next = (host: string): DnsAnswer => {
    const list = answers.get(host)!;
    const n = counts.get(host) ?? 0;
    counts.set(host, n + 1);
    return list[Math.min(n, list.length - 1)]!;
  };

  function lookup(host: string, options: unknown, callback?: unknown): void {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as LookupOptions;
    if (!answers.has(host)) {
      (realLookup as (...args: unknown[]) => void).call(dns, host, options, callback);
      return;
    }
    const a = next(host);
    process.nextTick(() => {
      if (a !== '127.0.0.1') cb(failure(a, host), opts.all ? [] : '');
      else if (opts.all) cb(null, [{ address: a, family: 4 }]);
      else cb(null, a, 4);
    });
  }

  /** nodemailer's first try: for a fake name, "no such record", so it falls back to `dns.lookup`. */
  type Query = (host: string, ...rest: unknown[]) => void;
  function Resolver(options?: ConstructorParameters<typeof RealResolver>[0]) {
    const real = new RealResolver(options) as unknown as Record<'resolve4' | 'resolve6', Query>;
    for (const [method, query] of [
      ['resolve4', 'queryA'],
      ['resolve6', 'queryAaaa'],
    ] as const) {
      const original = real[method].bind(real);
      real[method] = (host, ...rest) => {
        if (!answers.has(host)) return original(host, ...rest);
        const cb = rest.at(-1) as (err: NodeJS.ErrnoException | null, addresses: string[]) => void;
        const error = Object.assign(new Error(`${query} ENOTFOUND ${host}`), { code: dns.NOTFOUND });
        process.nextTick(() => cb(error, []));
      };
    }
    return real;
  }

  const mutable = dns as unknown as { lookup: unknown; Resolver: unknown };
  mutable.lookup = lookup;
  mutable.Resolver = Resolver;
  return {
    answer(host, ...list) {
      if (list.length === 0) throw new Error('fake DNS: give at least one answer');
      answers.set(host, list);
      counts.set(host, 0);
    },
    lookups: (host) => counts.get(host) ?? 0,
    restore() {
      mutable.lookup = realLookup;
      mutable.Resolver = RealResolver;
    },
  };
}
