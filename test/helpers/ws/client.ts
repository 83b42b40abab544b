import WebSocket from 'ws';

/** What a test client saw. */
export interface TestClient {
  ws: WebSocket;
  /** Every text message, parsed. */
  messages: Array<Record<string, unknown>>;
  /** Resolves once connected (rejects if the upgrade is refused). */
  opened: Promise<void>;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first message (already received or to come) for which `test` holds. */
  next(test: (m: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  /** Resolves once `n` messages matching `test` have arrived. */
  count(test: (m: Record<string, unknown>) => boolean, n: number, ms?: number): Promise<void>;
}

/** A real `ws` client on `url`; `token` is sent as the first message, `bearer` as a header. */
export function connect(
  url: string,
  options: {
    token?: string;
    /** Sent in the auth message: the id of the last event received before. */
    resume?: string;
    bearer?: string;
    origin?: string;
    maxPayload?: number;
    autoPong?: boolean;
    /** Keep only `type`, `id` and `data.txid` of each message (for large or many messages). */
    brief?: boolean;
  } = {},
): TestClient {
  const headers: Record<string, string> = {};
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  const ws = new WebSocket(url, {
    headers,
    ...(options.origin ? { origin: options.origin } : {}),
    ...(options.maxPayload ? { maxPayload: options.maxPayload } : {}),
    ...(options.autoPong === false ? { autoPong: false } : {}),
  });
  const messages: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    const txid = (m.data as { txid?: unknown } | undefined)?.txid;
    messages.push(options.brief ? { type: m.type, id: m.id, txid } : m);
    for (const w of [...waiters]) w();
  });
  ws.on('error', () => {});
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  opened.catch(() => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of [...waiters]) w();
    }),
  );
  if (options.token)
    void opened.then(() =>
      ws.send(
        JSON.stringify({
          type: 'auth',
          token: options.token,
          ...(options.resume ? { resume: options.resume } : {}),
        }),
      ),
    );
  const wait = (ok: () => boolean, what: string, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (ok()) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        } else if (ws.readyState === WebSocket.CLOSED) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`closed before ${what}; got ${JSON.stringify(messages).slice(0, 500)}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages).slice(0, 500)}`));
      }, ms);
      waiters.add(check);
      check();
    });
  return {
    ws,
    messages,
    opened,
    closed,
    async next(test, ms = 5000) {
      await wait(() => messages.some(test), 'a matching message', ms);
      return messages.find(test) as Record<string, unknown>;
    },
    count: (test, n, ms = 10_000) => wait(() => messages.filter(test).length >= n, `${n} messages`, ms),
  };
}

export const isType = (type: string) => (m: Record<string, unknown>) => m.type === type;
