import type { Logger } from 'pino';
import type { SpoutConfig } from '../config/types.js';
import type { DetectorChain } from './detector-chain.js';
import type { HealthBoard } from './health.js';
import type { Runtime } from './instance.js';
import type { OutputSlot } from './output-slot.js';
import type { ReloadPlan } from './reload-plan.js';
import type { OutputDefinition } from '../plugin/types.js';

/** Outcome of a reload: instance names by what happened to them. */
export interface ReloadReport {
  restarted: string[];
  added: string[];
  removed: string[];
  unchanged: string[];
  failed: string[];
  needsRestart: string[];
}

/** The parts of a running kernel a reload works on. */
export interface ReloadParts {
  runtimes: Map<string, Runtime>;
  slots: Map<string, OutputSlot>;
  chain: DetectorChain;
  health: HealthBoard;
  log: Logger;
  stopMs: number;
  setConfig(config: SpoutConfig): void;
  setupOne(instance: SpoutConfig['instances'][number]): Promise<Runtime>;
  startOne(runtime: Runtime): Promise<void>;
  stopOne(runtime: Runtime, errors: unknown[]): Promise<void>;
  byStartOrder(list: Runtime[]): Runtime[];
  detectorsInOrder(): Runtime[];
  /** Called once the instances are in place (the kernel recomputes what follows them). */
  settled(): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * Carry out a reload plan: stop what is removed or changed (producers first), then set up and
 * start what is added or changed (consumers first). Outputs and the detector chain are paused
 * meanwhile, so their events wait and reach the new instance in order. An instance that fails
 * to come back is marked unhealthy and logged; the rest keeps running.
 */
export async function applyReload(
  k: ReloadParts,
  plan: ReloadPlan,
  next: SpoutConfig,
): Promise<ReloadReport> {
  const report: ReloadReport = {
    restarted: [],
    added: [],
    removed: [],
    unchanged: plan.unchanged,
    failed: [],
    needsRestart: plan.needsRestart,
  };
  const restarting = new Set(plan.start.map((i) => i.name));
  const errors: unknown[] = [];
  if ([...plan.stop, ...plan.start].some((i) => i.kind === 'detector')) await k.chain.pause();
  for (const old of plan.stop) {
    const runtime = k.runtimes.get(old.name);
    const slot = k.slots.get(old.name);
    // A delivery that hangs must not hold the reload for ever: wait at most the stop limit.
    const successor = next.instances.find((i) => i.name === old.name && i.enabled && i.kind === 'output');
    const upcoming = successor
      ? (successor.events ?? (successor.plugin as OutputDefinition | null)?.defaultEvents)
      : undefined;
    if (slot) await Promise.race([slot.pause(upcoming), sleep(k.stopMs)]);
    if (runtime) await k.stopOne(runtime, errors);
    if (restarting.has(old.name) && old.kind === next.instances.find((i) => i.name === old.name)?.kind) {
      report.restarted.push(old.name);
      continue;
    }
    report.removed.push(old.name);
    k.health.remove(old.name);
    await slot?.close();
    k.slots.delete(old.name);
  }
  k.setConfig(next);
  if (plan.logLevel) {
    // pino children keep the level they were made with: set it on each instance's logger too.
    k.log.level = plan.logLevel;
    for (const runtime of k.runtimes.values()) runtime.ctx.log.level = plan.logLevel;
  }
  const failed = (name: string, error: unknown) => {
    report.failed.push(name);
    k.health.set(name, 'unhealthy', (error as Error).message, 'failed');
    // Its slot stays paused: events wait for a reload that starts it (not dropped unseen).
    if (k.slots.has(name))
      k.log.warn({ instance: name }, `events for ${name} are held until it starts (fix it and send SIGHUP)`);
    k.log.error({ instance: name, err: error }, `${(error as Error).message}; the rest keeps running`);
  };
  const fresh: Runtime[] = [];
  for (const instance of plan.start) {
    if (!report.restarted.includes(instance.name)) report.added.push(instance.name);
    try {
      fresh.push(await k.setupOne(instance));
    } catch (error) {
      failed(instance.name, error);
    }
  }
  for (const runtime of k.byStartOrder(fresh)) {
    try {
      await k.startOne(runtime);
    } catch (error) {
      failed(runtime.config.name, error);
      await k.stopOne(runtime, errors);
    }
  }
  k.chain.set(k.detectorsInOrder());
  k.chain.resume();
  k.settled();
  return report;
}
