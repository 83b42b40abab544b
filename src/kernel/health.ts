import type { HealthState, PluginKind } from '../plugin/types.js';
import type { Redactor } from '../log/redact.js';

export type Phase = 'setup' | 'running' | 'stopped' | 'failed';

/** Health of one instance as `/health` shows it. */
export interface InstanceHealth {
  kind: PluginKind;
  plugin: string;
  phase: Phase;
  state: HealthState;
  reason?: string;
  /** When it stopped being healthy (ISO 8601); absent while healthy. */
  since?: string;
}

export interface HealthReport {
  status: HealthState;
  instances: Record<string, InstanceHealth>;
}

/**
 * An instance's entry was created (no `previous`) or its state, phase or reason changed. The
 * reason is scrubbed of secrets, as `/health` shows it.
 */
export interface HealthChange {
  instance: string;
  kind: PluginKind;
  plugin: string;
  state: HealthState;
  phase: Phase;
  reason?: string;
  previous?: { state: HealthState; phase: Phase; reason?: string };
}

/** Health of every instance; the kernel and the instances themselves write it. */
export interface HealthBoard {
  register(name: string, kind: PluginKind, plugin: string): void;
  /** Update state, reason and/or phase; omitted parts stay as they were. */
  set(name: string, state?: HealthState, reason?: string, phase?: Phase): void;
  remove(name: string): void;
  /**
   * Overall status: unhealthy when any instance is unhealthy or failed, degraded when any is
   * degraded or not running, healthy otherwise. Reasons pass through the secret scrubber. An
   * instance that is not healthy says since when (`since`: it stays while it goes from degraded
   * to unhealthy and back, and goes when it is healthy again).
   */
  report(): HealthReport;
}

/**
 * `now`: the wall clock, only to show `since` (nothing is measured with it). `onChange` is
 * called synchronously on every registration and every change of state, phase or reason; a
 * `set` or `remove` that changes nothing calls nothing.
 */
export function createHealthBoard(
  redact: () => Redactor,
  now: () => number = Date.now,
  onChange: (change: HealthChange) => void = () => {},
): HealthBoard {
  const entries = new Map<string, InstanceHealth>();
  const told = (name: string, e: InstanceHealth, before?: InstanceHealth) => {
    const scrub = redact();
    const shown = (x: InstanceHealth) => ({
      state: x.state,
      phase: x.phase,
      ...(x.reason !== undefined ? { reason: scrub(x.reason) } : {}),
    });
    onChange({
      instance: name,
      kind: e.kind,
      plugin: e.plugin,
      ...shown(e),
      ...(before ? { previous: shown(before) } : {}),
    });
  };
  return {
    register(name, kind, plugin) {
      const before = entries.get(name);
      const entry: InstanceHealth = { kind, plugin, phase: 'setup', state: 'healthy' };
      entries.set(name, entry);
      told(name, entry, before);
    },
    set(name, state, reason, phase) {
      const entry = entries.get(name);
      if (!entry) return;
      const before = { ...entry };
      if (state !== undefined) {
        if (state === 'healthy') delete entry.since;
        else if (entry.state === 'healthy') entry.since = new Date(now()).toISOString();
        entry.state = state;
        if (reason === undefined) delete entry.reason;
      }
      if (reason !== undefined) entry.reason = reason;
      if (phase !== undefined) entry.phase = phase;
      if (entry.state !== before.state || entry.phase !== before.phase || entry.reason !== before.reason)
        told(name, entry, before);
    },
    remove(name) {
      entries.delete(name);
    },
    report() {
      let status: HealthState = 'healthy';
      const instances: Record<string, InstanceHealth> = {};
      const scrub = redact();
      for (const [name, e] of entries) {
        const shown: InstanceHealth = {
          ...e,
          ...(e.reason !== undefined ? { reason: scrub(e.reason) } : {}),
        };
        instances[name] = shown;
        if (e.state === 'unhealthy' || e.phase === 'failed') status = 'unhealthy';
        else if (status === 'healthy' && (e.state === 'degraded' || e.phase !== 'running'))
          status = 'degraded';
      }
      return { status, instances };
    },
  };
}
