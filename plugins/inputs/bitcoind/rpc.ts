import { readFile } from 'node:fs/promises';
import got, { RequestError } from 'got';

/** An error Bitcoin Core answered (`{ code, message }`), e.g. -5 "Transaction not in mempool". */
export interface RpcError extends Error {
  rpcCode: number;
}

/** Core's code for an unknown transaction or block (`RPC_INVALID_ADDRESS_OR_KEY`). */
export const NOT_FOUND = -5;

/** Whether `error` is Core's answer with `code` (not a transport failure). */
export const isRpcError = (error: unknown, code?: number): error is RpcError =>
  error instanceof Error &&
  typeof (error as RpcError).rpcCode === 'number' &&
  (code === undefined || (error as RpcError).rpcCode === code);

const rpcError = (code: number, message: string): RpcError =>
  Object.assign(new Error(`bitcoind: ${message} (RPC error ${code})`), { rpcCode: code });

/** How the input authenticates: Core's cookie file (re-read on each 401), or user and password. */
export type RpcAuth = { cookieFile: string } | { user: string; password: string };

export interface RpcOptions {
  url: string;
  auth: RpcAuth;
  timeoutMs: number;
}

/** One call of a batch: its result, or the error Core answered for it. */
export type BatchResult = { result: unknown } | { error: RpcError };

/** A JSON-RPC client of one bitcoind. */
export interface Rpc {
  /**
   * Call `method`. Rejects with an {@link RpcError} when Core answered an error, else with an
   * Error whose message says what is wrong with the connection and how to fix it.
   */
  call<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Several calls in one request (Core answers a batch in order); per-call errors are results. */
  batch(calls: Array<{ method: string; params?: unknown[] }>): Promise<BatchResult[]>;
}

/** `http://host:port/` without credentials, for messages. */
export const displayRpcUrl = (url: string): string => {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
};

/**
 * The JSON-RPC client (HTTP POST with `got`, no retries of its own: the input decides when to
 * try again). The cookie file is read at the first call and again after a 401 (bitcoind writes
 * a new cookie each time it starts).
 */
export function createRpc(o: RpcOptions): Rpc {
  const where = displayRpcUrl(o.url);
  let cookie: string | null = null;
  let id = 0;

  const credentials = async (fresh: boolean): Promise<string> => {
    if ('user' in o.auth) return `${o.auth.user}:${o.auth.password}`;
    if (cookie === null || fresh) {
      try {
        cookie = (await readFile(o.auth.cookieFile, 'utf8')).trim();
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new Error(
          code === 'EACCES'
            ? `cannot read the bitcoind cookie file ${o.auth.cookieFile} (permission denied): run Spout as a user in bitcoind's group and set rpccookieperms=group in bitcoin.conf (see docs/inputs.md)`
            : `cannot read the bitcoind cookie file ${o.auth.cookieFile} (${code ?? String(error)}): is bitcoind running, and is this its data directory (testnet and signet keep it in a subfolder)?`,
        );
      }
    }
    return cookie;
  };

  const post = async (body: unknown, retried = false): Promise<unknown> => {
    const auth = Buffer.from(await credentials(retried)).toString('base64');
    let res;
    try {
      res = await got.post(o.url, {
        json: body,
        headers: { authorization: `Basic ${auth}` },
        responseType: 'text',
        throwHttpErrors: false,
        retry: { limit: 0 },
        timeout: { request: o.timeoutMs },
      });
    } catch (error) {
      throw transportError(error, where);
    }
    if (res.statusCode === 401) {
      if (!retried && 'cookieFile' in o.auth) return post(body, true);
      throw new Error(
        `bitcoind at ${where} refused the credentials (HTTP 401): check rpcUser/rpcPassword against rpcauth in bitcoin.conf, or cookieFile`,
      );
    }
    if (res.statusCode === 403)
      throw new Error(
        `bitcoind at ${where} refused this address (HTTP 403): add it to rpcallowip in bitcoin.conf`,
      );
    try {
      return JSON.parse(res.body) as unknown;
    } catch {
      throw new Error(
        `bitcoind at ${where} answered HTTP ${res.statusCode} without JSON${res.statusCode === 503 ? ' (its RPC work queue is full: raise rpcworkqueue)' : ''}`,
      );
    }
  };

  const unwrap = (answer: unknown): BatchResult => {
    const a = (answer ?? {}) as { result?: unknown; error?: { code?: unknown; message?: unknown } | null };
    if (a.error) {
      const code = typeof a.error.code === 'number' ? a.error.code : -1;
      return { error: rpcError(code, typeof a.error.message === 'string' ? a.error.message : 'error') };
    }
    return { result: a.result ?? null };
  };

  return {
    async call<T>(method: string, params: unknown[] = []): Promise<T> {
      const answer = unwrap(await post({ jsonrpc: '1.0', id: ++id, method, params }));
      if ('error' in answer) throw answer.error;
      return answer.result as T;
    },
    async batch(calls) {
      if (calls.length === 0) return [];
      const first = id + 1;
      const body = calls.map((c) => ({ jsonrpc: '1.0', id: ++id, method: c.method, params: c.params ?? [] }));
      const answers = await post(body);
      if (!Array.isArray(answers)) {
        const single = unwrap(answers);
        throw 'error' in single
          ? single.error
          : new Error(`bitcoind at ${where} did not answer the batch with a list`);
      }
      const byId = new Map<unknown, unknown>(answers.map((a) => [(a as { id?: unknown })?.id, a]));
      return calls.map((_, i) => {
        const a = byId.get(first + i);
        return a === undefined ? { error: rpcError(-32603, 'no answer in the batch') } : unwrap(a);
      });
    },
  };
}

function transportError(error: unknown, where: string): Error {
  const code = error instanceof RequestError ? error.code : undefined;
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused: is bitcoind running with server=1, and rpcbind/rpcport matching this URL?'
      : code === 'ETIMEDOUT'
        ? 'no answer in time: bitcoind may be busy (initial sync, reindex) or unreachable'
        : code === 'ECONNRESET'
          ? 'connection reset: bitcoind is restarting or stopping, rpcallowip does not allow this host, or this is its P2P port, not the RPC port'
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? 'host name not found: check rpcUrl'
            : ((error as Error)?.message ?? String(error));
  return new Error(`cannot reach bitcoind RPC at ${where} (${why})`);
}
