import { createError, type SpoutError } from './errors.js';
import type { KernelState } from './kernel-types.js';

/**
 * Why `what` may not happen in `state` (a `SPOUT_KERNEL_STATE` error saying so), or null when it
 * may: a kernel starts once, from `created`; it reloads only while running and not stopping.
 */
export function refusalOf(
  what: 'start' | 'reload',
  state: KernelState,
  stopping: boolean,
): SpoutError | null {
  const refuse = (why: string) => createError('SPOUT_KERNEL_STATE', why, { phase: what });
  if (what === 'start') {
    if (state === 'created' && !stopping) return null;
    return refuse(
      state === 'starting' || state === 'running'
        ? `start() refused: the kernel is already ${state} (a kernel starts once)`
        : 'start() refused: the kernel was stopped; create a new kernel to start again',
    );
  }
  if (stopping) return refuse('reload() refused: the kernel is stopping');
  if (state === 'running') return null;
  return refuse(
    state === 'created'
      ? 'reload() refused: the kernel has not been started (call start() first)'
      : `reload() refused: the kernel is ${state}; reload once it runs`,
  );
}
