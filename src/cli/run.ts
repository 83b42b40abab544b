import { BUILTIN_PLUGINS } from '../../plugins/index.js';
import { hideEnvValues, variablesAt } from '../config/env-values.js';
import { unsetOnReload } from '../config/interpolate.js';
import { formatListen } from '../config/listen.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { unreachableEvents } from '../config/reachability.js';
import type { SpoutConfig } from '../config/types.js';
import { listenFailureMessage } from '../http/server.js';
import { isSpoutError } from '../kernel/errors.js';
import { createKernel } from '../kernel/kernel.js';
import { openLowdbStore } from '../store/lowdb.js';
import { createMemoryStore } from '../store/memory.js';
import { startControl } from './control.js';
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

/**
 * Run a loaded configuration until a stop signal. Exit status: 0 after a clean stop, 1 when
 * boot or stop failed (the error names the instance and phase).
 */
export async function runConfig(
  config: SpoutConfig,
  cli: CliEnv,
  options: {
    reload?: () => Promise<SpoutConfig>;
    memoryStore?: boolean;
    banner?: string;
    /** Log a warning for each output or job waiting for events nothing produces (as `spout check`). */
    warnUnreachable?: boolean;
    /** Called once the kernel runs, with its HTTP address (the demo prints its dashboard link). */
    onStarted?: (http: { host: string; port: number } | undefined) => void | Promise<void>;
  } = {},
): Promise<number> {
  const root = createCliLogger(config, cli);
  const log = root.log;
  if (options.warnUnreachable)
    for (const w of unreachableEvents(config.instances, BUILTIN_PLUGINS))
      log.warn({ events: w.events }, w.message);
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
  let running = config;
  let reloads = Promise.resolve();
  let stopRequested: ((signal: string) => void) | null = null;
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  cli.onSignal('SIGINT', () => stopRequested?.('SIGINT'));
  cli.onSignal('SIGTERM', () => stopRequested?.('SIGTERM'));
  cli.onSignal('SIGHUP', () => {
    reloads = reloads.then(async () => {
      if (!options.reload) return log.warn('SIGHUP ignored: this configuration cannot be reloaded');
      // Reloading while instances are being started or stopped would start what no one stops.
      if (kernel.state() !== 'running')
        return log.warn(`SIGHUP ignored: Spout is ${kernel.state()}; send it again once running`);
      log.info('SIGHUP: reloading the configuration');
      let next: SpoutConfig;
      try {
        next = await options.reload();
      } catch (error) {
        root.setSecrets(
          [...running.secrets, ...(error instanceof ConfigError ? error.secrets : [])],
          running.strictSecrets,
        );
        log.error(
          { code: 'SPOUT_RELOAD_REJECTED' },
          `configuration rejected; the running configuration stays. ${rejection(error)}`,
        );
        return;
      }
      root.setSecrets(
        [...running.secrets, ...next.secrets],
        [...running.strictSecrets, ...next.strictSecrets],
      );
      const report = await kernel.reload(next);
      running = next;
      log.info(
        { reload: report },
        `reloaded: restarted [${report.restarted.join(', ')}], added [${report.added.join(', ')}], removed [${report.removed.join(', ')}], ${report.unchanged.length} unchanged`,
      );
      if (report.needsRestart.length > 0)
        log.warn(`changes to ${report.needsRestart.join(', ')} take effect after a restart`);
    });
    // A failed reload must not break the chain: later SIGHUPs still work.
    reloads = reloads.catch((error: unknown) =>
      log.error({ err: error }, `reload failed: ${(error as Error).message}`),
    );
  });

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
  await reloads;
  const errors = await kernel.stop();
  await stopControl();
  log.info(errors.length === 0 ? 'stopped cleanly' : `stopped with ${errors.length} error(s)`);
  return errors.length === 0 ? 0 : 1;
}

/**
 * Why a reload was rejected. An unset variable is told as what it is on a running process: the
 * environment it started with, which a SIGHUP cannot change (not "set it", as at boot).
 */
function rejection(error: unknown): string {
  if (error instanceof ConfigError) return new ConfigError(error.problems.map(unsetOnReload)).message;
  return (error as Error).message;
}

/**
 * A failure's message for the log: one line, naming the variable instead of any value read from
 * the environment (an `http.listen` set from one is named by key and variable, not echoed).
 */
function failure(error: unknown, config: SpoutConfig): string {
  const uses = config.fromEnv ?? [];
  const code = (error as { code?: string }).code;
  const listenVars = variablesAt('http.listen', uses);
  if (code === 'SPOUT_HTTP_LISTEN' && listenVars.length > 0) {
    const errno = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
    return listenFailureMessage(
      `http.listen (set from ${listenVars.map((v) => `\${${v}}`).join(', ')})`,
      errno,
    );
  }
  return hideEnvValues(String((error as Error).message ?? error), uses).replace(/\s*\n\s*/g, ' ');
}
