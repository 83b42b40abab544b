import { isAbsolute } from 'node:path';
import type { Logger } from 'pino';
import { createRequestReader, defineRequestHandler } from '../control/reader.js';
import type { Store } from '../store/port.js';
import type { TokenChannel } from '../engine/token-channel.js';
import { createTokenRegistry, type TokenRegistry } from './registry.js';
import {
  tokenConsumerFile,
  tokenRequestOf,
  tokenRequestsDir,
  type TokenRequest,
  type TokenRequestResult,
} from './requests.js';

/** Told when a token is revoked; returns how many open connections it closed. */
export type RevocationListener = (jti: string) => number;

/**
 * The token registry of one store, shared by every instance of the process that checks tokens
 * (websocket outputs, the API), with the revocation listeners they register. For a file store it
 * also applies the requests `spout token create|revoke` leave beside the store: the folder is
 * watched (and polled every {@link POLL_MS} in case a change notification is missed), so a
 * revocation closes the connections holding that token well within a second.
 */
export interface TokenHub {
  readonly registry: TokenRegistry;
  /** Revoke in this process (what a revoke request does): records it, tells the listeners. */
  revoke(jti: string, now?: Date): TokenRequestResult;
}

/** Fallback poll of the requests folder. */
const POLL_MS = 200;

interface Shared {
  hub: TokenHub;
  listeners: Set<RevocationListener>;
  users: number;
  stop: () => Promise<void>;
}

/** How the request folder is read (tests shorten the waits and drive the clock). */
export interface RequestFolderOptions {
  /** How long a file that is not a valid request may still be being written (ms). */
  graceMs?: number;
  /** How long answers and temporary files no command came for are kept unchanged (ms). */
  staleMs?: number;
  /** The monotonic clock files are aged on (ms; default `performance.now`). */
  now?: () => number;
}

/**
 * The token service of one kernel (`ctx.tokens` for plugins, `kernel.tokens` for embedders): one
 * {@link TokenHub} over the kernel's store, shared by every instance that checks tokens.
 */
export interface TokenService {
  /**
   * Join the hub (started on first use, with the request folder) with a revocation listener.
   * Each caller must call `release` when it stops (`ctx.tokens` does it at the instance's stop);
   * the folder watcher ends with the last one, and the next `join` starts it again.
   */
  join(listener?: RevocationListener): Promise<{ hub: TokenHub; release: () => Promise<void> }>;
}

/** A {@link TokenService} over `store`; nothing runs until the first `join`. */
export function createTokenService(
  store: Store,
  log: Logger,
  folder: RequestFolderOptions = {},
  channel?: TokenChannel,
): TokenService {
  let shared: Promise<Shared> | null = null;
  return {
    async join(listener = () => 0) {
      if (!shared) {
        const starting = startHub(store, log, folder, channel);
        shared = starting;
        // A failed start must not be kept for the next instance.
        starting.catch(() => {
          if (shared === starting) shared = null;
        });
      }
      const current = shared;
      const s = await current;
      s.users++;
      s.listeners.add(listener);
      let released = false;
      return {
        hub: s.hub,
        release: async () => {
          if (released) return;
          released = true;
          s.listeners.delete(listener);
          if (--s.users === 0) {
            if (shared === current) shared = null;
            await s.stop();
          }
        },
      };
    },
  };
}

async function startHub(
  store: Store,
  log: Logger,
  folder: RequestFolderOptions,
  channel?: TokenChannel,
): Promise<Shared> {
  const registry = createTokenRegistry(store);
  const listeners = new Set<RevocationListener>();
  const revoke = (jti: string, now = new Date()): TokenRequestResult => {
    const { known, already } = registry.revoke(jti, now);
    let closed = 0;
    for (const listener of listeners) {
      try {
        closed += listener(jti);
      } catch (error) {
        log.error(
          { err: error },
          `closing connections of a revoked token failed: ${(error as Error).message}`,
        );
      }
    }
    return { known, already, closed };
  };
  const hub: TokenHub = { registry, revoke };
  const shared: Shared = { hub, listeners, users: 0, stop: async () => {} };

  const applyRequest = (request: TokenRequest): TokenRequestResult => {
    if (request.type === 'token.issued') {
      registry.record(request.record);
      return {};
    }
    if (!request.force && !registry.has(request.jti)) {
      // `spout token revoke` of an id never issued here, without --force: nothing to revoke.
      log.warn({ jti: request.jti }, `token ${request.jti} not revoked: no such token was issued here`);
      return { known: false, already: false, refused: true, closed: 0 };
    }
    const result = revoke(request.jti, new Date(request.at));
    log.info(
      { jti: request.jti, closed: result.closed },
      `token ${request.jti} revoked: ${result.closed} open connection(s) closed`,
    );
    return result;
  };
  if (channel) {
    // engine: redis — the change is already in Redis; each instance applies it to what it holds.
    shared.stop = await channel.subscribe((request) => void applyRequest(request));
    return shared;
  }
  if (!isAbsolute(store.location)) return shared; // a memory store: no other process can reach it
  const handler = defineRequestHandler<TokenRequest>({
    parse: tokenRequestOf,
    async apply(request) {
      const result = applyRequest(request);
      await store.flush();
      return result;
    },
  });
  const reader = createRequestReader({
    ...folder,
    dir: tokenRequestsDir(store.location),
    pidFile: tokenConsumerFile(store.location),
    handlers: { 'token.issued': handler, 'token.revoke': handler },
    invalid: 'not a token request',
    intervalMs: POLL_MS,
    watch: true,
    log,
  });
  await reader.start(); // applies requests left while no consumer was running
  shared.stop = reader.stop;
  return shared;
}
