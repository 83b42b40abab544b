import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A TCP proxy on 127.0.0.1 in front of a local port, able to cut every connection at once. */
export interface TcpProxy {
  port: number;
  /** Connections currently open through the proxy. */
  open(): number;
  /** Destroy every open connection (both sides), as a network fault would; new ones are accepted. */
  dropAll(): void;
  close(): Promise<void>;
}

/** Start a proxy to `127.0.0.1:targetPort` on a free port. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const dropAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port: (server.address() as AddressInfo).port,
    open: () => pairs.size,
    dropAll,
    async close() {
      dropAll();
      server.close();
      await once(server, 'close');
    },
  };
}
