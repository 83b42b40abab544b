import { parseConfig } from '../builtins.js';
import { createKernel, type Kernel } from '../../../src/kernel/kernel.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import type { Store } from '../../../src/store/port.js';
import { createToken } from '../../../src/auth/tokens.js';
import type { Scope } from '../../../src/auth/scopes.js';
import { captureLog, memoryStandIns, type MemoryStandIns } from '../kernel.js';

/** A 48-byte test secret (never a real one). */
export const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

/**
 * A kernel running `yaml` in-process with its HTTP server on 127.0.0.1 (a free port) and
 * `auth.secret` set, plus a token maker. `yaml` holds the plugin sections.
 */
export async function startSpout(
  yaml: string,
  options: { store?: Store; secret?: string } & MemoryStandIns = {},
): Promise<{
  kernel: Kernel;
  port: number;
  base: string;
  wsUrl: (path?: string) => string;
  store: Store;
  log: ReturnType<typeof captureLog>;
  token: (o?: {
    sub?: string;
    ttlMs?: number;
    scopes?: Scope[];
    now?: Date;
    secret?: string;
  }) => Promise<string>;
  stop: () => Promise<unknown[]>;
}> {
  const secret = options.secret ?? SECRET;
  const config = await parseConfig(
    [
      'http: { listen: "127.0.0.1:0" }',
      'log: { level: debug, format: json }',
      `auth: { secret: ${JSON.stringify(secret)} }`,
      yaml,
    ].join('\n'),
    'test.yaml',
    process.cwd(),
    {},
  );
  const log = captureLog([secret]);
  const store = options.store ?? createMemoryStore();
  const kernel = createKernel({ config, log: log.log, store, ...memoryStandIns(options) });
  const address = await kernel.start();
  if (!address) throw new Error('no HTTP address');
  const base = `http://127.0.0.1:${address.port}`;
  return {
    kernel,
    port: address.port,
    base,
    wsUrl: (path = '/ws') => `ws://127.0.0.1:${address.port}${path}`,
    store,
    log,
    token: async (o = {}) =>
      (
        await createToken({
          secret: o.secret ?? secret,
          sub: o.sub ?? 'tester',
          ttlMs: o.ttlMs ?? 3_600_000,
          scopes: o.scopes ?? ['alerts:read', 'api:read'],
          ...(o.now ? { now: o.now } : {}),
        })
      ).token,
    stop: () => kernel.stop(),
  };
}
