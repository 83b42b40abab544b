import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringifyWithAmounts } from './block.js';
import type { RpcDownMode } from './types.js';

/** An error Core answers inside the JSON-RPC reply (`JSONRPCError(code, message)`). */
export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Codes of src/rpc/protocol.h used here. */
export const RPC = {
  MISC_ERROR: -1,
  TYPE_ERROR: -3,
  INVALID_ADDRESS_OR_KEY: -5,
  INVALID_PARAMETER: -8,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  PARSE_ERROR: -32700,
} as const;

interface RpcServerDeps {
  /** The valid `user:password`. */
  credentials(): string;
  /** Run one call; throw {@link RpcFailure} for an RPC error. Named params arrive as an object. */
  execute(method: string, params: unknown[] | Record<string, unknown>): unknown;
  badAuthDelayMs: number;
}

type Version = 'v1' | 'v2';
interface Parsed {
  id: unknown;
  hasId: boolean;
  version: Version;
  method: string;
  params: unknown[] | Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSONRPCRequest::parse; `state` carries id and version across a batch, as Core's one `jreq` does. */
function parseRequest(v: unknown, state: { id: unknown; hasId: boolean; version: Version }): Parsed {
  if (!isObject(v)) throw new RpcFailure(RPC.INVALID_REQUEST, 'Invalid Request object');
  state.hasId = 'id' in v;
  state.id = v.id;
  state.version = 'v1';
  if (v.jsonrpc !== undefined && v.jsonrpc !== null) {
    if (typeof v.jsonrpc !== 'string')
      throw new RpcFailure(RPC.INVALID_REQUEST, 'jsonrpc field must be a string');
    if (v.jsonrpc === '2.0') state.version = 'v2';
    else if (v.jsonrpc !== '1.0') throw new RpcFailure(RPC.INVALID_REQUEST, 'JSON-RPC version not supported');
  }
  if (v.method === undefined || v.method === null)
    throw new RpcFailure(RPC.INVALID_REQUEST, 'Missing method');
  if (typeof v.method !== 'string') throw new RpcFailure(RPC.INVALID_REQUEST, 'Method must be a string');
  const p = v.params;
  if (p !== undefined && p !== null && typeof p !== 'object')
    throw new RpcFailure(RPC.INVALID_REQUEST, 'Params must be an array or object');
  return { ...state, method: v.method, params: (p ?? []) as unknown[] | Record<string, unknown> };
}

/** JSONRPCReplyObj: v1 has both result and error (one null); v2 has `jsonrpc` and only one of them. */
function reply(
  result: unknown,
  error: RpcFailure | null,
  r: { id: unknown; hasId: boolean; version: Version },
) {
  const o: Record<string, unknown> = r.version === 'v2' ? { jsonrpc: '2.0' } : {};
  if (error === null) {
    o.result = result ?? null;
    if (r.version === 'v1') o.error = null;
  } else {
    if (r.version === 'v1') o.result = null;
    o.error = { code: error.code, message: error.message };
  }
  if (r.hasId) o.id = r.id ?? null;
  return o;
}

const asFailure = (e: unknown): RpcFailure =>
  e instanceof RpcFailure ? e : new RpcFailure(RPC.MISC_ERROR, e instanceof Error ? e.message : String(e));

/**
 * Core's HTTP JSON-RPC front (src/httprpc.cpp, v28): POST on `/` (or `/wallet/…`), HTTP Basic auth
 * (401 with an empty body otherwise), JSON-RPC 1.0 errors as HTTP 500/404/400 with `{result:null, error, id}`,
 * 2.0 errors inside HTTP 200, 2.0 notifications answered 204, batches always 200.
 */
export class RpcServer {
  /** Methods executed, in order (batch members each). */
  readonly calls: string[] = [];
  private down: RpcDownMode | null = null;
  private readonly held = new Set<ServerResponse>();
  private readonly server: Server;

