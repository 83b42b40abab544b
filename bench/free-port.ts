import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 now (taken by the caller's server or child right after). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}
