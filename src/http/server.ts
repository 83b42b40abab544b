import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import Router from 'find-my-way';
import { formatListen, parseListen } from '../config/listen.js';
import { createError } from '../kernel/errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/** A route handler. Throwing (or rejecting) answers 500 with a JSON error and no stack trace. */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string | undefined>,
  query: Record<string, string>,
) => void | Promise<void>;

/** Handler for an HTTP upgrade (WebSocket) on one path. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Routes one owner (a plugin instance or the kernel) adds to the shared server. */
export interface HttpRoutes {
  /** Add a route. A path already taken by another owner is an error naming that owner. */
  route(method: HttpMethod, path: string, handler: RouteHandler): void;
  /** Take WebSocket upgrades on `path`. */
  upgrade(path: string, handler: UpgradeHandler): void;
}

/** The one HTTP server: routes can be added and removed while it runs (plugins restart on SIGHUP). */
export interface HttpServer {
  routes(owner: string): HttpRoutes;
  /** Remove every route and upgrade handler of `owner`. */
  release(owner: string): void;
  listen(): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

/** Parse `http.listen` (validated with the configuration); the one parser is in `src/config/listen.ts`. */
export { parseListen };

/**
 * The message of a failed listen. `where` names the address: `host:port`, or the key and the
 * variable it came from when it was set from the environment (an address is never echoed then).
 */
export function listenFailureMessage(where: string, errno: string): string {
  const hint =
    errno === 'EACCES'
      ? 'Ports below 1024 need privileges: use another port, or change http.listen in the configuration.'
      : errno === 'EADDRNOTAVAIL' || errno === 'ENOTFOUND' || errno === 'EAI_AGAIN'
        ? 'The host is not an address of this machine: change http.listen in the configuration.'
        : 'Free the port or change http.listen in the configuration.';
  return `Cannot listen on ${where} (${errno}). ${hint}`;
}

/** Answer with JSON. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Create the shared server (not yet listening). */
export function createHttpServer(options: {
  listen: string;
  onError?: (error: unknown) => void;
}): HttpServer {
  const { host, port } = parseListen(options.listen);
  const owners = new Map<string, { routes: Array<[HttpMethod, string]>; upgrades: string[] }>();
  const routeOwner = new Map<string, string>();
  const upgrades = new Map<string, UpgradeHandler>();
  const router = Router({
    ignoreTrailingSlash: true,
    defaultRoute: (_req, res) => sendJson(res, 404, { error: 'not_found', message: 'No such route.' }),
  });

  const server = createServer((req, res) => {
    router.lookup(req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node drops its own socket error handler once it emits 'upgrade': without this, a client
    // resetting the connection would be an uncaught error that ends the process.
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const handler = upgrades.get(path);
    if (!handler) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    handler(req, socket, head);
  });

  const ownerEntry = (owner: string) => {
    let entry = owners.get(owner);
    if (!entry) owners.set(owner, (entry = { routes: [], upgrades: [] }));
    return entry;
  };

  return {
    routes(owner) {
      return {
        route(method, path, handler) {
          const key = `${method} ${path}`;
          const taken = routeOwner.get(key);
          if (taken) throw new Error(`${key} is already served by "${taken}"`);
          router.on(method, path, (req, res, params, _store, query) => {
            Promise.resolve()
              .then(() => handler(req, res, params, query))
              .catch((error: unknown) => {
                options.onError?.(error);
                if (!res.headersSent) sendJson(res, 500, { error: 'internal', message: 'Internal error.' });
                else res.destroy();
              });
          });
          routeOwner.set(key, owner);
          ownerEntry(owner).routes.push([method, path]);
        },
        upgrade(path, handler) {
          if (upgrades.has(path)) throw new Error(`WebSocket path ${path} is already taken`);
          upgrades.set(path, handler);
          ownerEntry(owner).upgrades.push(path);
        },
      };
    },
    release(owner) {
      const entry = owners.get(owner);
      if (!entry) return;
      for (const [method, path] of entry.routes) {
        router.off(method, path);
        routeOwner.delete(`${method} ${path}`);
      }
      for (const path of entry.upgrades) upgrades.delete(path);
      owners.delete(owner);
    },
    listen() {
      return new Promise((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException) =>
          reject(
            createError(
              'SPOUT_HTTP_LISTEN',
              listenFailureMessage(formatListen({ host, port }), error.code ?? 'unknown error'),
              {},
              error,
            ),
          );
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const address = server.address();
          resolve({ host, port: typeof address === 'object' && address ? address.port : port });
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
