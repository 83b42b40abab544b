import type { InstanceConfig, SpoutConfig } from '../config/types.js';

/** What a SIGHUP reload changes. */
export interface ReloadPlan {
  /** Running instances to stop: removed, disabled, or changed (stopped before their replacement). */
  stop: InstanceConfig[];
  /** Instances to set up and start from the new config: added, enabled, or changed. */
  start: InstanceConfig[];
  unchanged: string[];
  /** Kernel keys whose change needs a process restart to take effect. */
  needsRestart: string[];
  /** True when `log.level` changed (applied live). */
  logLevel: string | null;
}

const KIND_ORDER = { input: 0, detector: 1, job: 2, output: 3 } as const;

/**
 * Compare two configs instance by instance. An instance is changed when anything in its
 * settings (`use`, options, routing) differs; only changed, added and removed instances are
 * touched. Stops come producers first (inputs, detectors, jobs, outputs).
 */
export function planReload(current: SpoutConfig, next: SpoutConfig): ReloadPlan {
  const running = new Map(current.instances.filter((i) => i.enabled).map((i) => [i.name, i]));
  const wanted = new Map(next.instances.filter((i) => i.enabled).map((i) => [i.name, i]));
  const stop: InstanceConfig[] = [];
  const start: InstanceConfig[] = [];
  const unchanged: string[] = [];
  for (const [name, old] of running) {
    const now = wanted.get(name);
    if (!now || now.section !== old.section || now.fingerprint !== old.fingerprint) stop.push(old);
    else unchanged.push(name);
  }
  for (const [name, now] of wanted) {
    const old = running.get(name);
    if (!old || old.section !== now.section || old.fingerprint !== now.fingerprint) start.push(now);
  }
  stop.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  const needsRestart: string[] = (['storage', 'http', 'auth'] as const).filter(
    (key) => JSON.stringify(current[key]) !== JSON.stringify(next[key]),
  );
  if (current.log.format !== next.log.format) needsRestart.push('log.format');
  if (current.kernel.helperThreadsNice !== next.kernel.helperThreadsNice)
    needsRestart.push('kernel.helperThreadsNice');
  return {
    stop,
    start,
    unchanged,
    needsRestart,
    logLevel: current.log.level !== next.log.level ? next.log.level : null,
  };
}