  private constructor(
    private readonly deps: RpcServerDeps,
    readonly port: number,
    server: Server,
  ) {
    this.server = server;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
  }

  static async start(deps: RpcServerDeps): Promise<RpcServer> {
    const server = createServer({ keepAlive: true });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new RpcServer(deps, (server.address() as AddressInfo).port, server);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.down === 'hang') {
      this.held.add(res);
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/' && !path.startsWith('/wallet/')) return void res.writeHead(404).end();
    if (req.method !== 'POST')
      return void res.writeHead(405).end('JSONRPC server handles only POST requests');
    const header = req.headers.authorization;
    const unauthorized = (): void =>
      void res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="jsonrpc"' }).end();
    if (header === undefined) return unauthorized();
    const decoded = header.startsWith('Basic ')
      ? Buffer.from(header.slice(6).trim(), 'base64').toString()
      : '';
    if (!decoded.includes(':') || decoded !== this.deps.credentials()) {
      await new Promise((r) => setTimeout(r, this.deps.badAuthDelayMs));
      return unauthorized();
    }
    const send = (status: number, body?: unknown): void => {
      if (body === undefined) return void res.writeHead(status).end();
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(`${stringifyWithAmounts(body)}\n`);
    };
    const state = { id: null as unknown, hasId: true, version: 'v1' as Version };
    // JSONErrorReply: the HTTP status follows the code (meant for 1.0; a 2.0 request reaches it only when
    // its parsing failed, and then gets the 2.0 shape with that status, as Core does).
    const legacyError = (e: RpcFailure): void => {
      const status = e.code === RPC.INVALID_REQUEST ? 400 : e.code === RPC.METHOD_NOT_FOUND ? 404 : 500;
      send(status, reply(null, e, state));
    };
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return legacyError(new RpcFailure(RPC.PARSE_ERROR, 'Parse error'));
    }
    if (Array.isArray(body)) {
      const out: unknown[] = [];
      for (const item of body) {
        let answer: unknown;
        try {
          const r = parseRequest(item, state);
          answer = this.exec(r, true);
        } catch (e) {
          answer = reply(null, asFailure(e), state);
        }
        if (!(state.version === 'v2' && !state.hasId)) out.push(answer);
      }
      return out.length === 0 && body.length > 0 ? send(204) : send(200, out);
    }
    if (!isObject(body)) return legacyError(new RpcFailure(RPC.PARSE_ERROR, 'Top-level object parse error'));
    try {
      const r = parseRequest(body, state);
      const answer = this.exec(r, r.version === 'v2');
      if (r.version === 'v2' && !r.hasId) return send(204);
      send(200, answer);
    } catch (e) {
      legacyError(asFailure(e));
    }
  }

  /** JSONRPCExec: a v2 (or batch) call catches its error into the reply; a v1 call lets it escape. */
  private exec(r: Parsed, catchErrors: boolean): unknown {
    this.calls.push(r.method);
    try {
      return reply(this.deps.execute(r.method, r.params), null, r);
    } catch (e) {
      if (!catchErrors) throw asFailure(e);
      return reply(null, asFailure(e), r);
    }
  }

  /** Stop answering: `refuse` closes the port (connections reset), `hang` accepts and holds requests. */
  async setDown(mode: RpcDownMode | null): Promise<void> {
    if (mode === this.down) return;
    const was = this.down;
    this.down = mode;
    for (const res of this.held) res.socket?.destroy();
    this.held.clear();
    if (mode === 'refuse') {
      const closed = once(this.server, 'close');
      this.server.close();
      this.server.closeAllConnections();
      await closed;
    } else if (was === 'refuse') {
      this.server.listen(this.port, '127.0.0.1');
      await once(this.server, 'listening');
    }
  }

  async close(): Promise<void> {
    for (const res of this.held) res.socket?.destroy();
    this.held.clear();
    if (this.down === 'refuse') return;
    const closed = once(this.server, 'close');
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }
}
