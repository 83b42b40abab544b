import dgram from 'node:dgram';
import dns from 'node:dns';
import { once } from 'node:events';
import { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConnection } from '../../plugins/inputs/mempool/connection.js';
import { createCancellableLookup } from '../../src/net/lookup.js';

// Name lookups that a stop can drop: asked of DNS servers over the event loop (c-ares), never
// left running in the thread pool where `process.exit` would wait for them. A DNS server on
// 127.0.0.1 stands for the real one: answering, silent, or knowing no such name.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length) await cleanups.pop()?.();
});

type Mode = 'answer' | 'silent' | 'nxdomain';

/** A DNS server on a free UDP port of 127.0.0.1: A queries answered 127.0.0.1, or not at all. */
async function startDns(mode: Mode): Promise<{ server: string; queries: number }> {
  const socket = dgram.createSocket('udp4');
  const state = { server: '', queries: 0 };
  socket.on('message', (query, peer) => {
    state.queries++;
    if (mode === 'silent') return;
    const qtype = query.readUInt16BE(query.length - 4);
    const header = Buffer.from(query.subarray(0, 12));
    header.writeUInt16BE(mode === 'nxdomain' ? 0x8183 : 0x8180, 2); // response, RD, RA, rcode
    const answer =
      mode === 'answer' && qtype === 1
        ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1])
        : Buffer.alloc(0);
    header.writeUInt16BE(answer.length ? 1 : 0, 6); // ANCOUNT
    socket.send(Buffer.concat([header, query.subarray(12), answer]), peer.port, peer.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  cleanups.push(() => socket.close());
  state.server = `127.0.0.1:${socket.address().port}`;
  return state;
}

function lookupOnce(
  lookup: ReturnType<typeof createCancellableLookup>,
  host: string,
  options: dns.LookupOptions = {},
): Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }> {
  return new Promise((resolve) =>
    lookup.lookup(host, options, (err, address, family) => resolve({ err, address, family })),
  );
}

describe('createCancellableLookup', () => {
  it('resolves a name through the DNS server, one address or all, without the system resolver', async () => {
    const server = await startDns('answer');
    const system = vi.spyOn(dns, 'lookup');
    const names = createCancellableLookup({ servers: [server.server] });
    expect(await lookupOnce(names, 'whale.example')).toEqual({ err: null, address: '127.0.0.1', family: 4 });
    expect(await lookupOnce(names, 'whale.example', { all: true })).toMatchObject({
      err: null,
      address: [{ address: '127.0.0.1', family: 4 }],
    });
    expect(system).not.toHaveBeenCalled();
  });

  it('a pending lookup fails with ECANCELLED at cancel, and lookups after it still work', async () => {
    const silent = await startDns('silent');
    const names = createCancellableLookup({ servers: [silent.server], timeoutMs: 60_000 });
    const pending = lookupOnce(names, 'whale.example');
    await vi.waitFor(() => expect(silent.queries).toBeGreaterThan(0));
    names.cancel();
    const { err } = await pending;
    expect(err?.code).toBe(dns.CANCELLED);
    expect((err as { hostname?: string }).hostname).toBe('whale.example');
  });

  it('a server that does not answer is a DNS timeout, not a fall back to the system resolver', async () => {
    const silent = await startDns('silent');
    const system = vi.spyOn(dns, 'lookup');
    const names = createCancellableLookup({ servers: [silent.server], timeoutMs: 50 });
    const { err } = await lookupOnce(names, 'whale.example');
    expect(err?.code).toBe(dns.TIMEOUT);
    expect(system).not.toHaveBeenCalled();
  });

  it('a name the DNS does not know is asked of the system resolver (hosts file); localhost goes there at once', async () => {
    const server = await startDns('nxdomain');
    const system = vi.spyOn(dns, 'lookup');
    const names = createCancellableLookup({ servers: [server.server] });
    const missing = await lookupOnce(names, 'no-such-whale.invalid');
    expect(server.queries).toBeGreaterThan(0);
    expect(system).toHaveBeenCalledWith('no-such-whale.invalid', expect.anything(), expect.any(Function));
    expect(missing.err?.syscall).toBe('getaddrinfo');
    const before = server.queries;
    expect((await lookupOnce(names, 'localhost')).err).toBeNull();
    expect(server.queries).toBe(before);
  });
});

describe('the mempool connection and name lookups', () => {
  it('connects to a host name through the lookup', async () => {
    const server = await startDns('answer');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    cleanups.push(() => new Promise((r) => wss.close(r)));
    const port = (wss.address() as { port: number }).port;
    const RealResolver = dns.Resolver;
    // The connection asks the system's DNS servers; here they are the loopback one.
    vi.spyOn(dns, 'Resolver').mockImplementation(function (options: dns.ResolverOptions) {
      const r = new RealResolver(options);
      r.setServers([server.server]);
      return r;
    } as unknown as typeof dns.Resolver);
    const states: string[] = [];
    const conn = createConnection({
      url: `ws://whale.example:${port}/api/v1/ws`,
      subscriptions: () => [],
      onFrame: () => {},
      onState: (state) => states.push(state),
    });
    conn.start();
    cleanups.push(() => conn.stop());
    await vi.waitFor(() => expect(states).toContain('connected'));
  });

  it('stop drops a lookup still pending, so nothing is left for the process to wait for at exit', async () => {
    const silent = await startDns('silent');
    const RealResolver = dns.Resolver;
    const cancels: number[] = [];
    vi.spyOn(dns, 'Resolver').mockImplementation(function (options: dns.ResolverOptions) {
      const r = new RealResolver(options);
      r.setServers([silent.server]);
      const cancel = r.cancel.bind(r);
      r.cancel = () => (cancels.push(silent.queries), cancel());
      return r;
    } as unknown as typeof dns.Resolver);
    const system = vi.spyOn(dns, 'lookup');
    const failures: string[] = [];
    const conn = createConnection({
      url: 'wss://mempool.example/api/v1/ws',
      subscriptions: () => [],
      onFrame: () => {},
      onState: () => {},
      onConnectFailure: (f) => void failures.push(f.message),
    });
    conn.start();
    await vi.waitFor(() => expect(silent.queries).toBeGreaterThan(0));
    await conn.stop();
    expect(cancels).toHaveLength(1);
    expect(system).not.toHaveBeenCalled();
    expect(failures).toEqual([]);
  });
});
