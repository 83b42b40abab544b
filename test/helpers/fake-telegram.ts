import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Bot API call as the fake server received it. */
export interface BotCall {
  token: string;
  method: string;
  body: Record<string, unknown>;
  at: number;
}

/** A scripted answer: the Bot API's JSON envelope and an HTTP status. */
export interface BotReply {
  status: number;
  body: Record<string, unknown>;
}

export interface FakeTelegram {
  /** The `apiRoot` to configure (no trailing slash). */
  url: string;
  /** The token getMe accepts; any other gets 401 Unauthorized. */
  token: string;
  calls: BotCall[];
  /** Calls of one method. */
  of(method: string): BotCall[];
  /** Answer the next call(s) of `method` with `reply` instead of the default (queued, in order). */
  script(method: string, ...replies: BotReply[]): void;
  /** Resolve once `n` calls of `method` arrived. */
  waitFor(method: string, n?: number, ms?: number): Promise<BotCall[]>;
  /** Messages the fake chats hold now, by `${chat}/${message_id}`: what a reader sees. */
  messages: Map<string, string>;
  close(): Promise<void>;
}

/** A 429 as Telegram sends it. */
export const tooManyRequests = (retryAfter: number): BotReply => ({
  status: 429,
  body: {
    ok: false,
    error_code: 429,
    description: `Too Many Requests: retry after ${retryAfter}`,
    parameters: { retry_after: retryAfter },
  },
});

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * A Bot API server on 127.0.0.1 speaking Telegram's wire format (`POST /bot<token>/<method>`,
 * JSON in, `{ok, result}` or `{ok:false, error_code, description, parameters}` out). It keeps
 * the chats' messages so a test can read what a channel shows after posts and edits.
 */
export async function startFakeTelegram(
  token = '123456789:AAFakeTokenForTestsOnly_abcdefghij',
): Promise<FakeTelegram> {
  const calls: BotCall[] = [];
  const scripts = new Map<string, BotReply[]>();
  const messages = new Map<string, string>();
  const events = new EventEmitter();
  let nextId = 100;
  const server = createServer((req, res) => {
    void (async () => {
      const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
      const body = await readJson(req);
      const reply = (status: number, json: Record<string, unknown>) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (!match) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
      const [, callToken, method] = match as unknown as [string, string, string];
      const call = { token: callToken, method, body, at: Date.now() };
      calls.push(call);
      events.emit('call', call);
      if (callToken !== token) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const scripted = scripts.get(method)?.shift();
      if (scripted) return reply(scripted.status, scripted.body);
      const chat = String(body.chat_id);
      switch (method) {
        case 'getMe':
          return reply(200, {
            ok: true,
            result: { id: 123456789, is_bot: true, first_name: 'Spout', username: 'spout_test_bot' },
          });
        case 'sendMessage': {
          const id = nextId++;
          messages.set(`${chat}/${id}`, String(body.text));
          return reply(200, {
            ok: true,
            result: {
              message_id: id,
              date: Math.floor(Date.now() / 1000),
              chat: { id: chat, type: 'channel' },
              text: body.text,
            },
          });
        }
        case 'editMessageText': {
          const key = `${chat}/${String(body.message_id)}`;
          if (!messages.has(key))
            return reply(400, {
              ok: false,
              error_code: 400,
              description: 'Bad Request: message to edit not found',
            });
          if (messages.get(key) === body.text)
            return reply(400, {
              ok: false,
              error_code: 400,
              description:
                'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
            });
          messages.set(key, String(body.text));
          return reply(200, { ok: true, result: { message_id: body.message_id, text: body.text } });
        }
        default:
          return reply(404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const of = (method: string) => calls.filter((c) => c.method === method);
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    calls,
    of,
    script(method, ...replies) {
      scripts.set(method, [...(scripts.get(method) ?? []), ...replies]);
    },
    async waitFor(method, n = 1, ms = 10_000) {
      if (of(method).length >= n) return of(method);
      return new Promise<BotCall[]>((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off('call', onCall);
          reject(new Error(`fake Telegram: ${of(method).length}/${n} ${method} call(s) after ${ms} ms`));
        }, ms);
        const onCall = () => {
          if (of(method).length < n) return;
          clearTimeout(timer);
          events.off('call', onCall);
          // Let the reply be written before the test looks at the result.
          setImmediate(() => resolve(of(method)));
        };
        events.on('call', onCall);
      });
    },
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
