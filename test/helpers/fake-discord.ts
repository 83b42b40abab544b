import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake Discord API received it. */
export interface DiscordCall {
  method: string;
  /** Path without the `/api/v10` prefix, e.g. `/webhooks/1/abc`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | null;
  at: number;
}

export interface DiscordReply {
  status: number;
  body: Record<string, unknown> | null;
  headers?: Record<string, string>;
}

export interface FakeDiscord {
  /** The `apiBase` to configure. */
  api: string;
  /** A webhook URL in Discord's own form; its id and token are what the fake accepts. */
  webhookUrl: string;
  botToken: string;
  channel: string;
  calls: DiscordCall[];
  /** Answer the next request(s) matching `method` and the path regex with these replies. */
  script(method: string, path: RegExp, ...replies: DiscordReply[]): void;
  /** Resolve once `n` requests matched. */
  waitFor(method: string, path: RegExp, n?: number, ms?: number): Promise<DiscordCall[]>;
  /** Messages by id: the embeds a reader sees now. */
  messages: Map<string, { embeds: unknown[] }>;
  /** Problems found in received embeds (Discord would answer 400). */
  violations: string[];
  close(): Promise<void>;
}

/** Discord's embed limits, checked the way Discord checks them. */
function embedViolations(embed: Record<string, any>): string[] {
  const problems: string[] = [];
  const len = (s: unknown) => (typeof s === 'string' ? s.length : 0);
  if (len(embed.title) > 256) problems.push(`title ${len(embed.title)} > 256`);
  if (len(embed.description) > 4096) problems.push(`description ${len(embed.description)} > 4096`);
  const fields = (embed.fields ?? []) as Array<{ name: string; value: string }>;
  if (fields.length > 25) problems.push(`${fields.length} fields > 25`);
  for (const f of fields) {
    if (len(f.name) > 256) problems.push(`field name ${len(f.name)} > 256`);
    if (len(f.value) > 1024) problems.push(`field value ${len(f.value)} > 1024`);
    if (!f.name || !f.value) problems.push('empty field name or value');
  }
  if (len(embed.footer?.text) > 2048) problems.push('footer > 2048');
  const total =
    len(embed.title) +
    len(embed.description) +
    len(embed.footer?.text) +
    len(embed.author?.name) +
    fields.reduce((s, f) => s + len(f.name) + len(f.value), 0);
  if (total > 6000) problems.push(`total ${total} > 6000`);
  return problems;
}

/**
 * A Discord API v10 on 127.0.0.1: webhook execute (`?wait=true` returns the message) and edit,
 * channel messages for a bot (`Authorization: Bot …`), `GET` of the webhook and of the bot user.
 * Unknown webhooks get 404 `{code: 10015}` as Discord answers; embeds over a limit get 400.
 */
export async function startFakeDiscord(): Promise<FakeDiscord> {
  const hookId = '123456789012345678';
  const hookToken = 'x'.repeat(68);
  const botToken = 'Bot.Token.For.Tests.Only.abcdefghijklmnop';
  const channel = '223456789012345678';
  const calls: DiscordCall[] = [];
  const scripts: Array<{ method: string; path: RegExp; reply: DiscordReply }> = [];
  const messages = new Map<string, { embeds: unknown[] }>();
  const violations: string[] = [];
  const events = new EventEmitter();
  let nextId = 323456789012345000n;
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname.replace(/^\/api\/v10/, '');
      const call: DiscordCall = {
        method: req.method ?? 'GET',
        path,
        query: url.searchParams,
        headers: req.headers,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
        at: Date.now(),
      };
      calls.push(call);
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body === null ? '' : JSON.stringify(body));
        events.emit('call');
      };
      const i = scripts.findIndex((s) => s.method === call.method && s.path.test(path));
      if (i >= 0) {
        const [s] = scripts.splice(i, 1);
        return reply(s!.reply.status, s!.reply.body, s!.reply.headers);
      }
      const hook = `/webhooks/${hookId}/${hookToken}`;
      const isHook = path.startsWith('/webhooks/');
      if (isHook && !path.startsWith(hook)) return reply(404, { message: 'Unknown Webhook', code: 10015 });
      if (!isHook && req.headers.authorization !== `Bot ${botToken}`)
        return reply(401, { message: '401: Unauthorized', code: 0 });
      const message = (id: string) => ({
        id,
        channel_id: channel,
        content: '',
        embeds: messages.get(id)?.embeds ?? [],
        timestamp: new Date().toISOString(),
      });
      const store = (id: string) => {
        const embeds = (call.body?.embeds ?? []) as Array<Record<string, unknown>>;
        const problems = embeds.flatMap(embedViolations);
        if (problems.length) {
          violations.push(...problems);
          return false;
        }
        messages.set(id, { embeds });
        return true;
      };
      const invalid = () => reply(400, { message: 'Invalid Form Body', code: 50035 });
      const editMatch = /\/messages\/(\d+)$/.exec(path);
      if (call.method === 'GET' && path === hook)
        return reply(200, { id: hookId, type: 1, name: 'whales', channel_id: channel });
      if (call.method === 'GET' && path === '/users/@me')
        return reply(200, { id: '1', username: 'spout-bot', bot: true });
      if (call.method === 'POST' && (path === hook || path === `/channels/${channel}/messages`)) {
        const id = String(nextId++);
        if (!store(id)) return invalid();
        return path === hook && url.searchParams.get('wait') !== 'true'
          ? reply(204, null)
          : reply(200, message(id));
      }
      if (call.method === 'PATCH' && editMatch) {
        const id = editMatch[1]!;
        if (!messages.has(id)) return reply(404, { message: 'Unknown Message', code: 10008 });
        if (!store(id)) return invalid();
        return reply(200, message(id));
      }
      return reply(404, { message: '404: Not Found', code: 0 });
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const matching = (method: string, path: RegExp) =>
    calls.filter((c) => c.method === method && path.test(c.path));
  return {
    api: `http://127.0.0.1:${port}/api`,
    webhookUrl: `https://discord.com/api/webhooks/${hookId}/${hookToken}`,
    botToken,
    channel,
    calls,
    messages,
    violations,
    script(method, path, ...replies) {
      for (const reply of replies) scripts.push({ method, path, reply });
    },
    async waitFor(method, path, n = 1, ms = 10_000) {
      if (matching(method, path).length >= n) return matching(method, path);
      return new Promise<DiscordCall[]>((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off('call', onCall);
          reject(
            new Error(
              `fake Discord: ${matching(method, path).length}/${n} ${method} ${String(path)} after ${ms} ms`,
            ),
          );
        }, ms);
        const onCall = () => {
          if (matching(method, path).length < n) return;
          clearTimeout(timer);
          events.off('call', onCall);
          resolve(matching(method, path));
        };
        events.on('call', onCall);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
