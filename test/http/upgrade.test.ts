import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.js';

describe('shared HTTP server: WebSocket upgrades', () => {
  it('answers an upgrade on an unknown path with 404, and survives clients that reset the connection', async () => {
    const server = createHttpServer({ listen: '127.0.0.1:0' });
    server.routes('test').route('GET', '/ping', (_req, res) => void res.end('pong'));
    const { port } = await server.listen();
    const request =
      'GET /nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

    // A polite client reads the 404.
    const polite = connect(port, '127.0.0.1');
    polite.write(request);
    const chunks: Buffer[] = [];
    polite.on('data', (c: Buffer) => chunks.push(c));
    await once(polite, 'end');
    expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 404 Not Found/);

    // Rude clients reset right after asking: the server's write meets ECONNRESET/EPIPE.
    for (let i = 0; i < 20; i++) {
      const rude = connect(port, '127.0.0.1');
      await once(rude, 'connect');
      rude.write(request);
      rude.resetAndDestroy();
      await once(rude, 'close');
    }
    const res = await fetch(`http://127.0.0.1:${port}/ping`);
    expect(await res.text()).toBe('pong');
    await server.close();
  });
});
