import type { Bus } from '../bus/bus.js';
import type { DetectorDefinition, DetectorHooks } from '../plugin/types.js';
import type { Runtime } from './instance.js';

/**
 * The names of everything that reads every `tx.seen` it is given, so that their declared floors
 * (or the lack of one) decide what an input may skip: each subscription taking `tx.seen` on
 * `buses` (the kernel's, and the one the WebSocket feed takes from with `engine: redis`: jobs,
 * outputs routed it, a program embedding the kernel), except the detector chain's own
 * (`chainSubscriber`), which stands for its detectors; and each detector that admits (by its
 * definition, or by the `admit` its setup returned; assumed while it is not set up yet).
 * Annotating detectors see only admitted whales. Taps are observers and not counted.
 */
export function txSeenConsumers(
  buses: readonly Bus[],
  runtimes: Iterable<Runtime>,
  chainSubscriber: string,
): string[] {
  const names = [...new Set(buses)].flatMap((bus) => bus.subscribersOf('tx.seen'));
  // The chain subscribed first; an instance may share its name, so only one is taken out.
  const chain = names.indexOf(chainSubscriber);
  if (chain >= 0) names.splice(chain, 1);
  for (const r of runtimes) if (r.plugin.kind === 'detector' && admits(r)) names.push(r.config.name);
  return names;
}

function admits(runtime: Runtime): boolean {
  const plugin = runtime.plugin as DetectorDefinition;
  if (plugin.admits === true) return true;
  const hooks = runtime.hooks as DetectorHooks | undefined;
  return hooks === undefined ? plugin.admits !== false : typeof hooks.admit === 'function';
}
