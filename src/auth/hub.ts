import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import { writePidFile } from '../store/outbox.js';
import type { Store } from '../store/port.js';
import { createTokenRegistry, type TokenRegistry } from './registry.js';
import {
  parseTokenRequest,
  tokenConsumerFile,
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
/**
 * Age after which an answer (`.done`) or a half-written request (`.tmp`) is removed: the command
 * that would read it gave up (its wait is 10 s) or was killed.
 */
const STALE_MS = 60_000;

interface Shared {
  hub: TokenHub;
  listeners: Set<RevocationListener>;
  users: number;
  stop: () => Promise<void>;
}

const hubs = new WeakMap<Store, Promise<Shared>>();

/**
 * Join the hub of `store` (started on first use) with a revocation listener. Each caller must
 * call `release` when it stops; the watcher ends with the last one.
 */
export async function joinTokenHub(
  store: Store,
  log: Logger,
  listener: RevocationListener,
): Promise<{ hub: TokenHub; release: () => Promise<void> }> {
  let shared = hubs.get(store);
  if (!shared) {
    shared = startHub(store, log);
    hubs.set(store, shared);
    // A failed start must not be cached for the next instance.
    shared.catch(() => hubs.delete(store));
  }
  const s = await shared;
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
        hubs.delete(store);
        await s.stop();
      }
    },
  };
}

async function startHub(store: Store, log: Logger): Promise<Shared> {
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
  if (!isAbsolute(store.location)) return shared; // a memory store: no other process can reach it

  const dir = tokenRequestsDir(store.location);
  const consumer = tokenConsumerFile(store.location);
  await mkdir(dir, { recursive: true });
  await writePidFile(consumer);

  const apply = (request: TokenRequest): TokenRequestResult => {
    if (request.type === 'token.issued') {
      registry.record(request.record);
      return {};
    }
    const result = revoke(request.jti, new Date(request.at));
    log.info(
      { jti: request.jti, closed: result.closed },
      `token ${request.jti} revoked: ${result.closed} open connection(s) closed`,
    );
    return result;
  };

  let running = false;
  let again = false;
  const drain = async () => {
    if (running) return void (again = true);
    running = true;
    try {
      do {
        again = false;
        const all = await readdir(dir);
        const names = all.filter((n) => n.endsWith('.json')).sort();
        for (const name of names) {
          const file = join(dir, name);
          let result: TokenRequestResult;
          try {
            const request = parseTokenRequest(await readFile(file, 'utf8'));
            result = request ? apply(request) : { error: 'not a token request' };
            await store.flush();
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // taken meanwhile
            result = { error: (error as Error).message };
            log.error({ err: error, request: name }, `could not apply ${name}: ${(error as Error).message}`);
          }
          await writeFile(`${file}.done`, JSON.stringify(result)).catch(() => {});
          await rm(file, { force: true });
        }
        await removeStale(dir, all, Date.now() - STALE_MS);
      } while (again);
    } catch (error) {
      log.warn({ err: error }, `cannot read ${dir}: ${(error as Error).message}`);
    } finally {
      running = false;
    }
  };

  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, () => void drain());
    watcher.on('error', () => {}); // the poll below still runs
  } catch {
    // Some file systems cannot be watched: polling alone still meets the second.
  }
  const timer = setInterval(() => void drain(), POLL_MS);
  timer.unref();
  await drain(); // requests left while no consumer was running
  shared.stop = async () => {
    clearInterval(timer);
    watcher?.close();
    const holder = await readFile(consumer, 'utf8').catch(() => '');
    if (holder === String(process.pid)) await rm(consumer, { force: true });
  };
  return shared;
}

/** Remove the answers and half-written requests among `names` last changed before `before`. */
async function removeStale(dir: string, names: string[], before: number): Promise<void> {
  for (const name of names) {
    if (!name.endsWith('.done') && !name.endsWith('.tmp')) continue;
    const file = join(dir, name);
    const changed = await stat(file).then(
      (s) => s.mtimeMs,
      () => Infinity, // gone meanwhile
    );
    if (changed < before) await rm(file, { force: true });
  }
}
