import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for `net.connect` (and `ws`, `http.request`) whose pending queries can be dropped. */
export interface CancellableLookup {
  /** Same contract as `dns.lookup` with a callback (`all`, `family` honoured). */
  lookup(hostname: string, options: LookupOptions, callback: LookupCallback): void;
  /** Fail every pending query with `ECANCELLED`; later lookups work as before. */
  cancel(): void;
}

export interface LookupSettings {
  /** DNS servers to ask (`127.0.0.1:5353`); default the system's (`/etc/resolv.conf`). */
  servers?: string[];
  /** How long one try waits for an answer (two tries), default 5 s. */
  timeoutMs?: number;
}

/** Answers meaning "the DNS has no such name": the system resolver may still know it (hosts file, mDNS). */
const NOT_IN_DNS = new Set<string>([dns.NOTFOUND, dns.NODATA, dns.NONAME, dns.BADNAME, dns.SERVFAIL]);

/**
 * Name lookups that never hold the process up when it exits. `dns.lookup` runs the system's
 * `getaddrinfo` on libuv's thread pool, which cannot be interrupted and which `process.exit`
 * waits for: offline, with a resolver that does not answer, a stopped Spout lingered for seconds
 * after "stopped cleanly". This asks the DNS servers directly (c-ares, `dns.Resolver`: in the
 * event loop, cancellable) and falls back to `dns.lookup` only when the DNS has no such name, so
 * names from the hosts file still resolve; `localhost` and IP literals go to `dns.lookup` at once.
 * Errors are Node's (`queryA ETIMEOUT host`, `getaddrinfo ENOTFOUND host`).
 */
export function createCancellableLookup(settings: LookupSettings = {}): CancellableLookup {
  let resolver: dns.Resolver | null = null;
  // `dns.Resolver` read at the first lookup, not at import, so a test's fake one is used.
  const channel = () => {
    if (resolver) return resolver;
    resolver = new dns.Resolver({ timeout: settings.timeoutMs ?? 5_000, tries: 2 });
    if (settings.servers) resolver.setServers(settings.servers);
    return resolver;
  };

  return {
    lookup(hostname, options, callback) {
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
      if (isIP(hostname) || hostname === 'localhost' || hostname.endsWith('.localhost')) {
        dns.lookup(hostname, options, callback);
        return;
      }
      const r = channel();
      const queries: Array<Promise<LookupAddress[]>> = [];
      const query = (method: 'resolve4' | 'resolve6', fam: 4 | 6) =>
        new Promise<LookupAddress[]>((resolve, reject) =>
          r[method](hostname, (err: NodeJS.ErrnoException | null, addresses: string[]) =>
            err ? reject(err) : resolve(addresses.map((address) => ({ address, family: fam }))),
          ),
        );
      if (family !== 6) queries.push(query('resolve4', 4));
      if (family !== 4) queries.push(query('resolve6', 6));
      void Promise.allSettled(queries).then((results) => {
        const found = results.flatMap((x) => (x.status === 'fulfilled' ? x.value : []));
        if (found.length > 0) {
          if (options.all) callback(null, found);
          else callback(null, found[0]!.address, found[0]!.family);
          return;
        }
        const errors = results.map((x) =>
          x.status === 'rejected' ? (x.reason as NodeJS.ErrnoException) : null,
        );
        const worst = errors.find((e) => e && !NOT_IN_DNS.has(e.code ?? '')) ?? null;
        // A timeout or a cancel is final; an empty answer means "ask the system" (hosts file).
        if (worst) callback(Object.assign(worst, { hostname }), options.all ? [] : '');
        else dns.lookup(hostname, options, callback);
      });
    },
    cancel() {
      resolver?.cancel();
    },
  };
}
