import type { AnyEnvelope } from '../../src/bus/envelope.js';
import type { EventType } from '../../src/bus/events.js';
import { parseConfig } from './builtins.js';
import { createKernel, type Kernel } from '../../src/kernel/kernel.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/port.js';
import { captureLog, memoryStandIns, type MemoryStandIns } from './kernel.js';

/**
 * A kernel running the given YAML in-process, with every published envelope recorded; in a
 * memory store unless one is given (a file store, to restart on the same data). `memorySample`
 * and `memoryLimitBytes` stand in for the process's RSS and memory limit (memory pressure).
 * `readsEveryTx` subscribes a reader of every `tx.seen` (as a program embedding the kernel
 * would), so the input reads every transaction instead of skipping those below the detectors'
 * floor: for tests about what the input makes of each one.
 */
export async function runYaml(
  yaml: string,
  options: { store?: Store; readsEveryTx?: boolean } & MemoryStandIns = {},
): Promise<{
  kernel: Kernel;
  events: AnyEnvelope[];
  of: (type: EventType) => AnyEnvelope[];
  log: ReturnType<typeof captureLog>;
  store: Store;
  stop: () => Promise<unknown[]>;
}> {
  const config = await parseConfig(
    `http: { enabled: false }\nlog: { level: debug, format: json }\n${yaml}`,
    'test.yaml',
    process.cwd(),
    {},
  );
  const log = captureLog();
  const store = options.store ?? createMemoryStore();
  const kernel = createKernel({ config, log: log.log, store, ...memoryStandIns(options) });
  const events: AnyEnvelope[] = [];
  kernel.bus.tap((e) => events.push(e));
  if (options.readsEveryTx) kernel.bus.subscribe('every-tx-reader', ['tx.seen'], () => {});
  await kernel.start();
  return {
    kernel,
    events,
    of: (type) => events.filter((e) => e.type === type),
    log,
    store,
    stop: () => kernel.stop(),
  };
}
