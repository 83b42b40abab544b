import { BUILTIN_PLUGINS } from '../../plugins/index.js';
import { formatListen } from '../config/listen.js';
import { loadConfig } from '../config/load.js';
import { unreachableEvents } from '../config/reachability.js';
import type { SpoutConfig } from '../config/types.js';
import { isSpoutError } from '../kernel/errors.js';
import { createKernel } from '../kernel/kernel.js';
import { lowerHelperThreads } from '../kernel/helper-threads.js';
import { openLowdbStore } from '../store/lowdb.js';
import { createMemoryStore } from '../store/memory.js';
import { startControl } from './control.js';
import { createReloader, listenForSignals } from './reloader.js';
import { failure } from './failure.js';
import { createCliLogger, type CliEnv } from './io.js';
import { configFile, loadForCommand } from './load.js';

/** `spout run`: load, start, and run until SIGINT/SIGTERM; SIGHUP reloads the file. */
export async function runCommand(flags: { config?: string }, cli: CliEnv): Promise<number> {
  const config = await loadForCommand(flags.config, cli);
  if (typeof config === 'number') return config;
  const file = configFile(flags.config, cli);
  return runConfig(config, cli, {
    reload: () =>
      loadConfig({ file: file.path, shownAs: file.shownAs, env: cli.env, catalogue: BUILTIN_PLUGINS }),
    warnUnreachable: true,
  });
}

/** How `runConfig` runs a configuration. */
export interface RunOptions {
  reload?: () => Promise<SpoutConfig>;
  memoryStore?: boolean;
  banner?: string;
  /** Log a warning for each output or job waiting for events nothing produces (as `spout check`). */
  warnUnreachable?: boolean;
  /** Called once the kernel runs, with its HTTP address (the demo prints its dashboard link). */
  onStarted?: (http: { host: string; port: number } | undefined) => void | Promise<void>;
}

/**
 * Run a loaded configuration until a stop signal. Exit status: 0 after a clean stop, 1 when
 * boot or stop failed (the error names the instance and phase).
 */
export async function runConfig(config: SpoutConfig, cli: CliEnv, options: RunOptions = {}): Promise<number> {
  const root = createCliLogger(config, cli);
  const log = root.log;
  if (options.warnUnreachable)
    for (const w of unreachableEvents(config.instances, BUILTIN_PLUGINS))
      log.warn({ events: w.events }, w.message);
  const nice = config.kernel.helperThreadsNice;
  const lowered = lowerHelperThreads(nice);
  if (lowered) log.debug({ threads: lowered, nice }, `helper threads lowered to nice ${nice}`);
  // Loaded only with the Redis engine: the embedded one never pays for a Redis client (MiBs at rest).
  if (config.engine.use === 'redis' && !options.memoryStore)
    return (await import('./run-redis.js')).runRedisEngine(config, cli, root, options);
  let store;
  try {
    store = options.memoryStore
      ? createMemoryStore()
      : await openLowdbStore({
          path: config.storage.path,
          onError: (error) =>
            log.error(
              { err: error },
              `${(error as Error).message} The changes are kept and written again at the next flush.`,
            ),
        });
  } catch (error) {
    log.fatal({ code: (error as { code?: string }).code }, failure(error, config));
    return isSpoutError(error) ? error.exit : 1;
  }
  const kernel = createKernel({ config, log, store, redact: () => root.redact });
  // Other commands (spout deliveries retry) reach a running process through its store folder.
  const stopControl = options.memoryStore
    ? async () => {}
    : await startControl(config.storage.path, store, log);
  const reloader = createReloader({
    root,
    log,
    initial: config,
    reload: options.reload,
    kernel: () => kernel,
  });
  const stopped = listenForSignals(cli, reloader);

  let address: Awaited<ReturnType<typeof kernel.start>>;
  try {
    address = await kernel.start();
    const count = config.instances.filter((i) => i.enabled).length;
    log.info(
      { http: address },
      `${options.banner ?? 'Spout'} running: ${count} instance(s)${address ? `, http://${formatListen(address)}` : ''}`,
    );
  } catch (error) {
    await stopControl();
    // One line for the person running Spout; the stack only at debug level.
    log.fatal({ code: (error as { code?: string }).code }, `boot failed: ${failure(error, config)}`);
    log.debug({ err: error }, 'boot failure details');
    return isSpoutError(error) ? error.exit : 1;
  }
  await options.onStarted?.(address ?? undefined);
  // Signal listeners do not keep Node's event loop alive; with no server or timer the process
  // would end on its own while it should be waiting for a signal.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const signal = await stopped;
  clearInterval(keepAlive);
  log.info(`${signal}: stopping`);
  await reloader.settled();
  const errors = await kernel.stop();
  await stopControl();
  log.info(errors.length === 0 ? 'stopped cleanly' : `stopped with ${errors.length} error(s)`);
  return errors.length === 0 ? 0 : 1;
}
