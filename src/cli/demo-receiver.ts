import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { deliveryLine } from './demo-delivery.js';

/** The largest body the receiver reads; a Spout envelope is a few kB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the demo's receiver prints before a refused request. */
export const REFUSED_MARK = 'webhook ✗';

export interface DemoReceiverOptions {
  /** The Standard Webhooks secret (`whsec_` + base64) the demo's webhook output signs with. */
  secret: string;
  /** Write one line (without its newline). */
  print(line: string): void;
}

export interface DemoReceiver {
  /** Where to POST deliveries: `http://127.0.0.1:PORT/`. */
  url: string;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

/**
 * The demo's webhook receiver, on 127.0.0.1 at a free port: every POST is verified with the
 * `standardwebhooks` package against `secret`. A verified delivery is answered 204 and printed as
 * one `webhook ✓ …` line; a bad signature is answered 400, a body over {@link MAX_BODY_BYTES} 413,
 * each printed as one `webhook ✗ …` line; any other method 405. Nothing a client sends makes it
 * throw.
 */
export async function createDemoReceiver(options: DemoReceiverOptions): Promise<DemoReceiver> {
  const webhook = new Webhook(options.secret);
  const print = (line: string) => {
    try {
      options.print(line);
    } catch {
      // Printing is the receiver's only purpose, but a failing stdout must not stop the answer.
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return answer(res, 405, { allow: 'POST' });
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === 'failed') return void res.destroy();
    if (body === 'too large') {
      print(`${REFUSED_MARK} refused a request with a body over ${MAX_BODY_BYTES / 1024 / 1024} MiB (413)`);
      // Closing the connection stops Node reading the rest of the body.
      return answer(res, 413, { connection: 'close' });
    }
    try {
      webhook.verify(body, signatureHeaders(req), { jsonParse: false });
    } catch (error) {
      const reason = error instanceof WebhookVerificationError ? error.message : 'unreadable headers';
      print(`${REFUSED_MARK} signature check failed: ${reason} (400, not printed as a delivery)`);
      return answer(res, 400);
    }
    print(deliveryLine(body));
    answer(res, 204);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) answer(res, 500);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

/** The three Standard Webhooks headers as strings (empty when absent: verification says so). */
function signatureHeaders(req: IncomingMessage): Record<string, string> {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(' ') : (value ?? '');
  };
  return {
    'webhook-id': header('webhook-id'),
    'webhook-timestamp': header('webhook-timestamp'),
    'webhook-signature': header('webhook-signature'),
  };
}

/** The body as text, `too large` past `limit` bytes (the rest is not kept), `failed` if the client went away. */
function readBody(req: IncomingMessage, limit: number): Promise<string | 'too large' | 'failed'> {
  if (Number(req.headers['content-length']) > limit) return Promise.resolve('too large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      chunks.length = 0;
      resolve('too large');
    });
    req.on('end', () => resolve(size > limit ? 'too large' : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve('failed'));
    req.on('close', () => resolve('failed'));
  });
}
